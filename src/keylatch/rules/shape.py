"""Token shapes shared by every rule: character classes, key boundaries, the placeholder test.

Character classes are written in ASCII: Python's \\w also matches letters such as "À".
"""

from __future__ import annotations

import operator
import re

B = r"[A-Za-z0-9_-]"  # current keys are base64url on both sides of the marker
A = r"[A-Za-z0-9]"
TOKEN_END = r"(?![A-Za-z0-9_-])"
# A key may follow a non-token character or an escape whose last character is alphanumeric:
# "\nsk-..." in a JSON string, "%22sk-..." URL-encoded, "\u0022..." and "\x22...", `=3D` (an
# `=` in quoted-printable mail), and an ANSI colour (`ESC[32m`, `ESC[0;32m`: a coloured log).
_AFTER = (
    r"\\[nrt]",
    r"%[0-9A-Fa-f]{2}",
    r"\\u[0-9A-Fa-f]{4}",
    r"\\x[0-9A-Fa-f]{2}",
    r"=3D",
    r"\[[0-9]m",
    r"\[[0-9]{2}m",
    r"[0-9];[0-9]m",
    r"[0-9];[0-9]{2}m",
)
# Right after one of those (legacy keys: openai._word_before).
AFTER_ESCAPE = "|".join(f"(?<={a})" for a in _AFTER)
LEFT = f"(?:(?<![A-Za-z0-9_+/-])|{AFTER_ESCAPE})"


def left_of(literal: str) -> str:
    """LEFT, written after `literal` (the key's first characters) instead of before it.

    Same condition on the characters before the key, but the pattern now starts with a literal,
    which the regex engine jumps to instead of trying the lookbehinds at every position.
    """
    e = re.escape(literal)
    return rf"(?:(?<![A-Za-z0-9_+/-]{e})" + "".join(f"|(?<={a}{e})" for a in _AFTER) + ")"


# The characters of the runs keys live in (Rule.token_chars): the engine tries a pattern only
# near the end of such a run.
B_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
A_CHARS = B_CHARS[:-2]

_STEPS = frozenset((-1, 0, 1))


def diverse(part: str) -> bool:
    """False for placeholders: repeated (`XXXX`) or sequential (`abcd1234`) characters, and
    words (`YOUR_OPENAI_API_KEY_GOES_HERE`): letters of one case and no digit, which a random
    part of 16 characters or more is with a chance under 1e-5 (and a key's parts are longer)."""
    if len(set(part)) < min(8, len(part) // 2):
        return False
    if len(part) >= 16 and (part.isupper() or part.islower()) and not any(c.isdigit() for c in part):
        return False
    # Neighbours that repeat or count up or down, with the loop in C (it runs for every candidate).
    codes = part.encode("latin-1", "replace")
    steps = sum(map(_STEPS.__contains__, map(operator.sub, codes[1:], codes)))
    return steps * 2 < len(part)


def no_prefix(key: str) -> int:
    return 0


def dash_prefix(key: str) -> int:
    return key.find("-") + 1 if key.startswith("sess-") else key.find("_") + 1


def validate_diverse(m: re.Match[str]) -> str | None:
    key = m.group("key")
    body = key[dash_prefix(key) :] if key.startswith(("sess-", "whsec_", "ek_")) else key
    return key if diverse(body) else None
