"""Compressed streams read whole (sources/archives.py): gzip member after member with the header
fields around them, bzip2 and xz stream after stream.

RFC 1952 2.3: each member's header may carry an extra field (FEXTRA), a file name (FNAME) and a
comment (FCOMMENT), stored as they are, outside the compressed data. gzip.GzipFile skips them, so
a key written there (`gzip -N`, a tool's metadata) was in the file and in no leaf: they are kept
here (`fields`) for the archive's own leaf. Several members one after another (`cat a.gz b.gz`)
are one output, as gzip reads them; zero bytes after the last are padding; anything else after
it, a CRC or length that does not match, or a stream cut short is an error (not read whole).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Protocol

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.sources.rawleaf import Decompressor

Read = Callable[[int], bytes]
_PIECE = 1 << 20
_FIELD_MAX = 1 << 20  # a name or comment longer than this is no header a gzip writer makes


class Malformed(Exception):
    """The stream is not one a reader can read whole; the message says why."""


class Decoder(Protocol):
    fields: list[bytes]  # bytes of the file around its compressed data (gzip's header fields)

    def read(self, n: int = -1) -> bytes: ...
    def __enter__(self) -> Decoder: ...
    def __exit__(self, *exc: object) -> None: ...


def decoder(what: str, read: Read) -> Decoder:
    """The output of the "gzip", "bzip2" or "xz" stream that `read` gives."""
    if what == "gzip":
        return Gzip(read)
    if what == "bzip2":
        import bz2

        return Streams(read, bz2.BZ2Decompressor)
    import lzma

    return Streams(read, lzma.LZMADecompressor)


class Gzip:
    """`read(n)` as a file's: the decompressed bytes of every member in turn."""

    def __init__(self, read: Read) -> None:
        self._read = read
        self._buf = b""
        self._dec: zlib._Decompress | None = None
        self._crc = 0
        self._size = 0
        self._members = 0
        self._ended = False
        self.fields: list[bytes] = []  # FEXTRA, FNAME, FCOMMENT of every member, in order

    def read(self, n: int = -1) -> bytes:
        n = n if n > 0 else _PIECE
        while not self._ended:
            if self._dec is None:
                self._start()
                continue
            if not self._buf and not self._more():
                raise Malformed("corrupt or truncated: the compressed stream ends before its end marker")
            try:
                out = self._dec.decompress(self._buf, n)
            except zlib.error as exc:
                raise Malformed(f"corrupt or truncated ({exc})") from exc
            self._crc = zlib.crc32(out, self._crc)
            self._size += len(out)
            if self._dec.eof:  # what follows the stream is all in unused_data (the tail is stale)
                self._buf = self._dec.unused_data
                self._trailer()
            else:
                self._buf = self._dec.unconsumed_tail
            if out:
                return out
        return b""

    def __enter__(self) -> Gzip:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _more(self) -> bool:
        data = self._read(_PIECE)
        self._buf += data
        return bool(data)

    def _need(self, n: int) -> None:
        while len(self._buf) < n:
            if not self._more():
                raise Malformed("corrupt or truncated: the compressed stream ends inside a member's header")

    def _start(self) -> None:
        """At a member's start, or after the last member: padding, the end, or a header."""
        while not self._buf and self._more():
            pass
        if self._members:
            while self._buf and not self._buf.strip(b"\0"):  # zero padding after the last member
                self._buf = b""
                self._more()
            if not self._buf:
                self._ended = True
                return
        self._need(10)
        buf = self._buf
        if buf[:3] != b"\x1f\x8b\x08" or buf[3] & 0xE0:
            raise Malformed("corrupt or truncated: bytes after the end of the compressed stream are not a stream")
        flags, pos = buf[3], 10
        if flags & 0x04:  # FEXTRA: a length, then that many bytes
            self._need(pos + 2)
            length = int.from_bytes(self._buf[pos : pos + 2], "little")
            self._need(pos + 2 + length)
            self.fields.append(self._buf[pos + 2 : pos + 2 + length])
            pos += 2 + length
        for bit in (0x08, 0x10):  # FNAME, FCOMMENT: ended by a zero byte
            if flags & bit:
                end = self._buf.find(b"\0", pos)
                while end < 0:
                    if len(self._buf) - pos > _FIELD_MAX:
                        raise Malformed("corrupt or truncated: a header's name or comment is longer than 1 MiB")
                    searched = len(self._buf)
                    self._need(searched + 1)
                    end = self._buf.find(b"\0", searched)
                self.fields.append(self._buf[pos:end])
                pos = end + 1
        if flags & 0x02:  # FHCRC
            pos += 2
        self._need(pos)
        self._buf = self._buf[pos:]
        self._dec = zlib.decompressobj(-15)
        self._crc = self._size = 0
        self._members += 1

    def _trailer(self) -> None:
        self._need(8)
        crc, size = int.from_bytes(self._buf[:4], "little"), int.from_bytes(self._buf[4:8], "little")
        if crc != self._crc or size != self._size & 0xFFFFFFFF:
            raise Malformed("corrupt or truncated: a member's CRC or length does not match its data")
        self._buf = self._buf[8:]
        self._dec = None


class Streams:
    """A bzip2 or xz file's output, stream after stream. What follows the last stream must be
    another stream (or zero padding): BZ2File and LZMAFile drop anything else unread, so text
    appended to a `.bz2` would never be scanned; here it is an error (raw bytes scanned, exit 3)."""

    def __init__(self, read: Read, new: Callable[[], Decompressor]) -> None:
        self._read, self._new = read, new
        self._dec = new()
        self.fields: list[bytes] = []  # none: bzip2 and xz carry no names or comments

    def read(self, n: int = -1) -> bytes:
        n = n if n > 0 else _PIECE
        while True:
            if self._dec.eof:
                data = self._dec.unused_data or self._read(_PIECE)
                while data and not data.strip(b"\0"):  # padding after the last stream
                    data = self._read(_PIECE)
                if not data:
                    return b""
                self._dec = self._new()
                try:
                    out = self._dec.decompress(data, n)
                except Exception as exc:  # noqa: BLE001 -- the decoders' own error types
                    raise Malformed("bytes after the end of the compressed stream are not a stream") from exc
            elif self._dec.needs_input:
                data = self._read(_PIECE)
                if not data:
                    raise Malformed("truncated: the compressed stream ends before its end marker")
                out = self._dec.decompress(data, n)
            else:
                out = self._dec.decompress(b"", n)
            if out:
                return out

    def __enter__(self) -> Streams:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
