"""`keylatch history [REPO_OR_URL]`: every key ever committed, who introduced it, is it still there."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from keylatch.commands.options import (
    ConfigArgs,
    OutputArgs,
    VerifyArgs,
    add_config_arguments,
    add_output_arguments,
    add_verify_arguments,
    config_flags,
    output_flags,
    verify_flags,
)
from keylatch.errors import ExitCode, ScanError, UsageError
from keylatch.report import FORMATS

if TYPE_CHECKING:
    from keylatch.history import HistoryResult, Progress
    from keylatch.policy import Policy, SetAside
    from keylatch.sources.gitcmd import Git

HELP = "scan every commit of every ref (or a range) for keys, with who introduced them and where"


class Args(OutputArgs, ConfigArgs, VerifyArgs):
    target: str
    range: str | None
    since: str | None
    branch: list[str]
    include_unreachable: bool
    no_cache: bool
    allow_shallow: bool
    allow_partial: bool
    recurse_submodules: bool
    trust_repo_owner: bool
    format: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", nargs="?", default=".", metavar="REPO_OR_URL",
        help="repository path (default .) or https://, ssh://, file:// URL (cloned to a temp dir)",
    )  # fmt: skip
    scope = parser.add_argument_group("scope (default: every commit reachable from any ref)")
    scope.add_argument("--range", metavar="A..B", help="only commits in this git range")
    scope.add_argument(
        "--since", metavar="REV|DATE",
        help="only commits not reachable from REV, or (a date: 2024-01-31, '2 weeks ago') committed after DATE",
    )  # fmt: skip
    scope.add_argument("--branch", action="append", default=[], metavar="NAME", help="only this branch (repeatable)")
    scope.add_argument(
        "--include-unreachable", action="store_true",
        help="also dangling commits, reflog-only commits and dangling blobs",
    )  # fmt: skip
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the scanned-blob cache")
    parser.add_argument("--allow-shallow", action="store_true", help="scan a shallow clone (history is incomplete)")
    parser.add_argument(
        "--allow-partial", action="store_true",
        help="scan a partial clone without its missing blobs (they are never fetched)",
    )  # fmt: skip
    parser.add_argument("--recurse-submodules", action="store_true", help="also scan checked-out submodules")
    parser.add_argument(
        "--trust-repo-owner", action="store_true",
        help="scan a repository owned by another user (keylatch never runs its hooks or drivers)",
    )  # fmt: skip
    add_config_arguments(parser)
    # sarif/github render one result per place a key was introduced (report/sarif.py, github.py).
    add_output_arguments(parser, FORMATS)
    add_verify_arguments(parser)


def named_commits(args: Args, git: Git) -> dict[str, str | None]:
    """The commits `--range` and `--since` name, resolved together in one git process
    (sources/revs.py `commit_ids`): each end was asked once to tell whether it is a commit, then
    again for its id. None: git says it names no commit; a name left out is asked as before."""
    from keylatch.sources import revs as rv

    names: list[str] = [args.since] if args.since else []
    if args.range:
        try:
            names += rv.split_range(args.range, "--range")
        except UsageError:
            pass  # `revisions` says what is wrong with it, in its order
    return rv.commit_ids(git, names)


def revisions(
    args: Args, branch_ref: Sequence[str], git: Git, known: Mapping[str, str | None] | None = None
) -> tuple[str, ...]:
    """rev-list arguments for the scope options; every revision is checked first, so a typo is a
    usage error (exit 2) rather than a git failure (exit 3). `known`: `named_commits`."""
    from keylatch.sources import revs as rv

    known = known or {}

    if args.range and (args.since or args.branch):
        raise UsageError("--range cannot be combined with --since or --branch")
    if args.range:
        for rev in rv.split_range(args.range, "--range"):
            if not known.get(rev):
                rv.commit(git, rev, "--range")
        return (args.range,)
    revs = tuple(branch_ref) or ("--all",)
    if args.since:
        # A revision if it names one (as before), else a date as `git log --since` reads it.
        if sha := known.get(args.since):
            revs += ("--not", sha)
        elif _is_commit(git, known, args.since) or args.since.startswith("-") or rv.ancestry(args.since):
            revs += ("--not", rv.commit(git, args.since, "--since"))
        elif (when := rv.date(args.since)) is not None:
            revs += (f"--since={when}",)
        elif (kind := rv.non_commit(git, args.since)) is not None:
            raise UsageError(f"--since: {args.since!r} names {kind}, not a commit; {rv.content_hint(args.since)}")
        else:
            raise UsageError(
                f"--since: {args.since!r} is neither a commit in this repository nor a date "
                "(2024-01-31, 2024-01-31T12:00:00Z, '2 weeks ago')"
            )
    return revs


def _is_commit(git: Git, known: Mapping[str, str | None], rev: str) -> bool:
    """`revs.is_commit`, answered from `named_commits` when it asked."""
    from keylatch.sources import revs as rv

    return bool(known[rev]) if rev in known else rv.is_commit(git, rev)


def _object_range(args: Args, git: Git, known: Mapping[str, str | None]) -> tuple[tuple[str, str], ...]:
    """((name, X),) when `--range X` (one revision, not A..B) is, or tags, a blob or a tree: the
    content a ref publishes without a commit, placed as the whole-history walk places it, by
    the ref's full name. Anything else is left to `revisions` (a commit, or a usage error)."""
    from keylatch.history.direct import peel

    rev = args.range or ""
    if not rev or ".." in rev or rev.startswith("-") or _is_commit(git, known, rev):
        return ()
    if not peel(git, [(rev, rev)]):
        sha = git.run("rev-parse", "--verify", "--quiet", "--end-of-options", rev, ok_codes=(0, 1)).strip()
        if sha and git.returncode("cat-file", "-e", sha.decode("ascii", "replace")) != 0:
            # It names an object the repository cannot read: what it is is unknown (damage, exit 3).
            raise ScanError(f"--range: {rev!r} names {sha.decode('ascii', 'replace')}, which is missing or "
                            "unreadable; `git fsck` says more")  # fmt: skip
        return ()
    full = git.run("rev-parse", "--symbolic-full-name", rev, ok_codes=(0, 1, 128)).strip()
    return ((full.decode("utf-8", "surrogateescape") or rev, rev),)


