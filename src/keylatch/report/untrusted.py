"""Strings from scanned content on their way out: paths, commit summaries, ref, tag and author names.

They are the attacker's text. A commit message may hold the very key being reported, a file
name may hold a key or a terminal escape (`\\x1b]0;title\\x07` retitles the terminal, `\\r`
overwrites the line before it, U+202E reverses what follows). So every such string goes through:

- `redact`: every key the engine finds in it becomes its redacted form (as the report shows the
  key itself), a base64 value holding a key becomes `[base64: <redacted>]`;
- a bound: a 10 MB one-line commit message is shown as its first `LIMIT` characters;
- `escape` (text output only): control, format and separator characters, and lone surrogates,
  become `\\xNN` / `\\uNNNN`. JSON escapes them by construction, so `for_data` keeps them.

Renderers call `for_terminal` (text, hook messages, logs, GitHub annotations) or `for_data`
(JSON, SARIF) on every untrusted field; tests/report/test_untrusted_output.py plants keys and
escapes in each field and runs every command in every format.
"""

from __future__ import annotations

import functools
import re

# Shown characters of one untrusted string. Real summaries and names are far shorter.
LIMIT = 1024
# A path is where the user must go to remove the key, so it is bounded only against abuse:
# a tree 2,000 directories deep has real paths of 18,000 characters (tests/e2e/test_scan_bad_input.py).
PATH_LIMIT = 1 << 16


@functools.cache
def _needles() -> tuple[str, ...]:
    """A str document holds a key for the engine only if it contains one of these: the rules' one
    needle list (rules.needles: keywords, their base64 gates and UTF-16 spellings; issue 9), as
    text. Redaction runs the engine itself; this only spares the clean majority of strings its
    setup. Built at the first string shown: a report with nothing untrusted in it (a clean scan's
    summary) never imports the rules and the engine."""
    from keylatch.rules import DEFAULT_RULES, needles

    return tuple(n.decode("latin-1") for n in needles(DEFAULT_RULES))


# Escaped: every character Python does not call printable (str.isprintable): C0/C1 controls,
# DEL, format characters (bidi marks, embeddings, overrides and isolates U+202A-E/U+2066-9,
# zero-width characters, BOM), line/paragraph separators, spaces other than " ", private-use and
# unassigned code points, and lone surrogates (undecodable bytes decoded with surrogateescape).
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=_\r\n-]*")
# The engine wants a key to stand alone; in output a marker inside any long token is enough.
# Two keys glued together (`KEYKEY`, `x<key>_<key>`) are no key to the engine, yet each is
# readable on screen. Those markers do not occur in ordinary paths or prose.
# A JWT's middle part is its readable payload (whose token, which account): any JWT, OpenAI's or
# not, expired or cut short, is shortened too (docs/reports.md).
_MARKED_TOKEN = re.compile(
    r"[A-Za-z0-9_-]*(?:T3BlbkFJ|JQQJ99)[A-Za-z0-9_-]*"
    r"|(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]*\.eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)*"
)
_TOKEN_MIN = 40


def redact(text: str) -> str:
    """`text` with every key the engine finds in it replaced by the key's redacted form.

    What the engine does not take for a key but still carries a key's marker inside a long
    token is shortened the same way (first and last four characters).
    """
    if not any(n in text for n in _needles()):
        return text
    return _MARKED_TOKEN.sub(_shorten, _redact_findings(text))


def _shorten(m: re.Match[str]) -> str:
    tok = m.group()
    return tok if len(tok) < _TOKEN_MIN else f"{tok[:4]}...{tok[-4:]}"


def _redact_findings(text: str) -> str:
    from keylatch.engine import scan_text

    cuts: list[tuple[int, int, str]] = []
    for f in scan_text(text):
        start, end = f.span
        if f.encoding:
            # The span of an encoded key is the start of the base64 value: hide all of it.
            end = _BASE64_RUN.match(text, start).end()  # type: ignore[union-attr]  # `*` always matches
            cuts.append((start, end, f"[{f.encoding}: {f.secret.redacted}]"))
        else:
            cuts.append((start, end, f.secret.redacted))
    out = []
    pos = 0
    for start, end, shown in sorted(cuts):
        if end <= pos:  # inside a value already cut (a key in a base64 value that holds two)
            continue
        out.append(text[pos:start] if start >= pos else "")
        out.append(shown)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _escaped(c: str) -> str:
    if c.isprintable():
        return c
    n = ord(c)
    return _NAMED.get(c) or (f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}")


def escape(text: str) -> str:
    """`text` with every character that could steer a terminal, or hide or reorder text, made visible."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(map(_escaped, text))


def _bound(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}...[+{len(text) - limit} chars]"


def for_data(text: str, limit: int = LIMIT) -> str:
    """An untrusted string for structured output (JSON, SARIF): redacted and bounded."""
    return _bound(redact(text), limit)


def for_terminal(text: str, limit: int = LIMIT) -> str:
    """An untrusted string for text output (reports, hook messages, logs): also escaped."""
    return escape(for_data(text, limit))


# A key's redacted form as keylatch writes it (model.Secret.redacted): a public prefix of short
# dash or underscore segments (`sk-proj-`, `sk-ci-runner2-`, `whsec_`), then four characters,
# `...`, four characters, or `****`. A report's `secret` field that is not its key holds one of
# these; anything else in it (a whole key whose fingerprint was edited) is not shown.
_REDACTED_FORM = re.compile(r"(?:[A-Za-z0-9]{1,24}[-_]){0,4}(?:[A-Za-z0-9+/=_-]{4}\.\.\.[A-Za-z0-9+/=_-]{4}|\*{4})")
NOT_REDACTED = "[not shown: not a redacted key]"


def redacted_form(text: str) -> str:
    """A report's redacted key (its `secret` or `redacted` field, attacker-writable) for any
    output: a key the engine finds in it is redacted first; what then does not have a redacted
    key's shape is replaced by NOT_REDACTED, so a report never makes keylatch print a key whole."""
    shown = redact(text)
    return shown if _REDACTED_FORM.fullmatch(shown) else NOT_REDACTED
