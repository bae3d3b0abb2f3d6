"""The Rule record: a pattern plus the evidence it needs and the examples that prove it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from keylatch.model import Severity

# Returns the accepted key (a prefix of match.group("key")) or None to reject the match.
Validator = Callable[["re.Match[str]"], "str | None"]


@dataclass(frozen=True, slots=True)
class Example:
    """`text` must yield exactly one finding of the rule, whose secret is `key`."""

    text: str
    key: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str  # kebab-case and stable: baselines and SARIF store it
    description: str
    severity: Severity
    # Literal prefilter: the chunk must contain one of these (case-sensitive, found with bytes.find).
    keywords: tuple[str, ...]
    # Group "key" is the secret.
    pattern: re.Pattern[str]
    # True when every keyword lies inside the key itself, so the engine only needs a window
    # around each keyword hit instead of the whole chunk.
    anchored: bool
    examples: tuple[Example, ...]
    counterexamples: tuple[str, ...]
    references: tuple[str, ...]
    # Length of the public prefix shown in redacted output (e.g. len("sk-proj-")).
    prefix: Callable[[str], int]
    validate: Validator | None = None
    # Evidence the whole chunk must show (e.g. an Azure OpenAI endpoint) for a non-self-identifying key.
    file_context: re.Pattern[str] | None = None
    # The key's line must match line_context and must not match line_exclude.
    line_context: re.Pattern[str] | None = None
    line_exclude: re.Pattern[str] | None = None
    # Look for this rule's keys inside base64-encoded values too.
    base64: bool = False
    # The file_context evidence contains a keyword (e.g. "azure" in `openai.azure.com`), so the
    # engine only tests it in a small window around each keyword hit, never over the whole chunk.
    context_near_keyword: bool = False
    # For a key that is a fixed-length run of these characters (the 32-hex Azure key): the engine
    # finds runs with bytes.translate + find and tries `pattern` only there, because scanning a
    # whole chunk with a character-class regex runs at about 10 MB/s.
    run_chars: str = ""
    run_length: int = 0

    @property
    def keyword_bytes(self) -> tuple[bytes, ...]:
        return tuple(k.encode("ascii") for k in self.keywords)