def run(args: Args) -> ExitCode:
    from keylatch.sources import clone

    if clone.is_url(args.target):
        # A file:// source is checked as a scanned repository is first (clone.check_local_source).
        with clone.mirror(args.target) as path:
            return _scan(args, path)
    return _scan(args, Path(args.target))


def _scan(args: Args, path: Path) -> ExitCode:
    from keylatch import policy
    from keylatch.commands.output import verification, verify_findings, write
    from keylatch.commands.scanning import places
    from keylatch.commands.settings import policy_of, settle
    from keylatch.history import scan_history
    from keylatch.report.history_report import not_read_notices, render, summary
    from keylatch.sources import gitdir
    from keylatch.sources.discover import branch_ref, discover
    from keylatch.sources.repo import inspect

    if not path.exists():
        raise UsageError(f"no such file or directory: {path}")
    gitdir.check(str(path))  # before GitPython or git reads it: a FIFO in .git would hang them
    found, git = discover(path, args.trust_repo_owner)
    state = found.state  # discovery's answer, when it had one (sources/discover.py)
    if state is None and (args.range or args.since):
        # an unreadable repository says why before a revision is judged
        state = inspect(found.root, args.trust_repo_owner, git=git)
    # --range X naming a blob or a tree (`git tag keys <blob>`): that object, read as content.
    known = named_commits(args, git)
    direct = _object_range(args, git, known)
    revs = () if direct else revisions(args, [branch_ref(git, b) for b in args.branch], git, known)
    # The scanned repository's own config (rules, excludes, allow comments, baseline, fail-on)
    # applies, as in scan and ci.
    cfg = settle(config_flags(args, format=args.format), found.root)
    pol = policy_of(cfg)
    scan = functools.partial(
        scan_history,
        rules=cfg.rules,
        archives=cfg.archives,
        include_unreachable=args.include_unreachable,
        use_cache=not args.no_cache,
        allow_shallow=args.allow_shallow,
        allow_partial=args.allow_partial,
        trust_owner=args.trust_repo_owner,
        report_unread=True,
        report_damage=True,
    )
    shown = _Shown() if sys.stderr.isatty() else None
    result = scan(found.root, revs, progress=shown, git=git, state=state, direct=direct)
    gits = [git]
    if args.recurse_submodules and not found.bare:
        from keylatch.history.submodules import checked_out, combine

        for sub in checked_out(found.root):
            # A submodule has its own refs: its whole history is scanned, whatever the range.
            if shown is not None:  # its counts continue the parent's, never start from 0 again
                shown.carry(result)
            gitdir.check(str(found.root / sub))  # its own git dir (or .git file's target) and alternates
            inner = scan(found.root / sub, progress=shown)
            result = combine(result, inner, prefix=f"{sub}/")
            gits.append(_git(found.root / sub, args.trust_repo_owner))
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    result, aside = _judged(result, pol, gits)
    from keylatch.commands.output import with_rules_off
    from keylatch.report.set_aside import notices as aside_notices

    aside = with_rules_off(aside, cfg)  # said in every format: settings never hide keys silently
    # One finding per place; --verify asks once per key and finds Azure endpoints in the commits.
    # Only the flags turn verification on: a repository history audits cannot (output.verification).
    verifying = verify_flags(args)
    reported = verify_findings(places(result), verifying, None, git)
    verdicts = {f.fingerprint: f.verified for f in reported if f.verified}
    out = output_flags(args, args.format)
    # Archive blobs not read whole: named in the report (text: on stderr), and exit 3 after
    # every key found elsewhere is reported (report/notice.py).
    notices = (*not_read_notices(result), *aside_notices(aside))
    if notices and (args.format == "text" or args.output is not None):
        from keylatch.report.notice import text_lines

        sys.stderr.write(text_lines(notices))
    if args.format in ("sarif", "github"):
        from keylatch.commands.output import lines_of
        from keylatch.report import render as render_findings

        line_of = lines_of(reported, gits) if args.format == "sarif" else None
        if args.format == "sarif":  # each result with its key's exposure, as ci's (report/exposure.py)
            import datetime as dt

            from keylatch.report.exposure import exposures, render_places

            ex = exposures(result.findings, dt.datetime.now(dt.timezone.utc))
            text = render_places("sarif", reported, ex, reveal=args.show_secrets, notices=notices, line_of=line_of)
        else:
            text = render_findings(args.format, reported, reveal=args.show_secrets, line_of=line_of, notices=notices)
    else:
        text = render(args.format, result, reveal=args.show_secrets, verdicts=verdicts, set_aside=aside)
    write(text, out)
    # sarif/github: the summary too when the scan is incomplete (its notes say what was not read).
    if args.format == "json" or args.output is not None or (result.failed and args.format != "text"):
        print(summary(result), file=sys.stderr)
    if result.damaged:  # after the report: the last line names the damage, as before (damage.py)
        from keylatch.history.damage import headline

        raise headline(found.root, result.damaged)
    if result.unread:
        return ExitCode.SCAN_FAILED
    # --fail-on-verdict live: keys found revoked do not fail the run; every other key at or
    # above fail-on does.
    pol = pol.replace(fail_on_verdict=verification(verifying, None)[1])
    dead = {f.fingerprint for f in reported} - {f.fingerprint for f in policy.alive(reported, pol)}
    return ExitCode.LEAKS if policy.failing(result.findings, dead, pol) else ExitCode.CLEAN


