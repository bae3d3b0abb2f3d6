"""The raw bytes of an archive that could not be read whole, as one more leaf (sources/archives.py).

Two things make that leaf useful and honest: the bytes of members already read whole are blanked
(their keys were reported at the member: a key is reported once, not again at the archive), and
a compressed archive's leaf is what its compression holds, read as far as it goes (a cut tar in a
`.tgz`: the key in the cut member is in no other leaf), at most `max_bytes`. Only a failed
archive reaches this module: a healthy one never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

Read = Callable[[int], bytes]
# Every byte but the newline as a space: a blanked range keeps the line numbers after it.
_BLANK = bytes(10 if i == 10 else 32 for i in range(256))


class Decompressor(Protocol):
    """What bz2's and lzma's decompressors share (archives.py reads whole streams with it)."""

    @property
    def eof(self) -> bool: ...
    @property
    def needs_input(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


def blanked(read: Read, ranges: Sequence[tuple[int, int]]) -> Read:
    """`read` with the bytes in `ranges` (offsets in its stream) blanked."""
    if not ranges:
        return read
    pos = 0

    def read_blanked(n: int) -> bytes:
        nonlocal pos
        data = read(n)
        out = bytearray(data)
        for start, end in ranges:
            lo, hi = max(start, pos), min(end, pos + len(data))
            if lo < hi:
                out[lo - pos : hi - pos] = out[lo - pos : hi - pos].translate(_BLANK)
        pos += len(data)
        return bytes(out)

    return read_blanked


def inflated(read: Read, what: str, max_bytes: int, piece: int) -> Read:
    """The output of a gzip, bzip2 or xz stream (stream after stream) up to where it breaks,
    at most `max_bytes`, read `piece` bytes of input at a time."""
    pieces = _gzip(read, max_bytes, piece) if what == "gzip" else _streams(read, what, max_bytes, piece)
    held = b""

    def read_inflated(n: int) -> bytes:
        nonlocal held
        while len(held) < n:
            got = next(pieces, b"")
            if not got:
                break
            held += got
        out, held = held[:n], held[n:]
        return out

    return read_inflated


def _gzip(read: Read, left: int, piece: int) -> Iterator[bytes]:
    import zlib

    dec = zlib.decompressobj(wbits=31)
    buf = b""
    try:
        while left > 0:
            if dec.eof:  # another member follows, or padding, or the end
                buf = dec.unused_data + buf
                if not buf.strip(b"\0"):
                    return
                dec = zlib.decompressobj(wbits=31)
            if not buf:
                buf = read(piece)
                if not buf:
                    return
            out = dec.decompress(buf, min(left, piece))
            buf = dec.unconsumed_tail
            left -= len(out)
            if out:
                yield out
    except zlib.error:
        return  # where it breaks: what follows is not its output


def _streams(read: Read, what: str, left: int, piece: int) -> Iterator[bytes]:
    import bz2
    import lzma

    new: Callable[[], Decompressor] = bz2.BZ2Decompressor if what == "bzip2" else lzma.LZMADecompressor
    dec = new()
    try:
        while left > 0:
            if dec.eof:
                buf = dec.unused_data or read(piece)
                if not buf.strip(b"\0"):
                    return
                dec = new()
            elif dec.needs_input:
                buf = read(piece)
                if not buf:
                    return
            else:
                buf = b""
            out = dec.decompress(buf, min(left, piece))
            left -= len(out)
            if out:
                yield out
    except (OSError, EOFError, lzma.LZMAError, ValueError):
        return  # where it breaks: what follows is not its output
