"""ChatGPT / Codex OAuth tokens: access tokens for the OpenAI API audience, and their refresh tokens.

Format sources (public):
- `~/.codex/auth.json`: `OPENAI_API_KEY`, `tokens.id_token`, `tokens.access_token` (a JWT),
  `tokens.refresh_token`, `tokens.account_id`, `last_refresh` (openai/codex docs/authentication.md,
  codex-rs/login/src/token_data.rs). Other tools keep the same tokens as `access` / `refresh`.
- The access token's claims: `iss` `https://auth.openai.com`, `aud` [`https://api.openai.com/v1`],
  `client_id`, `scp`, `exp` (about ten days after `iat`), `https://api.openai.com/auth` and
  `https://api.openai.com/profile` (token_data.rs; OpenAI "Sign in with ChatGPT" docs).
- The ID token has the same issuer but the OAuth client (`app_…`) as its audience: it says who
  the user is (email, plan) and authenticates nothing, so it is not reported.
- The refresh token's format is not published (recent files hold `rt_` and an opaque string, and
  Stripe's refresh tokens start with `rt_` too): it is reported only as the `refresh_token` of the
  object (or the block of settings) that holds an OpenAI access token.

Decoded offline: the base64url JSON of the header and the payload. The signature is never checked
and the token is never sent anywhere; a token whose signature is no signature (`alg: none`, a
placeholder) is what test suites write, not a credential.
"""

from __future__ import annotations

import base64
import binascii
import html.entities
import json
import re
import time
from typing import Any

from keylatch.model import Severity
from keylatch.rules.rule import Example, Rule
from keylatch.rules.shape import left_of
from keylatch.rules.synthetic import make_key

# base64url of `{"alg":`: how every issuer, OpenAI's included, starts a JWT header.
KEYWORD = "eyJhbGciOi"
_ISSUERS = frozenset(("https://auth.openai.com", "https://auth.openai.com/"))
_AUDIENCE = "https://api.openai.com/v1"
# The shortest signature that is one: 256 bits (HS256), 43 base64url characters.
_MIN_SIGNATURE = 43
# Headers and payloads beyond this are no token (OpenAI's are about 1-3 KB): not decoded.
_MAX_PART = 1 << 14
_B64 = r"[A-Za-z0-9_-]"
# The left boundary right after the keyword: a run of the keyword repeated inside one token is
# tried once, not once per repetition (each try would read to the end of the run).
_JWT = re.compile(
    rf"(?P<key>{KEYWORD}{left_of(KEYWORD)}{_B64}*\.eyJ{_B64}+\.{_B64}+)(?!{_B64}|\.{_B64})",
)
# How far from a refresh token the token naming its issuer may be (an auth.json's ID token, 1-3
# KB, may stand between it and the access token), and how many JWTs there are decoded at most:
# the nearest few are the object's own, and the bound keeps a file of many JWTs and many
# refresh-token names linear.
_NEAR = 8192
_TRIED = 4


def _part(text: str) -> dict[str, Any] | None:
    """A JWT part decoded to a JSON object, or None."""
    if len(text) > _MAX_PART or len(text) % 4 == 1:
        return None
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    return value if isinstance(value, dict) else None


def _exp(claims: dict[str, Any]) -> int | None:
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, (int, float)) or not 0 < exp < 1 << 40:
        return None
    return int(exp)


def _openai_claims(token: str) -> dict[str, Any] | None:
    """The payload of a signed token that OpenAI's auth server issued (any audience), else None."""
    head, payload, signature = token.split(".")
    header = _part(head)
    if header is None or header.get("alg") in (None, "none") or len(signature) < _MIN_SIGNATURE:
        return None
    claims = _part(payload)
    return claims if claims is not None and claims.get("iss") in _ISSUERS else None


def _api_claims(token: str) -> dict[str, Any] | None:
    """The payload of an access token that OpenAI issued for its API, else None."""
    claims = _openai_claims(token)
    if claims is None:
        return None
    aud = claims.get("aud")
    return claims if _AUDIENCE in (aud if isinstance(aud, list) else [aud]) else None


