"""ChatGPT / Codex OAuth access tokens written encoded (rules/oauth.py, engine/decoders.py): inside
a base64 value (a Kubernetes Secret holding auth.json) and with escapes inside them, found whole
with the plain token's fingerprint; other issuers' tokens, cut tokens and what merely follows a
token stay as they were."""

from __future__ import annotations

import base64
import json
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_text
from keylatch.rules.oauth import auth_json
from keylatch.rules.synthetic import DECOY_JWT_KINDS, make_key
from tests.helpers.spellings import ESCAPES

ACCESS, REFRESH = "openai-oauth-access-token", "openai-oauth-refresh-token"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _secret(token: str, seed: int) -> str:
    """A Kubernetes Secret holding auth.json, its value on one line."""
    aj = auth_json(token, make_key("openai-refresh-token", seed), make_key("jwt-openai-id-token", seed))
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: codex\ndata:\n  auth.json: {_b64(aj)}\n"


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32), expired=st.booleans())
def test_auth_json_in_a_kubernetes_secret_yields_its_tokens_with_their_fingerprints(seed: int, expired: bool) -> None:
    token = make_key("openai-access-token-expired" if expired else "openai-access-token", seed=seed)
    text = _secret(token, seed)
    found = {(f.rule_id, f.encoding): f for f in scan_text(text)}
    assert set(found) == {(ACCESS, "base64"), (REFRESH, "base64")}
    (plain,) = scan_text(f"t={token}\n")
    access = found[ACCESS, "base64"]
    assert access.secret.fingerprint == plain.secret.fingerprint and access.severity == plain.severity
    assert access.span[0] == text.index("auth.json: ") + len("auth.json: ")


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), width=st.integers(40, 120), indent=st.sampled_from(["  ", "    ", "\t"]))
def test_a_wrapped_and_indented_base64_value_yields_the_token(seed: int, width: int, indent: str) -> None:
    token = make_key("openai-access-token", seed=seed)
    lines = textwrap.wrap(_b64(f'{{"access_token": "{token}"}}'), width)
    # The gate (the keyword's base64 spelling) may straddle a line break: one of its halves does not.
    text = "data:\n  token: |\n" + "".join(f"{indent}{line}\n" for line in lines)
    assert [(f.rule_id, f.secret.value) for f in scan_text(text)] == [(ACCESS, token)]


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), style=st.sampled_from(sorted(ESCAPES)), where=st.integers(0, 10_000))
def test_an_escape_anywhere_yields_the_whole_token(seed: int, style: str, where: int) -> None:
    token = make_key("openai-access-token", seed=seed)
    # Inside the keyword `eyJhbGciOi` too: the half it leaves whole gates the decoder.
    i = where % len(token)
    text = f'{{"access_token": "{token[:i]}{ESCAPES[style](token[i])}{token[i + 1 :]}"}}\n'
    (hit,) = scan_text(text)
    assert (hit.rule_id, hit.secret.value, hit.encoding) == (ACCESS, token, "escaped")
    assert hit.span[0] == text.index('"', 16) + 1


@pytest.mark.parametrize("style", sorted(ESCAPES))
def test_every_dot_escaped_as_a_json_writer_may_write_it(style: str) -> None:
    token = make_key("openai-access-token", seed=5)
    text = f'"access_token": "{token.replace(".", ESCAPES[style]("."))}",\n'
    (hit,) = scan_text(text)
    assert (hit.secret.value, hit.encoding) == (token, "escaped")


@pytest.mark.parametrize("kind", DECOY_JWT_KINDS)
@pytest.mark.parametrize("how", ["base64", "escaped"])
def test_other_issuers_tokens_encoded_stay_clean(kind: str, how: str) -> None:
    token = make_key(kind, seed=9)
    if how == "base64":
        value = _b64(json.dumps({"access_token": token, "id_token": token}))
        text = f"data:\n  auth.json: {value}\n"
    else:
        text = f'{{"access_token": "{token.replace(".", "%2E")}"}}\n'
    assert scan_text(text) == []


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), cut=st.integers(1, 400), style=st.sampled_from(sorted(ESCAPES)))
def test_a_cut_token_escaped_or_encoded_is_not_reported(seed: int, cut: int, style: str) -> None:
    head, payload, sig = make_key("openai-access-token", seed=seed).split(".")
    # Cut in the payload (no longer JSON) or in the signature (too short to be one), as in plain text.
    for token in (f"{head}.{payload[: min(cut, len(payload) - 1)]}", f"{head}.{payload}.{sig[: min(cut, 42)]}"):
        escaped = token.replace(".", ESCAPES[style]("."))
        assert scan_text(f'"t": "{escaped}"\n') == []
        assert scan_text(f"data:\n  t: {_b64(token)}\n") == []


@pytest.mark.parametrize("after", ["%22", "\\u0022", "%26next=1", "&amp;x=1", "&#34;", "\\n", "%20"])
def test_what_follows_a_token_and_is_no_token_character_leaves_it_reported_plain(after: str) -> None:
    token = make_key("openai-access-token", seed=4)
    (hit,) = scan_text(f"t={token}{after}\n")
    assert (hit.secret.value, hit.encoding) == (token, "")


JOINS = {
    "python-adjacent-lines": lambda a, b: f'TOKEN = (\n    "{a}"\n    "{b}"\n)\n',
    "js-plus-newline": lambda a, b: f'const token = "{a}" +\n  "{b}";\n',
    "shell-continuation": lambda a, b: f'export CODEX_TOKEN="{a}"\\\n"{b}"\n',
    "php-dot": lambda a, b: f"$t = '{a}' . '{b}';\n",
}


@pytest.mark.parametrize("kind", ["openai-access-token", "openai-access-token-expired"])
@pytest.mark.parametrize("style", list(JOINS))
@settings(max_examples=25, deadline=None)
@given(cut=st.integers(min_value=1, max_value=2000), tail=st.sampled_from(["", "Zm9v", "abc-_", "eyJ"]))
def test_a_token_split_across_literals_is_found_whole(kind: str, style: str, cut: int, tail: str) -> None:
    """Cut anywhere (in the header, the payload, the signature, at a dot), joined over lines,
    with or without another literal joined after it: one finding, the plain token's fingerprint."""
    token = make_key(kind, 7)
    cut = min(cut, len(token) - 1)
    text = JOINS[style](token[:cut], token[cut:])
    if tail:
        text = text.replace(f'"{token[cut:]}"', f'"{token[cut:]}" + "{tail}"')
    found = scan_text(text)
    assert [(f.rule_id, f.secret.value) for f in found] == [(ACCESS, token)]


@pytest.mark.parametrize("other", DECOY_JWT_KINDS)
def test_other_tokens_split_across_literals_stay_unreported(other: str) -> None:
    token = make_key(other, 8)
    assert scan_text(f'const t = "{token[:50]}" +\n  "{token[50:]}";\n') == []
