"""Per-line tests and line numbers for increasing offsets, each line searched once."""

from __future__ import annotations

import re
from collections.abc import Callable

from keylatch.rules import Rule


class LineTest:
    """A rule's line_context / line_exclude for increasing offsets, each searched once per line.

    Line bounds are found from the previous line's end, and the cheap lower-case searches run
    before line_context, which runs only when they leave the key in.
    """

    __slots__ = ("_rule", "_lower", "_text", "_words", "_start", "_end", "_ok", "_exclude_end")

    def __init__(self, rule: Rule, lower: Callable[[], str], text: str, exact: bool) -> None:
        self._rule, self._lower, self._text = rule, lower, text
        # ASCII lower-casing finds the words exactly as line_context's IGNORECASE would in bytes
        # (latin-1) and ASCII text; other text may spell them with "ſ" or "K" (Kelvin sign).
        self._words = re.compile("|".join(map(re.escape, rule.line_words))) if rule.line_words and exact else None
        self._start, self._end, self._exclude_end = 0, -1, -1
        self._ok: bool | None = None  # line_context, once asked

    def __call__(self, pos: int) -> bool:
        rule = self._rule
        if rule.line_context is None and rule.line_exclude is None:
            return True
        if not self._start <= pos <= self._end:
            text = self._text
            # Offsets only grow, so the previous line's end bounds the search back.
            start = self._start = text.rfind("\n", max(0, self._end) if pos > self._end else 0, pos) + 1
            end = text.find("\n", pos)
            end = self._end = len(text) if end < 0 else end
            self._ok = None
            self._exclude_end = -1
            if rule.line_exclude is not None:
                # Searched in place (pos/endpos) rather than in a copy of the line.
                first = rule.line_exclude.search(self._lower(), start, end)
                self._exclude_end = first.end() if first is not None else -1
        # rule.py: a key is dropped when the first line_exclude match of its line ends before it.
        if 0 <= self._exclude_end <= pos:
            return False
        if self._ok is None:
            context, start, end = rule.line_context, self._start, self._end
            self._ok = context is None or (
                (self._words is None or self._words.search(self._lower(), start, end) is not None)
                and context.search(self._text, start, end) is not None
            )
        return self._ok


class Lines:
    """Line and column of non-decreasing offsets, counting each newline once.

    Every search is bounded by the previous offset, so locating any number of findings costs one
    pass over the document.
    """

    __slots__ = ("_raw", "_nl", "_pos", "_line", "_start")

    def __init__(self, raw: bytes | str) -> None:
        self._raw = raw
        self._nl: bytes | str = b"\n" if isinstance(raw, bytes) else "\n"
        self._pos, self._line, self._start = 0, 1, 0

    def locate(self, pos: int) -> tuple[int, int]:
        """(1-based line, 1-based column) of `pos`."""
        raw, nl = self._raw, self._nl
        if pos < self._pos:  # callers go forward; going back starts over
            self._pos, self._line, self._start = 0, 1, 0
        crossed = raw.count(nl, self._pos, pos)  # type: ignore[arg-type]
        if crossed:
            self._line += crossed
            self._start = raw.rfind(nl, self._pos, pos) + 1  # type: ignore[arg-type]
        self._pos = pos
        return self._line, pos - self._start + 1
