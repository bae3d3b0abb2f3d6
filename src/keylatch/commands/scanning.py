"""Findings in files on disk and in commits, judged by the policy: what scan, ci, baseline,
revoke and pre-push report before the baseline.

    found, skipped = in_files(paths, cfg, pol)            # engine + path excludes + allow comments
    found, skipped = in_files(paths, cfg, pol, unread=not_read.append)  # go on past unreadable entries
    judged = in_commits(repo, revs, cfg, pol)             # the same, per place a commit introduced a key
    lines_at = blob_lines([git], places)                  # (blob, line, column): allow comments as written

Light at import time (command modules import it); the work imports inside.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from keylatch.model import Finding

if TYPE_CHECKING:
    from keylatch.config import Config
    from keylatch.history import HistoryResult
    from keylatch.model import Chunk
    from keylatch.policy import Allowed, LinesAt, Policy, SetAside
    from keylatch.sources.files import Unread
    from keylatch.sources.gitcmd import Git
    from keylatch.sources.lines import Line

log = logging.getLogger(__name__)


def in_files(
    paths: Sequence[Path],
    cfg: Config,
    pol: Policy,
    read: Callable[[str, int, int], None] | None = None,
    unread: Callable[[Unread], None] | None = None,
    aside: Callable[[SetAside], None] | None = None,
) -> tuple[list[Finding], tuple[str, ...]]:
    """Findings in the files under `paths` (engine + path excludes + allow comments), and the
    entries skipped because they are not regular files (FIFOs, sockets, devices; a symbolic
    link is content: its target text).
    `read(path, size, files)` sees every chunk read, and every run of `files` files read whole
    and cleared by the gate (scan's summary counts files and bytes);
    `aside(counts)` what allow comments and allow-lines dropped from a chunk (policy.SetAside).

    An entry that cannot be read (sources/files.py, Unread) goes to `unread` and the walk goes
    on: the caller reports the keys found and exits 3. Without `unread` the first one is a
    ScanError (exit 3): a caller that cannot report an incomplete scan must not look complete.

    Files are read on every usable core (sources/forks.py: forked workers after the first few
    batches; threads where a process cannot fork), each testing what it read for the rules'
    literals, a worker asking the engine too; what holds a hit is judged here, in the walk's order.
    """
    import os

    from keylatch.errors import ScanError, printable
    from keylatch.prefilter import any_present, scan_gate
    from keylatch.sources.excludes import Excludes
    from keylatch.sources.files import NAME_MIN, Cleared, Names, Skipped, Unread
    from keylatch.sources.forks import walk_spread

    # The engine's own gates (engine/matching.py, Scan.has_literal): without one of these
    # literals and not wrapped base64, it finds nothing in a chunk, so a clean file costs one
    # Hyperscan pass instead of the engine's per-rule Python. With the default rules the gate is
    # the prefilter's copy of their literals (tests/test_prefilter.py proves them equal), so the
    # rules, the engine and the policy's judges are built at the first file that passes it: a
    # tree without one never pays for them. `ek_` counts only where a key can start
    # (prefilter.scan_gate): C's `seek_` and `peek_` would pass most of a C tree.
    if cfg.default_rules:
        wanted = scan_gate(wrapped=True)
    else:
        from keylatch.rules import needles

        wanted = any_present(needles(cfg.rules), wrapped=True)
    judge: Callable[[Chunk], tuple[Finding, ...]] | None = None

    # The walk applies the path globs, each relative to where it was written (the config file's
    # directory, or the paths as typed); matching them again against displayed paths could drop
    # a finding by a glob meant for another directory.
    pol = pol.replace(allow=pol.allow.replace(paths=()))
    base = os.path.realpath(cfg.source.parent) if cfg.source is not None else None
    excludes = Excludes(config=cfg.exclude, base=base, typed=cfg.flag_exclude)
    found: set[Finding] = set()
    skipped: list[str] = []
    # Paths whose names may hold a key (history/pathkeys.py): long names the walk listed, and
    # archive members (`a.zip!dir/<key>.txt`), scanned in batches after the walk.
    named: dict[str, None] = {}
    jobs = _usable_cores()

    def quiet(chunk: Chunk) -> bool:
        # A forked worker's verdict (sources/forks.py): no hit at all is what judge() makes of
        # the chunk here, with nothing set aside; any hit comes back to be judged here. The
        # rules are built here, in the worker, not before the walk (cfg.rules builds them).
        from keylatch.engine import scan_chunk

        return not scan_chunk(chunk, cfg.rules)

    items = walk_spread(paths, wanted, jobs, excludes, cfg.archives, quiet)
    try:
        for chunk in items:
            if isinstance(chunk, Skipped):
                log.info("%s: skipped: a %s, not a regular file", printable(chunk.path), chunk.kind)
                skipped.append(chunk.path)
                continue
            if isinstance(chunk, Unread):
                if unread is None:
                    raise ScanError(chunk.message)
                unread(chunk)
                continue
            if isinstance(chunk, Cleared):
                if read is not None:
                    read(chunk.path, chunk.size, chunk.files)
                continue
            if isinstance(chunk, Names):
                named.update(dict.fromkeys(chunk.paths))
                continue
            if chunk.first_line == 1 and len(chunk.path) >= NAME_MIN and "!" in chunk.path:
                named[chunk.path] = None  # a member: its name is in no directory listing
            data = chunk.data
            if read is not None:
                read(chunk.path, len(data), 1)
            if not wanted(data):
                continue
            judge = judge or _judge(cfg, pol, aside)
            found.update(judge(chunk))
    finally:
        items.close()  # an error or an interrupt: the reader threads stop first
    # The gate first, as for a file: a tree of clean names never builds the rules and the engine.
    if named and wanted("\n".join(named).encode("utf-8", "surrogateescape")):
        found.update(in_paths(named, cfg, pol))
    return _dedup(sorted(found, key=sort_key)), tuple(skipped)


def in_paths(paths: Iterable[str], cfg: Config, pol: Policy, commit: str | None = None) -> tuple[Finding, ...]:
    """The keys written in `paths` (history/pathkeys.py) that the policy keeps. Path globs apply
    as to any finding (the walk applied them already); an allow comment cannot stand in a name."""
    from keylatch import policy
    from keylatch.history.pathkeys import keys_in_paths

    hits = keys_in_paths(((p, commit) for p in paths), cfg.rules)
    return policy.allowed(hits, pol).kept if hits else ()


def _judge(
    cfg: Config, pol: Policy, aside: Callable[[SetAside], None] | None = None
) -> Callable[[Chunk], tuple[Finding, ...]]:
    """The findings of one chunk that the policy keeps (the engine, then allow comments);
    `aside` sees what the policy dropped, when it dropped any."""
    from keylatch import allowlist, policy
    from keylatch.engine import scan_chunk

    rules = cfg.rules

    def judge(chunk: Chunk) -> tuple[Finding, ...]:
        hits = scan_chunk(chunk, rules)
        if not hits:  # the line index is built only for a chunk with something to judge
            return ()
        judged = policy.allowed(hits, pol, allowlist.lines_in(chunk.data))
        if aside is not None and judged.set_aside:
            aside(judged.set_aside)
        return judged.kept

    return judge


def _usable_cores() -> int:
    """Reader threads: one per usable core (sources/cores.py), at most 8 (the walk and the
    engine run in one thread)."""
    from keylatch.sources import cores

    return min(cores.usable(), 8)


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


def places(result: HistoryResult) -> list[Finding]:
    """One Finding per place a commit introduced a key (history keeps one record per key; the
    reports of ci and pre-push, SARIF and --verify work per place)."""
    from keylatch.model import Location

    return [
        Finding(k.rule_id, k.severity, k.secret,
                Location(o.path, o.line, o.column, o.commit, o.blob or None, o.ref or None, o.tag or None),
                encoding=o.encoding, span=_span(k.secret.value, o.encoding))
        for k in result.findings
        for o in k.locations
    ]  # fmt: skip


def _span(key: str, encoding: str) -> tuple[int, int]:
    """How many bytes the key takes where it is written, as a span from 0 (history keeps no
    offsets): SARIF's end column needs it. Keys are ASCII; UTF-16 spells each in two bytes,
    UTF-32 in four."""
    width = len(key.encode("utf-8"))
    return (0, {"utf-16": 2, "utf-32": 4}.get(encoding, 1) * width)


def in_commits(
    repo: Path,
    revs: Sequence[str],
    cfg: Config,
    pol: Policy,
    *,
    trust_owner: bool = False,
    allow_shallow: bool = False,
    allow_partial: bool | None = None,
) -> Allowed:
    """One Finding per place a commit of `revs` introduced a key, minus excluded and allowed ones
    (sorted), and those an allow comment dropped, with the comment's name.

    Allow comments are read from the blob each key was found in (one `cat-file --batch`).
    """
    from keylatch.history import scan_history

    # allow_partial None: the command has no --allow-partial/--allow-shallow, so errors do not suggest them.
    result = scan_history(
        repo, revs, rules=cfg.rules, allow_shallow=allow_shallow, allow_partial=bool(allow_partial),
        trust_owner=trust_owner, offer_flags=allow_partial is not None, archives=cfg.archives,
    )  # fmt: skip
    return judge_places(result, repo, pol, trust_owner=trust_owner)


def judge_places(
    result: HistoryResult, repo: Path, pol: Policy, *, trust_owner: bool = False, git: Git | None = None
) -> Allowed:
    """in_commits for a history already walked (ci keeps the walk for each key's exposure).
    `git`: the command's Git for `repo`, if it has one (its driver names are listed already)."""
    from keylatch import policy
    from keylatch.sources.gitcmd import Git
    from keylatch.sources.member_lines import line_key

    found = places(result)
    if git is None:
        git = Git(repo, config=(f"safe.directory={repo.resolve()}",) if trust_owner else ())
    # An archive member's place reads the member's line (as scan does), not the archive blob's.
    lines_at = blob_lines(
        [git],
        ((line_key(f.location.blob, f.location.path), f.location.line, f.location.column)
         for f in found if f.location.blob),
    )  # fmt: skip
    judged = policy.allowed(
        found, pol, lambda f: lines_at(line_key(f.location.blob or "", f.location.path), f.location.line)
    )
    return policy.Allowed(
        tuple(sorted(judged.kept, key=sort_key)),
        tuple(sorted(judged.by_comment, key=lambda fc: sort_key(fc[0]))),
        judged.set_aside,
    )


def blob_lines(gits: Sequence[Git], places: Iterable[tuple[str, int, int]]) -> LinesAt:
    """(previous line, line) at the (blob, line, column) `places`, streamed with one `cat-file
    --batch` per repository (the first that has a blob wins: a submodule's blobs are in its own
    repository); None for a blob none has, so its allow comment cannot be checked and the key
    stays.

    Only the lines asked for (and the one before each) are kept, so memory follows the
    findings, not the blobs: a 300 MB blob costs a line or two (sources/lines.py). A line longer
    than lines.LINE_CAP reads as the windows kept around its keys.
    """
    from keylatch.sources.lines import text_pair, wanted_of

    wanted = wanted_of(places, previous=True)
    found: dict[str, dict[int, Line]] = {}
    for git in gits:
        todo = {b: w for b, w in wanted.items() if b not in found}
        if todo:
            found.update(_blobs(git, todo))

    def lines_at(blob: str, line: int) -> tuple[str, str] | None:
        got = found.get(blob)
        return None if got is None else text_pair(got, line)

    return lines_at


def _blobs(git: Git, wanted: Mapping[str, Mapping[int, Iterable[int]]]) -> dict[str, dict[int, Line]]:
    """The wanted lines of the blobs that hold findings, streamed with one `cat-file --batch`."""
    from keylatch.sources.lines import blob_lines as read_lines
    from keylatch.sources.member_lines import is_member_key, member_lines

    # A missing one: the allow comment cannot be checked; keep the finding.
    members = {k: w for k, w in wanted.items() if is_member_key(k)}
    plain = {k: w for k, w in wanted.items() if not is_member_key(k)}
    found = read_lines(git, plain) if plain else {}
    if members:
        found.update(member_lines(git, members))
    return {blob: got for blob, got in found.items() if got is not None}
