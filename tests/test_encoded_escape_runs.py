"""Keys written wholly as escapes (`\\u0073\\u006b...` in JSON, `\\x73\\x6b...` in C or Python):
every rule's key is found, labelled `escaped`, at its first escaped character, whatever the hex
case; an escaped text finds the keys of the text plain, and escapes that spell no key stay clean."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_chunk, scan_text
from keylatch.model import Chunk
from keylatch.prefilter import may_hold_key
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import ALL_KINDS, make_key
from tests.helpers.spellings import EVIDENCE

STYLES: dict[str, Callable[[str], str]] = {
    "json-u": lambda t: "".join(f"\\u{ord(c):04x}" for c in t),
    "json-U": lambda t: "".join(f"\\u{ord(c):04X}" for c in t),
    "hex-x": lambda t: "".join(f"\\x{ord(c):02x}" for c in t),
    "hex-X": lambda t: "".join(f"\\x{ord(c):02X}" for c in t),
}


def _name(kind: str) -> str:
    return "AZURE_OPENAI_API_KEY" if kind == "azure-classic" else "OPENAI_API_KEY"


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_key_wholly_escaped_is_found_at_its_first_escape(kind: str, style: str) -> None:
    key = make_key(kind, 11)
    head = f'{_name(kind)} = "'
    text = f'{EVIDENCE}{head}{STYLES[style](key)}"\n'
    found = [(f.secret.value, f.encoding, f.location.line, f.location.column) for f in scan_text(text)]
    assert found == [(key, "escaped", text.count("\n"), len(head) + 1)]
    assert [f.secret.value for f in scan_chunk(Chunk(text.encode(), "x"))] == [key]
    assert may_hold_key(text.encode())


@pytest.mark.parametrize("kind", ["sk-proj-", "azure", "whsec_", "openai-access-token"])
@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_whole_line_escaped_or_a_key_escaped_after_its_prefix_is_found(kind: str, style: str) -> None:
    key = make_key(kind, 12)
    line = f"{_name(kind)}={key}"
    (f,) = scan_text(f'{EVIDENCE}s = "{STYLES[style](line)}"\n')
    width = len(STYLES[style]("k"))  # characters an escape takes: 6 or 4
    first = len('s = "') + (len(line) - len(key)) * width + 1  # the key's first escape
    assert (f.secret.value, f.encoding, f.location.column) == (key, "escaped", first)
    cut = key.index("-", 3) + 1 if key.startswith("sk-") else 6
    (g,) = scan_text(f'{EVIDENCE}k = "{key[:cut]}{STYLES[style](key[cut:])}"\n')
    assert (g.secret.value, g.encoding) == (key, "escaped")


def test_escapes_that_spell_no_key_stay_clean() -> None:
    key = make_key("sk-proj-", 13)
    for style in STYLES.values():
        for text in (style(key[:-7]), style("T3BlbkFJ") * 40, style(key.replace("T3BlbkFJ", "T3BlbkFX"))):
            assert scan_text(f'k = "{text}"\n') == []


def test_the_same_key_plain_and_wholly_escaped_is_reported_at_both_places() -> None:
    key = make_key("sk-svcacct-", 14)
    text = f'a = "{key}"\nb = "{STYLES["json-u"](key)}"\n'
    assert [(f.location.line, f.encoding) for f in scan_text(text)] == [(1, ""), (2, "escaped")]


_EXAMPLES = sorted({e.text for r in DEFAULT_RULES for e in r.examples})


@settings(max_examples=60, deadline=None)  # a scan under a loaded machine's scheduler
@given(example=st.sampled_from(_EXAMPLES), style=st.sampled_from(sorted(STYLES)))
def test_an_escaped_text_finds_the_keys_of_the_text(example: str, style: str) -> None:
    """Every ASCII character escaped (line breaks kept, as a string literal per line would):
    the keys are those of the text as written."""
    escaped = "\n".join(STYLES[style](line) for line in example.split("\n"))
    plain = {f.secret.value for f in scan_text(example) if not f.encoding}
    found = scan_chunk(Chunk(escaped.encode("utf-8"), "x"))
    assert {f.encoding for f in found} <= {"escaped"}
    assert {f.secret.value for f in found} == plain
