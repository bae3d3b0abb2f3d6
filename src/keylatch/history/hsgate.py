"""The literal prefilter for whole-history scans, by Hyperscan on each reader's own thread.

`grep -F` with the rules' ~40 literals (many short, some with NULs) ran at about 0.25-0.8 GB/s
on git's blobs; Hyperscan's literal matcher runs the same set at about 1.3 GB/s on one core,
and releases the GIL while it scans, so each reader's thread scans its own `cat-file --batch`
stream in parallel with the others (bench/README.md, "One literal pass"). No grep process, no
pipe into it, no parsing of its output: the thread reads git's stream into one reused buffer
and scans each object's content in place (a memoryview, no copy).

Alignment is checked, not assumed: every header must read `<id> <size>` as the listing
predicted, else the range is out of step (an object vanished: "<id> missing") and `follow`
stops; readers.py then hands the range to the engine whole, as with grep. A content scan stops
at its first hit (the callback halts Hyperscan), so a blob that repeats a needle costs one
callback, not one per repeat. A needle split across two reads is found: each read keeps the
last `overlap` bytes of an object it has not finished.

`ek_` (the Realtime client secret's keyword) counts only where a key may start, as in scan's
gate and the engine's decoder windows (prefilter.EK_START): in git's C sources it is nearly
always inside a word (`lseek_`, `peek_`), and those blobs were three quarters of the bytes the
engine read (bench/README.md). `zure` (the 32-hex Azure key's keyword) counts only as the Azure
OpenAI evidence that rule needs (prefilter.AZURE_EVIDENCE): git's "Azure Pipelines" were the
rest. An object the engine reads in blocks (larger than sources.objects.BLOCK) is gated by the
plain literals instead: the engine takes each block's first byte as a place a key may start,
wherever it falls in the object, and judges evidence per block.
"""

from __future__ import annotations

import bisect
import contextlib
import mmap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BufferedIOBase

from keylatch.history.grepfilter import Objects
from keylatch.sources.magic import HEAD
from keylatch.sources.objects import BLOCK

TYPE_CHECKING = False
if TYPE_CHECKING:
    import hyperscan

FORMAT = "--batch=%(objectname) %(objectsize)"
READ = 1 << 20  # bytes per read from git: the pipe's size (sources/objects.widen)
_PROGRESS_EVERY = 2048  # objects


@dataclass(frozen=True, slots=True)
class Heads:
    """Objects worth reading for how they start (an archive's magic, an LFS pointer): `test`
    sees an object's first `magic.HEAD` bytes here; grep, which cannot anchor, searches
    `literals` anywhere instead (each start `test` accepts holds one of them)."""

    literals: tuple[bytes, ...]
    test: Callable[[bytes], object]
    # Where a start `test` accepts must show: its first byte in `firsts`, or one of `marks`
    # (offset, literal) in place. Checked on the buffer first, so that `test` (a copy of HEAD
    # bytes and a Python call, with the GIL held) runs for a few objects, not for all 466k of
    # git/git: `follow` spends 0.5 us per object on its start instead of 1.3 (bench/README.md).
    # Empty: `test` runs for every object.
    firsts: frozenset[int] = frozenset()
    marks: tuple[tuple[int, bytes], ...] = ()
    # Objects that start as a wrapped base64 file (prefilter.wrapped_base64_width) are read too,
    # as scan reads such a file: the engine joins its lines and decodes it, and a key found
    # there need hold no needle in its base64 spelling (`ek_`'s has none). grep cannot see it.
    wrapped: bool = False
    # Literals that make an object worth reading wherever they are: a zip's end record, which
    # an installer with a zip behind its stub does not show at its start (sources/magic.py).
    anywhere: tuple[bytes, ...] = ()


@dataclass(frozen=True, slots=True)
class Gate:
    """The needles compiled once per scan; each reader makes its own scratch space from it."""

    database: hyperscan.Database  # `ek_` only where a key may start
    overlap: int  # the longest match's length, less one
    heads: Heads | None = None
    plain: hyperscan.Database | None = None  # every literal as it is: for objects over BLOCK