# An escape that stands for a character a token may hold (`%2D`, `\u002e`, `&#95;`): a token
# that runs into one goes on past it, and the escape decoder reports it whole (its fingerprint is
# the decoded token's); the part before the escape is no token.
_ESCAPE = re.compile(
    r"%(?P<p>[0-9A-Fa-f]{2})|\\u(?P<u>[0-9A-Fa-f]{4})|\\x(?P<x>[0-9A-Fa-f]{2})|\\(?P<o>[0-7]{3})"
    r"|&#(?P<d>[0-9]{1,7});|&#[xX](?P<h>[0-9A-Fa-f]{1,6});|&(?P<n>[A-Za-z][A-Za-z0-9]{1,15};)"
)
_BASES = {"p": 16, "u": 16, "x": 16, "o": 8, "d": 10, "h": 16}
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def _escaped_token_char(text: str, pos: int) -> bool:
    """Whether text[pos:] starts with an escape of a character a token may hold."""
    m = _ESCAPE.match(text, pos)
    if m is None:
        return False
    group = m.lastgroup or ""
    if group == "n":
        return html.entities.html5.get(m.group("n"), "") in _TOKEN_CHARS
    code = int(m.group(group), _BASES[group])
    return code < 0x80 and chr(code) in _TOKEN_CHARS


# How far past its header an access token may end: a header and a payload of at most _MAX_PART
# each, and a signature.
_TOKEN_REACH = 3 * _MAX_PART


# The lengths a signature of each algorithm family has (base64url, unpadded): RSA by key size
# (2048, 3072, 4096 bits; issuers no longer sign with 1024), ECDSA by curve, HMAC by hash.
_SIGNATURE_LENGTHS = {"RS": (342, 512, 683), "PS": (342, 512, 683), "ES": (86, 128, 176), "HS": (43, 64, 86)}


def _whole_signature(key: str) -> str | None:
    """`key` with the signature its algorithm makes, or None where it has none whole.

    A signature longer than any its algorithm makes is cut to the longest that fits: a string
    literal joined after a whole token (`"eyJ…" + "more"`, engine/decoders.py) is not part of it.
    One shorter than all of them is a token cut short (a literal the next one continues, a
    truncated log line): no credential. An algorithm not listed keeps any signature."""
    head, _, rest = key.partition(".")
    signature = rest.partition(".")[2]
    header = _part(head)
    alg = header.get("alg") if header is not None else None
    lengths = _SIGNATURE_LENGTHS.get(alg[:2], ()) if isinstance(alg, str) else ()
    if not lengths or len(signature) in lengths:
        return key
    fits = [n for n in lengths if n < len(signature)]
    return key[: len(key) - len(signature) + max(fits)] if fits else None


def _validate_access(m: re.Match[str]) -> str | None:
    key: str | None = m.group("key")
    if _escaped_token_char(m.string, m.end("key")):
        return None
    key = _whole_signature(key) if key else None
    return key if key and _api_claims(key) is not None else None


def assess_access(key: str) -> tuple[Severity, int | None]:
    """High while the token works; low once its `exp` has passed (still reported: the same file
    usually holds the refresh token, and a leaked expired token tells whose account it was)."""
    claims = _api_claims(key)
    exp = _exp(claims) if claims is not None else None
    return (Severity.LOW if exp is not None and exp <= time.time() else Severity.HIGH), exp


def _has_openai_token(text: str, start: int, key: tuple[int, int], end: int) -> bool:
    """Whether a token from OpenAI's auth server (access or ID token) starts in text[start:end],
    among the _TRIED nearest JWTs on each side of `key`."""
    hits: list[int] = []
    i = text.rfind(KEYWORD, start, key[0])
    while i >= 0 and len(hits) < _TRIED:
        hits.append(i)
        i = text.rfind(KEYWORD, start, i)
    i = text.find(KEYWORD, key[1], end)
    while i >= 0 and len(hits) < 2 * _TRIED:
        hits.append(i)
        i = text.find(KEYWORD, i + 1, end)
    for i in hits:
        m = _JWT.match(text, i)
        if m is not None and _openai_claims(m.group("key")) is not None:
            return True
    return False


# `refresh_token`, `refreshToken`, `OPENAI_REFRESH_TOKEN`, `"refresh"` as JSON, YAML, TOML, .env or
# code writes them. A name that puts another word before `refresh` (`GOOGLE_REFRESH_TOKEN`) must
# name OpenAI, Codex or ChatGPT: a file of several vendors' tokens lists each under its own name.
# The value is taken whole (an atomic group: lookahead + backreference, which Python 3.10 reads).
_VALUE = "[A-Za-z0-9._~+/=-]"
_REFRESH = re.compile(
    r"""(?<![A-Za-z0-9_-])(?:(?i:openai|codex|chatgpt)[_.-]?)?(?i:refresh(?:[_-]?token)?)["']?\s{0,8}"""
    rf"""(?::|=>?)\s{{0,8}}["']?(?P<key>(?=(?P<v>{_VALUE}{{20,1024}}))(?P=v))(?!{_VALUE})"""
)
_RANDOM_CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"))


