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

    from keylatch.config import Config
    from keylatch.sources.gitcmd import Git
    from keylatch.sources.history import HistoryResult

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
    """The config file's settings with every given flag applied over them."""
    from keylatch import config

    cfg = config.load(args.config) if getattr(args, "config", None) else config.discover(start)
    if cfg.baseline is None:
        # `keylatch baseline create` writes this file; finding it is what makes it take effect.
        candidate = (cfg.source.parent if cfg.source else start) / config.DEFAULT_BASELINE
        if candidate.is_file():
            cfg = cfg.override(baseline=candidate)
    fail_on = getattr(args, "fail_on", None)
    return cfg.override(
        fail_on=Severity(fail_on) if fail_on else None,
        format=getattr(args, "format", None),
        baseline=getattr(args, "baseline", None),
        exclude=(*cfg.exclude, *getattr(args, "exclude", ())) if getattr(args, "exclude", None) else None,
        ignore_baseline=True if getattr(args, "no_baseline", False) else None,
    )


def scan_files(paths: Sequence[Path], cfg: Config) -> list[Finding]:
    from keylatch import allowlist
    from keylatch.engine import scan_chunk
    from keylatch.sources.files import file_chunks

    rules = cfg.rules
    allow = cfg.allowlist
    found: set[Finding] = set()
    for chunk in file_chunks(paths, cfg.exclude):
        for f, decision in allowlist.judge(scan_chunk(chunk, rules), allow, allowlist.lines_in(chunk.data)):
            if decision.keep:
                found.add(f)
            else:
                log.info("%s:%d: %s", f.location.path, f.location.line, decision.reason)
    return _dedup(sorted(found, key=sort_key))


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
    from keylatch import allowlist
    from keylatch.sources.gitcmd import Git
    from keylatch.sources.history import scan_history

    result = scan_history(repo, revs, rules=cfg.rules, allow_shallow=allow_shallow, trust_owner=trust_owner)
    found = findings_of(result)
    git = Git(repo, config=(f"safe.directory={repo.resolve()}",) if trust_owner else ())
    blobs = _blobs(git, {f.location.blob for f in found if f.location.blob})
    lines_of = allowlist.lines_by_blob(blobs)  # one line index per blob, shared by its findings
    kept = []
    for f, decision in allowlist.judge(found, cfg.allowlist, lines_of):  # path globs included
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


def without_baseline(findings: list[Finding], cfg: Config) -> list[Finding]:
    if cfg.ignore_baseline or cfg.baseline is None:
        return findings
    from keylatch import baseline

    known = baseline.load(cfg.baseline)
    kept = baseline.subtract(findings, known, today())
    if len(kept) != len(findings):
        log.info("baseline %s suppressed %d finding(s)", cfg.baseline, len(findings) - len(kept))
    stale = baseline.expired(known, today())
    if stale:
        log.warning("baseline %s: %d expired entr%s no longer suppress%s their keys", cfg.baseline,
                    len(stale), "ies" if len(stale) != 1 else "y", "" if len(stale) != 1 else "es")  # fmt: skip
    return kept


def finish(findings: list[Finding], cfg: Config, args: argparse.Namespace) -> ExitCode:
    """Render per the output options; exit 1 only if a finding reaches the fail-on severity."""
    from keylatch.commands.output import emit

    if getattr(args, "verify", False) and findings:
        from keylatch import verify

        findings = verify.annotate(findings, base_url=args.verify_url)
    args.format = cfg.format or "text"
    code = emit(findings, args)
    if code == ExitCode.LEAKS and not any(cfg.fails(f.severity) for f in findings):
        log.warning("%d finding(s) below fail-on=%s: not failing", len(findings), cfg.fail_on.value)
        return ExitCode.CLEAN
    return code
