"""The engine's literal prefilter, importable without the rules: can these bytes hold a key?

`engine.scan` with the default rules finds nothing in data that contains none of these bytes:
every rule needs one of its keywords (engine._matches returns early otherwise) and base64
decoding starts only at an encoded marker. The pre-commit hook checks this first, so a clean
commit never pays for importing and compiling the rules (about half of the hook's startup).
tests/test_prefilter.py proves the list equals the rules' keywords plus engine.BASE64_MARKERS.
Custom rule sets must not use this shortcut.
"""

from __future__ import annotations

from collections.abc import Iterable

KEYWORDS: tuple[bytes, ...] = (
    b"T3BlbkFJ",  # OpenAI keys: base64("OpenAI")
    b"JQQJ99",  # Azure OpenAI 84-character keys
    b"azure", b"Azure", b"AZURE",  # Azure OpenAI classic keys need Azure context
    b"sess-",
    b"whsec_",
    # engine.BASE64_MARKERS: the marker inside a base64-encoded value, at each alignment
    b"VDNCbGJrRk", b"QzQmxia0ZK", b"UM0JsYmtGS",
)  # fmt: skip


def may_hold_key(data: bytes) -> bool:
    return any(k in data for k in KEYWORDS)


def any_may_hold_key(blobs: Iterable[bytes]) -> bool:
    return any(may_hold_key(b) for b in blobs)
