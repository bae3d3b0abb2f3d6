"""keylatch's detect-secrets plugin: the same rules and engine as `keylatch scan`, no pattern here.

detect-secrets runs this file by path (`detect-secrets scan --plugin <keylatch plugin-path>`), so
it uses absolute imports only (relative ones raise ImportError there), and registers every public
`BasePlugin` subclass it finds in it: there is exactly one. `secret_type` becomes the `type` of every
baseline entry, so it never changes, and it differs from detect-secrets' own "OpenAI Token" (reusing
a stock type crashes detect-secrets). The class name differs from every stock plugin's, which
would silently shadow it. `verify()` is inherited (UNVERIFIED): a VERIFIED_FALSE would drop the
finding.

`is_indirect_reference` replaces detect-secrets' filter of the same name in baselines made by
`keylatch detect-secrets`: the stock one drops `client = OpenAI(api_key="sk-...")` before any
plugin sees the line.

`keylatch detect-secrets` (scan, hook, audit in-process) lives in detect_secrets_runner.py; only
the two detect_secrets_* modules import detect_secrets. This module holds no state of its own.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Sequence
from typing import Any

from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.filters import heuristic as _heuristic
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.util.code_snippet import CodeSnippet

from keylatch.engine import BASE64_MARKERS, scan_chunk, scan_text
from keylatch.model import Chunk, Finding
from keylatch.rules import DEFAULT_RULES, Rule


class KeylatchOpenAIDetector(BasePlugin):
    """OpenAI and Azure OpenAI keys, found whole by keylatch's engine."""

    # Stable forever: baselines store it as each secret's `type`.
    secret_type = "keylatch OpenAI key"

    def analyze_string(self, string: str, **kwargs: Any) -> Generator[str, None, None]:
        # kwargs: detect-secrets passes e.g. enable_eager_search=True when auditing.
        for finding in scan_text(string):
            yield finding.secret.value

    def analyze_line(
        self,
        filename: str,
        line: str,
        line_number: int = 0,
        context: CodeSnippet | None = None,
        **kwargs: Any,
    ) -> set[PotentialSecret]:
        return {
            PotentialSecret(
                type=self.secret_type,
                filename=filename,
                secret=finding.secret.value,
                line_number=line_number,
            )
            for finding in _line_findings(line, context, filename)
        }


# Rules that need evidence elsewhere in the file (Azure classic keys, `sess-`, `whsec_`) look
# around the line; the others identify themselves and need only the line.
_ALONE = tuple(r for r in DEFAULT_RULES if r.file_context is None)
_IN_CONTEXT = tuple(r for r in DEFAULT_RULES if r.file_context is not None)
# The engine finds nothing for `_ALONE` rules in text without one of their keywords or an encoded
# marker; checking that first saves the engine call on almost every line.
_ALONE_GATE = tuple(sorted({k for r in _ALONE for k in r.keywords} | {m.decode() for m in BASE64_MARKERS}))


def _line_findings(line: str, context: CodeSnippet | None, filename: str = "") -> list[Finding]:
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


def is_indirect_reference(line: str, context: CodeSnippet, filename: str) -> bool:
    """detect-secrets' `is_indirect_reference`, except that a line holding a key is kept.

    The stock filter drops `x = f(...)`-shaped lines (`client = OpenAI(api_key="sk-...")`) for all
    plugins before any of them runs.
    """
    return bool(_heuristic.is_indirect_reference(line)) and not _line_findings(line, context, filename)


def plugin_file() -> str:
    """This file, as `--plugin` and spawned detect-secrets workers load it."""
    return os.path.abspath(__file__)
