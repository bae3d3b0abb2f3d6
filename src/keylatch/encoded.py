"""Encoded spellings of keys: base64 values and UTF-16 text -> bytes or text the engine scans.

Pure functions over bytes; the engine decides what to scan and reports where.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator

from keylatch.prefilter import wrapped_base64_width
from keylatch.rules.synthetic import MARKER

# The marker as it appears after base64-encoding, at each of the three byte alignments.
# With p bytes before it, the marker covers bits [8p, 8p+64): keep the characters whose six bits
# all lie inside it.
BASE64_MARKERS: tuple[bytes, ...] = tuple(
    base64.b64encode(b"\0" * p + MARKER.encode())[-(-8 * p // 6) : (8 * p + 64) // 6] for p in range(3)
)
# Line breaks are included because `base64` wraps its output at 76 columns; "=" is not, since it
# only ends a value.
_B64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_\r\n")
# The longest stretch of base64 decoded at once (sources/files.py overlaps its blocks by more).
_B64_SPAN_LIMIT = 1 << 16


# Windows tools (PowerShell's Out-File, Notepad's "Unicode") write UTF-16, which puts a NUL
# between the marker's letters in both byte orders.
UTF16_MARKER = "\0".join(MARKER).encode("ascii")


# Where BASE64_MARKERS[p] starts inside its 4-character group: the decoding shift follows from it.
_MARKER_AT: tuple[int, ...] = tuple(-(-8 * p // 6) for p in range(3))
_B64_TABLE = bytes(1 if c in _B64_CHARS else 0 for c in range(256))
# The shortest base64 spelling of a key ("sk-" + 20 + marker + 20 = 51 bytes is 68 characters):
# a shorter run of base64 letters cannot hold one.
_MIN_VALUE = 64
# A longer run is decoded in pieces of _B64_SPAN_LIMIT characters that overlap by more than the
# base64 spelling of the longest key (under 1 KiB), so every key lies whole in one piece.
_OVERLAP = 4 << 10
# Marker hits looked at to choose the decoding shifts; past this many, all four are tried.
_SHIFT_PROBES = 16


def base64_payloads(raw: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield (offset of the encoded value, decoded bytes) for each value that holds an encoded marker.

    Linear in `raw` whatever the number of markers: each run of base64 letters (line breaks
    included) is found once, and decoded once per 4-character alignment a marker in it needs.
    """
    for a, b in _values(raw):
        token = raw[a:b].replace(b"\n", b"").replace(b"\r", b"")
        alt = b"-_" if (b"-" in token or b"_" in token) else None
        # The value may be preceded by text that happens to be base64 letters ("data:"); the
        # marker's position says which alignment decodes it.
        for shift in _shifts(token):
            part = token[shift:]
            if len(part) % 4 == 1:  # a lone trailing character encodes no byte
                part = part[:-1]
            padded = part + b"=" * (-len(part) % 4)
            try:
                yield a, base64.b64decode(padded, altchars=alt, validate=False)
            except (binascii.Error, ValueError):
                continue


def _values(raw: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of base64 letters long enough for a key that holds a marker."""
    runs = raw.translate(_B64_TABLE)
    need = b"\1" * _MIN_VALUE
    a = runs.find(need)
    while a >= 0:
        b = runs.find(b"\0", a + _MIN_VALUE)
        b = len(raw) if b < 0 else b
        for s in range(a, b, _B64_SPAN_LIMIT - _OVERLAP):
            e = min(b, s + _B64_SPAN_LIMIT)
            if any(raw.find(m, s, e) >= 0 for m in BASE64_MARKERS):
                yield s, e
            if e == b:
                break
        a = runs.find(need, b)


def _shifts(token: bytes) -> list[int]:
    """The 4-character alignments at which the encoded markers in `token` decode."""
    shifts: set[int] = set()
    for at, marker in zip(_MARKER_AT, BASE64_MARKERS, strict=True):
        i = token.find(marker)
        for _ in range(_SHIFT_PROBES):
            if i < 0:
                break
            shifts.add((i - at) % 4)
            i = token.find(marker, i + 1)
        else:
            return [0, 1, 2, 3]
    return sorted(shifts)


_B64_LINE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def wrapped_block(raw: bytes) -> bytes | None:
    """A file that is wrapped base64 (`base64 .env` wraps at 76 columns), joined into one line.

    The encoded marker straddles a line break in about one wrapped file in eight, where the
    literal search cannot see it; only the leading block of full-width lines (at most 1 MiB) is
    joined, a line at a time.
    """
    width = wrapped_base64_width(raw)
    if not width:
        return None
    block = []
    pos, limit = 0, min(len(raw), 1 << 20)
    while pos < limit:
        end = raw.find(b"\n", pos, limit)
        end = limit if end < 0 else end
        line = raw[pos:end].rstrip(b"\r")
        pos = end + 1
        if not line or len(line) > width or not _B64_LINE.issuperset(line):
            break
        block.append(line)
        if len(line) < width:  # the short last line ends the value
            break
    return b"".join(block) if len(block) > 1 else None


def utf16_texts(raw: bytes) -> Iterator[tuple[int, str]]:
    """(byte offset, text) in both byte orders, aligned on the first UTF-16 marker."""
    pos = raw.find(UTF16_MARKER)
    # Little-endian text has the marker's first letter on an even offset, big-endian on an odd one.
    for codec, start in (("utf-16-le", pos % 2), ("utf-16-be", (pos + 1) % 2)):
        yield start, raw[start:].decode(codec, "replace")
