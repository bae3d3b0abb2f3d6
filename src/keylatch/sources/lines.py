"""Chosen lines of a blob or file, picked in one streaming pass: what allow comments and SARIF's
columns read again after a scan, without holding the content.

    got = pick(pieces, {12: (40,), 11: ()})         # line 12 (a key at column 40) and line 11
    got[12].data, got[12].cut, got[12].windows
    found = blob_lines(git, {blob: {12: (40,)}})   # per blob, one `cat-file --batch`; None if missing
    found = file_lines(path, {12: (40,)})          # a file on disk, read in blocks; None if unreadable

Memory is bounded by the lines asked for, never by the content: a line longer than `LINE_CAP`
keeps its first `LINE_CAP` bytes and a `WINDOW` either side of each column asked for (a 300 MB
minified line holding a key costs about a megabyte, not 300). Cost is linear in the content
whatever the number of lines asked for: newlines are passed with C-level counts over a range
that grows with the distance to the next wanted line, and each byte is looked at a bounded
number of times (tests/sources/test_lines.py counts the work).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from keylatch.sources.gitcmd import Git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.model import Chunk

# A line up to this long is kept whole; a longer one is cut (Line.cut).
LINE_CAP = 1 << 20
# Bytes kept either side of a wanted column on a cut line: a key (an encoded one is followed at
# most 64 KiB, encoded._B64_SPAN_LIMIT) and the comment next to it.
WINDOW = 64 << 10
_READ = 1 << 20  # bytes per read of a file on disk
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Line:
    """One line, without its newline (a `\\r` before it is kept: callers strip it).

    `data` is the whole line, or when `cut` its first LINE_CAP bytes. `windows` are the bytes
    kept of a cut line, in order, overlapping ones merged: its head, and WINDOW either side of
    each column asked for. A whole line has no windows.
    """

    data: bytes
    cut: bool = False
    windows: tuple[bytes, ...] = ()


# Wanted lines: line number (1-based) -> the 1-based byte columns of interest on it (may be empty).
Wanted = Mapping[int, Iterable[int]]


def pick(pieces: Iterable[bytes], wanted: Wanted, cap: int | None = None, window: int | None = None) -> dict[int, Line]:
    """The wanted lines of the content `pieces` (consecutive, non-overlapping), by number.

    A line number past the content's last line is left out; the line after a final newline is
    the empty line, as in `data.split(b"\\n")`.
    """
    # The limits are read at call time, so a test can lower them (monkeypatch).
    picker = _Picker(wanted, LINE_CAP if cap is None else cap, WINDOW if window is None else window)
    for piece in pieces:
        picker.feed(piece)
    return picker.done()


class _Capture:
    """The bytes kept of one wanted line while it streams past."""

    __slots__ = ("head", "cap", "spans", "parts", "k")

    def __init__(self, columns: Iterable[int], cap: int, window: int) -> None:
        self.head = bytearray()
        self.cap = cap
        merged: list[list[int]] = [[0, cap]]
        for c in sorted({max(c - 1, 0) for c in columns}):
            lo, hi = max(c - window, 0), c + window
            if lo <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self.spans = [(lo, hi) for lo, hi in merged]
        self.parts = [bytearray() for _ in merged]  # each span's bytes at or past `cap`
        self.k = 0  # the first span not yet complete

    def add(self, data: bytes, a: int, b: int, off: int) -> None:
        """`data[a:b]` is the line's bytes at offsets `off`..."""
        head = self.head
        if len(head) < self.cap:
            head += data[a : a + min(b - a, self.cap - len(head))]
        end = off + b - a
        if end <= self.cap:
            return
        spans, k = self.spans, self.k
        while k < len(spans):
            lo, hi = spans[k]
            lo = max(lo, self.cap, off)
            if lo >= end:
                break
            top = min(hi, end)
            if lo < top:
                self.parts[k] += data[a + lo - off : a + top - off]
            if hi > end:
                break
            k += 1
        self.k = k

    def line(self, length: int) -> Line:
        head = bytes(self.head)
        if length <= self.cap:
            return Line(head)
        kept = (head[lo : self.cap] + bytes(part) for (lo, _), part in zip(self.spans, self.parts, strict=True))
        return Line(head, True, tuple(w for w in kept if w))


