"""Encoded spellings of keys of every rule: base64, UTF-16, escapes, split string literals."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_chunk, scan_text
from keylatch.model import Chunk
from keylatch.rules import base64_spellings
from keylatch.rules.examples import AZURE_OPENAI_TEXTS, fill
from keylatch.rules.synthetic import ALL_KINDS, make_key
from tests.helpers.damaged import MakeRepo
from tests.helpers.every_command import assert_each_found_exactly, run_every_command
from tests.helpers.run import RunKeylatch
from tests.helpers.spellings import ESCAPES

# Evidence that the context-bound rules (Azure hex keys, sess-, whsec_) need in the file.
_EVIDENCE = "AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\n"
_NAME = "OPENAI_API_KEY"


def _env(kind: str, seed: int) -> tuple[str, str]:
    key = make_key(kind, seed)
    return key, f"{_EVIDENCE}{_NAME}={key}\n"


@pytest.mark.parametrize("kind", ALL_KINDS)
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_every_rule_is_found_in_utf16(kind: str, codec: str) -> None:
    key, env = _env(kind, 3)
    assert [(f.secret.value, f.encoding) for f in scan_chunk(Chunk(env.encode(codec), "p.ps1"))] == [(key, "utf-16")]


@pytest.mark.parametrize("kind", ALL_KINDS)
# Per rule (12 parametrizations): 360 widths and seeds in all, where 100 each cost a second.
@settings(max_examples=30, deadline=None)  # a scan under a loaded machine's scheduler
@given(width=st.integers(16, 120), seed=st.integers(0, 1000))
def test_every_rule_is_found_in_a_wrapped_base64_file_at_any_width(kind: str, width: int, seed: int) -> None:
    key, env = _env(kind, seed)
    encoded = base64.b64encode(env.encode()).decode()
    wrapped = "\n".join(encoded[i : i + width] for i in range(0, len(encoded), width)) + "\n"
    if len(wrapped.split("\n", 1)[0]) < 60:  # prefilter.wrapped_base64_width: 60-120 columns
        return
    assert {(f.secret.value, f.encoding) for f in scan_chunk(Chunk(wrapped.encode(), "env.b64"))} == {(key, "base64")}


def test_azure_hex_key_base64_encoded_in_a_kubernetes_secret_is_found() -> None:
    key = make_key("azure-classic", 7)
    value = base64.b64encode(key.encode()).decode()
    manifest = f"kind: Secret\n# {_EVIDENCE}data:\n  AZURE_OPENAI_API_KEY: {value}\n"
    (f,) = scan_text(manifest)
    assert (f.secret.value, f.encoding, f.location.line) == (key, "base64", 4)


@pytest.mark.parametrize("kind", ALL_KINDS)
# Per rule (12 parametrizations): 480 layouts in all, where 100 each cost 1.5 s.
@settings(max_examples=40, deadline=None)  # a scan under a loaded machine's scheduler
@given(
    width=st.integers(16, 120),
    indent=st.integers(0, 8),
    seed=st.integers(0, 1000),
    lead=st.sampled_from(["", "kind: Secret\ndata:\n  env: |\n", "# notes\nx = 1\n\n", "-----BEGIN X-----\n"]),
    crlf=st.booleans(),
)
def test_every_rule_is_found_in_a_wrapped_base64_value_anywhere_in_a_file(
    kind: str, width: int, indent: int, seed: int, lead: str, crlf: bool
) -> None:
    # Wherever the line breaks fall, the marker's spelling straddling one included (about one
    # wrapped value in eight), and whatever text comes before the block.
    if indent and width < 40:
        return  # an indented block's lines must be 40 characters (encoded._MIN_VALUE; docs/scan.md)
    key, env = _env(kind, seed)
    encoded = base64.b64encode(env.encode()).decode()
    nl = "\r\n" if crlf else "\n"
    lines = nl.join(" " * indent + encoded[i : i + width] for i in range(0, len(encoded), width))
    text = lead.replace("\n", nl) + lines + nl + "tail: 1" + nl
    found = {(f.secret.value, f.encoding) for f in scan_chunk(Chunk(text.encode(), "secret.yaml"))}
    assert found == {(key, "base64")}


@pytest.mark.parametrize("width", [64, 76])
@pytest.mark.parametrize(
    "decoy",
    [
        f"{_EVIDENCE}AZURE_SPEECH_KEY={make_key('azure-classic', 2)}\n",  # another service's key
        f"{_EVIDENCE}md5 = {make_key('azure-classic', 3)}\n",  # a hash
        f"API_KEY={make_key('azure-classic', 4)}\n",  # no Azure evidence
        "OPENAI_API_KEY=sk-proj-" + "X" * 74 + "T3BlbkFJ" + "X" * 74 + "\n",  # a placeholder
        f"OPENAI_API_KEY={make_key('sk-proj-', 5)[:-3]}\n",  # truncated
    ],
)
def test_decoys_inside_a_wrapped_base64_value_stay_clean(width: int, decoy: str) -> None:
    encoded = base64.b64encode(decoy.encode()).decode()
    lines = "\n".join("    " + encoded[i : i + width] for i in range(0, len(encoded), width))
    assert scan_text(f"kind: Secret\ndata:\n  env: |\n{lines}\n") == []


@pytest.mark.parametrize(
    "template",
    [
        "{ev}AZURE_OPENAI_API_KEY={k}\n",
        '{{"AzureOpenAI": {{"Endpoint": "https://c.openai.azure.com/", "Key": "{k}"}}}}\n',
        "spring.ai.azure.openai.api-key={k}\nspring.ai.azure.openai.endpoint=https://c.openai.azure.com/\n",
    ],
)
@settings(deadline=None)  # a scan under a loaded machine's scheduler
@given(seed=st.integers(0, 1000), left=st.sampled_from(["", "x", "ab"]))
def test_a_32_hex_azure_key_inside_a_base64_value_in_other_text_is_found(template: str, seed: int, left: str) -> None:
    # A base64'd .env or appsettings.json in a Secret or a JSON value: the decoded text carries
    # the key's name and the Azure evidence, as in a plain file.
    key = make_key("azure-classic", seed)
    value = base64.b64encode((left + template.format(ev=_EVIDENCE, k=key)).encode()).decode()
    text = f'{{"apiVersion": "v1", "data": {{"appsettings": "{value}"}}}}\n'
    assert {(f.secret.value, f.encoding) for f in scan_text(text)} == {(key, "base64")}


@pytest.mark.parametrize("style", sorted(ESCAPES))
@pytest.mark.parametrize("kind", ["sk-proj-", "sk-svcacct-", "sk-admin-", "azure"])
# Each escape style x key kind is a parametrization (24): 600 positions and seeds in all.
@settings(max_examples=25, deadline=None)  # a scan under a loaded machine's scheduler
@given(seed=st.integers(0, 1000), where=st.integers(0, 200))
def test_an_escaped_character_inside_a_key_is_decoded(style: str, kind: str, seed: int, where: int) -> None:
    key = make_key(kind, seed)
    i = where % len(key)  # anywhere, the keyword (`T3BlbkFJ`, `JQQJ99`) included
    written = key[:i] + ESCAPES[style](key[i]) + key[i + 1 :]
    text = f'{{"note": "x", "key": "{written}"}}\n'
    # An Azure key's tail after "\x70" can itself have the key's length: that plain reading is
    # reported too (as before), next to the decoded key.
    found = {(f.secret.value, f.encoding, f.location.column) for f in scan_text(text)}
    assert (key, "escaped", text.index(written) + 1) in found


def test_html_named_entity_inside_a_key_is_decoded() -> None:
    key = next(k for seed in range(100) if "_" in (k := make_key("sk-proj-", seed)))
    text = f"<code>{key.replace('_', '&lowbar;', 1)}</code>\n"
    (f,) = scan_text(text)
    assert (f.secret.value, f.encoding) == (key, "escaped")


@pytest.mark.parametrize(
    "template",
    [
        'key = "{a}" + "{b}"\n',
        'key = ("{a}"\n       "{b}")\n',
        "const key = '{a}' +\n  '{b}';\n",
        '$key = "{a}" . "{b}";\n',
        'export OPENAI_API_KEY="{a}\\\n{b}"\n',
    ],
)
@pytest.mark.parametrize("kind", ["sk-proj-", "sk-", "azure"])
def test_a_key_split_across_string_literals_is_joined(template: str, kind: str) -> None:
    key = make_key(kind, 4)
    cut = len(key) - 10
    text = template.format(a=key[:cut], b=key[cut:])
    (f,) = scan_text(text)
    assert (f.secret.value, f.encoding) == (key, "joined")
    assert (f.location.line, f.location.column) == (1, text.index(key[:cut]) + 1)


@pytest.mark.parametrize("kind", ["sk-proj-", "sk-", "sk-admin-", "azure"])
@pytest.mark.parametrize("style", sorted(ESCAPES))
def test_every_character_of_the_keyword_escaped_in_turn_is_decoded(kind: str, style: str) -> None:
    key = make_key(kind, 6)
    word = "T3BlbkFJ" if "T3BlbkFJ" in key else "JQQJ99"
    for i in range(key.index(word), key.index(word) + len(word)):
        text = f"key = '{key[:i]}{ESCAPES[style](key[i])}{key[i + 1 :]}'\n"
        assert [(f.secret.value, f.encoding, f.location.column) for f in scan_text(text)] == [(key, "escaped", 8)]


@pytest.mark.parametrize("kind", ["sk-proj-", "sk-", "azure"])
def test_a_key_split_across_literals_inside_its_keyword_is_joined(kind: str) -> None:
    key = make_key(kind, 7)
    word = "T3BlbkFJ" if "T3BlbkFJ" in key else "JQQJ99"
    for cut in range(key.index(word) + 1, key.index(word) + len(word)):
        text = f'key = "{key[:cut]}" + "{key[cut:]}"\n'
        assert [(f.secret.value, f.encoding) for f in scan_text(text)] == [(key, "joined")]


@pytest.mark.parametrize("style", sorted(ESCAPES))
def test_a_damaged_or_placeholder_keyword_stays_clean_when_escaped(style: str) -> None:
    key = make_key("sk-proj-", 8)
    i = key.index("T3BlbkFJ") + 2
    damaged = key[:i] + ESCAPES[style]("C") + key[i + 1 :]  # decodes to T3ClbkFJ
    placeholder = "sk-proj-" + "X" * 74 + "T3B" + ESCAPES[style]("l") + "bkFJ" + "X" * 74
    truncated = key[:i] + ESCAPES[style](key[i]) + key[i + 1 : -4]
    for text in (damaged, placeholder, truncated):
        assert scan_text(f"key = '{text}'\n") == []


_HEX_TEXTS = tuple(t for t in AZURE_OPENAI_TEXTS if "{k}" in t)


@pytest.mark.parametrize("style", sorted(ESCAPES))
@pytest.mark.parametrize("template", range(len(_HEX_TEXTS)))
# Each escape style x Azure text is a parametrization (96): 768 positions and seeds in all,
# every one of the 32 positions many times over; 100 each were 13 s, the module's two thirds.
@settings(max_examples=8, deadline=None)  # a scan under a loaded machine's scheduler
@given(seed=st.integers(0, 1000), where=st.integers(0, 31))
def test_an_escaped_32_hex_azure_key_is_found_and_another_services_stays_clean(
    style: str, template: int, seed: int, where: int
) -> None:
    key = make_key("azure-classic", seed)
    escaped = key[:where] + ESCAPES[style](key[where]) + key[where + 1 :]
    found = {(f.rule_id, f.secret.value, f.encoding) for f in scan_text(fill(_HEX_TEXTS[template], escaped, seed))}
    assert ("azure-openai-classic-key", key, "escaped") in found
    # Besides, only the plain reading of the run after an escape (`\145a6...`) when it has the
    # key's length, as before (see test_an_escaped_character_inside_a_key_is_decoded).
    assert len(found) == 1 or (len(found) == 2 and all(e == "" for _, k, e in found if k != key))
    # The other services' keys in the same file, escaped the same way, stay unreported.
    plain = fill(_HEX_TEXTS[template], key, seed)
    other = make_key("azure-classic", 1000 * seed + 1)
    text = plain.replace(other, other[:where] + ESCAPES[style](other[where]) + other[where + 1 :])
    assert {(f.secret.value, f.encoding) for f in scan_text(text)} == {(key, "")}


@pytest.mark.parametrize(
    "template", ['AZURE_OPENAI_API_KEY = "{a}" + "{b}"\n', "api_key = ('{a}'\n    '{b}')\n", 'KEY="{a}\\\n{b}"\n']
)
@settings(deadline=None)  # a scan under a loaded machine's scheduler
@given(seed=st.integers(0, 1000), cut=st.integers(1, 31))
def test_a_32_hex_azure_key_split_across_literals_is_joined(template: str, seed: int, cut: int) -> None:
    key = make_key("azure-classic", seed)
    text = _EVIDENCE + template.format(a=key[:cut], b=key[cut:])
    assert [(f.secret.value, f.encoding, f.location.line) for f in scan_text(text)] == [(key, "joined", 2)]


@pytest.mark.parametrize("style", sorted(ESCAPES))
def test_escaped_or_joined_32_hex_values_without_azure_evidence_or_named_as_others_stay_clean(style: str) -> None:
    key = make_key("azure-classic", 9)
    escaped = key[:5] + ESCAPES[style](key[5]) + key[6:]
    for text in (
        f'API_KEY="{escaped}"\n',  # no evidence
        f'{_EVIDENCE}AZURE_SPEECH_KEY="{escaped}"\n',  # another service
        f'{_EVIDENCE}md5 = "{escaped}"\n',  # a hash
        f'{_EVIDENCE}AZURE_SPEECH_KEY = "{key[:16]}" + "{key[16:]}"\n',
        f'{_EVIDENCE}api_key = "{key[:16]}" + "{key[16:-1]}"\n',  # 31 characters
    ):
        assert scan_text(text) == [], text


def test_a_truncated_key_next_to_another_literal_is_not_joined_into_a_key() -> None:
    key = make_key("sk-proj-", 4)
    assert scan_text(f'a = "{key[:-12]}" + "suffix"\n') == []


def test_the_same_key_plain_and_encoded_is_reported_at_both_places() -> None:
    key = make_key("sk-proj-", 8)
    secret = base64.b64encode(f"OPENAI_API_KEY={key}\n".encode()).decode()
    text = f"# .env\nOPENAI_API_KEY={key}\n# secret.yaml\ndata:\n  .env: {secret}\n"
    found = [(f.location.line, f.encoding) for f in scan_text(text)]
    assert found == [(2, ""), (5, "base64")]
    assert len({f.fingerprint for f in scan_text(text)}) == 1


def test_the_same_key_plain_and_escaped_is_reported_at_both_places() -> None:
    key = make_key("sk-proj-", 8)
    text = f"a={key}\nb={key.replace('-', '%2D')}\n"
    assert [(f.location.line, f.encoding) for f in scan_text(text)] == [(1, ""), (2, "escaped")]


def _straddled_secret() -> tuple[str, str]:
    """A Kubernetes Secret whose wrapped value (76 columns, mid-file) cuts the marker's spelling
    at a line break: no line holds it whole (a comment's length moves it along the value)."""
    spellings = [s.decode() for s in base64_spellings(b"T3BlbkFJ")]
    key = make_key("sk-proj-", 30)
    for pad in range(76):
        encoded = base64.b64encode(f"# {'x' * pad}\nOPENAI_API_KEY={key}\n".encode()).decode()
        lines = [encoded[i : i + 76] for i in range(0, len(encoded), 76)]
        if not any(s in line for s in spellings for line in lines):
            return key, "kind: Secret\ndata:\n  env: |\n" + "".join(f"    {line}\n" for line in lines)
    raise AssertionError("no padding puts the marker across a line break")


def test_every_command_finds_the_spellings_that_were_gaps(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """scan, staged, history and ci share the engine and the one set of needles (history's
    gate included): a marker across a wrapped line break mid-file, an escape inside the keyword,
    a 32-hex Azure key escaped, joined, or inside a base64'd .env."""
    proj, hexkey, other = make_key("sk-proj-", 31), make_key("azure-classic", 32), make_key("azure-classic", 33)
    straddled, secret = _straddled_secret()
    env = base64.b64encode(f"{_EVIDENCE}AZURE_OPENAI_API_KEY={other}\n".encode()).decode()
    files = {
        "k8s/secret.yaml": (secret, straddled),
        "app.js": ("const k = '" + proj.replace("T3Bl", "T\\x33Bl") + "';\n", proj),
        "azure.py": (f'{_EVIDENCE}AZURE_OPENAI_API_KEY = "{hexkey[:12]}" "{hexkey[12:]}"\n', hexkey),
        "settings.json": (f'{{"appsettings": "{env}"}}\n', other),
    }
    runs = run_every_command(keylatch, make_repo(), {path: text for path, (text, _) in files.items()})
    assert_each_found_exactly(runs, [k for _, k in files.values()])
