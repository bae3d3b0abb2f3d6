"""OpenAI API keys: `sk-` + head + the `T3BlbkFJ` marker + tail.

Format sources (public):
- OpenAI key prefixes and the `T3BlbkFJ` marker (base64 of "OpenAI"): OpenAI API reference,
  "Authentication"; gitleaks `openai-api-key` rule; TruffleHog `openai` detector.
- Project / service-account / admin keys: OpenAI "Projects" and "Admin API keys" docs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from keylatch.model import Severity
from keylatch.rules.examples import PLACEHOLDERS, contexts, mutate_marker
from keylatch.rules.rule import Example, Regex, Rule, Validator
from keylatch.rules.shape import AFTER_ESCAPE, B_CHARS, TOKEN_END, A, B, diverse
from keylatch.rules.synthetic import MARKER, make_key

# Longest head/tail we accept; seen lengths are 20, 46, 58 and 74.
_MAX = 256
# head + marker + tail of a current key, split by the validator. A key runs to the end of its
# token, so the body takes the whole rest of the token (at most _BODY_MAX: one attempt per start,
# whatever the token holds).
_BODY_MIN = 20 + len(MARKER) + 20
_BODY_MAX = 2 * _MAX + len(MARKER)
# The body is only looked at, never consumed (a lookahead, with the token's end): a match spans
# the prefix alone, so the next search starts right after it and a second key glued straight
# onto this one (back-to-back SQLite rows, `.pyc` constants) is tried too. The validator returns
# prefix + the part of the body that is the key.
_BODY = rf"(?=(?P<body>{B}{{{_BODY_MIN},{_BODY_MAX}}}){TOKEN_END})"
# A named key's name: lower-case words joined by `-` (`deploy-bot`), at most eight of them.
_NAME = r"[a-z0-9]+(?:-[a-z0-9]+){0,7}"

_ALNUM_RUN = Regex(r"[A-Za-z0-9]+")
# Half-lengths of the formats seen (legacy 20, current 46, 58 and 74): used only to split a key
# glued to its neighbours in binary data (_glued).
_SEEN_HALVES = frozenset((20, 46, 58, 74))


def _halves(body: str) -> tuple[str, str] | None:
    """(head, tail) when the marker sits exactly in the middle of `body`, else None."""
    half, odd = divmod(len(body) - len(MARKER), 2)
    if odd or body[half : half + len(MARKER)] != MARKER:
        return None
    return body[:half], body[half + len(MARKER) :]


def _glued(body: str) -> tuple[str, str] | None:
    """(head, tail) of a key that neighbouring bytes of a binary file lengthen on the right.

    A `.pyc` constant is followed by the next object's type byte (`N`, `T`, `i` ...) and SQLite
    stores a row's columns back to back, so the token runs on past the key and the halves look
    unequal. The head ends at the first marker; the key ends where the tail reaches the head's
    length. Only in data with a NUL byte (binary, never text): in text, a longer tail means a
    different or damaged token, which stays unreported. And only for the half-lengths keys are
    seen with, so that a truncated head does not pass for a shorter key.
    """
    half = body.find(MARKER, 20)
    if half not in _SEEN_HALVES or len(body) - half - len(MARKER) <= half:
        return None
    return body[:half], body[half + len(MARKER) : 2 * half + len(MARKER)]


def _inside_sk_token(text: str, start: int) -> bool:
    """Whether the key at `start` continues a token that an earlier `sk-` starts. In text that is
    one damaged token, unreported as before the body became a lookahead; in binary data it is a
    second key glued onto the first."""
    i = start
    while i > 0 and i > start - _BODY_MAX and text[i - 1] in B_CHARS:
        i -= 1
    return "sk-" in text[i:start]


# Half-lengths of current keys (_SEEN_HALVES without the early 20, whose halves are alphanumeric).
_CURRENT_HALVES = frozenset((46, 58, 74))
_SUFFIX = Regex(r"[_-]+(?:[a-z0-9_-]{0,16}|[A-Z0-9_-]{0,16})")
# The last character of a current key's tail (the final base64 character of its random bytes:
# rules/synthetic.py's _TAIL_END).
_TAIL_LAST = frozenset("AQgw")


def _before_run(body: str) -> tuple[str, str] | None:
    """(head, tail) of a current key that a run of `_` or `-` follows in its token.

    `_sk-proj-…_` (Markdown emphasis), `__…__` and `sk-proj-…-old.txt` put key characters after
    the key. The marker fixes the halves' length (46, 58 or 74), so the key ends at a known
    place: accepted when a `_` or `-` is there, the tail ends as current keys do and a short word
    at most follows; anything else is a longer or damaged token, unreported as before.
    """
    half = body.find(MARKER, 20)
    end = 2 * half + len(MARKER)
    if half not in _CURRENT_HALVES or end >= len(body) or body[end] not in "_-" or body[end - 1] not in _TAIL_LAST:
        return None
    # What follows the run is a word (`old`, `backup`, `v2`): one case, short. A key whose head
    # lost characters leaves random characters of its tail there.
    return (body[:half], body[half + len(MARKER) : end]) if _SUFFIX.fullmatch(body, end) else None


# An escape before a key whose last character is a letter or digit (shape.LEFT), an ANSI colour.
_ESCAPE_BEFORE = Regex(AFTER_ESCAPE)


def _word_before(text: str, start: int) -> bool:
    """Whether a word runs into the key at `start` (`task-…`, `ask_sk-…`): past a run of `_` or
    `-`, a letter or digit that no escape ends. A legacy key (`sk-` + 20 + marker + 20, short and
    alphanumeric) is then part of that word in text, not a key of its own."""
    i = start
    while i > 0 and text[i - 1] in "_-":
        i -= 1
    return i > 0 and text[i - 1].isascii() and text[i - 1].isalnum() and _ESCAPE_BEFORE.match(text, i) is None


def _split_key(m: re.Match[str], alnum_only: bool, early: bool = True) -> str | None:
    """Accept `prefix + head + MARKER + tail` only when head and tail have equal length.

    Equal halves are what makes a match precise without hard-coding one length: a truncated key,
    or a key glued to more token characters, has unequal halves and is not reported. `early`:
    the prefix was also issued in the early 20 + 20 shape (`sk-`, `sk-proj-`, `sk-None-`); admin
    and service account keys never were, so a 20 + 20 reading of theirs is a key that lost head
    characters, not a key followed by `_old`.
    """
    body = m.group("body")
    key = m.group("key") + body
    if "\0" not in m.string and _inside_sk_token(m.string, m.start("key")):
        return None
    halves = _halves(body)
    if halves is None:
        # The 20+20 formats are alphanumeric: a `_` or `-` after the tail ends the key, so
        # `_sk-…_` (Markdown emphasis) or `sk-…_old` still yield the whole key. What follows is a
        # short word, as after a current key (_before_run): a current key whose head lost characters
        # down to 20 reads so too, its tail's random rest after the first `_` or `-` (hypothesis,
        # tests/rules/test_key_in_run.py).
        cut = _ALNUM_RUN.match(body, 20 + len(MARKER))
        if (
            early
            and body[20 : 20 + len(MARKER)] == MARKER
            and body[:20].isalnum()
            and cut
            and cut.end() == _BODY_MIN
            and (cut.end() == len(body) or _SUFFIX.fullmatch(body, cut.end()))
        ):
            halves = body[:20], cut.group()
        elif "\0" in m.string:
            halves = _glued(body)
        else:
            halves = _before_run(body)
        if halves is None:
            return None
        key = key[: len(key) - (len(body) - len(MARKER) - 2 * len(halves[0]))]
    head, tail = halves
    if alnum_only and not (head.isalnum() and tail.isalnum()):
        return None
    if alnum_only and "\0" not in m.string and _word_before(m.string, m.start("key")):
        return None
    if not (diverse(head) and diverse(tail)):
        return None
    return key


def _validate_current(m: re.Match[str]) -> str | None:
    return _split_key(m, alnum_only=False)


def _validate_admin(m: re.Match[str]) -> str | None:
    return _split_key(m, alnum_only=False, early=False)


def _validate_user(m: re.Match[str]) -> str | None:
    # Legacy `sk-` keys are alphanumeric; `sk-None-` keys come in both the early and current shapes.
    return _split_key(m, alnum_only=m.group("none") is None)


def _sk_prefix(key: str) -> int:
    """`sk-proj-` for current and named keys, `sk-` for legacy ones."""
    marker = key.find(MARKER)
    half = len(key) - marker - len(MARKER)
    return max(3, marker - half)


def _sk_rule(
    rule_id: str,
    description: str,
    severity: Severity,
    pattern: str,
    validate: Validator,
    kinds: tuple[str, ...],
    counter: Callable[[], tuple[str, ...]],
    references: tuple[str, ...],
    key_len: tuple[int, int],
) -> Rule:
    def examples() -> tuple[Example, ...]:
        return tuple(
            Example(text, key)
            for i, kind in enumerate(kinds)
            for key in (make_key(kind, seed=i),)
            for text in contexts(key)
        )

    return Rule(
        id=rule_id,
        description=description,
        severity=severity,
        keywords=(MARKER,),
        pattern=Regex(pattern),
        anchored=True,
        make_examples=examples,
        make_counterexamples=counter,
        references=references,
        prefix=_sk_prefix,
        validate=validate,
        base64=True,
        token_chars=B_CHARS,
        key_len=key_len,
    )


OPENAI_PROJECT_KEY = _sk_rule(
    "openai-project-key",
    "OpenAI project API key (sk-proj-)",
    Severity.HIGH,
    rf"(?P<key>sk-proj-){_BODY}",
    _validate_current,
    ("sk-proj-", "sk-proj-early"),
    lambda: (
        PLACEHOLDERS
        + (
            mutate_marker(make_key("sk-proj-", seed=1)),
            make_key("sk-proj-", seed=2)[:-3],
        )
    ),
    ("https://platform.openai.com/docs/api-reference/authentication",),
    (8 + _BODY_MIN, 8 + _BODY_MAX),
)

OPENAI_ADMIN_KEY = _sk_rule(
    "openai-admin-key",
    "OpenAI admin API key (sk-admin-): manages the whole organisation",
    Severity.CRITICAL,
    rf"(?P<key>sk-admin-){_BODY}",
    _validate_admin,
    ("sk-admin-",),
    lambda: (mutate_marker(make_key("sk-admin-", seed=1)),),
    ("https://platform.openai.com/docs/api-reference/administration",),
    (9 + _BODY_MIN, 9 + _BODY_MAX),
)


def _validate_service(m: re.Match[str]) -> str | None:
    if m.group("body") is not None:
        return _split_key(m, alnum_only=False, early=False)
    body, key = m.group("nbody"), m.group("key")
    halves = _halves(body)
    if halves is None and "\0" in m.string:  # binary: glued to the bytes after it (_glued)
        halves = _glued(body)
        if halves is not None:
            key = key[: len(key) - (len(body) - len(MARKER) - 2 * len(halves[0]))]
    if halves is None or not (diverse(halves[0]) and diverse(halves[1])):
        return None
    return key


OPENAI_SERVICE_ACCOUNT_KEY = _sk_rule(
    "openai-service-account-key",
    "OpenAI service account API key (sk-svcacct- or sk-<name>-)",
    Severity.HIGH,
    rf"(?P<key>sk-(?:svcacct-{_BODY}"
    rf"|(?!(?:proj|svcacct|admin|None|ant)-){_NAME}-"
    # Named keys are alphanumeric, so `_` or `-` right after one ends it (`_sk-…_` in Markdown).
    rf"(?=(?P<nbody>{A}{{{_BODY_MIN},{_BODY_MAX}}}))(?P=nbody)(?![A-Za-z0-9])))",
    _validate_service,
    ("sk-svcacct-", "sk-named"),
    lambda: (mutate_marker(make_key("sk-svcacct-", seed=1)), make_key("sk-named", seed=2)[:-1]),
    ("https://platform.openai.com/docs/api-reference/project-service-accounts",),
    # A named key may be followed by `_…` or `-…` in its token: name and suffix together may
    # take the 116 characters that the engine's window reach leaves after the longest body.
    (3 + 2 + _BODY_MIN, 640),
)

OPENAI_USER_KEY = _sk_rule(
    "openai-user-key",
    "OpenAI user API key (legacy sk- or sk-None-)",
    Severity.HIGH,
    rf"(?P<key>sk-(?!(?:proj|svcacct|admin)-)(?P<none>None-)?){_BODY}",
    _validate_user,
    ("sk-", "sk-None-", "sk-None-early"),
    lambda: (
        PLACEHOLDERS
        + (
            mutate_marker(make_key("sk-", seed=1)),
            make_key("sk-", seed=2)[:-1],
            "sk-ant-api03-" + "A1b2C3d4E5f6G7h8I9j0" * 4,
            "sk_live_" + "A1b2C3d4E5f6G7h8I9j0K1l2",
            "sk-" + "0123456789abcdef" * 2,
            # a word run into a legacy key's shape
            "task-" + make_key("sk-", seed=3)[3:],
            "risk_" + make_key("sk-", seed=4),
        )
    ),
    ("https://platform.openai.com/docs/api-reference/authentication",),
    (3 + _BODY_MIN, 3 + len("None-") + _BODY_MAX),
)
