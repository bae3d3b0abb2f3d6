"""Config, allow comments and baseline, wired the same way for `scan`, `ci` and `baseline`.

    cfg = settle(args, Path.cwd())                  # file config with flags applied over it
    found = scan_files(args.paths, cfg)              # engine + path excludes + allow comments
    reported = without_baseline(found, cfg)          # minus unexpired baseline entries
    return finish(reported, cfg, args)               # render; exit 1 only at or above fail-on

Light at import time (the hook path imports command modules); the work imports inside.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from keylatch.errors import ExitCode
from keylatch.model import Finding, Severity

if TYPE_CHECKING:
    import datetime as dt

    from keylatch.baseline import Baseline
    from keylatch.config import Config
    from keylatch.history import HistoryResult
    from keylatch.report.notice import Notice
    from keylatch.sources.gitcmd import Git

log = logging.getLogger(__name__)

SEVERITIES = tuple(s.value for s in Severity)


class ConfigArgs(argparse.Namespace):
    """The options add_config_arguments adds (`--fail-on` only where a command has it)."""

    config: Path | None
    baseline: Path | None
    no_baseline: bool


def add_config_arguments(parser: argparse.ArgumentParser, baseline: bool = True, fail_on: bool = True) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="read settings from FILE instead of the "
                        "nearest pyproject.toml [tool.keylatch] or .keylatch.yaml")  # fmt: skip
    if baseline:
        parser.add_argument("--baseline", type=Path, metavar="FILE", help="suppress the known findings in FILE")
        parser.add_argument("--no-baseline", action="store_true", help="ignore the configured baseline")
    if not fail_on:
        return
    parser.add_argument(
        "--fail-on", choices=SEVERITIES, metavar="SEVERITY",
        help="exit 1 only for findings of SEVERITY or above (low, medium, high, critical; default: low)",
    )  # fmt: skip


def today() -> dt.date:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).date()


def settle(args: argparse.Namespace, start: Path) -> Config:
    """The config file's settings with every given flag applied over them.

    Paths in the file are relative to the file (config.py); `.keylatch-baseline.json` is used if
    it lies next to the file or, with no file, in the nearest directory from `start` up to the
    repository root, so a run from a subdirectory sees the same baseline as one from the root.
    """
    from keylatch import config

    cfg = config.load(args.config) if getattr(args, "config", None) else config.discover(start)
    if cfg.baseline is None:
        # `keylatch baseline create` writes this file; finding it is what makes it take effect.
        if cfg.source is not None:
            candidate: Path | None = cfg.source.parent / config.DEFAULT_BASELINE
        else:
            candidate = config.discover_baseline(start)
        if candidate is not None and candidate.is_file():
            cfg = cfg.override(baseline=candidate)
    fail_on = getattr(args, "fail_on", None)
    return cfg.override(
        fail_on=Severity(fail_on) if fail_on else None,
        format=getattr(args, "format", None),
        baseline=getattr(args, "baseline", None),
        flag_exclude=tuple(getattr(args, "exclude", None) or ()) or None,
        ignore_baseline=True if getattr(args, "no_baseline", False) else None,
    )


def scan_files(paths: Sequence[Path], cfg: Config) -> list[Finding]:
    return scan_paths(paths, cfg)[0]


def scan_paths(paths: Sequence[Path], cfg: Config) -> tuple[list[Finding], tuple[str, ...]]:
    """Findings in the files under `paths` (engine + path excludes + allow comments), and the
    entries skipped because they are not regular files (FIFOs, sockets, devices, symlinks)."""
    import dataclasses
    import os

    from keylatch import allowlist
    from keylatch.engine import scan_chunk
    from keylatch.errors import printable
    from keylatch.sources.excludes import Excludes
    from keylatch.sources.files import Skipped, walk

    rules = cfg.rules
    # The walk applies the path globs, each relative to where it was written (the config file's
    # directory, or the paths as typed); matching them again against displayed paths could drop
    # a finding by a glob meant for another directory.
    allow = dataclasses.replace(cfg.allowlist, paths=())
    base = os.path.realpath(cfg.source.parent) if cfg.source is not None else None
    excludes = Excludes(config=cfg.exclude, base=base, typed=cfg.flag_exclude)
    found: set[Finding] = set()
    skipped: list[str] = []
    for chunk in walk(paths, excludes):
        if isinstance(chunk, Skipped):
            log.info("%s: skipped: a %s, not a regular file", printable(chunk.path), chunk.kind)
            skipped.append(chunk.path)
            continue
        for f, decision in allowlist.judge(scan_chunk(chunk, rules), allow, allowlist.lines_in(chunk.data)):
            if decision.keep:
                found.add(f)
            else:
                log.info("%s:%d: %s", f.location.path, f.location.line, decision.reason)
    return _dedup(sorted(found, key=sort_key)), tuple(skipped)


def sort_key(f: Finding) -> tuple[str, int, int, str, str]:
    return (f.location.path, f.location.line, f.location.column, f.rule_id, f.location.commit or "")


def _dedup(findings: list[Finding]) -> list[Finding]:
    # Overlapping blocks of a large file can report the same key twice.
    seen: set[tuple[str, int, int, str, str | None]] = set()
    out = []
    for f in findings:
        k = (f.location.path, f.location.line, f.location.column, f.fingerprint, f.location.commit)
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out


def findings_of(result: HistoryResult) -> list[Finding]:
    """One Finding per place a commit introduced a key (history reports one record per key)."""
    from keylatch.model import Location

    return [
        Finding(k.rule_id, k.severity, k.secret, Location(o.path, o.line, o.column, o.commit, o.blob or None),
                encoding=k.encoding)
        for k in result.findings
        for o in k.locations
    ]  # fmt: skip


def scan_commits(
    repo: Path, revs: Sequence[str], cfg: Config, *, trust_owner: bool = False, allow_shallow: bool = False
) -> list[Finding]:
    """One Finding per place a commit of `revs` introduced a key, minus excluded and allowed ones.

    Allow comments are read from the blob each key was found in (one `cat-file --batch`).
    """
    return judge_commits(repo, revs, cfg, trust_owner=trust_owner, allow_shallow=allow_shallow)[0]


def judge_commits(
    repo: Path, revs: Sequence[str], cfg: Config, *, trust_owner: bool = False, allow_shallow: bool = False
) -> tuple[list[Finding], list[tuple[Finding, str]]]:
    """As scan_commits, plus each finding an allow comment on its line suppressed, with the
    comment's name (`keylatch ci` names them: a comment is part of the change it approves)."""
    from keylatch import allowlist
    from keylatch.history import scan_history
    from keylatch.sources.gitcmd import Git

    result = scan_history(repo, revs, rules=cfg.rules, allow_shallow=allow_shallow, trust_owner=trust_owner)
    found = findings_of(result)
    git = Git(repo, config=(f"safe.directory={repo.resolve()}",) if trust_owner else ())
    blobs = _blobs(git, {f.location.blob for f in found if f.location.blob})

    def lines_of(f: Finding) -> tuple[str, str] | None:
        data = blobs.get(f.location.blob or "")
        return allowlist.lines_at(data, f.location.line) if data is not None else None

    kept = []
    by_comment = []
    for f, decision in allowlist.judge(found, cfg.allowlist, lines_of):  # path globs included
        if decision.keep:
            kept.append(f)
            continue
        log.info("%s:%d: %s", f.location.path, f.location.line, decision.reason)
        lines = lines_of(f)
        comment = allowlist.pragma(*lines) if lines is not None and cfg.pragmas else None
        if comment is not None and allowlist.path_excluded(f.location.path, cfg.exclude) is None:
            by_comment.append((f, comment))
    return sorted(kept, key=sort_key), sorted(by_comment, key=lambda fc: sort_key(fc[0]))


