"""`keylatch ci`: scan the commits of this push, pull request or merge request.

The range comes from the CI (GitHub Actions event payload, GitLab predefined variables) or from
--range/--since; see keylatch.sources.ci_range. The commits are scanned by the history walker,
then path excludes, allow comments and the baseline apply as in `keylatch scan`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from keylatch.commands.output import OutputArgs, add_output_arguments, add_verify_arguments
from keylatch.commands.pipeline import (
    ConfigArgs,
    add_config_arguments,
    finish,
    scan_commits,
    settle,
    without_baseline,
)
from keylatch.errors import ExitCode
from keylatch.report import FORMATS

HELP = "scan the commits of this CI push / pull request / merge request (GitHub Actions, GitLab CI)"


class Args(OutputArgs, ConfigArgs):
    repo: Path
    range: str | None
    since: str | None
    format: str | None
    fail_on: str | None
    trust_repo_owner: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path("."), metavar="DIR", help="the repository (default: .)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--range", metavar="BASE..HEAD", help="scan these commits instead of the CI's range")
    which.add_argument("--since", metavar="REV", help="scan REV..HEAD instead of the CI's range")
    parser.add_argument(
        "--trust-repo-owner", action="store_true",
        help="read the repository even if another user owns it (CI containers); keylatch never runs "
        "a repository's hooks or drivers",
    )  # fmt: skip
    add_config_arguments(parser)
    add_output_arguments(parser, FORMATS)
    add_verify_arguments(parser)
    parser.set_defaults(format=None)


def run(args: Args) -> ExitCode:
    from keylatch.report.untrusted import for_terminal
    from keylatch.sources.ci_range import detect, load_event, resolve
    from keylatch.sources.gitcmd import Git
    from keylatch.sources.repostate import inspect

    env = os.environ
    cfg = settle(args, args.repo)
    event = load_event(env) if env.get("GITHUB_ACTIONS") == "true" and not (args.range or args.since) else None
    spec = detect(env, event, range_arg=args.range, since_arg=args.since)
    state = inspect(args.repo, args.trust_repo_owner)
    plan = resolve(spec, Git(args.repo, config=_trust(args)), state.shallow)
    noun = "commit" if plan.commits == 1 else "commits"
    # Branch names in the description come from the pull request: attacker text (report/untrusted.py).
    about = for_terminal(f"{plan.origin}: scanning {plan.commits} {noun} ({plan.description})")
    print(f"keylatch: {about}", file=sys.stderr)
    # resolve() has checked that the range stops short of any shallow boundary.
    findings = (
        scan_commits(args.repo, plan.revs, cfg, trust_owner=args.trust_repo_owner, allow_shallow=True)
        if plan.commits
        else []
    )
    return finish(without_baseline(findings, cfg), cfg, args)


def _trust(args: Args) -> tuple[str, ...]:
    return (f"safe.directory={args.repo.resolve()}",) if args.trust_repo_owner else ()
