"""Blob bytes -> findings per blob. Each unique blob is scanned once, whatever its paths.

A blob that is an archive (zip, tar, gzip, bzip2, xz: sources/archives.py, by magic bytes) is
scanned through its members; their findings carry the member as their path (`!config/.env`),
which attribute.py appends to the blob's path. The needle prefilter would skip it (compressed
bytes hold no keyword), so the magic check comes first: one `bytes.startswith` per blob, and a
slice compare at offset 257 for tar. Archive blobs are never remembered as clean in the cache:
whether one is clean depends on the configured limits. One that cannot be read whole (corrupt,
encrypted, a bomb, too deep) is recorded in `unread` and the walk goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO

from keylatch.engine import scan_chunk
from keylatch.history.cache import BlobCache
from keylatch.history.tags import tag_body
from keylatch.model import Chunk, Finding
from keylatch.prefilter import present, wrapped_base64_width
from keylatch.rules import Rule
from keylatch.rules import needles as rule_needles
from keylatch.sources import archives
from keylatch.sources.archives import DEFAULT_LIMITS, Limits
from keylatch.sources.objects import BLOCK, LFS_POINTER, BlobHeader

# The objects the walk reads: blobs for their content, commits and annotated tags for their
# message (history/tags.py).
OBJECT_KINDS = (b"blob", b"commit", b"tag")


@dataclass(frozen=True, slots=True)
class Progress:
    blobs: int
    bytes: int
    seconds: float


ProgressFn = Callable[[Progress], None]


def needles(rules: Sequence[Rule]) -> tuple[bytes, ...]:
    """Every literal a rule needs: a blob without any of them cannot hold a key (rules.needles)."""
    return rule_needles(rules)


@dataclass(slots=True)
class BlobScanner:
    """Visitor for objects.stream_objects; its state belongs to one scan."""

    rules: Sequence[Rule]
    cache: BlobCache | None = None
    progress: ProgressFn | None = None
    track: bool = False  # remember every scanned id (range scans look up parents' blobs later)
    archives: Limits = DEFAULT_LIMITS
    found: dict[bytes, tuple[Finding, ...]] = field(default_factory=dict)
    scanned: set[bytes] = field(default_factory=set)
    missing: set[bytes] = field(default_factory=set)
    messages: set[bytes] = field(default_factory=set)  # commits whose message holds a key
    tags: set[bytes] = field(default_factory=set)  # annotated tag objects that hold a key
    # Archive blobs not read whole: id -> archives' words (": not fully scanned: ..."). Never
    # cached as clean (archive blobs never are), so a rescan finds them again.
    unread: dict[bytes, str] = field(default_factory=dict)
    lfs_pointers: int = 0
    blobs: int = 0
    nbytes: int = 0
    cached: int = 0  # blobs skipped because the cache knows them clean
    started: float = field(default_factory=time.monotonic)
    _next_report: float = 0.0
    _needles: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        self._needles = needles(self.rules)

    def visit(self, header: BlobHeader, chunks: Iterator[Chunk] | None) -> None:
        if chunks is None:
            if header.kind == b"missing":
                self.missing.add(header.oid)
            return
        hits: list[Finding] = []
        first = True
        packed = False
        if header.kind == b"commit":
            chunks = _message(header, chunks)
        elif header.kind == b"tag":
            chunks = tag_body(header, chunks)
        teed: _Teed | None = None
        several = False  # a blob of several blocks, read as text: its end may say it is a zip
        for chunk in chunks:
            if first and chunk.data.startswith(LFS_POINTER):
                self.lfs_pointers += 1
            if first and header.kind == b"blob" and self.archives.depth:
                whole = len(chunk.data) >= header.size
                # The reader's own test (sources/magic.py); a zip's end record only in a whole blob.
                if archives.is_archive(chunk.data, chunk.data if whole else b"", header.size):
                    hits.extend(self._members(header, chunk, chunks))
                    packed = True
                    break
                several = not whole
                if several and b"PK\x03\x04" in chunk.data:  # perhaps a zip with bytes in front: kept
                    teed = _Teed(chunk)
            elif teed is not None:
                teed.add(chunk)
            first = False
            # One pass for every literal (prefilter.present), before the engine's own; a wrapped
            # base64 file goes on without one, as in scan (the engine joins and decodes it).
            if _may_hold_key(chunk.data, self._needles):
                hits.extend(scan_chunk(chunk, self.rules))
        if several:
            packed = self._prefixed(header, chunk, teed, hits)
        if header.kind == b"blob":  # the stats count blobs; commit messages come free
            self.blobs += 1
            self.nbytes += header.size
        if self.track:
            self.scanned.add(header.oid)
        if hits:
            self.found[header.oid] = _dedup(hits)
            if header.kind == b"commit":
                self.messages.add(header.oid)
            elif header.kind == b"tag":
                self.tags.add(header.oid)
        elif self.cache is not None and not packed:
            self.cache.add((header.oid,))
        if self.progress is not None:
            now = time.monotonic()
            if now >= self._next_report:
                self._next_report = now + 0.25
                self.progress(Progress(self.blobs, self.nbytes, now - self.started))

    def _prefixed(self, header: BlobHeader, last: Chunk, teed: _Teed | None, hits: list[Finding]) -> bool:
        """After a blob of several blocks read as text: whether it is a zip with bytes in front
        (its end record in its last block, sources/magic.py); its members' findings then join
        `hits` (the text's findings and its own leaf's are the same: _dedup). One whose front
        held no local header in its first block was not kept: not read, said so (exit 3)."""
        if not archives.zip_end(last.data, header.size):
            if teed is not None:
                teed.spool.close()
            return False
        if teed is None:
            self.unread.setdefault(
                header.oid, ": not fully scanned: a zip with more than 8 MiB in front of its first entry (not read)"
            )
            return True
        with teed.spool as spool:
            hits.extend(self._member_hits(header, spool))
        return True

    def _members(self, header: BlobHeader, first: Chunk, rest: Iterator[Chunk]) -> list[Finding]:
        """Findings in the members of an archive blob. Its blocks are joined into a spooled
        file (zip seeks; memory stays at most BLOCK), members then stream in blocks."""
        teed = _Teed(first)
        for chunk in rest:
            teed.add(chunk)
        with teed.spool as spool:
            return self._member_hits(header, spool)

    def _member_hits(self, header: BlobHeader, spool: IO[bytes]) -> list[Finding]:
        from keylatch.errors import ScanError

        hits: list[Finding] = []
        spool.seek(0)
        try:
            for member in archives.member_chunks(spool, "", self.archives, BLOCK):
                if _may_hold_key(member.data, self._needles):
                    hits.extend(scan_chunk(member, self.rules))
        except ScanError as exc:
            # Recorded, and the walk goes on: keys in every other blob (and in this one's
            # members read so far) are still reported; the command exits 3 (walk.py names
            # it by a path when the log has one).
            self.unread.setdefault(header.oid, str(exc))
        return hits

    def needles(self) -> tuple[bytes, ...]:
        """The rules' literals: a blob holding none of them (and no archive) has no key."""
        return self._needles

    def is_scanned(self, oid: bytes) -> bool:
        return oid in self.found or oid in self.scanned or (self.cache is not None and oid in self.cache)


