"""`keylatch baseline create|update|check`: accept known findings by the key's hash, with a reason."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from keylatch.commands.options import ConfigArgs, add_config_arguments, config_flags
from keylatch.detect_secrets_hashes import sha1_hashes
from keylatch.errors import ExitCode, ScanError, UsageError
from keylatch.model import Finding, Location
from keylatch.report.untrusted import PATH_LIMIT, for_data
from keylatch.report.untrusted import for_terminal as shown

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from keylatch.baseline import Baseline, Imported

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
    allow_shallow: bool
    allow_partial: bool
    trust_repo_owner: bool


EXIT_CODES = """exit codes:
  0    create/update: the baseline was written (or is unchanged); check: no entry has expired
  1    check: an entry has expired (rotate that key, then `keylatch baseline update --prune`)
  2    usage or configuration error (the file exists on create, a malformed baseline, a date in the past)
  3    the scan could not complete (unreadable path, git failure, ...): nothing is written
  130  interrupted
"""


def _date(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2025-01-31, not {text!r}") from None
    from keylatch.baseline import today

    # An entry stops suppressing after its `expires` day: one already past would never suppress.
    if day < today():
        raise argparse.ArgumentTypeError(f"{day} is in the past (today is {today()} UTC)")
    return day


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES  # not scan's: 1 means an expired entry here, never "keys found"
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
    group = parser.add_argument_group("with --history (as `keylatch history` has them)")
    group.add_argument("--allow-shallow", action="store_true",
                       help="accept a shallow clone: only the commits it has are baselined")  # fmt: skip
    group.add_argument("--allow-partial", action="store_true",
                       help="accept a partial clone: blobs never downloaded are not read")  # fmt: skip
    group.add_argument("--trust-repo-owner", action="store_true",
                       help="read a repository another user owns (git safe.directory, this run only)")  # fmt: skip
    parser.add_argument("--from-detect-secrets", type=Path, metavar="FILE",
                        help="also accept every secret of a detect-secrets .secrets.baseline")  # fmt: skip


def run(args: Args) -> ExitCode:
    from keylatch import baseline
    from keylatch.commands.output import with_rules_off
    from keylatch.commands.scan import Aside, Unreadable, walked_past
    from keylatch.commands.scanning import in_files, judge_places
    from keylatch.commands.settings import policy_of, settle
    from keylatch.config import DEFAULT_BASELINE
    from keylatch.report import notice
    from keylatch.report.history_report import not_read_notices

    if not args.history and (args.allow_shallow or args.allow_partial or args.trust_repo_owner):
        raise UsageError("--allow-shallow, --allow-partial and --trust-repo-owner apply only with --history")
    cfg = settle(config_flags(args, exclude=args.exclude), Path("."))
    path = args.file or cfg.baseline or Path(DEFAULT_BASELINE)
    if args.action == "check":
        return _check(path)
    if args.action == "create" and path.exists():
        raise UsageError(f"{path} already exists; use `keylatch baseline update`")
    # update of a missing file starts an empty one, so "keylatch baseline update" is always right.
    on_disk = baseline.load(path) if args.action == "update" and path.exists() else baseline.Baseline()
    reason = for_data(args.reason) if args.reason else args.reason
    imported = None
    previous = on_disk
    if args.from_detect_secrets is not None:
        imported = baseline.import_detect_secrets(args.from_detect_secrets, reason=reason, expires=args.expires)
        previous = baseline.merge(on_disk, imported.openai, imported.other)
    if args.history:
        from keylatch.history import WHOLE_HISTORY, scan_history
        from keylatch.sources import gitdir
        from keylatch.sources.gitcmd import Git
        from keylatch.sources.repo import inspect, located
        from keylatch.sources.revs import where

        gitdir.check(".")  # before any git process: a FIFO in .git would hang it
        trusted = (f"safe.directory={Path('.').resolve()}",) if args.trust_repo_owner else ()
        # One Git for the command (the repository's driver names listed once) and inspect's
        # answer handed to the walk, which would otherwise ask again.
        git = Git(Path("."), config=trusted)
        both = located(git, Path("."))  # inspect and where in one git process
        if both is None:  # each asked on its own, for its own error
            state = inspect(Path("."), args.trust_repo_owner, git=git)  # says why git refuses it (another user's)
            where(git, Path("."))  # not a repository: a usage error (exit 2), as everywhere
        else:
            state = both[0]
        # The walk goes on past archive blobs it cannot open; each is named below, and nothing is written.
        walked = scan_history(
            Path("."), WHOLE_HISTORY, rules=cfg.rules, allow_shallow=args.allow_shallow,
            allow_partial=args.allow_partial, trust_owner=args.trust_repo_owner, archives=cfg.archives,
            report_unread=True, report_damage=True, git=git, state=state,
        )  # fmt: skip
        judged = judge_places(walked, Path("."), policy_of(cfg), trust_owner=args.trust_repo_owner, git=git)
        findings, aside = list(judged.kept), judged.set_aside
        notices = not_read_notices(walked)
        unread = len(walked.unread) + len(walked.damaged)
        if walked.damaged:  # named one by one, then the damage in one line: nothing written
            from keylatch.history.damage import headline

            sys.stderr.write(notice.text_lines(notices))
            raise ScanError(f"{headline(Path('.'), walked.damaged)}; {shown(str(path))} not written")
    else:
        entries = Unreadable()
        dropped = Aside()
        findings = in_files(args.paths, cfg, policy_of(cfg), unread=entries, aside=dropped)[0]
        aside = dropped.total + walked_past(cfg)
        notices, unread = notice.unread(entries.shown, entries.count), entries.count
    if unread:
        # Like scan: every entry that could not be read is named, after reading all the rest. A
        # baseline of a partial scan would look complete, so it is not written (exit 3).
        sys.stderr.write(notice.text_lines(notices))
        raise ScanError(
            f"{unread} entr{'ies' if unread != 1 else 'y'} could not be read ({len(findings)} finding(s) in the "
            f"rest); {shown(str(path))} not written"
        )
    aside = with_rules_off(aside, cfg)
    if aside:  # keys the settings keep out are not recorded either: said, as every command says it
        from keylatch.report.set_aside import notices as aside_notices

        sys.stderr.write(notice.text_lines(aside_notices(aside)))
    # The file is committed and shown in diffs: it stores no key, not even one in a path or reason.
    findings = [_path_redacted(f) for f in findings]
    new = baseline.from_findings(findings, previous, reason=reason, expires=args.expires, prune=args.prune)
    note = ""
    if imported is not None:
        # Another plugin's secret that matches no key keylatch finds is not an OpenAI key (a
        # password, an AWS key): as a rule `*` entry it would only pad the file. One that matches
        # a finding is already there as that finding's sha256 entry (say, imported before).
        matched = {h for f in findings for h in sha1_hashes(f.secret)}
        every = (*imported.openai.entries, *imported.other.entries)
        drop = {e.sort_key for e in every if e.sha1 in matched} | {e.sort_key for e in imported.other.entries}
        drop -= {e.sort_key for e in on_disk.entries}
        new = baseline.Baseline(tuple(e for e in new.entries if e.sort_key not in drop))
        note = f"; {_import_note(imported, findings, new)}"
    if args.action == "update" and new == on_disk and path.exists():
        print(f"keylatch: {shown(str(path))} unchanged ({_entries(len(new.entries))}){note}", file=sys.stderr)
        return ExitCode.CLEAN
    baseline.write(path, new)
    # Counted against the file as it was, so entries = before + added - removed.
    before = {e.sort_key for e in on_disk.entries}
    after = {e.sort_key for e in new.entries}
    print(
        f"keylatch: wrote {shown(str(path))}: {_entries(len(new.entries))} "
        f"({len(after - before)} added, {len(before - after)} removed){note}",
        file=sys.stderr,
    )
    return ExitCode.CLEAN


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _import_note(imported: Imported, findings: Sequence[Finding], new: Baseline) -> str:
    """What became of each detect-secrets secret; the numbers add up to the secrets read."""
    matched = {h for f in findings for h in sha1_hashes(f.secret)}
    kept_keys = {e.sort_key for e in new.entries}
    every = (*imported.openai.entries, *imported.other.entries)
    kept = sum(1 for e in every if e.sha1 in matched or e.sort_key in kept_keys)
    other = sum(1 for e in imported.other.entries if e.sha1 not in matched and e.sort_key not in kept_keys)
    pruned = imported.total - kept - other
    parts = [f"{imported.total} detect-secrets secret{'s' if imported.total != 1 else ''}: {kept} imported"]
    if other:
        parts.append(f"{other} of other plugins skipped: no OpenAI key keylatch finds")
    if pruned:
        parts.append(f"{pruned} not found (--prune)")
    return ", ".join(parts)


def _path_redacted(f: Finding) -> Finding:
    path = for_data(f.location.path or _pathless(f.location), PATH_LIMIT)
    return f if path == f.location.path else f.replace(location=f.location.replace(path=path))


def _pathless(loc: Location) -> str:
    """What a reviewer reads in `paths` for a history place that has no path (it used to be
    `""`): the commit or tag message, or the ref that reaches a blob directly."""
    if loc.tag:
        return f"message of tag {loc.tag}"
    if loc.commit:
        return f"message of commit {loc.commit[:12]}"
    return f"blob reached by {loc.ref}" if loc.ref else ""


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
