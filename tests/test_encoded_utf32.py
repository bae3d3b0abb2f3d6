"""Keys in UTF-32 text (either byte order, with or without a BOM) for every rule: found once, as
`utf-32`, at the line and column of the decoded text, and exactly the keys of the same text plain."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.encoded import UTF16_NEEDLES, UTF32_NEEDLES, utf32_texts
from keylatch.engine import scan_chunk, scan_text
from keylatch.model import Chunk
from keylatch.prefilter import KEYWORDS, may_hold_key
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import ALL_KINDS, make_key
from tests.helpers.spellings import UTF32

_EVIDENCE = "AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\n"


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("order", sorted(UTF32))
def test_every_rule_is_found_once_in_utf32(kind: str, order: str) -> None:
    key = make_key(kind, 5)
    data = UTF32[order](f"{_EVIDENCE}OPENAI_API_KEY={key}\n")
    # Once: not again through the UTF-16 decoder (no UTF-16 needle is inside UTF-32 text).
    found = [(f.secret.value, f.encoding, f.location.line, f.location.column) for f in scan_chunk(Chunk(data, "p"))]
    assert found == [(key, "utf-32", 2, 16)]
    assert may_hold_key(data)  # the hook's and scan's gate lets it through


@pytest.mark.parametrize("order", sorted(UTF32))
def test_the_column_and_span_are_those_of_the_key_as_written(order: str) -> None:
    key = make_key("sk-proj-", 12)
    text = f"$env:OPENAI_API_KEY = '{key}'\r\n"
    data = UTF32[order](text)
    (f,) = scan_chunk(Chunk(data, "profile.ps1"))
    # A BOM is no character of the first line.
    assert (f.location.line, f.location.column, f.encoding) == (1, text.index(key) + 1, "utf-32")
    bom = 4 if order.endswith("bom") else 0
    assert f.span == (bom + 4 * text.index(key), bom + 4 * (text.index(key) + len(key)))
    assert data[f.span[0] : f.span[1]].decode(f"utf-32-{order[:2]}") == key


def test_utf16_and_utf32_needles_never_hold_one_another() -> None:
    assert not any(a in b or b in a for a in UTF16_NEEDLES for b in UTF32_NEEDLES)
    assert set(UTF32_NEEDLES) <= set(KEYWORDS)


@pytest.mark.parametrize("order", ["le", "be"])
def test_a_utf32_text_inside_other_bytes_is_decoded_at_the_needles_alignment(order: str) -> None:
    key = make_key("sk-svcacct-", 3)
    for lead in range(8):  # a block of a larger file starts anywhere
        data = b"\1" * lead + UTF32[order](f"k={key}\n")
        assert [f.secret.value for f in scan_chunk(Chunk(data, "blob"))] == [key], lead


def test_characters_past_latin1_decode_in_either_byte_order() -> None:
    text = "# \u20ac\U0001f511 clé\nk=x\n"
    for order, codec in (("le", "utf-32-le"), ("be", "utf-32-be")):
        data = UTF32[order](text)
        ((_, decoded),) = utf32_texts(data, data.find("k".encode(codec)) + (3 if order == "be" else 0))
        assert decoded == text


def test_a_damaged_or_placeholder_key_in_utf32_stays_clean() -> None:
    key = make_key("sk-proj-", 7)
    for text in (f"k={key[:-8]}\n", "k=sk-proj-XXXXXXXXXXXXXXXXXXXXT3BlbkFJXXXXXXXXXXXXXXXXXXXX\n"):
        for render in UTF32.values():
            assert scan_chunk(Chunk(render(text), "p")) == []


_EXAMPLES = sorted(
    {e.text for r in DEFAULT_RULES for e in r.examples} | {c for r in DEFAULT_RULES for c in r.counterexamples}
)
# Any text around an example, but not a leading BOM character, which a UTF-32 file's BOM is, and
# no lone surrogate, which no UTF-32 file can hold (the encoder refuses it; utf-8 has none either).
_NOISE = st.text(st.characters(blacklist_characters="\ufeff", codec="utf-8"), max_size=40)


def _plain(text: str) -> list[tuple[str, str, int, int]]:
    """What the plain scan finds as written (the UTF-32 path decodes text, not its base64 or escapes)."""
    return [(f.rule_id, f.secret.value, f.location.line, f.location.column) for f in scan_text(text) if not f.encoding]


@settings(max_examples=60, deadline=None)  # a scan under a loaded machine's scheduler
@given(example=st.sampled_from(_EXAMPLES), left=_NOISE, right=_NOISE, order=st.sampled_from(sorted(UTF32)))
def test_utf32_text_finds_the_keys_of_the_same_text_plain(example: str, left: str, right: str, order: str) -> None:
    text = left + example + right
    found = scan_chunk(Chunk(UTF32[order](text), "x"))
    assert {f.encoding for f in found} <= {"utf-32"}
    assert [(f.rule_id, f.secret.value, f.location.line, f.location.column) for f in found] == _plain(text)