def _validate_refresh(m: re.Match[str]) -> str | None:
    """An opaque, random-looking value next to a token OpenAI issued, in the same object.

    The token is the access token, or the ID token (which Codex stores beside it: it names the
    issuer as surely, and is itself not reported). Same object: no brace between the value and the
    token (an auth.json's `tokens`, one entry of a pool of accounts, a block of `.env` settings),
    and at most _NEAR characters apart.
    """
    key, text = m.group("key"), m.string
    body = key.removeprefix("rt_")
    if len(body) < 24 or not all(c.search(body) for c in _RANDOM_CLASSES) or key.count(".") == 2:
        return None  # a placeholder (`rt_test_refresh_token`) or a JWT (another vendor's shape)
    start, end = m.start("key"), m.end("key")
    lo, hi = max(0, start - _NEAR), min(len(text), end + _NEAR)
    before = max(lo, text.rfind("{", lo, start) + 1, text.rfind("}", lo, start) + 1)
    after = min((i for i in (text.find("{", end, hi), text.find("}", end, hi)) if i >= 0), default=hi)
    return key if _has_openai_token(text, before, (start, end), after) else None


def _access_prefix(key: str) -> int:
    return 0  # the header is public, but four characters of it are enough to say "a JWT"


def _refresh_prefix(key: str) -> int:
    return 3 if key.startswith("rt_") else 0


def auth_json(access: str, refresh: str, id_token: str = "") -> str:
    """`~/.codex/auth.json` as Codex writes it (pretty-printed, two spaces)."""
    return (
        '{\n  "OPENAI_API_KEY": null,\n  "tokens": {\n'
        f'    "id_token": "{id_token}",\n    "access_token": "{access}",\n'
        f'    "refresh_token": "{refresh}",\n    "account_id": "acct"\n  }},\n'
        '  "last_refresh": "2025-06-01T12:00:00Z"\n}\n'
    )


_JSON_DOT = "\\u002e"  # a JSON writer that escapes every non-alphanumeric character
_OTHERS = ("jwt-google", "jwt-auth0", "jwt-azure-ad", "jwt-supabase", "jwt-firebase")


def _access_examples() -> tuple[Example, ...]:
    live, expired = make_key("openai-access-token", 1), make_key("openai-access-token-expired", 2)
    return (
        Example(f"Authorization: Bearer {live}\n", live),
        Example(f'CODEX_ACCESS_TOKEN="{make_key("openai-access-token", 4)}"\n', make_key("openai-access-token", 4)),
        Example(f"token = '{expired}'  # expired: reported, low\n", expired),
        # A Kubernetes Secret's data (base64), and escapes inside the token (its dots, a letter).
        Example(f"data:\n  token: {base64.b64encode(live.encode()).decode()}\n", live),
        Example(f'{{"access_token": "{live.replace(".", _JSON_DOT)}"}}\n', live),
        Example(f"?access_token={live.replace('.', '%2E', 1)}&x=1\n", live),
        # Split across string literals (adjacent, `+`; over line breaks in tests/rules/test_oauth.py:
        # detect-secrets reads one line at a time), and a whole token with a literal joined after
        # it: the token alone, once.
        Example(f'TOKEN = ("{live[:300]}" "{live[300:900]}" "{live[900:]}")\n', live),
        Example(f'const t = "{live[:40]}" + "{live[40:]}";\n', live),
        Example(f'auth = "Bearer " + "{live}" + "Zm9vYmFy"\n', live),
    )


def _access_counterexamples() -> tuple[str, ...]:
    live = make_key("openai-access-token", 1)
    return (
        *(
            f"Authorization: Bearer {make_key(k, 5)}\n"
            for k in (
                *_OTHERS,
                "jwt-openai-id-token",
                "jwt-k8s-openai-audience",
                "jwt-openai-alg-none",
            )
        ),
        f"token={live[: live.index('.', 11) + 40]}\n",  # cut inside the payload
        f"token={live[: live.rindex('.') + 20]}\n",  # cut inside the signature
        f"token={live.rsplit('.', 1)[0]}.sig\n",  # a placeholder signature
        f"token={live}.{live.split('.')[2]}\n",  # five parts: JWE, not this token
        "Authorization: Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...\n",
        # Other issuers' tokens base64-encoded or escaped; a token cut short, escaped.
        *(f"data:\n  token: {base64.b64encode(make_key(k, 8).encode()).decode()}\n" for k in _OTHERS),
        *(f'{{"t": "{make_key(k, 8).replace(".", _JSON_DOT)}"}}\n' for k in _OTHERS),
        f'{{"t": "{live[: live.rindex(".") + 20].replace(".", _JSON_DOT)}"}}\n',
    )  # fmt: skip


