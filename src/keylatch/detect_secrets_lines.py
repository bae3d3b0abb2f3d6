"""Keys on one line as detect-secrets hands it to a plugin, found by keylatch's engine and rules.

The logic behind detect_secrets_plugin.py (the contract) and its filter; it imports nothing from
detect_secrets: a snippet is anything with detect-secrets' CodeSnippet's `lines` and
`target_index`.

What the engine decodes on one line is found here too: escapes, literals joined on the line,
a base64 (or base64 of base64) or hex value on the line, a byte list, a key wholly escaped or a
character a literal, a key glued to the bytes after it in a line with a NUL. What spans lines or
needs the whole file (UTF-16, UTF-32, wrapped base64 blocks and byte lists, hex dumps, joins
across lines, archives) is docs/detect-secrets.md's "What the line model cannot see".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from keylatch.engine import scan_chunk, scan_text
from keylatch.model import Chunk, Finding
from keylatch.rules import DEFAULT_RULES, Rule, needles


class Snippet(Protocol):
    """detect_secrets.util.code_snippet.CodeSnippet, as far as this module reads it."""

    @property
    def lines(self) -> list[str]: ...

    @property
    def target_index(self) -> int: ...


# Rules that need evidence elsewhere in the file (Azure classic keys, `sess-`, `whsec_`, `ek_`)
# or judge whose a key is by its paragraph (84-character Azure keys: `judge_in_document`) look
# around the line; the others identify themselves and need only the line.
_ALONE = tuple(r for r in DEFAULT_RULES if r.file_context is None and not r.judge_in_document)
_IN_CONTEXT = tuple(r for r in DEFAULT_RULES if r not in _ALONE)
_ALONE_IDS = frozenset(r.id for r in _ALONE)
# Every needle of the engine's one pass that is not a keyword written plain (rules.needles): a
# keyword's base64, hex, byte-list (`0x73, 0x6b`, `'s', 'k'`, `115, 107`, `.reg` hex) and base64-
# of-base64 spellings, wholly escaped, or as UTF-16 / UTF-32 write it. A line with one may hold
# any rule's key in a value the engine decodes, so every spelling the engine gates on is one here
# too, and a spelling added to the rules reaches the plugin without an edit here
# (tests/test_detect_secrets_line_gates.py).
_PLAIN = {kw for r in DEFAULT_RULES for kw in (*r.keywords, *r.keyword_parts)}
_B64_GATES = tuple(g.decode("latin-1") for g in needles(DEFAULT_RULES) if g.decode("latin-1") not in _PLAIN)
# The engine finds nothing for `_ALONE` rules in text without one of their keywords or a base64
# gate; checking that first saves the engine call on almost every line.
# A keyword's halves (Rule.keyword_parts) count: an escape inside the keyword leaves one whole.
_ALONE_GATE = tuple(sorted({k for r in _ALONE for k in (*r.keywords, *r.keyword_parts)} | set(_B64_GATES)))
# A base64 value long enough to be a 32-hex key's own (44 characters and up): the engine decodes
# one next to the key's name (engine/decoders.py).
_B64_VALUE = re.compile(r"[A-Za-z0-9+/]{43,}")
# Literals of a character or two joined by commas or `+` (a char array, `["s", "k"]`, `"s" + "k"`).
_SPLIT = re.compile(r"""["'][^"'\n]{1,2}["'][ \t]*[,+][ \t]*["']""")
_ESCAPED_OR_JOINED = re.compile(r"""\\[ux0-7]|%[0-9A-Fa-f]{2}|&#|&[A-Za-z]+;|["'][ \t]*(?:[+.&]|["'])|\\$""")


def _may_hold(rule: Rule, line: str, b64: bool) -> bool:
    """Whether `line` may hold a key of `rule` given evidence: the pattern matches it, or the
    rule's keyword is on it (escaped or joined spellings), or a base64 value that may decode to it.

    Only then is the snippet, or the file, looked at: the line condition runs first.
    """
    if b64:  # the decoded value brings its own line (a base64'd .env holds the key's name)
        return True
    if rule.line_context is not None and not rule.line_context.search(line):
        return _table_row(rule, line)
    if rule.pattern.search(line):
        return True
    if rule.anchored:
        return any(k in line for k in (*rule.keywords, *rule.keyword_parts))
    # A 32-hex key escaped or split across literals on its key-ish line: the engine decodes
    # those in a file with Azure OpenAI evidence (engine/decoders.py).
    return rule.run_length > 0 and (_B64_VALUE.search(line) is not None or _ESCAPED_OR_JOINED.search(line) is not None)


