"""A key in UTF-16 text is reported at the line and column of the text as an editor shows it,
whatever the byte order and whether the file starts with a BOM (a BOM is no character)."""

from __future__ import annotations

import codecs

import pytest

from keylatch.engine import scan_chunk
from keylatch.model import Chunk
from keylatch.rules.synthetic import make_key

_RENDER = {
    "le": lambda t: t.encode("utf-16-le"),
    "be": lambda t: t.encode("utf-16-be"),
    "le-bom": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "be-bom": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
}


@pytest.mark.parametrize("order", sorted(_RENDER))
@pytest.mark.parametrize("lead", ["", "# settings\n"], ids=["first line", "second line"])
def test_the_line_and_column_are_those_of_the_plain_text(order: str, lead: str) -> None:
    key = make_key("sk-proj-", 21)
    text = f"{lead}OPENAI_API_KEY = '{key}'\n"
    (plain,) = scan_chunk(Chunk(text.encode(), "settings.env"))
    (wide,) = scan_chunk(Chunk(_RENDER[order](text), "settings.env"))
    assert (wide.secret.value, wide.encoding) == (key, "utf-16")
    assert (wide.location.line, wide.location.column) == (plain.location.line, plain.location.column)
    assert plain.location.column == text.splitlines()[-1].index(key) + 1