def _refresh_tokens() -> tuple[str, str]:
    """A refresh token and an ID token: a refresh token's examples name the issuer with the ID
    token, which is not reported itself (with the access token beside it, an example would
    yield two keys)."""
    return make_key("openai-refresh-token", 3), make_key("jwt-openai-id-token", 3)


def _refresh_examples() -> tuple[Example, ...]:
    rt, id_token = _refresh_tokens()
    return (
        Example(auth_json("", rt, id_token), rt),
        Example(
            f"codex:\n  id_token: {id_token}\n  refresh_token: {make_key('openai-refresh-token', 4)}\n",
            make_key("openai-refresh-token", 4),
        ),
        Example(
            f'{{"type": "oauth", "refresh": "{make_key("openai-refresh-token", 5)}", "id": "{id_token}"}}',
            make_key("openai-refresh-token", 5),
        ),
    )


def _refresh_counterexamples() -> tuple[str, ...]:
    rt, id_token = _refresh_tokens()
    live = make_key("openai-access-token", 1)
    return (
        auth_json("", rt),  # no token from OpenAI beside it
        *(auth_json("", rt, make_key(k, 6)) for k in (*_OTHERS, "jwt-openai-alg-none")),
        f"OPENAI_ID_TOKEN={id_token}\nGOOGLE_REFRESH_TOKEN={rt}\n",  # another vendor's name
        f'{{"google": {{"refresh_token": "{rt}"}}, "openai": {{"id_token": "{id_token}"}}}}',  # another object
        auth_json("", "rt_test_refresh_token_placeholder", id_token),
        auth_json("", "<refresh_token>", id_token),
        auth_json("", live, id_token).replace(live, id_token),  # a JWT as the refresh token: another shape
    )


OPENAI_OAUTH_ACCESS_TOKEN = Rule(
    id="openai-oauth-access-token",
    description="ChatGPT / Codex OAuth access token (JWT from auth.openai.com for the OpenAI API; low once expired)",
    severity=Severity.HIGH,
    keywords=(KEYWORD,),
    pattern=_JWT,
    # A token is 1-3 KB, beyond the engine's window reach: matched in the whole document, which
    # only a document holding a JWT header pays for.
    anchored=False,
    # Its keyword lies inside the token: a base64 value holding one holds the keyword's base64
    # spelling (a Kubernetes Secret of auth.json), which gates the base64 decoder.
    base64=True,
    key_reach=_TOKEN_REACH,
    make_examples=_access_examples,
    make_counterexamples=_access_counterexamples,
    references=(
        "https://github.com/openai/codex/blob/main/docs/authentication.md",
        "https://github.com/openai/codex/blob/main/codex-rs/login/src/token_data.rs",
    ),
    prefix=_access_prefix,
    validate=_validate_access,
    assess=assess_access,
)

OPENAI_OAUTH_REFRESH_TOKEN = Rule(
    id="openai-oauth-refresh-token",
    description="ChatGPT / Codex OAuth refresh token (beside a token from auth.openai.com)",
    severity=Severity.HIGH,
    keywords=(KEYWORD,),
    pattern=_REFRESH,
    anchored=False,
    make_examples=_refresh_examples,
    make_counterexamples=_refresh_counterexamples,
    references=OPENAI_OAUTH_ACCESS_TOKEN.references,
    prefix=_refresh_prefix,
    validate=_validate_refresh,
    # The value names no vendor, so the rule needs what is around it: declared as file evidence,
    # line-based callers (the detect-secrets plugin) give it the lines around the value, where
    # auth.json keeps the access token. The word itself is the evidence asked for: a lower-cased
    # literal search (about 1 GB/s) spares a document that holds a JWT but names no refresh token
    # the pattern's pass (about 40 MB/s: it cannot start with a literal).
    file_context=re.compile("refresh"),
)
