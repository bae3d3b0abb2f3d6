"""`keylatch detect-secrets audit`: detect-secrets' audit, finding keylatch's plugin by its secret
type, with `--report` redacted unless the user asks for full secrets."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from keylatch.detect_secrets_baseline import Trusted
from keylatch.detect_secrets_setup import configure, parsed
from keylatch.engine import scan_text
from keylatch.errors import UsageError
from keylatch.model import Secret


def audit(argv: Sequence[str], trusted: Trusted, reveal: bool) -> int:
    from detect_secrets import main
    from detect_secrets.audit.common import get_baseline_from_file
    from detect_secrets.audit.report import SecretClassToPrint
    from detect_secrets.exceptions import (
        InvalidBaselineError,
        UnableToReadBaselineError,
    )

    args = parsed(main.parse_args, ["audit", *argv])
    if isinstance(args, int):
        return args
    try:
        for name in args.filename:
            get_baseline_from_file(name)  # detect-secrets prints why a baseline is invalid
    except (InvalidBaselineError, UnableToReadBaselineError):
        raise UsageError(f"not a valid detect-secrets baseline: {' '.join(args.filename)}") from None
    configure(args, trusted, args.filename[-1])
    if args.report:
        only = (
            SecretClassToPrint.REAL_SECRET
            if args.only_real
            else SecretClassToPrint.FALSE_POSITIVE
            if args.only_false
            else None
        )
        report = _report(args.filename[0], only)
        print(json.dumps(report if reveal else _redact_report(report), indent=4, sort_keys=True))
        return 0
    if not args.stats and not sys.stdin.isatty():
        raise UsageError("interactive audit needs a terminal; use --report or --stats")
    main.handle_audit_action(args)
    return 0


def _report(baseline: str, only: Any) -> dict[str, Any]:
    """detect-secrets' `generate_report` (audit/report.py, same shape), except that keylatch's
    entries are found again as keylatch's scan pass found them: the file read whole by keylatch's
    engine (detect_secrets_scan.keylatch_pass). detect-secrets re-reads each entry's file line by
    line as UTF-8 with its plugin: on a UTF-16 or binary file or an archive it stopped with
    "unexpected UnicodeDecodeError" (exit 3), and a key its line model cannot see (a wrapped
    base64 block) vanished from the report (QA t-qa19; tests/e2e/test_qa19_detect_secrets_audit.py).
    `only`: a SecretClassToPrint, or None for every entry."""
    from detect_secrets.audit.common import get_baseline_from_file, get_raw_secrets_from_file, open_file
    from detect_secrets.audit.report import SecretClassToPrint, get_prioritized_verified_result
    from detect_secrets.constants import VerifiedResult

    from keylatch.detect_secrets_plugin import KeylatchOpenAIDetector

    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for filename, secret in get_baseline_from_file(baseline):
        verified = VerifiedResult.from_secret(secret)
        if only is not None and SecretClassToPrint.from_class(verified) != only:
            continue
        found: Sequence[tuple[int, str | None, str]]
        if secret.type == KeylatchOpenAIDetector.secret_type:
            found = _found_again(filename, secret.secret_hash)
        else:
            secret.line_number = 0  # as generate_report: every occurrence in the file
            lines = open_file(filename)
            found = [
                (d.line_number, d.secret_value, lines.lines[d.line_number - 1])
                for d in get_raw_secrets_from_file(secret)
            ]
        for line_number, value, line in found:
            entry = entries.get((secret.secret_hash, filename))
            if entry is None:
                entries[(secret.secret_hash, filename)] = {
                    "secrets": value, "filename": filename, "lines": {line_number: line},
                    "types": [secret.type], "category": verified.name,
                }  # fmt: skip
                continue
            entry["lines"][line_number] = line
            if secret.type not in entry["types"]:
                entry["types"].append(secret.type)
            entry["category"] = get_prioritized_verified_result(verified, VerifiedResult[entry["category"]]).name
    return {"results": list(entries.values())}


def _found_again(filename: str, secret_hash: str) -> list[tuple[int, str, str]]:
    """(line, key, line's text) of each place keylatch's engine finds the key hashed `secret_hash`
    in `filename`, read as `keylatch scan` reads it (archives opened, any encoding)."""

    from detect_secrets.core.potential_secret import PotentialSecret

    from keylatch.detect_secrets_setup import file_chunks
    from keylatch.engine import scan_chunk

    found: list[tuple[int, str, str]] = []
    for chunk in file_chunks(filename):  # gone: as detect-secrets, nothing to show
        lines = chunk.data.split(b"\n")
        for f in scan_chunk(chunk):
            if PotentialSecret.hash_secret(f.secret.value) != secret_hash:
                continue
            i = f.location.line - chunk.first_line
            text = lines[i].decode("utf-8", "replace").rstrip() if 0 <= i < len(lines) else ""
            found.append((f.location.line, f.secret.value, text))
    return found


def _redact_report(report: dict[str, Any]) -> dict[str, Any]:
    """The audit report with every secret (and every key on a shown line) redacted."""
    results = report.get("results", [])
    values = sorted({str(r["secrets"]) for r in results if r.get("secrets")}, key=len, reverse=True)
    for entry in results:
        if entry.get("secrets"):
            entry["secrets"] = _redacted(str(entry["secrets"]))
        entry["lines"] = {n: _redact_line(str(line), values) for n, line in entry.get("lines", {}).items()}
    return report


def _redacted(value: str) -> str:
    whole = [f for f in scan_text(value) if f.secret.value == value]
    return whole[0].secret.redacted if whole else Secret(value).redacted


# A shown line that still holds a key once the plain keys are redacted holds it in another
# spelling: base64 (`data: T1BF...`), hex, escaped, or UTF-16/32 (a NUL between characters).
# Such a line printed the whole key in that spelling (QA t-qa19): it is not shown.
ENCODED_LINE = "(a key in an encoded spelling is on this line; --show-secrets shows it)"


def _redact_line(line: str, values: Sequence[str]) -> str:
    for key in sorted({f.secret.value for f in scan_text(line)}, key=len, reverse=True):
        line = line.replace(key, _redacted(key))
    for value in values:
        line = line.replace(value, _redacted(value))
    wide = line.replace("\x00", "")
    if scan_text(line) or (wide != line and (scan_text(wide) or any(v in wide for v in values))):
        return ENCODED_LINE
    return line
