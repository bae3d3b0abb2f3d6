"""Synthetic keys generated from the public formats, seeded so tests and fixtures agree.

No key-shaped literal is committed anywhere in keylatch: tests, fixtures and rule examples all
call `make_key`. The values are random, never real, and never verified against any service.
"""

from __future__ import annotations

import random
import string

MARKER = "T3BlbkFJ"  # base64("OpenAI"); present in every OpenAI API key
_ALNUM = string.ascii_letters + string.digits
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
# plant): Realtime ephemeral client secrets.
EXTRA_KINDS = ("ek_",)


def _pick(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def make_key(kind: str, seed: int = 0, n: int | None = None) -> str:
    """A synthetic credential of `kind` (see ALL_KINDS); `n` sets a current key's half-length."""
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
    raise ValueError(f"unknown key kind: {kind}")