class _Picker:
    __slots__ = ("_wanted", "_todo", "_i", "_line", "_off", "_cur", "_got", "_cap", "_window")

    def __init__(self, wanted: Wanted, cap: int, window: int) -> None:
        self._wanted = {n: tuple(cols) for n, cols in wanted.items() if n >= 1}
        self._todo = sorted(self._wanted)
        self._i = 0
        self._line = 1
        self._off = 0  # bytes of the current line already passed
        self._cap, self._window = cap, window
        self._got: dict[int, Line] = {}
        self._cur: _Capture | None = None
        self._arrive()

    def _arrive(self) -> None:
        """At the start of line self._line: capture it if it is wanted."""
        todo = self._todo
        if self._i < len(todo) and todo[self._i] == self._line:
            self._cur = _Capture(self._wanted[self._line], self._cap, self._window)
        else:
            self._cur = None

    def feed(self, data: bytes) -> None:
        pos, size = 0, len(data)
        while pos < size:
            cur = self._cur
            if cur is None:
                if self._i >= len(self._todo):
                    return  # nothing more wanted: the rest only streams past
                passed, pos = _pass(data, pos, self._todo[self._i] - self._line)
                if passed == 0:
                    return
                self._line += passed
                self._off = 0
                self._arrive()
                continue
            nl = data.find(b"\n", pos)
            end = nl if nl >= 0 else size
            cur.add(data, pos, end, self._off)
            self._off += end - pos
            if nl < 0:
                return
            self._finish()
            self._line += 1
            self._off = 0
            self._arrive()
            pos = nl + 1

    def _finish(self) -> None:
        assert self._cur is not None
        self._got[self._line] = self._cur.line(self._off)
        self._i += 1

    def done(self) -> dict[int, Line]:
        if self._cur is not None:  # the last line, with no newline after it (or empty)
            self._finish()
            self._cur = None
        return self._got


def _pass(data: bytes, pos: int, need: int) -> tuple[int, int]:
    """Pass up to `need` newlines of `data` from `pos`: (how many, the offset after the last).

    Galloping counts, so the bytes looked at grow with the distance to the `need`-th newline,
    not with the rest of the block: many wanted lines in one block stay linear.
    """
    size = len(data)
    if need <= 8:
        passed = 0
        while passed < need:
            nl = data.find(b"\n", pos)
            if nl < 0:
                return passed, size
            passed, pos = passed + 1, nl + 1
        return passed, pos
    a, want, step = pos, need, need * 16  # a line is at least one byte: `need` bytes at least
    while True:
        b = min(size, a + step)
        crossed = data.count(b"\n", a, b)
        if crossed >= want:
            break
        want -= crossed
        if b == size:
            return need - want, size
        a, step = b, step * 2
    while b - a > 64:  # the want-th newline is in [a, b): halve
        mid = (a + b) // 2
        crossed = data.count(b"\n", a, mid)
        if crossed >= want:
            b = mid
        else:
            a, want = mid, want - crossed
    for _ in range(want):
        a = data.index(b"\n", a) + 1
    return need, a


def blob_lines(git: Git, wanted: Mapping[str, Wanted]) -> dict[str, dict[int, Line] | None]:
    """The wanted lines of each blob, streamed through one `cat-file --batch` (sources/objects.py);
    None for a blob the repository does not have (or an id that is not one)."""
    from keylatch.sources.blocks import OVERLAP
    from keylatch.sources.objects import BlobHeader, stream_objects

    out: dict[str, dict[int, Line] | None] = {b: None for b in wanted}
    ids = sorted(b for b in wanted if len(b) in (40, 64) and set(b) <= _HEX)

    def visit(header: BlobHeader, chunks: Iterator[Chunk] | None) -> None:
        if chunks is None:
            return
        oid = header.oid.decode("ascii")
        out[oid] = pick(_unlapped(chunks, OVERLAP), wanted[oid])

    if ids:
        stream_objects(git, (i.encode("ascii") for i in ids), visit)
    return out


def _unlapped(chunks: Iterable[Chunk], overlap: int) -> Iterator[bytes]:
    """The content once: each block after the first starts with its predecessor's last
    `overlap` bytes (sources/blocks.py), which this drops."""
    first = True
    for chunk in chunks:
        yield chunk.data if first else chunk.data[overlap:]
        first = False


def file_lines(path: str | Path, wanted: Wanted) -> dict[int, Line] | None:
    """The wanted lines of a file on disk, read in blocks; None when it cannot be read."""
    try:
        with open(path, "rb") as f:
            return pick(iter(lambda: f.read(_READ), b""), wanted)
    except OSError:  # gone since, a directory, or standard input
        return None


def wanted_of(places: Iterable[tuple[str, int, int]], previous: bool) -> dict[str, dict[int, list[int]]]:
    """Group (source, line, column) places into pick's `wanted`, per source; with `previous`,
    the line before each too (for `pragma: allowlist nextline secret`)."""
    out: dict[str, dict[int, list[int]]] = {}
    for source, line, column in places:
        lines = out.setdefault(source, {})
        lines.setdefault(line, []).append(column)
        if previous and line > 1:
            lines.setdefault(line - 1, [])
    return out


def text_pair(got: Mapping[int, Line], line: int) -> tuple[str, str] | None:
    """(previous line, line) as allowlist.SourceLines gives them (latin-1, `\\r` stripped), or
    None past the end. A cut line reads as its windows joined by newlines: an allow comment
    in one of them counts, one outside them does not (the key stays reported); a cut previous
    line reads as its head, all that `pragma: allowlist nextline secret` (anchored at its start)
    needs."""
    here = got.get(line)
    if here is None:
        return None
    before = got.get(line - 1)
    previous = "" if before is None else before.data.decode("latin-1").rstrip("\r")
    if here.cut:
        text = "\n".join(w.decode("latin-1") for w in here.windows)
    else:
        text = here.data.decode("latin-1")
    return previous, text.rstrip("\r")
