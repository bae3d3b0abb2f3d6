"""Synthetic keys generated from the public formats, seeded so tests and fixtures agree.

No key-shaped literal is committed anywhere in keylatch: tests, fixtures and rule examples all
call `make_key`. The values are random, never real, and never verified against any service.
"""

from __future__ import annotations

# Imported by the function that needs them: the rules import MARKER from here at every scan
# that meets a rule literal, and only their examples (tests) make keys.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import random

MARKER = "T3BlbkFJ"  # base64("OpenAI"); present in every OpenAI API key
# string.ascii_letters + string.digits, in that order (a seed picks by index), written out: the
# rules import this module, and `string` costs ~0.5 ms where nothing else imports it (the hook).
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ALNUM = _LOWER + _LOWER.upper() + "0123456789"
_URLSAFE = _ALNUM + "-_"
_HEX = "0123456789abcdef"
# Tails of current keys end in these characters (a base64 padding artefact).
_TAIL_END = "AQgw"

# Prefixes of the current (long) formats.
CURRENT_KINDS = ("sk-proj-", "sk-svcacct-", "sk-None-", "sk-admin-")
# Everything make_key understands, for tests that iterate every format.
ALL_KINDS = (
    "sk-",
    "sk-proj-",
    "sk-svcacct-",
    "sk-None-",
    "sk-admin-",
    "sk-proj-early",
    "sk-None-early",
    "sk-named",
    "azure",
    "azure-classic",
    "sess-",
    "whsec_",
)
# Understood by make_key too, but not in ALL_KINDS (whose every kind the shared test contexts
# plant): Realtime ephemeral client secrets; ChatGPT / Codex OAuth access tokens (JWTs, live until
# 2100 or expired since 2024) and refresh tokens, found only as rules/oauth.py says.
OAUTH_KINDS = ("openai-access-token", "openai-access-token-expired", "openai-refresh-token")
EXTRA_KINDS = ("ek_", *OAUTH_KINDS)
# JWTs that are not OpenAI API credentials (rules/oauth.py must report none): other vendors'
# access and ID tokens, OpenAI's own ID token (its audience is the OAuth client, not the API),
# a workload-identity token minted by a Kubernetes cluster for the OpenAI audience, and an
# OpenAI-shaped token with `alg: none` and a placeholder signature (what test suites write).
DECOY_JWT_KINDS = (
    "jwt-google",
    "jwt-auth0",
    "jwt-azure-ad",
    "jwt-supabase",
    "jwt-firebase",
    "jwt-openai-id-token",
    "jwt-k8s-openai-audience",
    "jwt-openai-alg-none",
)
LIVE_EXP = 4102444800  # 2100-01-01T00:00:00Z
EXPIRED_EXP = 1704067200  # 2024-01-01T00:00:00Z


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwt(rng: random.Random, claims: dict[str, object], alg: str = "RS256") -> str:
    """A JWT of `claims`: compact JSON as issuers write it, a random signature of the alg's size."""
    import json
    import uuid

    header = {"alg": alg, "kid": str(uuid.UUID(int=rng.getrandbits(128))), "typ": "JWT"}
    sig = {"RS256": 256, "ES256": 64, "HS256": 32}.get(alg, 0)
    return ".".join(
        (
            _b64url(json.dumps(header, separators=(",", ":")).encode()),
            _b64url(json.dumps(claims, separators=(",", ":")).encode()),
            _b64url(rng.randbytes(sig)) if sig else "placeholder",
        )
    )


def _openai_claims(rng: random.Random, exp: int, aud: object = ("https://api.openai.com/v1",)) -> dict[str, object]:
    """The claims of a ChatGPT / Codex access token (codex-rs/login/src/token_data.rs names them)."""
    import uuid

    user = "user-" + _pick(rng, _ALNUM, 24)
    account = str(uuid.UUID(int=rng.getrandbits(128)))
    return {
        "aud": list(aud) if isinstance(aud, tuple) else aud,
        "client_id": "app_" + _pick(rng, _ALNUM, 24),
        "exp": exp,
        "https://api.openai.com/auth": {
            "chatgpt_account_id": account,
            "chatgpt_plan_type": rng.choice(("free", "plus", "pro", "team")),
            "chatgpt_user_id": user,
            "user_id": user,
        },
        "https://api.openai.com/profile": {"email": f"{_pick(rng, _LOWER, 8)}@example.com"},
        "iat": exp - 864000,
        "iss": "https://auth.openai.com",
        "jti": str(uuid.UUID(int=rng.getrandbits(128))),
        "nbf": exp - 864000,
        "scp": ["openid", "profile", "email", "offline_access"],
        "sub": "auth0|" + _pick(rng, _ALNUM, 24),
    }


