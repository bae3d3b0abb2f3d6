"""Matching one document: literal keyword hits, windows around them, and each rule's regex there.

The hot loop is one pass over the raw bytes that finds which of the rules' literals occur
(`prefilter.present`: keywords, their base64 and UTF-16 spellings, all at once); only keywords that
occur are then located with `find`, and only a window around a hit is decoded and given to the
regex. Bytes are decoded as latin-1 so that one byte is one
character: offsets and columns stay byte-exact and the ASCII-only patterns cannot be fooled by
multi-byte sequences.

Cost is linear in the input whatever its shape (bench/complexity_bench.py measures each shape
against clean text): overlapping windows are merged while they are found, a keyword repeated
densely is crossed a window at a time, a rule whose keys end a run of key characters is tried
once per run.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from keylatch.engine.lines import LineTest
from keylatch.engine.tables import Column, Tables
from keylatch.prefilter import ek_starts_at, present
from keylatch.rules import Regex, Rule, base64_gates, base64_twice_gates, byte_gates, escape_gates, hex_gates, needles

# A match starts at most this far before its keyword and ends at most this far after it
# (tests/test_engine.py checks every rule's key_len against it).
REACH = 640
# The Realtime rule's keyword: in a word (`seek_`, `peek_`) it opens no decoder window (_starts).
EK = "ek_"
# How far from a keyword a rule's file_context evidence may be (context_near_keyword).
CONTEXT_REACH = 64


@dataclass(frozen=True, slots=True)
class Doc:
    """Either bytes (decoded lazily, latin-1) or text; offsets are the same in both views."""

    raw: bytes | str

    def find(self, needle: str, start: int = 0, end: int | None = None) -> int:
        raw = self.raw
        stop = len(raw) if end is None else end
        if isinstance(raw, bytes):
            return raw.find(needle.encode("ascii"), start, stop)
        return raw.find(needle, start, stop)

    def rfind(self, needle: str, start: int, end: int) -> int:
        raw = self.raw
        if isinstance(raw, bytes):
            return raw.rfind(needle.encode("ascii"), start, end)
        return raw.rfind(needle, start, end)

    def contains(self, needle: str) -> bool:
        raw = self.raw
        return (needle.encode("ascii") in raw) if isinstance(raw, bytes) else (needle in raw)

    def text(self, start: int = 0, end: int | None = None) -> str:
        part = self.raw[start:end]
        return part.decode("latin-1") if isinstance(part, bytes) else part

    def data(self, start: int, end: int) -> bytes:
        """One byte per character: the bytes themselves, or text with non-latin-1 as `?`."""
        part = self.raw[start:end]
        return part if isinstance(part, bytes) else part.encode("latin-1", "replace")


class Window:
    """A merged window of the document: its text, and which characters belong to runs of a class."""

    __slots__ = ("base", "lead", "text", "_runs")

    def __init__(self, doc: Doc, a: int, b: int) -> None:
        # A window that starts mid-data must not invent a left boundary: it carries one more
        # character on the left, and matches may only start past it.
        self.lead = 1 if a > 0 else 0
        self.base = a - self.lead
        self.text = doc.text(self.base, b)
        self._runs: dict[str, bytes] = {}

    def runs(self, chars: str) -> bytes:
        """b"\\1" where the character is one of `chars`, else b"\\0" (one translate, cached)."""
        runs = self._runs.get(chars)
        if runs is None:
            data = self.text.encode("latin-1", "replace")  # the window's bytes again, for translate
            table = bytearray(256)
            for c in chars.encode("ascii"):
                table[c] = 1
            runs = self._runs[chars] = data.translate(table)
        return runs


@dataclass(frozen=True, slots=True)
class Gates:
    """The literals of a rule set: what the one pass looks for, and what starts base64 decoding."""

    needles: tuple[bytes, ...]
    base64: tuple[bytes, ...]
    hex: tuple[bytes, ...]  # rules.hex_gates: what starts the hex decoder (engine/__init__.py)
    escapes: tuple[bytes, ...]  # rules.escape_gates: what starts the decoder of escape runs (same)
    byte_lists: tuple[bytes, ...]  # rules.byte_gates: what starts the byte-list decoder (decoders.py)
    base64_twice: tuple[bytes, ...]  # rules.base64_twice_gates: a value decoded, then again
    # The anchored rules' keywords and their halves, as decoders._keyword_windows asks for their
    # windows (the same tuple: one cached set of windows): YAML folds are removed in them.
    folds: tuple[str, ...]
    # The needles as a set: has_literal asks about a needle per decoder gate (about 60 a
    # document), and a test against the 109-needle tuple cost 2 us each.
    needle_set: frozenset[bytes]


class _Same:
    """A rule set compared by identity: hashing a tuple of Rule records costs about 17 us, which
    would be paid per chunk; the cache holding this key keeps its rules alive, so ids stay unique."""

    __slots__ = ("rules",)

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules

    def __hash__(self) -> int:
        return id(self.rules)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.rules is self.rules


@functools.lru_cache(maxsize=16)
def _gates(same: _Same) -> Gates:
    rules = tuple(same.rules)
    found = needles(rules)
    folds = tuple(sorted({w for r in rules if r.anchored for w in (*r.keywords, *r.keyword_parts)}))
    return Gates(
        found,
        base64_gates(rules),
        hex_gates(rules),
        escape_gates(rules),
        byte_gates(rules),
        base64_twice_gates(rules),
        folds,
        frozenset(found),
    )


def gates(rules: Sequence[Rule]) -> Gates:
    return _gates(_Same(rules))


class Scan:
    """What a scan of one document computes once and shares between its rules.

    Which literals occur is found in one pass the first time a keyword is asked about (bytes
    only; text is asked a needle at a time), each keyword is located at most once, the windows
    around a keyword's hits are built once for every rule that shares it, and the whole text is
    decoded at most once.
    """

    __slots__ = ("doc", "gates", "_present", "_seen", "_windows", "_full", "_lower", "_evidence", "_tables")

    def __init__(self, doc: Doc, rules: Sequence[Rule] = ()) -> None:
        self.doc = doc
        self.gates = gates(rules)
        self._present: frozenset[bytes] | None = None
        self._seen: dict[str, bool] = {}
        self._windows: dict[tuple[tuple[str, ...], int, bool], list[Window]] = {}
        self._full: str | None = None
        self._tables: Tables | None = None
        self._lower: str | None = None
        self._evidence: dict[tuple[Regex, tuple[str, ...] | None], bool] = {}

    def has(self, keyword: str) -> bool:
        hit = self._seen.get(keyword)
        if hit is None:
            hit = self._seen[keyword] = self.has_literal(keyword.encode("latin-1"))
        return hit

    def has_literal(self, needle: bytes) -> bool:
        raw = self.doc.raw
        if isinstance(raw, bytes) and needle in self.gates.needle_set:
            if self._present is None:
                self._present = present(raw, self.gates.needles)
            return needle in self._present
        return self.doc.contains(needle.decode("latin-1"))

    def any(self, rule: Rule) -> bool:
        return any(self.has(k) for k in rule.keywords)

    def full(self) -> str:
        if self._full is None:
            self._full = self.doc.text()
        return self._full

    def tables(self) -> Tables:
        """The document's tables, read as far as asked (engine/tables.py); shared by its rules."""
        if self._tables is None:
            self._tables = Tables(self.full())
        return self._tables

    def lower(self) -> str:
        """The text with ASCII letters lower-cased; offsets are those of the text."""
        if self._lower is None:
            self._lower = self.doc.data(0, len(self.doc.raw)).lower().decode("latin-1")
        return self._lower

    def windows(self, keywords: tuple[str, ...], reach: int, *, key_starts: bool = False) -> list[Window]:
        """The merged windows around the keywords' hits. With `key_starts`, an `ek_` hit counts
        only where the Realtime rule may start a key (prefilter.ek_starts_at, scan's gate): the
        decoders' windows, so that `seek_` opens none (the rule's own pattern tests its edge)."""
        key = (keywords, reach, key_starts)
        found = self._windows.get(key)
        if found is None:
            spans = [
                s
                for kw in keywords
                if self.has(kw)
                for s in (_starts(self.doc, kw, reach) if key_starts and kw == EK else _spans(self.doc, kw, reach))
            ]
            found = self._windows[key] = [Window(self.doc, a, b) for a, b in _merge(spans)]
        return found

    def evidence(self, rule: Rule) -> bool:
        """Whether the file_context evidence is in the document (or near a keyword)."""
        context = rule.file_context
        if context is None:
            return True
        near = rule.keywords if rule.context_near_keyword else None
        key = (context, near)
        seen = self._evidence.get(key)
        if seen is None:
            # file_context is written in lower case and searched in lower-cased text: an
            # IGNORECASE regex runs at a fraction of the speed (rule.py).
            if near is not None:
                seen = any(context.search(w.text.lower()) for w in self.windows(near, CONTEXT_REACH))
            else:
                seen = context.search(self.lower()) is not None
            self._evidence[key] = seen
        return seen