class _Teed:
    """A blob's blocks joined again into one spooled file (memory stays at most BLOCK)."""

    def __init__(self, first: Chunk) -> None:
        import tempfile

        self.spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=BLOCK)
        self.spool.write(first.data)
        self._prev = len(first.data)

    def add(self, chunk: Chunk) -> None:
        from keylatch.sources.blocks import OVERLAP

        self.spool.write(chunk.data[min(OVERLAP, self._prev) :])  # each block repeats its predecessor's tail
        self._prev = len(chunk.data)


def _may_hold_key(data: bytes, needles: tuple[bytes, ...]) -> bool:
    return bool(present(data, needles)) or wrapped_base64_width(data) > 0


def _message(header: BlobHeader, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """A commit object's message (after the first blank line), lines counted from its first."""
    if header.size > BLOCK:  # a giant (hostile) commit object: scan it raw, in blocks
        yield from chunks
        return
    data = b"".join(c.data for c in chunks)  # one block
    cut = data.find(b"\n\n")
    yield Chunk(data[cut + 2 :] if cut >= 0 else b"", "", first_line=1)


def _dedup(hits: list[Finding]) -> tuple[Finding, ...]:
    # Overlapping blocks of a large blob can report the same key at the same place twice.
    seen: dict[tuple[str, int, int, str], Finding] = {}
    for f in hits:  # the path is an archive member's, or ""
        seen.setdefault((f.location.path, f.location.line, f.location.column, f.fingerprint), f)
    return tuple(sorted(seen.values(), key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id)))