def gate(needles: Sequence[bytes], heads: Heads | None = None) -> Gate | None:
    """The compiled needles, or None without Hyperscan (readers.py then runs grep)."""
    from keylatch.prefilter import STARTS_LONGEST, compiled, compiled_starts

    needles = (*needles, *(heads.anywhere if heads is not None else ()))
    database = compiled_starts(needles)
    plain = compiled(needles)
    if database is None or plain is None:
        return None
    return Gate(database, max(STARTS_LONGEST, *(len(n) for n in needles)) - 1, heads, plain)


def follow(
    stream: BufferedIOBase,
    objs: Objects,
    first: int,
    stop: int,
    gate: Gate,
    hit: Callable[[int], None],
    progress: Callable[[int, int], None],
    read: int = READ,
) -> int:
    """Read `cat-file FORMAT`'s output for objects `first` to `stop` of `objs`, calling `hit(i)`
    for each object whose content holds a needle (or whose start `gate.heads` accepts), in
    order. Returns how many objects were found where predicted: fewer than `stop - first` when
    the stream is out of step or ended early. `read` (bytes per read) is at least 2 * HEAD, so
    that an object larger than the buffer has its header and first HEAD bytes in it."""
    if read < 2 * HEAD:
        raise ValueError(f"read must be at least {2 * HEAD} bytes")
    f = _Follow(stream, objs, gate, read)
    try:
        return f.run(first, stop, hit, progress)
    finally:
        with contextlib.suppress(BufferError):  # a slice still held by a traceback: freed later
            f.view.release()
            f.buf.close()


class _Follow:
    """One reader's buffer and position. The objects that lie whole in the buffer are checked
    (headers) and scanned in one Hyperscan call, which halts at a hit: the hit's object is
    marked and the scan goes on after it, so the calls number the reads plus the hits, not the
    objects (466k on git/git). An object larger than the buffer is scanned in pieces."""

    def __init__(self, stream: BufferedIOBase, objs: Objects, gate: Gate, read: int) -> None:
        import hyperscan

        self.stream, self.objs, self.gate = stream, objs, gate
        self.scratch = hyperscan.Scratch(gate.database)
        self.plain: hyperscan.Scratch | None = None  # made at the first object over BLOCK
        self.terminated = hyperscan.ScanTerminated
        # An anonymous map, not a bytearray: it goes back to the system when the scan ends. A
        # thread's 1 MiB from malloc lands in that thread's arena, which keeps it (measured: the
        # test suite's process grew by tens of MB over many scans).
        self.buf = mmap.mmap(-1, read)
        self.view = memoryview(self.buf)
        self.end = self.pos = 0  # buf[pos:end] is read and not yet consumed

    def refill(self) -> bool:
        """Move buf[pos:end] to the front and read after it; False at the end of the stream."""
        rest = self.end - self.pos
        if self.pos:
            self.buf.move(0, self.pos, rest)
        self.pos, self.end = 0, rest
        got = self.stream.readinto(self.view[rest:]) or 0
        self.end += got
        return got > 0

    def first_hit(self, start: int, stop: int, plain: bool = False) -> int:
        """The offset where the first needle in buf[start:stop] ends, or -1; with `plain`, of
        the literals as they are (`ek_` anywhere)."""
        import hyperscan

        database, scratch = self.gate.database, self.scratch
        if plain and self.gate.plain is not None:
            database = self.gate.plain
            if self.plain is None:
                self.plain = hyperscan.Scratch(database)
            scratch = self.plain
        ends: list[int] = []
        try:
            # The stub says str or bytes; the extension reads any buffer in place (no copy).
            database.scan(  # type: ignore[type-var]
                self.view[start:stop], match_event_handler=_halt, context=ends, scratch=scratch
            )
        except self.terminated:
            return start + ends[0]
        return -1

    def run(self, first: int, stop: int, hit: Callable[[int], None], progress: Callable[[int, int], None]) -> int:
        i, nbytes, reported = first, 0, first
        while i < stop:
            j, nbytes, whole = self.batch(i, stop, nbytes, hit)
            if not whole:
                return j - first
            if j - reported >= _PROGRESS_EVERY:
                progress(j - first, nbytes)
                reported = j
            i = j
            if i == stop:
                break
            # Object i is not whole in the buffer: read more, or scan it in pieces.
            if self.pos or self.end < len(self.buf):
                if not self.refill():
                    return i - first  # the stream ended early
                continue
            if not self.large(i, hit):
                return i - first
            nbytes += self.objs.sizes[i]
            i += 1
        progress(stop - first, nbytes)
        if self.end > self.pos or self.refill():
            return -1  # more output than objects asked for: not the stream we predicted
        return stop - first

    def batch(self, i: int, stop: int, nbytes: int, hit: Callable[[int], None]) -> tuple[int, int, bool]:
        """Check and scan the objects from `i` that lie whole in the buffer; (the next object,
        bytes so far, False if a header was not the predicted one)."""
        buf, objs, sizes, heads = self.buf, self.objs, self.objs.sizes, self.gate.heads
        p, end, j = self.pos, self.end, i
        starts: list[int] = []  # where each object's header starts
        found: list[int] = []
        whole = True
        while j < stop:
            size = sizes[j]
            head = b"%s %d\n" % (objs.oid(j), size)
            h = len(head)
            if end - p < h + size + 1:
                break
            if self.view[p : p + h] != head or buf[p + h + size] != 10:
                whole = False
                break
            if heads is not None and size and _head_hit(heads, buf, p + h, size, self.view):
                found.append(j)
            starts.append(p)
            p += h + size + 1
            nbytes += size
            j += 1
        at = self.pos
        while at < p:
            e = self.first_hit(at, p)
            if e < 0:
                break
            k = bisect.bisect_right(starts, e - 1) - 1  # the object the needle ends in
            found.append(i + k)
            at = starts[k + 1] if k + 1 < len(starts) else p
        for k in sorted(set(found)):
            hit(k)
        self.pos = p
        return j, nbytes, whole

    def large(self, i: int, hit: Callable[[int], None]) -> bool:
        """Object `i`, which starts the full buffer and does not fit in it, read in pieces."""
        size = self.objs.sizes[i]
        head = b"%s %d\n" % (self.objs.oid(i), size)
        if self.view[: len(head)] != head:
            return False
        self.pos = start = len(head)
        heads = self.gate.heads
        found = heads is not None and _head_hit(heads, self.buf, start, size, self.view)
        left = size
        while True:
            take = min(left, self.end - self.pos)
            self.pos += take
            left -= take
            if not found and self.pos > start:
                found = self.first_hit(start, self.pos, plain=size > BLOCK) >= 0
            if not left:
                break
            # Keep the tail a needle may start in (none once found), and read on. The next scan
            # starts there, where `^` matches: never right at an `ek_` (prefilter.EK_START),
            # whose start was decided in this scan, with the bytes before it in view.
            keep = self.pos if found else max(start, self.pos - self.gate.overlap)
            if keep > start and self.buf[keep : keep + 3] == b"ek_":
                keep -= 1
            kept = self.pos - keep
            self.pos = keep
            if not self.refill():
                return False
            self.pos, start = kept, 0
        if self.end == self.pos and not self.refill():
            return False
        if self.buf[self.pos] != 10:
            return False
        self.pos += 1
        if found:
            hit(i)
        return True


