"""`keylatch baseline create|update|check`: accept known findings by the key's hash, with a reason."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
from pathlib import Path

from keylatch.commands.options import ConfigArgs, add_config_arguments, config_flags
from keylatch.errors import ExitCode, UsageError
from keylatch.model import Finding
from keylatch.report.untrusted import PATH_LIMIT, for_data
from keylatch.report.untrusted import for_terminal as shown

HELP = "create, update or check a baseline of accepted findings (stored as hashes, never keys)"


class Args(ConfigArgs):
    action: str
    paths: list[Path]
    exclude: list[str]
    file: Path | None
    reason: str | None
    expires: dt.date | None
    prune: bool
    from_detect_secrets: Path | None
    history: bool


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2025-01-31, not {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action", choices=("create", "update", "check"),
        help="create: a new baseline from the current findings; update: add new findings, keep reasons "
        "(--prune drops entries no longer found; creates the file if missing); check: fail on expired entries",
    )  # fmt: skip
    parser.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH",
                        help="what to scan for create/update (default: .)")  # fmt: skip
    parser.add_argument("--file", "-b", type=Path, metavar="FILE",
                        help="baseline file (default: the configured one, else .keylatch-baseline.json)")  # fmt: skip
    parser.add_argument("--exclude", "-x", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB")
    add_config_arguments(parser, baseline=False, fail_on=False)
    parser.add_argument("--reason", help="why these findings are accepted (stored on new entries)")
    parser.add_argument("--expires", type=_date, metavar="YYYY-MM-DD",
                        help="new entries stop suppressing after this day")  # fmt: skip
    parser.add_argument("--prune", action="store_true", help="update: drop entries whose key was not found")
    parser.add_argument("--history", action="store_true",
                        help="create/update from every commit of the repository in the current directory "
                        "instead of the files in PATH (for `keylatch ci` and `keylatch history`)")  # fmt: skip
    parser.add_argument("--from-detect-secrets", type=Path, metavar="FILE",
                        help="also accept every secret of a detect-secrets .secrets.baseline")  # fmt: skip


def run(args: Args) -> ExitCode:
    from keylatch import baseline
    from keylatch.commands.scanning import in_commits, in_files
    from keylatch.commands.settings import policy_of, settle
    from keylatch.config import DEFAULT_BASELINE

    cfg = settle(config_flags(args, exclude=args.exclude), Path("."))
    path = args.file or cfg.baseline or Path(DEFAULT_BASELINE)
    if args.action == "check":
        return _check(path)
    if args.action == "create" and path.exists():
        raise UsageError(f"{path} already exists; use `keylatch baseline update`")
    # update of a missing file starts an empty one, so "keylatch baseline update" is always right.
    previous = baseline.load(path) if args.action == "update" and path.exists() else baseline.Baseline()
    if args.from_detect_secrets is not None:
        previous = baseline.merge(previous, baseline.import_detect_secrets(args.from_detect_secrets))
    if args.history:
        from keylatch.history import WHOLE_HISTORY
        from keylatch.sources.gitcmd import Git
        from keylatch.sources.revs import where

        where(Git(Path(".")), Path("."))  # not a repository: a usage error (exit 2), as everywhere
        findings = list(in_commits(Path("."), WHOLE_HISTORY, cfg, policy_of(cfg)).kept)
    else:
        findings = in_files(args.paths, cfg, policy_of(cfg))[0]
    # The file is committed and shown in diffs: it stores no key, not even one in a path or reason.
    findings = [_path_redacted(f) for f in findings]
    reason = for_data(args.reason) if args.reason else args.reason
    new = baseline.from_findings(findings, previous, reason=reason, expires=args.expires, prune=args.prune)
    if args.action == "update" and new == previous and path.exists():
        print(f"keylatch: {shown(str(path))} unchanged ({len(new.entries)} entries)", file=sys.stderr)
        return ExitCode.CLEAN
    baseline.write(path, new)
    before = {e.sort_key for e in previous.entries}
    after = {e.sort_key for e in new.entries}
    print(
        f"keylatch: wrote {shown(str(path))}: {len(new.entries)} entries "
        f"({len(after - before)} added, {len(before - after)} removed)",
        file=sys.stderr,
    )
    return ExitCode.CLEAN


def _path_redacted(f: Finding) -> Finding:
    path = for_data(f.location.path, PATH_LIMIT)
    return f if path == f.location.path else dataclasses.replace(f, location=dataclasses.replace(f.location, path=path))


def _check(path: Path) -> ExitCode:
    from keylatch import baseline

    # The baseline is repository content: its paths and reasons are shown as untrusted text.
    name = shown(str(path))
    known = baseline.load(path)
    stale = baseline.expired(known, baseline.today())
    for e in stale:
        ident = f"sha256:{e.fingerprint[:12]}" if e.fingerprint else f"sha1:{(e.sha1 or '')[:12]}"
        where = ", ".join(map(shown, e.paths)) or "?"
        why = f": {shown(e.reason)}" if e.reason else ""
        print(f"{name}: {shown(e.rule_id)} {ident} in {where} expired on {e.expires}{why}")
    if stale:
        print(f"keylatch: {len(stale)} of {len(known.entries)} baseline entries expired; "
              "rotate those keys, then `keylatch baseline update --prune`", file=sys.stderr)  # fmt: skip
        return ExitCode.LEAKS
    print(f"keylatch: {name}: {len(known.entries)} entries, none expired", file=sys.stderr)
    return ExitCode.CLEAN
