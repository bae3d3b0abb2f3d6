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
_B64_SPAN_LIMIT = 1 << 16


# Windows tools (PowerShell's Out-File, Notepad's "Unicode") write UTF-16, which puts a NUL
# between the marker's letters in both byte orders.
UTF16_MARKER = "\0".join(MARKER).encode("ascii")


def base64_payloads(raw: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield (offset of the encoded value, decoded bytes) around each encoded-marker hit."""
    seen: set[tuple[int, int]] = set()
    for marker in BASE64_MARKERS:
        i = raw.find(marker)
        while i >= 0:
            a = i
            lo = max(0, i - _B64_SPAN_LIMIT)
            while a > lo and raw[a - 1] in _B64_CHARS:
                a -= 1
            b = i + len(marker)
            hi = min(len(raw), b + _B64_SPAN_LIMIT)
            while b < hi and raw[b] in _B64_CHARS:
                b += 1
            if (a, b) not in seen:
                seen.add((a, b))
                token = raw[a:b].replace(b"\n", b"").replace(b"\r", b"")
                alt = b"-_" if (b"-" in token or b"_" in token) else None
                # The value may be preceded by text that happens to be base64 letters
                # ("data:"), so try every 4-character alignment.
                for shift in range(4):
                    part = token[shift:]
                    if len(part) % 4 == 1:  # a lone trailing character encodes no byte
                        part = part[:-1]
                    padded = part + b"=" * (-len(part) % 4)
                    try:
                        yield a, base64.b64decode(padded, altchars=alt, validate=False)
                    except (binascii.Error, ValueError):
                        continue
            i = raw.find(marker, i + 1)


_B64_LINE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def wrapped_block(raw: bytes) -> bytes | None:
    """A file that is wrapped base64 (`base64 .env` wraps at 76 columns), joined into one line.

    The encoded marker straddles a line break in about one wrapped file in eight, where the
    literal search cannot see it; only the leading block of full-width lines is joined.
    """
    width = wrapped_base64_width(raw)
    if not width:
        return None
    lines = raw[: 1 << 20].split(b"\n")
    block = []
    for line in lines:
        line = line.rstrip(b"\r")
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
