"""`keylatch ci`: scan the commits of this push, pull request or merge request.

The range comes from the CI (GitHub Actions event payload, GitLab predefined variables) or from
--range/--since; see keylatch.sources.ci_range. The commits are scanned by the history walker,
then path excludes, allow comments and the baseline apply as in `keylatch scan`, with one
difference: the configuration and baseline are those of the range's base commit, so a change
cannot approve itself (commands/ci_settings.py). Changes the range makes to them, and keys an
allow comment in the range suppressed, are named in every report format.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

from keylatch.commands.options import (
    ConfigArgs,
    OutputArgs,
    VerifyArgs,
    add_config_arguments,
    add_output_arguments,
    add_verify_arguments,
    config_flags,
    verify_flags,
)
from keylatch.errors import ExitCode, ScanError, UsageError
from keylatch.report import FORMATS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

    from keylatch.config import Config
    from keylatch.history.model import HistoryResult
    from keylatch.model import Finding
    from keylatch.policy import Allowed, Policy
    from keylatch.report.exposure import Exposure
    from keylatch.report.notice import Notice
    from keylatch.sources.gitcmd import Git
    from keylatch.sources.repo import RepoState

HELP = "scan the commits of this CI push / pull request / merge request (GitHub Actions, GitLab CI)"


class Args(OutputArgs, ConfigArgs, VerifyArgs):
    repo: Path
    range: str | None
    since: str | None
    format: str | None
    trust_repo_owner: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path("."), metavar="DIR", help="the repository (default: .)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--range", metavar="BASE..HEAD", help="scan these commits instead of the CI's range")
    which.add_argument("--since", metavar="REV", help="scan REV..HEAD instead of the CI's range (REV is a commit)")
    parser.add_argument(
        "--trust-repo-owner", action="store_true",
        help="read the repository even if another user owns it (CI containers); keylatch never runs "
        "a repository's hooks or drivers",
    )  # fmt: skip
    add_config_arguments(parser)
    add_output_arguments(parser, FORMATS)
    add_verify_arguments(parser)
    parser.set_defaults(format=None)
    parser.description = (
        f"{parser.description}\n\nThe configuration and baseline are read from the range's base commit, so\n"
        "a change cannot approve itself; changes the range makes to them are named in the report."
    )


def run(args: Args) -> ExitCode:
    from keylatch import policy
    from keylatch.commands.ci_settings import Where, settle_range
    from keylatch.commands.output import finish
    from keylatch.report.history_report import not_read_notices
    from keylatch.report.untrusted import for_terminal
    from keylatch.sources import gitdir
    from keylatch.sources.ci_range import detect, load_event, resolve
    from keylatch.sources.gitcmd import Git
    from keylatch.sources.repo import inspect, located
    from keylatch.sources.revs import where

    env = os.environ
    gitdir.check(str(args.repo))  # before any git process: a FIFO in .git would hang it
    git = Git(args.repo, config=_trust(args))
    both = located(git, args.repo)  # where and inspect in one git process
    if both is None:  # each asked on its own, for its own error
        try:
            top, prefix, _ = where(git, args.repo)  # no such directory, not a repository: exit 2
        except ScanError:
            inspect(args.repo, args.trust_repo_owner)  # says why git refuses it (dubious ownership, ...)
            raise
    else:
        state, (top, prefix, _) = both
    event = load_event(env) if env.get("GITHUB_ACTIONS") == "true" and not (args.range or args.since) else None
    spec = detect(env, event, range_arg=args.range, since_arg=args.since)
    if both is None:
        state = inspect(args.repo, args.trust_repo_owner, git=git)
    try:
        plan = resolve(spec, git, state.shallow)
    except UsageError as exc:
        from keylatch.sources.revs import date

        if args.since and date(args.since) is not None:  # `history --since` takes dates; ci's is a commit
            raise UsageError(f"{exc} (ci --since takes a commit; for a date use `keylatch history --since`)") from exc
        raise
    noun = "commit" if plan.commits == 1 else "commits"
    # A damaged repository: git could not count the range; the walk reads what it can.
    count = "the readable commits" if plan.damaged else f"{plan.commits} {noun}"
    # Branch names in the description come from the pull request: attacker text (report/untrusted.py).
    about = for_terminal(f"{plan.origin}: scanning {count} ({plan.description})")
    if plan.objects:  # a tag of a blob or a tree: its content, no commit
        about = for_terminal(f"{plan.origin}: scanning {plan.description}")
    print(f"keylatch: {about}", file=sys.stderr)
    verifying = verify_flags(args)
    commits = git  # where verification finds Azure endpoints
    if not plan.head and not plan.objects:  # nothing to scan (a deleted branch): the settings do not matter
        from keylatch.config import Config

        return finish([], Config().override(format=args.format), policy.Policy(), args, verifying, repo=commits)
    # The range is judged with its base's configuration and baseline (commands/ci_settings.py).
    flags = config_flags(args, format=args.format)
    judged = settle_range(flags, git, Where(top, prefix), plan.base, plan.head)
    cfg = judged.cfg
    pol = policy.Policy(allow=cfg.allowlist, known=judged.known, baseline_label=judged.baseline_label,
                        fail_on=cfg.fail_on)  # fmt: skip
    # resolve() has checked that the range stops short of any shallow boundary.
    found, exposed, walked = (
        _walk(args, plan.revs, cfg, pol, git, state, plan.objects, plan.head)
        if plan.commits or plan.tag or plan.damaged or plan.objects
        else (policy.Allowed(()), {}, None)
    )
    reported, accepted = policy.known_counted(found.kept, pol)
    # Archive blobs not read whole and objects a damaged repository lacks: named in every
    # format, exit 3 after every key is reported.
    not_read = not_read_notices(walked) if walked is not None else ()
    unread = len(walked.unread) + len(walked.damaged) if walked is not None else 0
    notices = (*judged.notices, *map(_allowed, found.by_comment), *not_read)
    render = functools.partial(_render, ex=exposed)
    code = finish(reported, cfg, pol, args, verifying, notices=notices, repo=commits, render=render, unread=unread,
                  set_aside=found.set_aside + accepted)  # fmt: skip
    if walked is not None and walked.damaged:  # the last line names the damage (history/damage.py)
        from keylatch.history.damage import headline

        raise headline(args.repo, walked.damaged)
    return code


def _render(fmt: str, findings: Sequence[Finding], *, ex: Mapping[str, Exposure], unread: int = 0, **kw: Any) -> str:
    """render_places, with the text summary saying when archive blobs could not be read (the
    other formats carry them as notices)."""
    from keylatch.report.exposure import render_places

    out = render_places(fmt, findings, ex, **kw)
    if fmt == "text" and unread:
        from keylatch.report.notice import unread_summary

        out = out.rstrip("\n") + unread_summary(unread) + "\n"
    return out


def _walk(
    args: Args,
    revs: Sequence[str],
    cfg: Config,
    pol: Policy,
    git: Git,
    state: RepoState,
    objects: Sequence[tuple[str, str]] = (),
    head: str = "",
) -> tuple[Allowed, Mapping[str, Exposure], HistoryResult]:
    """The range's findings as policy judges them, each key's exposure (who committed it, since
    when, published or local), computed from the same walk as `keylatch history`'s, and the
    walk's result (archive blobs that could not be read whole, objects a damaged repository lacks)."""
    import datetime as dt

    from keylatch.commands.scanning import judge_places
    from keylatch.history import scan_history
    from keylatch.report.exposure import exposures

    # ci has no --allow-partial: its errors must not suggest it (offer_flags).
    result = scan_history(
        args.repo,
        revs,
        rules=cfg.rules,
        allow_shallow=True,
        trust_owner=args.trust_repo_owner,
        offer_flags=False,
        archives=cfg.archives,
        report_unread=True,
        report_damage=True,
        git=git,
        state=state,
        direct=objects,  # a pushed tag of a blob or a tree (history/direct.py)
        # The range's head, resolved to a commit id (sources/ci_range.py): no tag behind it.
        commits=(head,) if head else (),
    )
    found = judge_places(result, args.repo, pol, trust_owner=args.trust_repo_owner, git=git)
    return found, exposures(result.findings, dt.datetime.now(dt.timezone.utc)), result


def _allowed(found: tuple[Finding, str]) -> Notice:
    """An allow comment in the range kept this key out of the report: a reviewer should see it."""
    from keylatch.report.notice import ALLOWED_BY_COMMENT, Notice, safe

    f, comment = found
    loc = f.location
    commit = loc.commit or ""
    text = f"{loc.path}:{loc.line} in {commit[:12]}: {f.rule_id} key not reported, allowed by a `{comment}` comment"
    return Notice(ALLOWED_BY_COMMENT, "warning", safe(text), path=safe(loc.path), line=loc.line, commit=commit)


def _trust(args: Args) -> tuple[str, ...]:
    return (f"safe.directory={args.repo.resolve()}",) if args.trust_repo_owner else ()
