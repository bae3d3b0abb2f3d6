"""ChatGPT / Codex OAuth tokens (rules/oauth.py): found whole where OpenAI issued them, with their
expiry; nothing for other issuers' JWTs, OpenAI's ID token, truncated or unsigned tokens, and
refresh tokens away from their access token."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_text
from keylatch.model import Severity
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.oauth import auth_json
from keylatch.rules.synthetic import DECOY_JWT_KINDS, EXPIRED_EXP, LIVE_EXP, make_key

ACCESS, REFRESH = "openai-oauth-access-token", "openai-oauth-refresh-token"
_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.+/=~")
noise = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]).filter(lambda c: c not in _TOKEN_CHARS and c != "\\"),
    max_size=30,
)


def _found(text: str) -> list[tuple[str, str, Severity, int | None]]:
    return [(f.rule_id, f.secret.value, f.severity, f.secret.expires) for f in scan_text(text)]


def _resigned(token: str, **claims: object) -> str:
    """`token` with its payload claims changed (and the signature kept: it is never checked)."""
    head, payload, sig = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(claims)
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{head}.{body}.{sig}"


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), left=noise, right=noise, expired=st.booleans())
def test_exact_span_severity_and_expiry(seed: int, left: str, right: str, expired: bool) -> None:
    token = make_key("openai-access-token-expired" if expired else "openai-access-token", seed=seed)
    (hit,) = scan_text(left + token + right)
    assert hit.span == (len(left), len(left) + len(token))
    assert hit.rule_id == ACCESS
    assert hit.severity == (Severity.LOW if expired else Severity.HIGH)
    assert hit.secret.expires == (EXPIRED_EXP if expired else LIVE_EXP)


@pytest.mark.parametrize("kind", DECOY_JWT_KINDS)
@pytest.mark.parametrize(
    "template",
    ["Authorization: Bearer {t}\n", '{"access_token": "{t}", "refresh_token": "{r}"}', auth_json("{t}", "{r}", "{t}")],
    ids=["header", "token-response", "auth-json"],
)
def test_other_jwts_and_their_refresh_tokens_are_not_openais(kind: str, template: str) -> None:
    refresh = make_key("openai-refresh-token", 7)
    text = template.replace("{t}", make_key(kind, seed=7)).replace("{r}", refresh)
    # OpenAI's ID token is no credential, but it names the issuer of the refresh token beside it.
    named = kind == "jwt-openai-id-token" and "{r}" in template
    assert _found(text) == ([(REFRESH, refresh, Severity.HIGH, None)] if named else [])


@pytest.mark.parametrize(
    ("claims", "found"),
    [
        ({"aud": "https://api.openai.com/v1"}, True),  # a single audience as a string
        ({"aud": ["https://api.openai.com/v1", "https://openai.openai.auth0app.com/userinfo"]}, True),
        ({"iss": "https://auth.openai.com/"}, True),
        ({"iss": "https://auth.openai.com.evil.example"}, False),
        ({"iss": None}, False),
        ({"aud": ["https://api.openai.com/v1/"]}, False),
        ({"aud": ["app_abc"]}, False),  # the ID token's audience: identity, not a credential
        ({"aud": None}, False),
        ({"exp": "soon"}, True),  # reported, without an expiry it could read
    ],
)
def test_the_issuer_and_the_api_audience_decide(claims: dict[str, object], found: bool) -> None:
    token = _resigned(make_key("openai-access-token", seed=8), **claims)
    assert [r for r, *_ in _found(f"t={token}\n")] == ([ACCESS] if found else [])


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), cut=st.integers(1, 400))
def test_a_truncated_token_is_not_reported(seed: int, cut: int) -> None:
    token = make_key("openai-access-token", seed=seed)
    head, payload, sig = token.split(".")
    # Cut in the payload (no longer JSON) or in the signature (too short to be one).
    assert _found(f"t={token[: len(head) + 1 + min(cut, len(payload) - 1)]}\n") == []
    assert _found(f"t={head}.{payload}.{sig[: min(cut, 42)]}\n") == []


def test_hostile_payloads_are_rejected_not_raised() -> None:
    head, _, sig = make_key("openai-access-token", seed=9).split(".")

    def enc(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    for raw in (b'{"a":' + b"[" * 100_000, b'{"exp":1e999}', b'{"exp":' + b"9" * 5000 + b"}", b"{\xff\xfe}"):
        assert _found(f"t={head}.{enc(raw)}.{sig}\n") == []


def test_auth_json_yields_access_and_refresh_tokens_and_not_the_id_token() -> None:
    access, refresh = make_key("openai-access-token", 10), make_key("openai-refresh-token", 10)
    text = auth_json(access, refresh, make_key("jwt-openai-id-token", 10))
    assert _found(text) == [(ACCESS, access, Severity.HIGH, LIVE_EXP), (REFRESH, refresh, Severity.HIGH, None)]


@pytest.mark.parametrize(
    "template",
    [
        '{{"openai": {{"type": "oauth", "access": "{a}", "refresh": "{r}", "expires": 1}}}}',
        "OPENAI_ACCESS_TOKEN={a}\nOPENAI_REFRESH_TOKEN={r}\n",
        "CODEX_REFRESH_TOKEN='{r}'\nCODEX_ACCESS_TOKEN='{a}'\n",
        "codex:\n  refreshToken: {r}\n  accessToken: {a}\n",
        '[{{"tokens": {{"refresh_token": "{r}", "access_token": "{a}"}}}}]',
    ],
)
def test_refresh_token_beside_its_access_token_in_other_files(template: str) -> None:
    access, refresh = make_key("openai-access-token-expired", 11), make_key("openai-refresh-token", 11)
    found = {(r, v) for r, v, *_ in _found(template.format(a=access, r=refresh))}
    assert found == {(ACCESS, access), (REFRESH, refresh)}


@pytest.mark.parametrize(
    "template",
    [
        # Another vendor's tokens in the same file, each in its own object or under its own name.
        '{{"openai": {{"access": "{a}", "refresh": "{r1}"}}, "anthropic": {{"access": "x", "refresh": "{r2}"}}}}',
        "OPENAI_ACCESS_TOKEN={a}\nOPENAI_REFRESH_TOKEN={r1}\nGOOGLE_REFRESH_TOKEN={r2}\nSLACK-REFRESH-TOKEN={r2}\n",
    ],
)
def test_another_vendors_refresh_token_in_the_same_file_is_not_openais(template: str) -> None:
    access = make_key("openai-access-token", 12)
    r1, r2 = make_key("openai-refresh-token", 12), make_key("openai-refresh-token", 13)
    found = {(r, v) for r, v, *_ in _found(template.format(a=access, r1=r1, r2=r2))}
    assert found == {(ACCESS, access), (REFRESH, r1)}


def test_refresh_token_far_from_any_openai_token_is_not_reported() -> None:
    access, refresh = make_key("openai-access-token", 14), make_key("openai-refresh-token", 14)
    assert [r for r, *_ in _found(f"a={access}\n" + "# filler\n" * 2000 + f"refresh_token={refresh}\n")] == [ACCESS]


def test_redacted_tokens_show_no_payload() -> None:
    token = make_key("openai-access-token", 15)
    (hit,) = scan_text(token)
    payload = token.split(".")[1]
    assert hit.secret.redacted == f"{token[:4]}...{token[-4:]}"
    assert not any(payload[i : i + 8] in hit.secret.redacted for i in range(len(payload) - 8))


def test_the_keyword_is_every_default_rules_needle() -> None:
    # The hook's prefilter and history's grep see the JWT header: a commit of auth.json is scanned.
    assert any(kw == "eyJhbGciOi" for r in DEFAULT_RULES for kw in r.keywords)
