"""The engine's memory on documents dense with what its decoders decode, without a clock.

A keyword on every line followed by escapes (or string joins, folds) gives the escape and join
decoders a piece per escape in windows that merge into one over the whole document; they once
held a record per piece (~130x the input: 3.3 MB of `whsec_a%2Fa%2F...` took 490 MB RSS). The
peak of Python's allocations during `scan_chunk` (tracemalloc: deterministic, unlike RSS or
time) must stay a small multiple of the input for every spelling the decoders accept and every
kind of keyword window, and the one key planted in the dense document must still be found.
"""

from __future__ import annotations

import functools
import tracemalloc
from collections.abc import Callable

import pytest

from keylatch.engine import scan_chunk, scan_text
from keylatch.model import Chunk, Finding
from keylatch.rules.synthetic import make_key
from tests.helpers.spellings import ESCAPES

# Peak allocations / input size: ~8-15x measured (the view, its segments in arrays, and the
# plain and view scans' windows); ~60-170x before t-escmem (bench/README.md).
BOUND = 20
# 24 KiB: the peak is linear in the input (13.1x at 48 KiB, 13.5x at 24 KiB, 13.7x at 16 KiB for
# the worst case), so the per-piece records of old (45-125x) still fail every case; tracemalloc
# slows each allocation, and the traced scans cost half (1.9 -> 1.0 s CPU). 24 KiB lies on the same
# side as 48 KiB of every size the engine and decoders branch on (the 4 KiB base64 overlap, the
# owner rules' 6,000-byte block, OAuth's 16 KiB part, the 64 KiB base64 span), so each case still
# takes the path it took at 48 KiB: one window merged over the whole document.
SIZE = 24 << 10
OPENAI = "# openai\n"
AZURE = "AZURE_OPENAI_ENDPOINT=https://contoso.openai.azure.com/\n"

SPELL: dict[str, Callable[[str], str]] = {
    **ESCAPES,
    "json-slash": lambda c: "\\" + c,  # `\/` only: the key below is given a `/` to escape
    "html-named": lambda c: "&sol;" if c == "/" else c,  # `&sol;` only: the same
}
# A keyword of each kind of window: (make_key kind, the keyword that opens the window).
KEYWORDS = {
    "whsec_": "whsec_",
    "sess-": "sess-",
    "ek_": "ek_",
    "sk-proj-": "T3BlbkFJ",
    "azure": "JQQJ99",
}


def _key(kind: str, char: str | None) -> tuple[str, int]:
    """A key of `kind` and a place past its keyword: of `char` (a seed whose key has one), or
    any."""
    for seed in range(400):
        key = make_key(kind, seed)
        after = key.index(KEYWORDS[kind]) + len(KEYWORDS[kind])
        at = key.find(char, after) if char else after + 3
        if at >= 0:
            return key, at
    raise AssertionError(f"no {kind} key holds {char!r}")


def _dense(line: str, head: str, planted: str) -> bytes:
    """`line` repeated to SIZE after `head`, then the planted key's line(s)."""
    body = head + line * (SIZE // len(line) + 1)
    return (body[:SIZE] + "\n" + planted).encode()


def _escaped(style: str, kind: str, head: str = OPENAI, line: str = "") -> tuple[bytes, str, str]:
    """Lines of `kind`'s keyword and 12 escapes in `style`; a key of `kind` with one escaped."""
    spell = SPELL[style]
    char = "/" if style in ("json-slash", "html-named") else None
    key, at = _key(kind, char)
    written = key[:at] + spell(key[at]) + key[at + 1 :]
    line = line or KEYWORDS[kind] + ("a" + spell(char or "A")) * 12 + "\n"
    return _dense(line, head, f'secret = "{written}"\n'), key, "escaped"


def _joined(template: str, line: str, head: str = OPENAI, kind: str = "whsec_") -> tuple[bytes, str, str]:
    """Dense `line`s, then a key of `kind` cut in two by `template`."""
    key = make_key(kind, 5)
    cut = len(key) - 9
    return _dense(line, head, template.format(a=key[:cut], b=key[cut:])), key, "joined"


_WHOLLY_ESCAPED = "".join(f"\\x{ord(c):02x}" for c in "whsec_")
CASES: dict[str, Callable[[], tuple[bytes, str, str]]] = {
    # Every escape spelling next to one keyword, then one spelling next to every keyword.
    **{f"{style}-whsec_": functools.partial(_escaped, style, "whsec_") for style in SPELL},
    **{f"percent-{kind}": functools.partial(_escaped, "percent", kind) for kind in KEYWORDS if kind != "whsec_"},
    "json-slash-dense": lambda: _escaped("json-slash", "whsec_", line="whsec_\\/"),
    "join-adjacent": lambda: _joined('secret = "{a}" "{b}"\n', '"whsec_' + 'a" "' * 12 + "\n"),
    "join-plus": lambda: _joined('secret = "{a}" + "{b}"\n', '"whsec_' + 'a" + "' * 12 + "\n"),
    "join-backslash-newline": lambda: _joined('secret = "{a}\\\n  {b}"\n', "whsec_" + "a\\\n  " * 12 + "\n"),
    "yaml-fold": lambda: _joined("secret: >-\n  {a}\n  {b}\n", "k: >-\n  whsec_ab\n  cd\n  ef\n"),
    # A JWT header's window reaches a token's length past it (Rule.key_reach).
    "join-jwt-window": lambda: _joined('secret = "{a}" + "{b}"\n', '"eyJhbGciOi' + 'a" + "' * 12 + "\n"),
    # Azure OpenAI evidence, or a keyword wholly escaped: the whole document is decoded.
    "percent-whole-document": lambda: _escaped("percent", "whsec_", AZURE + OPENAI, "%41" * 20 + "\n"),
    "join-whole-document": lambda: _joined('secret = "{a}" "{b}"\n', '"a" "' * 20 + "\n", AZURE + OPENAI),
    "hex-x-whole-document": lambda: _escaped("hex-x", "whsec_", OPENAI + _WHOLLY_ESCAPED + "\n", "\\x41" * 20 + "\n"),
}


def _peak(scan: Callable[[], list[Finding]]) -> tuple[list[Finding], int]:
    tracemalloc.start()
    try:
        return scan(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("case", sorted(CASES))
def test_memory_stays_a_small_multiple_of_a_dense_escape_input(case: str) -> None:
    data, key, label = CASES[case]()
    line = data[: data.rindex(key[:6].encode())].count(b"\n") + 1  # the planted key's first
    # Warm: rules built on first use and the HTML entity table are not the document's cost.
    scan_chunk(Chunk(data[-4096:], "warm"))
    findings, peak = _peak(lambda: scan_chunk(Chunk(data, "dense.txt")))
    assert [(f.secret.value, f.encoding, f.location.line) for f in findings] == [(key, label, line)]
    assert peak < BOUND * len(data), f"{peak / len(data):.1f}x the input"


# The detect-secrets adapter and the audit scan text (`scan_text`): a str document.
@pytest.mark.parametrize("case", ["percent-whsec_", "join-plus", "hex-x-whole-document"])
def test_memory_of_a_dense_escape_text_scanned_as_str(case: str) -> None:
    data, key, label = CASES[case]()
    text = data.decode("ascii")
    scan_text(text[-4096:])
    findings, peak = _peak(lambda: scan_text(text))
    assert [(f.secret.value, f.encoding) for f in findings] == [(key, label)]
    assert peak < BOUND * len(text), f"{peak / len(text):.1f}x the input"
