"""Chunks x rules -> findings. Pure: no I/O, no global state beyond compiled constants.

The hot loop is a literal `find` of each rule's keywords in the raw bytes; only a window around a
hit is decoded and given to the regex. Bytes are decoded as latin-1 so that one byte is one
character: offsets and columns stay byte-exact and the ASCII-only patterns cannot be fooled by
multi-byte sequences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from keylatch.encoded import BASE64_MARKERS, UTF16_MARKER, base64_payloads, utf16_texts, wrapped_block
from keylatch.model import Chunk, Finding, Location, Secret
from keylatch.rules import DEFAULT_RULES, Rule

# A match starts at most this far before its keyword and ends at most this far after it.
_REACH = 640
@dataclass(frozen=True, slots=True)
class _Doc:
    """Either bytes (decoded lazily, latin-1) or text; offsets are the same in both views."""

    raw: bytes | str

    def find_all(self, needle: str, start: int = 0, end: int | None = None) -> Iterator[int]:
        raw = self.raw
        stop = len(raw) if end is None else end
        if isinstance(raw, bytes):
            nb = needle.encode("ascii")
            i = raw.find(nb, start, stop)
            while i >= 0:
                yield i
                i = raw.find(nb, i + 1, stop)
        else:
            i = raw.find(needle, start, stop)
            while i >= 0:
                yield i
                i = raw.find(needle, i + 1, stop)

    def contains(self, needle: str) -> bool:
        raw = self.raw
        return (needle.encode("ascii") in raw) if isinstance(raw, bytes) else (needle in raw)

    def text(self, start: int = 0, end: int | None = None) -> str:
        raw = self.raw
        part = raw[start:end]
        return part.decode("latin-1") if isinstance(part, bytes) else part

    def line_bounds(self, pos: int) -> tuple[int, int]:
        raw = self.raw
        nl: bytes | str = b"\n" if isinstance(raw, bytes) else "\n"
        start = raw.rfind(nl, 0, pos) + 1  # type: ignore[arg-type]
        end = raw.find(nl, pos)  # type: ignore[arg-type]
        return start, (len(raw) if end < 0 else end)

    def line_no(self, pos: int) -> int:
        raw = self.raw
        return raw.count(b"\n" if isinstance(raw, bytes) else "\n", 0, pos) + 1  # type: ignore[arg-type]


class _Presence:
    """Which keywords a document contains, each searched for at most once.

    Each search is one pass over the data, so rules that share a keyword share the pass.
    """

    __slots__ = ("_doc", "_seen")

    def __init__(self, doc: _Doc) -> None:
        self._doc = doc
        self._seen: dict[str, bool] = {}

    def __call__(self, keyword: str) -> bool:
        hit = self._seen.get(keyword)
        if hit is None:
            hit = self._seen[keyword] = self._doc.contains(keyword)
        return hit

    def any(self, rule: Rule) -> bool:
        return any(self(k) for k in rule.keywords)


def _windows(doc: _Doc, rule: Rule) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    size = len(doc.raw)
    for kw in rule.keywords:
        for pos in doc.find_all(kw):
            spans.append((max(0, pos - _REACH), min(size, pos + len(kw) + _REACH)))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _matches(doc: _Doc, rule: Rule, full: list[str]) -> Iterator[tuple[int, str]]:
    """Yield (absolute start, key) for each accepted match of `rule` in `doc`.

    The caller has checked that `doc` contains one of the rule's keywords.
    """
    if rule.anchored:
        if not _has_evidence(doc, rule, full):
            return
        for a, b in _windows(doc, rule):
            # A window that starts mid-data must not invent a left boundary: widen by one byte
            # and only accept matches that start past it.
            lead = 1 if a > 0 else 0
            text = doc.text(a - lead, b)
            for m in rule.pattern.finditer(text, lead):
                key = rule.validate(m) if rule.validate else m.group("key")
                if key:
                    yield a - lead + m.start("key"), key
        return
    if not _has_evidence(doc, rule, full):
        return
    if not full:
        full.append(doc.text())
    text = full[0]
    for m in _candidates(doc, rule, text):
        key = rule.validate(m) if rule.validate else m.group("key")
        if not key:
            continue
        start = m.start("key")
        if rule.line_context is not None or rule.line_exclude is not None:
            ls, le = doc.line_bounds(start)
            before = text[ls:start]
            line = text[ls:le]
            if rule.line_context is not None and not rule.line_context.search(line):
                continue
            if rule.line_exclude is not None and rule.line_exclude.search(before):
                continue
        yield start, key


_CONTEXT_REACH = 64


def _has_evidence(doc: _Doc, rule: Rule, full: list[str]) -> bool:
    if rule.file_context is None:
        return True
    if rule.context_near_keyword:
        for kw in rule.keywords:
            for pos in doc.find_all(kw):
                lo = max(0, pos - _CONTEXT_REACH)
                if rule.file_context.search(doc.text(lo, pos + len(kw) + _CONTEXT_REACH)):
                    return True
        return False
    if not full:
        full.append(doc.text())
    return rule.file_context.search(full[0]) is not None


def _candidates(doc: _Doc, rule: Rule, text: str) -> Iterator[re.Match[str]]:
    """Matches of a non-anchored rule: everywhere, or only where a run of its characters is."""
    if not rule.run_chars:
        yield from rule.pattern.finditer(text)
        return
    raw = doc.raw
    data = raw if isinstance(raw, bytes) else raw.encode("latin-1", "replace")  # one byte per char
    table = _run_table(rule.run_chars)
    runs = data.translate(table)
    needle = b"\1" * rule.run_length
    pos = runs.find(needle)
    while pos >= 0:
        end = runs.find(b"\0", pos)
        end = len(runs) if end < 0 else end
        # The key is the whole run, or its tail when an escape ("%22", "\x22") ends in run chars.
        for start in sorted({pos, end - rule.run_length}):
            m = rule.pattern.match(text, start)
            if m is not None:
                yield m
        pos = runs.find(needle, end)


def _run_table(chars: str) -> bytes:
    table = bytearray(256)
    for c in chars.encode("ascii"):
        table[c] = 1
    return bytes(table)


class _Lines:
    """Line numbers for increasing offsets, counting each newline once (not from 0 each time)."""

    __slots__ = ("_doc", "_pos", "_line")

    def __init__(self, doc: _Doc) -> None:
        self._doc, self._pos, self._line = doc, 0, 1

    def location(self, chunk: Chunk, pos: int) -> Location:
        raw = self._doc.raw
        if pos < self._pos:
            self._pos, self._line = 0, 1
        self._line += raw.count(b"\n" if isinstance(raw, bytes) else "\n", self._pos, pos)  # type: ignore[arg-type]
        self._pos = pos
        ls, _ = self._doc.line_bounds(pos)
        return Location(
            path=chunk.path,
            line=chunk.first_line + self._line - 1,
            column=pos - ls + 1,
            commit=chunk.commit,
            blob=chunk.blob,
        )


@dataclass(frozen=True, slots=True)
class _Hit:
    at: int
    rule: Rule
    key: str
    encoding: str = ""


def _scan_doc(doc: _Doc, chunk: Chunk, rules: Sequence[Rule]) -> list[Finding]:
    present = _Presence(doc)
    plain: dict[int, _Hit] = {}  # the first rule to claim an offset keeps it
    full: list[str] = []
    for rule in rules:
        if present.any(rule):
            for start, key in _matches(doc, rule, full):
                plain.setdefault(start, _Hit(start, rule, key))
    hits = list(plain.values())
    b64_rules = [r for r in rules if r.base64]
    if b64_rules:
        encoded: list[tuple[_Doc, int]] = []  # (where to look, offset reported for its hits)
        if any(present(m.decode()) for m in BASE64_MARKERS):
            encoded.append((doc, -1))
        block = wrapped_block(doc.raw) if isinstance(doc.raw, bytes) else None
        if block is not None and any(m in block for m in BASE64_MARKERS):
            encoded.append((_Doc(block), 0))
        seen = {h.key for h in hits}
        for where, fixed in encoded:
            data = where.raw if isinstance(where.raw, bytes) else where.raw.encode("latin-1", "replace")
            for pos, decoded in base64_payloads(data):
                inner = _Doc(decoded)
                inner_present = _Presence(inner)
                for rule in b64_rules:
                    if inner_present.any(rule):
                        for _, key in _matches(inner, rule, []):
                            if key not in seen:
                                seen.add(key)
                                hits.append(_Hit(pos if fixed < 0 else fixed, rule, key, "base64"))
    hits.sort(key=lambda h: h.at)
    lines = _Lines(doc)
    findings = [
        Finding(
            rule_id=h.rule.id,
            severity=h.rule.severity,
            secret=_secret(h.rule, h.key),
            location=lines.location(chunk, h.at),
            span=(h.at, h.at if h.encoding else h.at + len(h.key)),
            encoding=h.encoding,
        )
        for h in hits
    ]
    raw = doc.raw
    # UTF-16 text has NUL bytes; the NUL test is a memchr, far cheaper than the marker search.
    if isinstance(raw, bytes) and b"\0" in raw and UTF16_MARKER in raw:
        findings.extend(_utf16_findings(raw, chunk, rules, {f.secret.value for f in findings}))
    return sorted(findings, key=lambda f: (f.span, f.rule_id, f.secret.fingerprint))


def _utf16_findings(raw: bytes, chunk: Chunk, rules: Sequence[Rule], seen: set[str]) -> Iterator[Finding]:
    for start, text in utf16_texts(raw):
        doc = _Doc(text)
        present = _Presence(doc)
        for rule in rules:
            if not (rule.anchored and present.any(rule)):
                continue
            for at, key in _matches(doc, rule, []):
                if key in seen:
                    continue
                seen.add(key)
                ls, _ = doc.line_bounds(at)
                byte_at = start + 2 * at
                yield Finding(
                    rule_id=rule.id,
                    severity=rule.severity,
                    secret=_secret(rule, key),
                    location=Location(
                        path=chunk.path,
                        line=chunk.first_line + doc.line_no(at) - 1,
                        column=at - ls + 1,
                        commit=chunk.commit,
                        blob=chunk.blob,
                    ),
                    span=(byte_at, byte_at + 2 * len(key)),
                    encoding="utf-16",
                )


def _secret(rule: Rule, key: str) -> Secret:
    return Secret(key, rule.prefix(key))


def scan_chunk(chunk: Chunk, rules: Sequence[Rule] = DEFAULT_RULES) -> list[Finding]:
    return _scan_doc(_Doc(chunk.data), chunk, rules)


def scan(chunks: Iterable[Chunk], rules: Sequence[Rule] = DEFAULT_RULES) -> Iterator[Finding]:
    for chunk in chunks:
        yield from scan_chunk(chunk, rules)


def scan_text(text: str, rules: Sequence[Rule] = DEFAULT_RULES, path: str = "<text>") -> list[Finding]:
    """Scan a str; spans and columns count characters (used by the detect-secrets adapter)."""
    return _scan_doc(_Doc(text), Chunk(b"", path), rules)



__all__ = ["BASE64_MARKERS", "scan", "scan_chunk", "scan_text"]  # BASE64_MARKERS: from encoded
