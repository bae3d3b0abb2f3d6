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
    from detect_secrets.audit.report import SecretClassToPrint, generate_report
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
        report = generate_report(args.filename[0], only)  # type: ignore[arg-type]  # None = all
        print(json.dumps(report if reveal else _redact_report(report), indent=4, sort_keys=True))
        return 0
    if not args.stats and not sys.stdin.isatty():
        raise UsageError("interactive audit needs a terminal; use --report or --stats")
    main.handle_audit_action(args)
    return 0


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


def _redact_line(line: str, values: Sequence[str]) -> str:
    for key in sorted({f.secret.value for f in scan_text(line)}, key=len, reverse=True):
        line = line.replace(key, _redacted(key))
    for value in values:
        line = line.replace(value, _redacted(value))
    return line
