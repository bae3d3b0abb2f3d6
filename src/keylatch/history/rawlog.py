"""Which commit put which blob at which path: `git log --raw` read as plumbing.

`git log -p` misses content that exists only in a merge (a conflict resolution) and in stashes:
it shows no diff for merges. We ask for `-c` (combined) raw output instead, which lists, for a
merge, exactly the paths whose content differs from every parent, i.e. what the merge itself
introduced. `--root` lists the whole tree of root commits (and of shallow boundary commits, which
git shows as roots). `-z` keeps every path byte-exact (no quoting of non-UTF-8 names).

The log is written by git to a temporary file while the blobs are being scanned, then parsed.
"""

from __future__ import annotations

import mmap
import os
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import IO

from keylatch.errors import ScanError
from keylatch.sources.gitcmd import null_id

ZERO = b"0" * 40  # the null id git writes for an absent side (sources.gitcmd.null_id tests either format)


GITLINK = b"160000"
# A commit message holding a key is recorded as a change of this pseudo mode and path, whose
# "blob" is the commit object itself (scanner.py scans the message part of it).
MESSAGE = b"message"
MESSAGE_PATH = b"(commit message)"
# %x01 marks a commit header; what follows -z output cannot be confused with it because paths
# are read positionally (the token after a change line is always a path).
LOG_FORMAT = "--format=%x01%H %ct %P"


