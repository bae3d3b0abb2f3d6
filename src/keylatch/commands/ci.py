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
from keylatch.errors import ExitCode, ScanError
from keylatch.model import Finding
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path("."), metavar="DIR", help="the repository (default: .)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--range", metavar="BASE..HEAD", help="scan these commits instead of the CI's range")
    which.add_argument("--since", metavar="REV", help="scan REV..HEAD instead of the CI's range")
    add_config_arguments(parser)
    add_output_arguments(parser, FORMATS)
    parser.set_defaults(format=None)


def run(args: Args) -> ExitCode:
    from keylatch.sources.ci_range import detect, load_event, resolve
    from keylatch.sources.gitcmd import Git

    env = os.environ
    cfg = settle(args, args.repo)
    event = load_event(env) if env.get("GITHUB_ACTIONS") == "true" and not (args.range or args.since) else None
    spec = detect(env, event, range_arg=args.range, since_arg=args.since)
    git = Git(args.repo)
    plan = resolve(spec, git)
    noun = "commit" if plan.commits == 1 else "commits"
    print(f"keylatch: {plan.origin}: scanning {plan.commits} {noun} ({plan.description})", file=sys.stderr)
    findings = _scan(git, args.repo, plan.revs, cfg) if plan.commits else []
    return finish(without_baseline(findings, cfg), cfg, args)


def _scan(git: Git, repo: Path, revs: Sequence[str], cfg: Config) -> list[Finding]:
    import importlib

    from keylatch import allowlist

    try:  # TODO(history merge): import scan_history directly
        history = importlib.import_module("keylatch.sources.history")
    except ImportError as exc:
        raise ScanError("commit-range scanning is not available in this build (keylatch.sources.history)") from exc
    found: list[Finding] = list(history.scan_history(repo, revs, rules=cfg.rules))
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
