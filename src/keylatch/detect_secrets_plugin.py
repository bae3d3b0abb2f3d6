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

This module is the contract only: how a line becomes findings lives in detect_secrets_lines.py,
`keylatch detect-secrets` (scan, hook, audit in-process) in detect_secrets_runner.py and the
modules it names; only detect_secrets_* modules import detect_secrets. No state of its own.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.filters import heuristic as _heuristic
from detect_secrets.plugins.base import BasePlugin
from detect_secrets.util.code_snippet import CodeSnippet

from keylatch.detect_secrets_lines import line_findings
from keylatch.engine import scan_text


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
            for finding in line_findings(line, context, filename)
        }


def is_indirect_reference(line: str, context: CodeSnippet, filename: str) -> bool:
    """detect-secrets' `is_indirect_reference`, except that a line holding a key is kept.

    The stock filter drops `x = f(...)`-shaped lines (`client = OpenAI(api_key="sk-...")`) for all
    plugins before any of them runs.
    """
    return bool(_heuristic.is_indirect_reference(line)) and not line_findings(line, context, filename)


def plugin_file() -> str:
    """This file, as `--plugin` and spawned detect-secrets workers load it."""
    return os.path.abspath(__file__)