def _head_hit(heads: Heads, buf: mmap.mmap, at: int, size: int, view: memoryview) -> bool:
    """Whether `heads` accepts the object whose content starts at buf[at] (`size` bytes, at least
    min(size, HEAD) of them in the buffer): the test runs only where `firsts` or `marks` allow."""
    # Two bytes looked up before 60 are copied: most objects start with a base64 character
    # (letters, `/*`), fewer have one 59 bytes on too (not a space, a newline, punctuation).
    if (
        heads.wrapped
        and size >= _B64_LINE
        and buf[at] in _B64
        and buf[at + _B64_LINE - 1] in _B64
        and not buf[at : at + _B64_LINE].translate(None, _B64_CHARS)
    ):
        from keylatch.prefilter import wrapped_base64_width

        if wrapped_base64_width(bytes(view[at : at + min(size, HEAD)])):
            return True
    if heads.firsts or heads.marks:
        if buf[at] not in heads.firsts:
            for off, lit in heads.marks:
                if size >= off + len(lit) and buf[at + off : at + off + len(lit)] == lit:
                    break
            else:
                return False
    return bool(heads.test(bytes(view[at : at + min(size, HEAD)])))


_B64_LINE = 60  # the shortest first line prefilter.wrapped_base64_width accepts
_B64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_B64 = frozenset(_B64_CHARS)


def _halt(needle: int, start: int, end: int, flags: int, ends: object) -> bool:
    assert isinstance(ends, list)  # first_hit's
    ends.append(end)
    return True  # the first needle decides: stop scanning
