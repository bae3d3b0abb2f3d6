"""A key split into string literals joined by what the language or format writes between them:
commas (Rust's `concat!`, C#'s `string.Concat`, `[...].join("")`), SQL's `||`, a PowerShell
backtick continuation, shell's mixed quotes, end-of-line comments, a notebook's JSON-escaped
source lines, and mail's quoted-printable soft line breaks (QA round 4, corpus19). Found once,
labelled `joined`, where the first literal starts, by every command."""

from __future__ import annotations

import json
import quopri

import pytest

from keylatch.engine import scan_chunk, scan_text
from keylatch.model import Chunk
from keylatch.rules.synthetic import make_key
from tests.helpers.damaged import MakeRepo
from tests.helpers.every_command import assert_each_found_exactly, run_every_command
from tests.helpers.run import RunKeylatch

_EVIDENCE = "AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\n"

# {a} and {b}: the key's two parts, as each language or format writes a split literal.
TEMPLATES = {
    "rust-concat": 'const KEY: &str = concat!("{a}", "{b}");\n',
    "csharp-concat": 'var key = string.Concat("{a}",\n    "{b}");\n',
    "js-array-join": "const key = ['{a}', '{b}'].join('');\n",
    "sql-concat": "UPDATE secrets SET value = '{a}' || '{b}' WHERE name = 'openai';\n",
    "powershell-backtick": '$key = "{a}" + `\n       "{b}"\n',
    "shell-mixed-quotes": "export OPENAI_API_KEY=\"{a}\"'{b}'\n",
    "python-comments": 'KEY = (\n    "{a}"  # first half\n    "{b}"  # second half\n)\n',
    "js-line-comment": 'const key = "{a}" + // first\n  "{b}";\n',
    "kotlin-leading-plus": 'val key = "{a}"\n    + "{b}"\n',
}
KINDS = ("sk-proj-", "sk-", "sk-admin-", "azure")


def _cuts(key: str) -> tuple[int, ...]:
    """Inside the prefix, the keyword, and the tail."""
    word = "T3BlbkFJ" if "T3BlbkFJ" in key else "JQQJ99"
    return (3, key.index(word) + 3, len(key) - 5)


@pytest.mark.parametrize("style", sorted(TEMPLATES))
@pytest.mark.parametrize("kind", KINDS)
def test_a_key_split_across_literals_is_joined(style: str, kind: str) -> None:
    key = make_key(kind, 40)
    for cut in _cuts(key):
        text = TEMPLATES[style].format(a=key[:cut], b=key[cut:])
        found = [(f.secret.value, f.encoding, f.location.line, f.location.column) for f in scan_text(text)]
        assert found == [(key, "joined", 1 + text[: text.index(key[:cut])].count("\n"), _column(text, key[:cut]))]
        assert [f.secret.value for f in scan_chunk(Chunk(text.encode(), "k.src"))] == [key]


def _column(text: str, part: str) -> int:
    at = text.index(part)
    return at - text.rfind("\n", 0, at)


def _notebook(*lines: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": list(lines), "outputs": []}]}, indent=1)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_key_split_over_a_notebooks_source_lines_is_joined(kind: str, quote: str) -> None:
    key = make_key(kind, 41)
    for cut in _cuts(key):
        a, b = key[:cut], key[cut:]
        # One list item per source line (nbformat), and one string holding the cell whole.
        for text in (
            _notebook("key = (\n", f"    {quote}{a}{quote}\n", f"    {quote}{b}{quote}\n", ")\n"),
            _notebook(f"key = ({quote}{a}{quote}\n       {quote}{b}{quote})\n"),
        ):
            assert [(f.secret.value, f.encoding) for f in scan_text(text)] == [(key, "joined")]


# The self-identifying keys: an Azure key's name test needs `=`, which mail writes `=3D`.
@pytest.mark.parametrize("kind", ["sk-proj-", "sk-", "sk-admin-"])
@pytest.mark.parametrize("lead", range(0, 76, 5))
def test_a_key_in_quoted_printable_mail_is_joined_over_its_soft_line_breaks(kind: str, lead: int) -> None:
    key = make_key(kind, 42)
    body = quopri.encodestring(f"{'x' * lead} OPENAI_API_KEY={key} thanks\n".encode()).decode()
    text = "Content-Transfer-Encoding: quoted-printable\n\n" + body
    assert {f.secret.value for f in scan_text(text)} == {key}


def test_a_whsec_value_ending_a_short_line_is_not_taken_for_a_soft_break() -> None:
    key = make_key("whsec_", 43)
    assert key.endswith("=")
    text = f"{_EVIDENCE}OPENAI_WEBHOOK_SECRET={key}\nother=1\n"
    assert [(f.secret.value, f.encoding) for f in scan_text(text)] == [(key, "")]


@pytest.mark.parametrize("style", sorted(TEMPLATES))
def test_parts_that_are_not_one_key_stay_clean(style: str) -> None:
    key, other = make_key("sk-proj-", 44), make_key("sk-proj-", 45)
    cut = key.index("T3BlbkFJ") + 3
    for a, b in (
        (key[:cut], key[cut:-4]),  # truncated
        (key[:cut], other[cut:]),  # halves of two keys
        (key[:cut], "suffix"),
    ):
        assert scan_text(TEMPLATES[style].format(a=a, b=b)) == [], (a, b)


def test_lists_of_hex_ids_beside_azure_evidence_are_not_joined_into_a_key() -> None:
    ids = [make_key("azure-classic", s)[:16] for s in range(46, 50)]
    for text in (
        _EVIDENCE + f'trace_ids = ["{ids[0]}", "{ids[1]}"]\n',
        _EVIDENCE + f"SELECT '{ids[2]}' || '{ids[3]}';\n",
        _EVIDENCE + json.dumps({"runs": ids}, indent=2),
    ):
        assert scan_text(text) == [], text


def test_every_command_finds_the_new_joins(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    keys = [make_key("sk-proj-", s) for s in range(50, 54)]
    files = {
        "src/lib.rs": TEMPLATES["rust-concat"].format(a=keys[0][:60], b=keys[0][60:]),
        "db/seed.sql": TEMPLATES["sql-concat"].format(a=keys[1][:30], b=keys[1][30:]),
        "nb/demo.ipynb": _notebook("key = (\n", f'    "{keys[2][:50]}"\n', f'    "{keys[2][50:]}"\n', ")\n"),
        "mail/leak.eml": "Content-Transfer-Encoding: quoted-printable\n\n"
        + quopri.encodestring(f"here: {keys[3]}\n".encode()).decode(),
    }
    runs = run_every_command(keylatch, make_repo(), files)
    assert_each_found_exactly(runs, keys)