def _decoy_jwt(rng: random.Random, kind: str) -> str:
    import uuid

    sub = _pick(rng, _ALNUM, 24)
    if kind == "jwt-openai-id-token":
        id_claims = _openai_claims(rng, LIVE_EXP, aud=("app_" + _pick(rng, _ALNUM, 24),))
        id_claims.update(email="someone@example.com", email_verified=True)
        return _jwt(rng, id_claims)
    if kind == "jwt-openai-alg-none":
        return _jwt(rng, _openai_claims(rng, LIVE_EXP), alg="none")
    iss, aud = {
        "jwt-google": ("https://accounts.google.com", "1234567890-abc.apps.googleusercontent.com"),
        "jwt-auth0": ("https://example.us.auth0.com/", "https://api.example.com"),
        "jwt-azure-ad": (
            "https://login.microsoftonline.com/" + str(uuid.UUID(int=rng.getrandbits(128))) + "/v2.0",
            "api://x",
        ),
        "jwt-supabase": ("https://abcdefghijkl.supabase.co/auth/v1", "authenticated"),
        "jwt-firebase": ("https://securetoken.google.com/example-app", "example-app"),
        "jwt-k8s-openai-audience": ("https://kubernetes.default.svc", "https://api.openai.com/v1"),
    }[kind]
    claims: dict[str, object] = {"aud": [aud], "exp": LIVE_EXP, "iat": LIVE_EXP - 3600, "iss": iss, "sub": sub}
    return _jwt(rng, claims, alg="HS256" if kind == "jwt-supabase" else "RS256")


def make_key(kind: str, seed: int = 0, n: int | None = None) -> str:
    """A synthetic credential of `kind` (see ALL_KINDS); `n` sets a current key's half-length."""
    import random

    rng = random.Random(f"{kind}:{seed}:{n}")
    if kind == "sk-":
        return f"sk-{_pick(rng, _ALNUM, 20)}{MARKER}{_pick(rng, _ALNUM, 20)}"
    if kind in ("sk-proj-early", "sk-None-early"):
        prefix = kind.removesuffix("early")
        return f"{prefix}{_pick(rng, _ALNUM, 20)}{MARKER}{_pick(rng, _ALNUM, 20)}"
    if kind == "sk-named":
        name = rng.choice(("svc", "deploy-bot", "ci-runner2", "backend"))
        return f"sk-{name}-{_pick(rng, _ALNUM, 20)}{MARKER}{_pick(rng, _ALNUM, 20)}"
    if kind in CURRENT_KINDS:
        half = n if n is not None else rng.choice((74, 58, 46))
        head = _pick(rng, _URLSAFE, half)
        tail = _pick(rng, _URLSAFE, half - 1) + rng.choice(_TAIL_END)
        return f"{kind}{head}{MARKER}{tail}"
    if kind == "azure":
        return (
            _pick(rng, _ALNUM, 52)
            + "JQQJ99"
            + _pick(rng, _ALNUM, 1)
            + rng.choice("ABCDEFGHIJKL")
            + _pick(rng, _ALNUM, 12)
            + rng.choice(("AAAB", "AAAA"))
            + "ACOG"
            + _pick(rng, _ALNUM, 4)
        )
    if kind == "azure-classic":
        return _pick(rng, _HEX, 32)
    if kind == "sess-":
        return "sess-" + _pick(rng, _ALNUM, 40)
    if kind == "whsec_":
        return "whsec_" + _pick(rng, _ALNUM + "+/", 43) + "="
    if kind == "ek_":
        return "ek_" + _pick(rng, _HEX, 32)
    if kind in ("openai-access-token", "openai-access-token-expired"):
        return _jwt(rng, _openai_claims(rng, EXPIRED_EXP if kind.endswith("expired") else LIVE_EXP))
    if kind == "openai-refresh-token":
        # The format is not published (recent auth.json files hold `rt_` and an opaque string);
        # rules/oauth.py decides by where the token is, never by this shape.
        return "rt_" + _pick(rng, _URLSAFE, 64)
    if kind in DECOY_JWT_KINDS:
        return _decoy_jwt(rng, kind)
    raise ValueError(f"unknown key kind: {kind}")
