"""Keys on one line as detect-secrets hands it to a plugin, found by keylatch's engine and rules.

The logic behind detect_secrets_plugin.py (the contract) and its filter; it imports nothing from
detect_secrets: a snippet is anything with detect-secrets' CodeSnippet's `lines` and
`target_index`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from keylatch.engine import BASE64_MARKERS, scan_chunk, scan_text
from keylatch.model import Chunk, Finding
from keylatch.rules import DEFAULT_RULES, Rule


class Snippet(Protocol):
    """detect_secrets.util.code_snippet.CodeSnippet, as far as this module reads it."""

    @property
    def lines(self) -> list[str]: ...

    @property
    def target_index(self) -> int: ...


# Rules that need evidence elsewhere in the file (Azure classic keys, `sess-`, `whsec_`) look
# around the line; the others identify themselves and need only the line.
_ALONE = tuple(r for r in DEFAULT_RULES if r.file_context is None)
_IN_CONTEXT = tuple(r for r in DEFAULT_RULES if r.file_context is not None)
# The engine finds nothing for `_ALONE` rules in text without one of their keywords or an encoded
# marker; checking that first saves the engine call on almost every line.
_ALONE_GATE = tuple(sorted({k for r in _ALONE for k in r.keywords} | {m.decode() for m in BASE64_MARKERS}))


def line_findings(line: str, context: Snippet | None, filename: str = "") -> list[Finding]:
    """Keys on `line`; rules that need file evidence look at the snippet, then at the file.

    detect-secrets is line-based: it hands a plugin the line and 5 lines either side, after
    transforming YAML and config files, which drops comments and parent keys (`openai:`). When
    the snippet shows no evidence, the file on disk is read, as `keylatch scan` sees it. Both
    run only for rules whose pattern and line condition match the line itself.
    """
    found = scan_text(line, _ALONE) if any(k in line for k in _ALONE_GATE) else []
    rules = tuple(
        r for r in _IN_CONTEXT if r.pattern.search(line) and (r.line_context is None or r.line_context.search(line))
    )
    if not rules:
        return found
    has_snippet = context is not None and bool(context.lines)
    lines = context.lines if context is not None and has_snippet else [line]
    target = context.target_index + 1 if context is not None and has_snippet else 1
    text = "\n".join(raw.rstrip("\r\n") for raw in lines)
    near = [f for f in scan_text(text, rules) if f.location.line == target]
    if near or not filename:
        return found + near
    return found + _in_file(filename, line, rules)


def _in_file(filename: str, line: str, rules: Sequence[Rule]) -> list[Finding]:
    try:
        with open(filename, "rb") as f:
            data = f.read()
    except OSError:  # an ad-hoc string or a diff: there is no file, only the snippet
        return []
    return [f for f in scan_chunk(Chunk(data, filename), rules) if f.secret.value in line]
