"""`keylatch ci`: scan the commits of this push, pull request or merge request.

The range comes from the CI (GitHub Actions event payload, GitLab predefined variables) or from
--range/--since; see keylatch.sources.ci_range. The commits are scanned by the history walker,
then path excludes, allow comments and the baseline apply as in `keylatch scan`.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from keylatch.commands.output import add_output_arguments
from keylatch.commands.pipeline import (
    add_config_arguments,
    finish,
    settle,
    sort_key,
    without_baseline,
)
from keylatch.errors import ExitCode
from keylatch.model import Finding, Location
from keylatch.report import FORMATS

if TYPE_CHECKING:
    from keylatch.config import Config
    from keylatch.sources.gitcmd import Git

HELP = "scan the commits of this CI push / pull request / merge request (GitHub Actions, GitLab CI)"

log = logging.getLogger(__name__)


class Args(argparse.Namespace):
    repo: Path
    range: str | None
    since: str | None
    format: str | None
    output: Path | None
    show_secrets: bool
    no_color: bool
    config: Path | None
    baseline: Path | None
    no_baseline: bool
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
    parser.set_defaults(format=None)


def run(args: Args) -> ExitCode:
    from keylatch.sources.ci_range import detect, load_event, resolve
    from keylatch.sources.gitcmd import Git
    from keylatch.sources.repostate import inspect

    env = os.environ
    cfg = settle(args, args.repo)
    event = load_event(env) if env.get("GITHUB_ACTIONS") == "true" and not (args.range or args.since) else None
    spec = detect(env, event, range_arg=args.range, since_arg=args.since)
    state = inspect(args.repo, args.trust_repo_owner)
    git = Git(args.repo, config=_trust(args))
    plan = resolve(spec, git, state.shallow)
    noun = "commit" if plan.commits == 1 else "commits"
    print(f"keylatch: {plan.origin}: scanning {plan.commits} {noun} ({plan.description})", file=sys.stderr)
    findings = _scan(git, args, plan.revs, cfg) if plan.commits else []
    return finish(without_baseline(findings, cfg), cfg, args)


def _trust(args: Args) -> tuple[str, ...]:
    return (f"safe.directory={args.repo.resolve()}",) if args.trust_repo_owner else ()


def _scan(git: Git, args: Args, revs: Sequence[str], cfg: Config) -> list[Finding]:
    """One Finding per place a commit of the range introduced a key, minus allowed ones."""
    from keylatch import allowlist
    from keylatch.sources.history import scan_history

    # resolve() has checked that the range stops short of any shallow boundary.
    result = scan_history(
        args.repo, revs, rules=cfg.rules, allow_shallow=True, trust_owner=args.trust_repo_owner
    )
    found = [
        Finding(k.rule_id, k.severity, k.secret, Location(o.path, o.line, o.column, o.commit, o.blob or None),
                encoding=k.encoding)
        for k in result.findings
        for o in k.locations
    ]  # fmt: skip
    blobs = _blobs(git, {f.location.blob for f in found if f.location.blob})

    def lines_of(f: Finding) -> tuple[str, str] | None:
        data = blobs.get(f.location.blob or "")
        return allowlist.lines_at(data, f.location.line) if data is not None else None

    kept = []
    for f, decision in allowlist.judge(found, cfg.allowlist, lines_of):
        if decision.keep:
            kept.append(f)
        else:
            log.info("%s:%d: %s", f.location.path, f.location.line, decision.reason)
    return sorted(kept, key=sort_key)


def _blobs(git: Git, ids: Iterable[str]) -> dict[str, bytes]:
    """Contents of the blobs that hold findings, read with one `cat-file --batch`."""
    wanted = sorted(ids)
    if not wanted:
        return {}
    out = git.run("cat-file", "--batch", input="".join(f"{b}\n" for b in wanted).encode())
    blobs: dict[str, bytes] = {}
    pos = 0
    for blob in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3:  # "<id> missing": the allow comment cannot be checked; keep the finding
            continue
        size = int(header[2])
        blobs[blob] = out[pos : pos + size]
        pos += size + 1
    return blobs