def _spans(doc: Doc, kw: str, reach: int) -> Iterator[tuple[int, int]]:
    """[hit - reach, hit + len + reach] around the hits of `kw`, overlapping ones merged as found.

    A run of overlapping hits is crossed with one `rfind` per `reach` bytes (the last hit whose
    window still touches the current one), so a keyword repeated densely costs no more than a
    keyword found once per window.
    """
    size, k = len(doc.raw), len(kw)
    touch = k + 2 * reach  # a hit at most this far after `last` has a window touching last's
    i = doc.find(kw)
    while i >= 0:
        last = i
        while True:
            j = doc.rfind(kw, last + 1, last + touch + k)
            if j < 0:
                break
            last = j
        yield max(0, i - reach), min(size, last + k + reach)
        i = doc.find(kw, last + touch + 1)


def _starts(doc: Doc, kw: str, reach: int) -> Iterator[tuple[int, int]]:
    """The windows of `_spans` around the hits of `kw` where a key may start, overlapping ones
    merged as found (one test of a few characters a hit: a dense run of `ek_` stays linear)."""
    size, k = len(doc.raw), len(kw)
    span: tuple[int, int] | None = None
    i = doc.find(kw)
    while i >= 0:
        if ek_starts_at(doc.raw, i):
            a, b = max(0, i - reach), min(size, i + k + reach)
            if span is not None and a > span[1]:
                yield span
                span = None
            span = (span[0] if span else a, b)
        i = doc.find(kw, i + k)
    if span is not None:
        yield span


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _matches(scan: Scan, rule: Rule) -> Iterator[tuple[int, str]]:
    """Yield (absolute start, key) for each accepted match of `rule`, in increasing order per window.

    The caller has checked that the document contains one of the rule's keywords.
    """
    if not scan.evidence(rule):
        return
    if not rule.anchored:
        yield from _loose_matches(scan, rule)
        return
    pattern = rule.pattern
    for w in scan.windows(rule.keywords, REACH):
        for m in _run_matches(w, rule) if rule.token_chars else pattern.finditer(w.text, w.lead):
            key = _judge(scan, rule, w, m)
            if key:
                yield w.base + m.start("key"), key
        if rule.glued is not None and "\0" in w.text:  # binary: keys glued to their neighbours
            for m in rule.glued.finditer(w.text, w.lead):
                key = _judge(scan, rule, w, m)
                if key:
                    yield w.base + m.start("key"), key


