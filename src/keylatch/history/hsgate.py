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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BufferedIOBase

from keylatch.history.grepfilter import Objects

TYPE_CHECKING = False
if TYPE_CHECKING:
    import hyperscan

FORMAT = "--batch=%(objectname) %(objectsize)"
READ = 1 << 20  # bytes per read from git: the pipe's size (sources/objects.widen)
_PROGRESS_EVERY = 2048  # objects


@dataclass(frozen=True, slots=True)
class Gate:
    """The needles compiled once per scan; each reader makes its own scratch space from it."""

    database: hyperscan.Database
    overlap: int  # the longest needle's length, less one


def gate(needles: Sequence[bytes]) -> Gate | None:
    """The compiled needles, or None without Hyperscan (readers.py then runs grep)."""
    try:
        import hyperscan
    except ImportError:
        return None
    # Each byte written as \xNN: the needles hold NULs (UTF-16), which end a C pattern string.
    patterns = [b"".join(b"\\x%02x" % c for c in n) for n in needles]
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        database.compile(
            expressions=patterns,
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(patterns),
        )
    except hyperscan.error:  # e.g. a CPU without the instructions it needs
        return None
    return Gate(database, max(len(n) for n in needles) - 1)


def follow(
    stream: BufferedIOBase,
    objs: Objects,
    first: int,
    stop: int,
    gate: Gate,
    hit: Callable[[int], None],
    progress: Callable[[int, int], None],
) -> int:
    """Read `cat-file FORMAT`'s output for objects `first` to `stop` of `objs`, calling `hit(i)`
    for each object whose content holds a needle, in order. Returns how many objects were found
    where predicted: fewer than `stop - first` when the stream is out of step or ended early."""
    import hyperscan

    scratch = hyperscan.Scratch(gate.database)
    scan = gate.database.scan
    overlap = gate.overlap
    buf = bytearray(READ)
    view = memoryview(buf)
    sizes = objs.sizes
    end = pos = 0  # buf[pos:end] is read and not yet consumed
    nbytes = 0

    def holds(start: int, stop: int) -> bool:
        try:
            # The stub says str or bytes; the extension reads any buffer in place (no copy).
            scan(view[start:stop], match_event_handler=_halt, scratch=scratch)  # type: ignore[type-var]
        except hyperscan.ScanTerminated:
            return True
        return False

    def refill(keep: int) -> int:
        """Move buf[keep:end] to the front and read after it; the new end (no more: same)."""
        rest = end - keep
        if keep:
            buf[:rest] = buf[keep:end]
        return rest + (stream.readinto(view[rest:]) or 0)

    for i in range(first, stop):
        size = sizes[i]
        head = b"%s %d\n" % (objs.oid(i), size)
        h = len(head)
        if end - pos >= h + size + 1:  # the whole object is in the buffer: the common case
            if not buf.startswith(head, pos) or buf[pos + h + size] != 10:
                return i - first
            if size and holds(pos + h, pos + h + size):
                hit(i)
            pos += h + size + 1
        else:
            while end - pos < h:
                end, pos = refill(pos), 0
                if end < h:
                    return i - first
            if not buf.startswith(head, pos):
                return i - first
            pos += h
            left, start, found = size, pos, False
            while True:
                take = min(left, end - pos)
                pos += take
                left -= take
                if not found and pos > start:
                    found = holds(start, pos)
                if not left:
                    break
                # Keep the tail a needle may start in (none once found), and read on.
                keep = pos if found else max(start, pos - overlap)
                end, pos, start = refill(keep), pos - keep, 0
                if end == pos:
                    return i - first
            if end == pos:
                end, pos = refill(pos), 0
            if end == pos or buf[pos] != 10:
                return i - first
            pos += 1
            if found:
                hit(i)
        nbytes += size
        if (i - first + 1) % _PROGRESS_EVERY == 0:
            progress(i - first + 1, nbytes)
    progress(stop - first, nbytes)
    if end > pos or refill(pos):
        return -1  # more output than objects asked for: not the stream we predicted
    return stop - first


def _halt(needle: int, start: int, end: int, flags: int, context: object) -> bool:
    return True  # the first needle decides: stop scanning this object
