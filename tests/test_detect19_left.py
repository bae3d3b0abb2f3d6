"""What may stand right before a key (shape.LEFT): an ANSI colour (`ESC[32m` in a coloured log
or a notebook's traceback) and quoted-printable's `=3D` (mail) end in a letter or digit, yet
the key after them is whole (QA round 4, corpus19)."""

from __future__ import annotations

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import ALL_KINDS, make_key

_EVIDENCE = "AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\n"
_BEFORE = {
    "ansi": "\x1b[32m",
    "ansi-bold": "\x1b[1m",
    "ansi-two": "\x1b[0;32m",
    "ansi-three": "\x1b[1;33;40m",
    "ansi-json": "\\u001b[36m",
    "quoted-printable": "=3D",
}


@pytest.mark.parametrize("before", sorted(_BEFORE))
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_key_after_a_colour_or_an_encoded_equals_sign_is_found(before: str, kind: str) -> None:
    key = make_key(kind, 60)
    name = "OPENAI_WEBHOOK_SECRET" if kind == "whsec_" else "AZURE_OPENAI_API_KEY"
    sep = "" if before == "quoted-printable" else "="
    text = f"{_EVIDENCE}{name}{sep}{_BEFORE[before]}{key}\x1b[0m\n"
    assert [(f.secret.value, f.location.line) for f in scan_text(text)] == [(key, 2)]


@pytest.mark.parametrize("before", ["\x1b[32x", "[32", "A3D", "=3E", "x;32m"])
def test_a_hex_run_after_other_letters_stays_part_of_them(before: str) -> None:
    key = make_key("azure-classic", 61)
    assert scan_text(f"{_EVIDENCE}AZURE_OPENAI_API_KEY={before}{key}\n") == []