def _judge(scan: Scan, rule: Rule, w: Window, m: re.Match[str]) -> str | None:
    """The key a window's match stands for, as the rule's validator judges it: in the window, or
    with `judge_in_document` in the whole text (decoded once per document, not a slice per
    candidate: a key on every line would read the text around it again for each)."""
    validate = rule.validate
    if validate is None:
        return m.group("key")
    if rule.judge_in_document:
        again = m.re.match(scan.full(), w.base + m.start())
        if again is not None and again.group("key") == m.group("key"):
            return validate(again)
    return validate(m)


def _run_matches(w: Window, rule: Rule) -> Iterator[re.Match[str]]:
    """Matches of a rule whose keys lie at the end of a run of `rule.token_chars` (rule.py).

    A run longer than the longest key can hold a match only in its last `key_len[1]`
    characters, so its head is skipped; everything else is searched by one `finditer` per
    stretch, in C. A key of fixed length is tried only at the end of each run that is long enough
    (found in C too). A long token, or a prefix repeated inside one, costs one attempt, not one
    per position.
    """
    shortest, longest = rule.key_len
    text, runs = w.text, w.runs(rule.token_chars)
    if shortest == longest:
        need = b"\1" * shortest
        p = runs.find(need, w.lead)
        while p >= 0:
            end = runs.find(b"\0", p + shortest)
            end = len(text) if end < 0 else end
            # endpos one past the run: the end-of-token lookahead must see what ends it.
            m = rule.pattern.match(text, end - shortest, end + 1)
            if m is not None:
                yield m
            p = runs.find(need, end)
        return
    finditer = rule.pattern.finditer
    need = b"\1" * (longest + 1)
    pos = w.lead
    p = runs.find(need, pos)
    while p >= 0:
        end = runs.find(b"\0", p + longest)
        end = len(text) if end < 0 else end
        if p > pos:  # the stretch before this run: endpos at the run, which no match reaches
            yield from finditer(text, pos, p)
        pos = max(pos, end - longest)
        p = runs.find(need, end)
    yield from finditer(text, pos)


