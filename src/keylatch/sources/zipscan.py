"""A zip's local entries that its central directory does not name (sources/archives.py).

zipfile reads the members its central directory lists; a local file header and its data that
no directory entry names (appended, or hidden between members, or before them in a prefixed
zip) are bytes of the file all the same. Stored, they show in the archive's own leaf (around
its members); deflated, a key in them shows nowhere. So the file is walked once for local
header signatures outside what was read already, and each plausible entry found is read as a
member: through zipfile from its local header, or, when its sizes are in a data descriptor
after its data (local sizes zero), by inflating until the deflate stream ends.

Linear: one pass over the file in pieces, each signature tested from the piece in hand; an
entry's data is read once; what an entry holds is skipped by the walk. A signature whose header
is no plausible entry (a version or method no zip writes, a name past the file's end) is bytes
like any other: the archive's own leaf shows them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import IO, NamedTuple

_SIG = b"PK\x03\x04"
_HEADER = 30
_PIECE = 1 << 20
# APPNOTE 4.4.5: the methods a zip may name (stored .. PPMd, AES); anything else is no header.
_METHODS = frozenset((*range(0, 21), *range(93, 100)))


class Hidden(NamedTuple):
    """A local entry the central directory leaves out."""

    offset: int  # of its local header
    name: str  # as zipfile decodes it (UTF-8 by flag bit 11, else cp437)
    flags: int
    method: int
    crc: int
    compressed: int  # 0 with a data descriptor (bit 3): the sizes follow the data
    size: int
    data: int  # offset of its data


def hidden(src: IO[bytes], named: set[int], read: list[tuple[int, int]]) -> Iterator[Hidden]:
    """The plausible local entries of `src` at no offset in `named` (the directory's entries)
    and in no range of `read` (members' data already read: a stored inner zip's headers are
    that zip's, not this one's). A caller that reads an entry whole appends its data's range
    to `read` before asking for the next: the walk goes on after it."""
    src.seek(0, 2)
    size = src.tell()
    ranges = sorted(read)
    known = len(read)
    r = 0  # ranges[:r] end at or before the search position
    at = 0  # file offset of buf[0]
    buf = b""
    pos = 0  # next offset to search from
    while True:
        src.seek(at + len(buf))
        more = src.read(_PIECE)
        buf += more
        while True:
            i = buf.find(_SIG, pos - at)
            if i < 0 or (i + _HEADER > len(buf) and more):
                break
            offset = at + i
            pos = offset + 1
            while r < len(ranges) and ranges[r][1] <= offset:
                r += 1
            if r < len(ranges) and ranges[r][0] <= offset:  # in a member read: its bytes are its own
                pos = ranges[r][1]
                continue
            if offset in named:
                continue
            entry = _entry(src, buf[i : i + _HEADER], offset, size)
            if entry is None:
                continue
            yield entry
            if len(read) > known:  # read whole: the walk goes on after its data
                pos = max(pos, *(end for _, end in read[known:]))
                known = len(read)
            if pos - at > len(buf):
                break
        if not more:
            return
        if pos - at >= len(buf):  # past what is in hand (an entry's data): read on from there
            at, buf = pos, b""
        else:
            keep = max(pos - at, len(buf) - (_HEADER - 1), 0)  # a header cut at the piece's end stays
            at, buf = at + keep, buf[keep:]


def _entry(src: IO[bytes], header: bytes, offset: int, size: int) -> Hidden | None:
    if len(header) < _HEADER:
        return None
    version, flags, method, _, _, crc, compressed, usize, nlen, xlen = struct.unpack("<4x3H2H3I2H", header)
    data = offset + _HEADER + nlen + xlen
    if (version & 0xFF) >= 100 or method not in _METHODS or not nlen or data > size:
        return None
    if not flags & 0x08 and (data + compressed > size or (method == 0 and compressed != usize)):
        return None
    src.seek(offset + _HEADER)
    raw = src.read(nlen)
    try:
        name = raw.decode("utf-8") if flags & 0x800 else raw.decode("cp437")
    except UnicodeDecodeError:
        return None
    return Hidden(offset, name, flags, method, crc, compressed, usize, data)


class Inflated:
    """A deflated entry's data read until its deflate stream ends (its sizes come after it, in
    a data descriptor): `read(n)` as a file's. A stream that ends before its end marker is an
    error: the entry was not read whole."""

    def __init__(self, src: IO[bytes], start: int) -> None:
        import zlib

        self._src, self._at = src, start
        self._dec = zlib.decompressobj(-15)
        self.consumed = 0

    def read(self, n: int = -1) -> bytes:
        n = n if n > 0 else _PIECE
        while not self._dec.eof:
            data = self._dec.unconsumed_tail
            if not data:
                self._src.seek(self._at)
                data = self._src.read(_PIECE)
                if not data:
                    raise EOFError("its deflate stream ends before its end marker")
                self._at += len(data)
                self.consumed += len(data)
            out = self._dec.decompress(data, n)
            if out:
                return out
        return b""

    def end(self) -> int:
        """The offset where the deflate stream ended (once `read` returned b"")."""
        return self._at - len(self._dec.unused_data if self._dec.eof else self._dec.unconsumed_tail)
