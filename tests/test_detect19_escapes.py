"""A key written wholly in percent-encoding or HTML numeric entities (a template engine's
`<input value>`, a redirect URL's query), or percent-encoded twice over (a URL inside a URL):
decoded like the `\\u00XX` and `\\xXX` runs were, by every command (QA round 4, corpus19)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable

import pytest

from keylatch.engine import scan_chunk, scan_text
from keylatch.model import Chunk
from keylatch.prefilter import may_hold_key
from keylatch.rules.synthetic import ALL_KINDS, make_key
from tests.helpers.damaged import MakeRepo
from tests.helpers.every_command import assert_each_found_exactly, run_every_command
from tests.helpers.run import RunKeylatch

_EVIDENCE = "AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\n"

FORMS: dict[str, Callable[[str], str]] = {
    "percent-upper": lambda k: "".join(f"%{ord(c):02X}" for c in k),
    "percent-lower": lambda k: "".join(f"%{ord(c):02x}" for c in k),
    "html-decimal": lambda k: "".join(f"&#{ord(c)};" for c in k),
    "html-hex": lambda k: "".join(f"&#x{ord(c):x};" for c in k),
    "html-hex-upper": lambda k: "".join(f"&#x{ord(c):X};" for c in k),
}


def _name(kind: str) -> str:
    return "OPENAI_WEBHOOK_SECRET" if kind == "whsec_" else "AZURE_OPENAI_API_KEY"


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("kind", ALL_KINDS)
def test_a_key_escaped_whole_is_found_where_it_starts(form: str, kind: str) -> None:
    key = make_key(kind, 70)
    written = FORMS[form](key)
    text = f'{_EVIDENCE}<input name="{_name(kind)}" value="{written}">\n'
    found = [(f.secret.value, f.encoding, f.location.line, f.location.column) for f in scan_text(text)]
    assert found == [(key, "escaped", 2, text.split("\n")[1].index(written) + 1)]
    assert may_hold_key(text.encode())  # the hook's prefilter lets it through
    assert [f.secret.value for f in scan_chunk(Chunk(text.encode(), "k.html"))] == [key]


@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_damaged_or_truncated_key_escaped_whole_stays_clean(form: str) -> None:
    key = make_key("sk-proj-", 71)
    for text in (key.replace("T3BlbkFJ", "T3BlbkFj"), key[:-3], "sk-proj-" + "X" * 74 + "T3BlbkFJ" + "X" * 74):
        assert scan_text(f"<p>{FORMS[form](text)}</p>\n") == [], text


@pytest.mark.parametrize("kind", ["sk-proj-", "sk-", "sk-admin-", "sk-svcacct-"])
@pytest.mark.parametrize("times", [2, 3])
def test_a_key_percent_encoded_over_and_over_is_found(kind: str, times: int) -> None:
    key = make_key(kind, 72)
    value = "https://app.example/cb?key=" + key.replace("-", "%2D").replace("_", "%5F")
    for _ in range(times - 1):
        value = urllib.parse.quote(value, safe="")
    text = f"{_EVIDENCE}AZURE_OPENAI_API_KEY=x\nredirect=https://login.example/?next={value}\n"
    assert [(f.secret.value, f.encoding) for f in scan_text(text)] == [(key, "escaped")]


def test_every_command_finds_a_key_escaped_whole(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    keys = [make_key("sk-proj-", s) for s in range(73, 76)]
    files = {
        "web/form.html": f'<input value="{FORMS["html-decimal"](keys[0])}">\n',
        "logs/redirect.log": f"GET /cb?token={FORMS['percent-upper'](keys[1])} 302\n",
        "web/page.xml": f"<k>{FORMS['html-hex'](keys[2])}</k>\n",
    }
    runs = run_every_command(keylatch, make_repo(), files)
    assert_each_found_exactly(runs, keys)
