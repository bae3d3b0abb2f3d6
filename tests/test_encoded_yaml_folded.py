"""A key folded over the lines of a YAML block scalar (`key: >-`, `|`, a list item's `- >`):
found once, labelled `joined`, at its first line, wherever the fold cuts it (inside its keyword
too); lines that are not one key stay clean."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_chunk, scan_text
from keylatch.model import Chunk
from keylatch.rules.synthetic import ALL_KINDS, make_key
from tests.helpers.spellings import EVIDENCE

# (header, the body's indentation)
HEADERS = {
    "folded-strip": ("openai:\n  api_key: >-\n", "    "),
    "folded": ("api_key: >\n", "  "),
    "literal": ("api_key: |\n", "  "),
    "literal-keep": ("api_key: |+  # the key\n", "  "),
    "list-item": ("keys:\n  - >-\n", "    "),
}
# The 32-hex Azure key and `ek_` fold like the others but need their own names and evidence:
# the self-identifying kinds are the class.
_KINDS = tuple(k for k in ALL_KINDS if k not in ("azure-classic", "ek_"))


def _folded(header: str, indent: str, parts: list[str], newline: str = "\n") -> str:
    body = "".join(f"{indent}{p}{newline}" for p in parts)
    return f"{EVIDENCE}{header.replace(chr(10), newline)}{body}other: 1{newline}"


@pytest.mark.parametrize("kind", _KINDS)
@pytest.mark.parametrize("style", sorted(HEADERS))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_key_folded_in_two_is_found_at_its_first_line(kind: str, style: str, newline: str) -> None:
    key = make_key(kind, 21)
    header, indent = HEADERS[style]
    text = _folded(header, indent, [key[: len(key) // 2], key[len(key) // 2 :]], newline)
    line = text.replace("\r\n", "\n").split("\n").index(indent + key[: len(key) // 2]) + 1
    found = [(f.secret.value, f.encoding, f.location.line, f.location.column) for f in scan_text(text)]
    assert found == [(key, "joined", line, len(indent) + 1)]
    assert [f.secret.value for f in scan_chunk(Chunk(text.encode(), "k.yaml"))] == [key]


@settings(max_examples=40, deadline=None)  # a scan under a loaded machine's scheduler
@given(kind=st.sampled_from(_KINDS), cuts=st.lists(st.integers(1, 200), min_size=1, max_size=4))
def test_wherever_the_folds_cut_the_key_it_is_found(kind: str, cuts: list[int]) -> None:
    key = make_key(kind, 22)
    # A fold inside `sess-` or `whsec_` leaves no half of 4 characters whole: not gated (as joins).
    low = len(kind) if kind in ("sess-", "whsec_") else 1
    # Folds come a line apart: two inside the 8 characters of the marker would leave neither of
    # its halves whole (no gate sees the key), which no writer's line width makes.
    points: list[int] = []
    for c in sorted({c % len(key) for c in cuts if c % len(key) >= low}):
        if not points or c - points[-1] >= 8:
            points.append(c)
    parts = [key[a:b] for a, b in zip([0, *points], [*points, len(key)], strict=True)]
    (f,) = scan_text(_folded(*HEADERS["folded-strip"], parts))
    assert (f.secret.value, f.encoding) == (key, "joined" if len(parts) > 1 else "")


def test_lines_that_are_not_one_key_stay_clean() -> None:
    a, b = make_key("sk-proj-", 23), make_key("sk-proj-", 24, n=46)
    header, indent = HEADERS["folded-strip"]
    # the head of one key and the tail of a shorter one; a key cut short; the halves outside a
    # block scalar
    head = a[: a.index("T3BlbkFJ") + 8]
    assert scan_text(_folded(header, indent, [head, b[b.index("T3BlbkFJ") + 8 :]])) == []
    assert scan_text(_folded(header, indent, [a[:60], a[60:-5]])) == []
    assert scan_text(f"{EVIDENCE}api_key:\n  {a[:60]}\n  {a[60:]}\n") == []


def test_a_whole_key_in_a_block_scalar_is_found_once_as_written() -> None:
    key = make_key("sk-svcacct-", 25)
    header, indent = HEADERS["literal"]
    found = scan_text(_folded(header, indent, [key, "and a note"]))
    assert [(f.secret.value, f.encoding) for f in found] == [(key, "")]
