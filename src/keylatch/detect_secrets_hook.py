"""`keylatch detect-secrets hook`: detect-secrets' pre-commit hook with keylatch's pass."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterable, Sequence
from typing import Any

from keylatch.detect_secrets_baseline import Trusted
from keylatch.detect_secrets_scan import keylatch_pass
from keylatch.detect_secrets_setup import configure, escaped, parsed, portable, regular
from keylatch.errors import ScanError


def hook(argv: Sequence[str], trusted: Trusted) -> int:
    """detect_secrets.pre_commit_hook.main, with our plugin, failing on unreadable files, and
    exiting 1, not 3, when it rewrote the baseline: 3 is keylatch's "could not scan", and a CI
    script that lets detect-secrets' 3 pass ("only line numbers moved") must not let that pass.
    """
    from detect_secrets import pre_commit_hook
    from detect_secrets.__version__ import VERSION
    from detect_secrets.core import baseline
    from detect_secrets.core.secrets_collection import SecretsCollection

    args = parsed(pre_commit_hook.parse_args, argv)
    if isinstance(args, int):
        return args
    configure(args, trusted, args.baseline_filename if args.baseline else "command line")
    secrets = SecretsCollection()
    for name in args.filenames:
        # detect-secrets logs a warning and skips a file it cannot open; a FIFO would block it.
        if not regular(name):
            why = "not a regular file" if os.path.lexists(name) else "no such file"
            raise ScanError(f"cannot read {escaped(name)}: {why}")
        try:
            with open(name, "rb"):
                pass
        except OSError as exc:
            raise ScanError(f"cannot read {escaped(name)}: {exc.strerror or exc}") from exc
        secrets.scan_file(name)
    keylatch_pass(secrets, args.filenames)
    new = secrets - args.baseline if args.baseline else secrets
    if new:
        if args.json:
            print(json.dumps(portable(baseline.format_for_output(new)), indent=2))
        else:
            pre_commit_hook.pretty_print_diagnostics(_escaped_names(new))  # type: ignore[arg-type]
        return 1
    if not args.baseline:
        return 0
    if not pre_commit_hook.should_update_baseline(
        args.baseline, scanned_results=secrets, filelist=args.filenames, baseline_version=args.baseline_version
    ):
        return 0
    if args.baseline_version != VERSION:
        with open(args.baseline_filename, encoding="utf-8") as f:
            old = json.load(f)
        old["results"] = args.baseline.json()
        updated = baseline.upgrade(old)
    else:
        updated = baseline.format_for_output(args.baseline)
    baseline.save_to_file(portable(updated), filename=args.baseline_filename)
    print(
        "The baseline file was updated.\nProbably to keep line numbers of secrets up-to-date.\n"
        f"Please `git add {args.baseline_filename}`, thank you.\n"
    )
    return 1


def _escaped_names(found: Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """detect-secrets' diagnostics print each secret's file name as it is (`Location: <name>`):
    a name from the repository with a newline, an escape sequence or a key in it would reach
    the terminal so (QA t-qa17). pretty_print_diagnostics only iterates (name, secret) pairs, so
    it is given copies whose name is escaped and redacted; the collection itself is untouched."""
    out = []
    for name, secret in found:
        shown = copy.copy(secret)
        shown.filename = escaped(name)
        out.append((name, shown))
    return out