def log_args(revs: Sequence[str]) -> list[str]:
    return [
        "log", "--raw", "-c", "--root", "--no-abbrev", "--no-renames", "-z",
        "--no-ext-diff", "--no-textconv", "--ignore-submodules=none", LOG_FORMAT,
        *revs, "--",
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Change:
    """One path of one commit whose content differs from every parent's."""

    path: bytes
    mode: bytes  # the new mode; 160000 is a submodule (gitlink)
    new: bytes  # blob id after the commit (ZERO when deleted)
    olds: tuple[bytes, ...]  # one per parent (ZERO where the parent had no such file)


@dataclass(frozen=True, slots=True)
class CommitChanges:
    sha: bytes
    time: int  # committer time, to order introductions
    parents: tuple[bytes, ...]
    changes: tuple[Change, ...]


def _tokens(fh: IO[bytes], block: int = 1 << 20) -> Iterator[bytes]:
    rest = b""
    while True:
        data = fh.read(block)
        if not data:
            if rest:
                yield rest
            return
        parts = (rest + data).split(b"\0")
        rest = parts.pop()
        yield from parts


def _change(meta: bytes, path: bytes) -> Change:
    n = len(meta) - len(meta.lstrip(b":"))
    fields = meta[n:].split(b" ")
    if len(fields) != 2 * n + 3:
        raise ScanError(f"git log: unexpected raw line {meta[:80]!r}")
    shas = fields[n + 1 : 2 * n + 2]
    return Change(path=path, mode=fields[n], new=shas[-1], olds=tuple(shas[:-1]))


def parse_log(fh: IO[bytes]) -> Iterator[CommitChanges]:
    head: list[bytes] | None = None
    changes: list[Change] = []
    tokens = _tokens(fh)
    for tok in tokens:
        tok = tok.lstrip(b"\n")
        if not tok:
            continue
        if tok.startswith(b"\x01"):
            if head is not None:
                yield _commit(head, changes)
            head, changes = tok[1:].split(b" "), []
        elif tok.startswith(b":"):
            path = next(tokens, None)
            if path is None or head is None:
                raise ScanError("git log: raw output ended early")
            changes.append(_change(tok, path))
        else:
            raise ScanError(f"git log: unexpected output {tok[:80]!r}")
    if head is not None:
        yield _commit(head, changes)


def blob_ids(fh: IO[bytes]) -> Iterator[bytes]:
    """The blob id of every change line (what each commit's tree holds that its parents' do
    not), positionally like parse_log but without building records: every blob a walk needs."""
    tokens = _tokens(fh)
    for tok in tokens:
        if not tok.startswith((b":", b"\n:")):
            continue  # a commit header, or the path that follows each change line (skipped below)
        next(tokens, None)
        meta = tok.lstrip(b"\n")
        n = len(meta) - len(meta.lstrip(b":"))
        fields = meta[n:].split(b" ")
        if len(fields) != 2 * n + 3:
            raise ScanError(f"git log: unexpected raw line {meta[:80]!r}")
        new = fields[2 * n + 1]
        if not null_id(new) and fields[n] != GITLINK:  # a gitlink names a commit of another repository
            yield new


def _commit(head: list[bytes], changes: list[Change]) -> CommitChanges:
    if len(head) < 2:
        raise ScanError("git log: unexpected commit header")
    parents = tuple(p for p in head[2:] if p)
    return CommitChanges(head[0], int(head[1]), parents, tuple(changes))


@dataclass(frozen=True, slots=True)
class LogDigest:
    """What attribution needs from the log: the changes that touch a key-holding blob.

    `order` is a position in git log's output (larger is older at equal commit time).
    """

    commits: int
    gitlinks: int  # distinct (path, commit id) submodule entries
    changes: tuple[tuple[int, CommitChanges, Change], ...]
    # (order, commit, path) of the paths a commit added (new to every parent: a new file, the
    # new side of a rename) that hold a rule's literal: a key may be written in the name
    # (history/pathkeys.py). Kept here so the log cache keeps them too.
    paths: tuple[tuple[int, CommitChanges, bytes], ...] = ()


# Above this many key-holding blobs one parsing pass beats one `find` pass per blob.
_FIND_LIMIT = 64
_WINDOW = 16 << 20  # a multiple of the page size
# 40 hex digits in a SHA-1 repository, 64 in a SHA-256 one (`extensions.objectFormat`).
_HEADER = re.compile(rb"\x01([0-9a-f]{40}(?:[0-9a-f]{24})?) (\d+) ((?:[0-9a-f]{40}(?:[0-9a-f]{24})? ?)*)\0")


def digest(fh: IO[bytes], keyed: Collection[bytes], needles: tuple[bytes, ...] = ()) -> LogDigest:
    """The changes that touch the `keyed` blobs, and the added paths holding one of `needles`."""
    fh.seek(0, os.SEEK_END)
    if fh.tell() == 0:
        return LogDigest(0, 0, ())
    fh.seek(0)
    if len(keyed) > _FIND_LIMIT:
        found = _digest_parsed(fh, keyed)
    else:
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            found = _digest_found(mm, keyed)
    if not needles:
        return found
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        return replace(found, paths=added_paths(mm, needles))


def added_paths(mm: mmap.mmap, needles: tuple[bytes, ...]) -> tuple[tuple[int, CommitChanges, bytes], ...]:
    """(order, commit, path) of each path a commit added that holds one of `needles`.

    The names are prefiltered in bulk, as the blobs are: one literal pass (prefilter.present,
    Hyperscan) per window of the log, then a `find` of only the needles a window holds, and
    only the tokens around a hit are parsed. git/git's log (37 MB, ~400k added paths) holds
    almost none, so a whole-history walk pays one pass over its log (bench/README.md).
    """
    from keylatch.prefilter import present

    hits: dict[int, tuple[int, CommitChanges, bytes]] = {}
    for start in range(0, len(mm), _WINDOW):
        end = min(len(mm), start + _WINDOW)
        # A needle across the window's end is found by overlapping the next window's start.
        stop = min(len(mm), end + max(map(len, needles)) - 1)
        for needle in present(mm[start:stop], needles):
            # Each hit's commit is looked for back to the previous hit only (known): a commit that
            # adds 200k names holding `zure` made one search back to its header per name, ~40 s.
            known: tuple[int, CommitChanges] | None = None
            pos = mm.find(needle, start, stop)
            while pos >= 0:
                found = _path_at(mm, pos, known)
                if found is not None:
                    hits.setdefault(found[0], found)
                    known = (found[0], found[1])
                pos = mm.find(needle, pos + 1, stop)
        if hasattr(mmap, "MADV_DONTNEED"):
            mm.madvise(mmap.MADV_DONTNEED, start, end - start)
    return tuple(hits[k] for k in sorted(hits))


def _path_at(
    mm: mmap.mmap, pos: int, known: tuple[int, CommitChanges] | None = None
) -> tuple[int, CommitChanges, bytes] | None:
    """The added path containing `pos` with its commit, or None when `pos` is in no path, or in
    the path of a change that is no addition (a file changed or deleted: its name is older).

    `known`: (an earlier change line's offset, its commit). The commit header is looked for back
    to that offset only, and that commit is the answer when none lies between: the searches of
    one sweep over the log then read it once in all, not once per hit."""
    start = mm.rfind(b"\0", 0, pos) + 1
    end = mm.find(b"\0", pos)
    if start == 0:
        return None  # the first token is a commit header
    meta_start = mm.rfind(b"\0", 0, start - 1) + 1
    meta = mm[meta_start : start - 1].lstrip(b"\n")
    if not meta.startswith(b":"):
        return None  # a change line or a header, not the path after a change line
    try:
        ch = _change(meta, mm[start : end if end >= 0 else len(mm)])
    except ScanError:
        return None  # a path whose previous token only looks like a change line
    if null_id(ch.new) or not all(null_id(o) for o in ch.olds):
        return None
    floor = known[0] if known is not None and known[0] <= meta_start else 0
    head = mm.rfind(b"\x01", floor, meta_start)
    while head >= 0:
        m = _HEADER.match(mm, head)
        if m is not None:
            commit = CommitChanges(m.group(1), int(m.group(2)), tuple(m.group(3).split()), ())
            return meta_start, commit, ch.path
        head = mm.rfind(b"\x01", floor, head)  # a \x01 inside a path name
    if known is not None and floor > 0:
        return meta_start, known[1], ch.path
    raise ScanError("git log: change line without a commit")


def _digest_parsed(fh: IO[bytes], keyed: Collection[bytes]) -> LogDigest:
    kept = []
    commits = 0
    links: set[tuple[bytes, bytes]] = set()
    for order, commit in enumerate(parse_log(fh)):
        commits += 1
        bare = CommitChanges(commit.sha, commit.time, commit.parents, ())
        if commit.sha in keyed:
            kept.append((order, bare, Change(MESSAGE_PATH, MESSAGE, commit.sha, ())))
        for ch in commit.changes:
            if ch.mode == GITLINK:
                links.add((ch.path, ch.new))
            elif ch.new in keyed or any(o in keyed for o in ch.olds):
                kept.append((order, bare, ch))
    return LogDigest(commits, len(links), tuple(kept))


def _digest_found(mm: mmap.mmap, keyed: Collection[bytes]) -> LogDigest:
    """Find each key blob's id in the raw log with `find` (C speed) and parse only around it."""
    entries: dict[int, tuple[CommitChanges, Change]] = {}
    commits = 0
    needles = (*sorted(keyed), b"160000 ")
    for start in range(0, len(mm), _WINDOW):
        # Window by window, dropping each from memory after use: a mapped page counts as our
        # resident memory, and git.git's log alone is over 100 MB.
        end = min(len(mm), start + _WINDOW)
        for needle in needles:
            pos = mm.find(needle, start, min(len(mm), end + len(needle) - 1))
            while pos >= 0:
                found = _entry_at(mm, pos)
                if found is not None:
                    entries.setdefault(found[0], found[1:])
                pos = mm.find(needle, pos + 1, min(len(mm), end + len(needle) - 1))
        commits += _commit_starts(mm, start, end)
        if hasattr(mmap, "MADV_DONTNEED"):
            mm.madvise(mmap.MADV_DONTNEED, start, end - start)
    kept = tuple((order, commit, ch) for order, (commit, ch) in sorted(entries.items()) if ch.mode != GITLINK)
    links = {(ch.path, ch.new) for commit, ch in entries.values() if ch.mode == GITLINK}
    return LogDigest(commits, len(links), kept)


def _commit_starts(mm: mmap.mmap, start: int, end: int) -> int:
    """How many commit headers start in mm[start:end]: a \x01 at the start or after a NUL or a
    newline. One `find` per \x01, where a regex with a lookbehind tried every byte (0.94 s of
    git/git's 37 MB log, against 0.02 s; bench/README.md)."""
    n = 0
    pos = mm.find(b"\x01", start, end)
    while pos >= 0:
        n += pos == 0 or mm[pos - 1] in (0, 10)
        pos = mm.find(b"\x01", pos + 1, end)
    return n


def _entry_at(mm: mmap.mmap, pos: int) -> tuple[int, CommitChanges, Change] | None:
    """The change line containing `pos` and its commit, or None if `pos` is not in a change line."""
    if pos > 0 and mm[pos - 1 : pos] == b"\x01":  # a commit id in its own header: its message
        m = _HEADER.match(mm, pos - 1)
        if m is not None:
            commit = CommitChanges(m.group(1), int(m.group(2)), tuple(m.group(3).split()), ())
            return pos - 1, commit, Change(MESSAGE_PATH, MESSAGE, m.group(1), ())
    start = mm.rfind(b"\0", 0, pos) + 1
    end = mm.find(b"\0", pos)
    meta = mm[start:end].lstrip(b"\n")
    if not meta.startswith(b":") or end < 0:
        return None  # inside a path or a header
    path_end = mm.find(b"\0", end + 1)
    ch = _change(meta, mm[end + 1 : path_end if path_end >= 0 else len(mm)])
    head = mm.rfind(b"\x01", 0, start)
    while head >= 0:
        m = _HEADER.match(mm, head)
        if m is not None:
            parents = tuple(m.group(3).split())
            return start, CommitChanges(m.group(1), int(m.group(2)), parents, ()), ch
        head = mm.rfind(b"\x01", 0, head)  # a \x01 inside a path name
    raise ScanError("git log: change line without a commit")