def _loose_matches(scan: Scan, rule: Rule) -> Iterator[tuple[int, str]]:
    """Matches of a non-anchored rule: everywhere, or only where a run of its characters is.

    For a run rule a key is a whole run, or the end of a longer one after an escape such as
    "%22" that ends in run characters: one candidate per run, found with one translate and
    C-level finds. The line tests run once per line, the validator last.
    """
    text = scan.full()
    line_ok = LineTest(rule, scan.lower, text, isinstance(scan.doc.raw, bytes) or text.isascii())
    validate, match = rule.validate, rule.pattern.match
    if not rule.run_chars:
        for m in rule.pattern.finditer(text):
            key = validate(m) if validate else m.group("key")
            if key and line_ok(m.start("key")):
                yield m.start("key"), key
        return
    table = bytearray(256)
    for c in rule.run_chars.encode("ascii"):
        table[c] = 1
    runs = scan.doc.data(0, len(text)).translate(table)
    length = rule.run_length
    needle = b"\1" * length
    pos = runs.find(needle)
    while pos >= 0:
        end = runs.find(b"\0", pos)
        end = len(runs) if end < 0 else end
        column: Column | None = None
        if end - pos == length:  # the key is the whole run: its line first, the cheaper test
            start = pos
            hit = match(text, start) if line_ok(start) else None
            if hit is None and rule.by_column is not None:
                # A table row names no key on its line: its header row may (engine/tables.py).
                column = scan.tables().column(start, end)
                hit = match(text, start) if column is not None else None
        else:  # a longer run ends in a key only after an escape ("%22", "\x22"): the pattern first
            start = end - length
            hit = match(text, start)
            hit = hit if hit is not None and line_ok(start) else None
        if hit is None:
            key = None
        elif column is not None and rule.by_column is not None:
            key = rule.by_column(column.name, column.names, column.rows_start, hit)
        else:
            key = validate(hit) if validate else hit.group("key")
        if key:
            yield start, key
        pos = runs.find(needle, end)


# (offset, rule, key, encoding): a match before it becomes a Finding.
Hit = tuple[int, Rule, str, str]


def sorted_hits(scan: Scan, rules: Sequence[Rule]) -> list[Hit]:
    """Every rule's matches in offset order; the first rule to claim an offset keeps it."""
    claimed: dict[int, Hit] = {}
    for rule in rules:
        if scan.any(rule):
            for at, key in _matches(scan, rule):
                if at not in claimed:
                    claimed[at] = (at, rule, key, "")
    return sorted(claimed.values(), key=lambda h: h[0])