# A table's row names its key only in the header row (engine/tables.py): a candidate on a line with
# a delimiter is scanned with its snippet, where a header up to 5 lines above names its column (not
# the file: a hash table would read it again for every row; docs/detect-secrets.md).
_ROW = re.compile(r"[,;|\t(]|  ")


def _table_row(rule: Rule, line: str) -> bool:
    return rule.by_column is not None and _ROW.search(line) is not None and rule.pattern.search(line) is not None


def _named_on_line(rules: Sequence[Rule], line: str) -> bool:
    return any(r.line_context is None or r.line_context.search(line) for r in rules)


def line_findings(line: str, context: Snippet | None, filename: str = "") -> list[Finding]:
    """Keys on `line`; rules that need file evidence look at the snippet, then at the file.

    detect-secrets is line-based: it hands a plugin the line and 5 lines either side, after
    transforming YAML and config files, which drops comments and parent keys (`openai:`). When
    the snippet shows no evidence, the file on disk is read, as `keylatch scan` sees it. Both
    run only for rules that may match the line itself (`_may_hold`).
    """
    b64 = any(g in line for g in _B64_GATES)
    # With an encoded gate on the line every rule is scanned: one rule's gate opens a decoder
    # that may show another's key (a ZURE spelling met by chance in base64 of base64 of base64).
    if b64:
        found = [f for f in scan_text(line) if f.rule_id in _ALONE_IDS]
    else:
        found = scan_text(line, _ALONE) if any(k in line for k in _ALONE_GATE) else []
    split = not b64 and _SPLIT.search(line) is not None
    rules = tuple(r for r in _IN_CONTEXT if _may_hold(r, line, b64))
    if not rules and not split:
        return found
    has_snippet = context is not None and bool(context.lines)
    lines = context.lines if context is not None and has_snippet else [line]
    target = context.target_index + 1 if context is not None and has_snippet else 1
    text = "\n".join(raw.rstrip("\r\n") for raw in lines)
    if split:
        # A key written a character a literal (`'e', 'k', '_', ...`) holds no keyword of its own:
        # the engine joins it inside the window of any keyword within REACH bytes
        # (engine/matching.py), such as the Azure endpoint a few lines above; the snippet shows it.
        found = _unique([*found, *(f for f in scan_text(text) if f.location.line == target)])
    if not rules:
        return found
    # A base64 value is decoded only for a gate of the rules scanned (base64_gates): `ek_` has
    # none of its own, so with a gate on the line every rule is scanned, keeping these rules' keys.
    scanned = DEFAULT_RULES if b64 else rules
    ids = {r.id for r in rules}
    near = [f for f in scan_text(text, scanned) if f.location.line == target and f.rule_id in ids]
    if near or not filename or not (b64 or _named_on_line(rules, line)):
        return _unique(found + near)
    return _unique(found + [f for f in _in_file(filename, line, scanned) if f.rule_id in ids])


def _unique(findings: list[Finding]) -> list[Finding]:
    """Each key once per rule: the line's own scan and the snippet's may both find it."""
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        if (f.rule_id, f.secret.value) not in seen:
            seen.add((f.rule_id, f.secret.value))
            out.append(f)
    return out


def _in_file(filename: str, line: str, rules: Sequence[Rule]) -> list[Finding]:
    try:
        with open(filename, "rb") as f:
            data = f.read()
    except OSError:  # an ad-hoc string or a diff: there is no file, only the snippet
        return []
    file_lines = data.split(b"\n")
    return [f for f in scan_chunk(Chunk(data, filename), rules) if _written_on(f, line, file_lines)]


# How much of an encoded spelling must be on detect-secrets' line to place the file's finding there.
_SPELLING = 16


def _written_on(finding: Finding, line: str, file_lines: list[bytes]) -> bool:
    """Whether the file's `finding` is the one on detect-secrets' `line` (which may be transformed:
    YAML loses its indentation and quotes): the key itself, or the start of its encoded spelling."""
    if finding.secret.value in line:
        return True
    if not finding.encoding or not 0 < finding.location.line <= len(file_lines):
        return False
    raw = file_lines[finding.location.line - 1].decode("utf-8", "replace")
    spelling = raw[finding.location.column - 1 : finding.location.column - 1 + _SPELLING]
    return len(spelling) == _SPELLING and spelling in line
