"""The engine's literal prefilter, importable without the rules: can these bytes hold a key?

`engine.scan` with the default rules finds nothing in data that contains none of these bytes:
every rule needs one of its keywords, base64 decoding starts only at an encoded marker, and
UTF-16 decoding only at the marker with NULs between its letters; a file that is wrapped base64
(its first line 60-120 base64 characters) is always passed on. The pre-commit hook checks this first, so a clean
commit never pays for importing and compiling the rules (about half of the hook's startup).
tests/test_prefilter.py proves the list equals `keylatch.rules.needles()` (the rules' keywords plus
engine.BASE64_MARKERS and the UTF-16 marker), and that whatever the engine finds passes this test.
Custom rule sets must not use this shortcut.
"""

from __future__ import annotations

from collections.abc import Iterable

KEYWORDS: tuple[bytes, ...] = (
    b"T3BlbkFJ",  # OpenAI keys: base64("OpenAI")
    b"JQQJ99",  # Azure OpenAI 84-character keys
    b"zure", b"ZURE",  # Azure OpenAI classic keys need Azure (or AZURE) context
    b"sess-",
    b"whsec_",
    b"eyJhbGciOi",  # a JWT header (ChatGPT / Codex OAuth tokens)
    # engine.BASE64_MARKERS: the marker inside a base64-encoded value, at each alignment
    b"VDNCbGJrRk", b"QzQmxia0ZK", b"UM0JsYmtGS",
    # encoded.UTF16_NEEDLES: every keyword as UTF-16 (either byte order) writes it
    b"T\0" b"3\0" b"B\0" b"l\0" b"b\0" b"k\0" b"F\0" b"J",
    b"J\0" b"Q\0" b"Q\0" b"J\0" b"9\0" b"9",
    b"z\0" b"u\0" b"r\0" b"e", b"Z\0" b"U\0" b"R\0" b"E",
    b"s\0" b"e\0" b"s\0" b"s\0" b"-",
    b"w\0" b"h\0" b"s\0" b"e\0" b"c\0" b"_",
    b"e\0" b"y\0" b"J\0" b"h\0" b"b\0" b"G\0" b"c\0" b"i\0" b"O\0" b"i",
)  # fmt: skip


_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def may_hold_key(data: bytes) -> bool:
    return any(k in data for k in KEYWORDS) or wrapped_base64_width(data) > 0


def wrapped_base64_width(data: bytes) -> int:
    """The line width when `data` starts as a wrapped base64 file (`base64 .env`: 76), else 0.

    Such a file's encoded marker may straddle a line break; encoded.wrapped_block joins it.
    """
    end = data.find(b"\n", 0, 130)
    first = data[:end].rstrip(b"\r") if end >= 0 else b""
    return len(first) if 60 <= len(first) <= 120 and not first.translate(None, _BASE64) else 0


def any_may_hold_key(blobs: Iterable[bytes]) -> bool:
    return any(may_hold_key(b) for b in blobs)