def _git(root: Path, trust_owner: bool) -> Git:
    from keylatch.sources.gitcmd import Git

    return Git(root, config=(f"safe.directory={root.resolve()}",) if trust_owner else ())


def _judged(result: HistoryResult, pol: Policy, gits: Sequence[Git]) -> tuple[HistoryResult, SetAside]:
    """The keys the policy reports: places under excludes, allow comments or allow-lines taken
    out (each read from the version of the file the introducing commit wrote, as ci reads it),
    keys with no place left or accepted by the baseline dropped; and how many places each
    setting dropped."""
    from keylatch import policy
    from keylatch.commands.scanning import blob_lines

    lines_at = None
    if pol.allow.pragmas or pol.allow.lines:
        from keylatch.sources.member_lines import line_key

        lines_at = blob_lines(
            gits, ((line_key(o.blob, o.path), o.line, o.column) for k in result.findings for o in k.locations if o.blob)
        )
    kept, aside = policy.judge_keys(result.findings, pol, lines_at)
    return dataclasses.replace(result, findings=tuple(kept)), aside


class _Shown:
    """The progress line on a terminal. One run may scan several repositories (the submodules
    of --recurse-submodules): counts and time go on from the earlier ones, never back to 0."""

    def __init__(self) -> None:
        self.blobs = self.bytes = 0
        self.seconds = 0.0

    def carry(self, done: HistoryResult) -> None:
        self.blobs, self.bytes, self.seconds = done.blobs, done.bytes, done.seconds

    def __call__(self, p: Progress) -> None:
        blobs, size, seconds = self.blobs + p.blobs, self.bytes + p.bytes, self.seconds + p.seconds
        rate = size / seconds / 1e6 if seconds > 0 else 0.0
        sys.stderr.write(f"\r\033[Kscanning: {blobs} blobs, {size / 1e6:.0f} MB, {rate:.0f} MB/s")
        sys.stderr.flush()