def _blobs(git: Git, ids: Iterable[str]) -> dict[str, bytes]:
    """Contents of the blobs that hold findings, read with one `cat-file --batch`."""
    from keylatch.sources.objects import read_objects

    # A missing one: the allow comment cannot be checked; keep the finding.
    return {blob: data for blob, data in read_objects(git, sorted(ids)).items() if data is not None}


def without_baseline(findings: list[Finding], cfg: Config) -> list[Finding]:
    if cfg.ignore_baseline or cfg.baseline is None:
        return findings
    from keylatch import baseline

    return apply_baseline(findings, baseline.load(cfg.baseline), str(cfg.baseline))


def apply_baseline(findings: list[Finding], known: Baseline, label: str) -> list[Finding]:
    """`findings` minus those `known` (read from `label`) accepts on this day."""
    from keylatch import baseline

    kept = baseline.subtract(findings, known, today())
    if len(kept) != len(findings):
        log.info("baseline %s suppressed %d finding(s)", label, len(findings) - len(kept))
    stale = baseline.expired(known, today())
    if stale:
        log.warning("baseline %s: %d expired entr%s no longer suppress%s their keys", label,
                    len(stale), "ies" if len(stale) != 1 else "y", "" if len(stale) != 1 else "es")  # fmt: skip
    return kept


def finish(
    findings: list[Finding], cfg: Config, args: argparse.Namespace, notices: Sequence[Notice] = (), skipped: int = 0
) -> ExitCode:
    """Render per the output options; exit 1 only if a finding reaches the fail-on severity.

    `notices` (report/notice.py) go into the report, and on stderr unless the report itself is
    on stdout in a format that carries them. `skipped`: entries not scanned because they are not
    regular files (the summary says so)."""
    from keylatch.commands.output import blocking, emit, verify_findings

    findings = verify_findings(findings, args, cfg=cfg)  # unchanged without --verify / verify = true
    args.format = cfg.format or "text"
    if notices and (args.format == "text" or args.output is not None):
        import sys

        from keylatch.report.notice import text_lines

        sys.stderr.write(text_lines(notices))
    code = emit(findings, args, notices, skipped=skipped)
    block = blocking(findings, args, cfg)  # all of them unless fail-on-verdict live
    if code == ExitCode.LEAKS and not any(cfg.fails(f.severity) for f in block):
        if block:
            log.warning("%d finding(s) below fail-on=%s: not failing", len(block), cfg.fail_on.value)
        return ExitCode.CLEAN
    return code
