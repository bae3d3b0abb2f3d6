"""Chunks x rules -> findings. Pure: no I/O, no global state beyond compiled constants.

matching.py finds each rule's keys in one document; this module adds what is encoded in it
(views.py): base64 and hex values, UTF-16 and UTF-32 text (encoded.py), escapes inside a key and
keys split across string literals (decoders.py). Each decoder runs only where a literal that it
needs is in the document (a keyword's encoded spelling, an escape's introducer next to a
keyword), so clean text pays a few `bytes.find` passes for them (bench/engine_bench.py). Its
pieces stream into its view one at a time, so memory stays a small multiple of the document
however densely it is encoded (tests/test_engine_memory.py).
A key is reported at every place it is written, each with its own encoding label.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence

from keylatch.encoded import (
    BASE64_MARKERS,
    BASE64_NEEDLES,
    UTF16_NEEDLES,
    UTF32_NEEDLES,
    block_scalar_breaks,
    escaped_characters,
    hex_payloads,
    utf16_texts,
    utf32_texts,
)
from keylatch.engine.decoders import BYTES, base64_pieces, byte_pieces, dump_pieces, escape_pieces, join_pieces
from keylatch.engine.lines import Lines
from keylatch.engine.matching import REACH, Doc, Hit, Scan, sorted_hits
from keylatch.engine.views import Piece, in_order, start_of, view_hits
from keylatch.model import Chunk, Finding, Location, Secret
from keylatch.rules import DEFAULT_RULES, Rule

# Text of wider code units: (label, every keyword as it spells them, bytes a unit, the texts
# aligned on a needle). A key in them spans `width` bytes a character, as written.
_WIDE: tuple[tuple[str, tuple[bytes, ...], int, Callable[[bytes, int], Iterator[tuple[int, str]]]], ...] = (
    ("utf-16", UTF16_NEEDLES, 2, utf16_texts),
    ("utf-32", UTF32_NEEDLES, 4, utf32_texts),
)
_WIDE_LABELS = frozenset(label for label, _, _, _ in _WIDE)


def _findings(chunk: Chunk, lines: Lines, hits: list[Hit], scale: int = 1, base: int = 0) -> Iterator[Finding]:
    """Findings for `hits` in increasing offset order; offsets are scaled (UTF-16, UTF-32) into the chunk."""
    for at, rule, key, encoding in hits:
        line, column = lines.locate(at)
        start = base + scale * at
        severity, expires = rule.assess(key) if rule.assess else (rule.severity, None)
        yield Finding(
            rule.id,
            severity,
            Secret(key, rule.prefix(key), expires),
            Location(chunk.path, chunk.first_line + line - 1, column, chunk.commit, chunk.blob),
            (start, start + scale * len(key) if not encoding or encoding in _WIDE_LABELS else start),
            encoding,
        )


def _scan_doc(doc: Doc, chunk: Chunk, rules: Sequence[Rule]) -> list[Finding]:
    scan = Scan(doc, rules)
    hits = sorted_hits(scan, rules)
    # One decoder at a time, its pieces streamed into its view in order of start (none is held
    # a record each: tests/test_engine_memory.py); a decoder that found nothing costs no view.
    decoders: tuple[tuple[str, bytes, Callable[[], Iterable[Piece]]], ...] = (
        ("base64", b" ", lambda: base64_pieces(scan, rules)),
        ("escaped", b"", lambda: _escape_pieces(scan, rules)),
        ("joined", b"", lambda: _join_pieces(scan, rules)),
        ("hex", b" ", lambda: sorted(_hex_pieces(scan), key=start_of)),
        ("bytes", b"", lambda: byte_pieces(scan)),
        ("bytes", b"", lambda: byte_pieces(scan, decimal=True)),
        ("bytes", b"", lambda: dump_pieces(scan)),
    )
    data: bytes | None = None
    for label, sep, pieces in decoders:
        stream = iter(pieces())
        first = next(stream, None)
        if first is not None:
            data = doc.data(0, len(doc.raw)) if data is None else data
            hits += view_hits(data, itertools.chain((first,), stream), rules, label, sep)
    hits.sort(key=lambda h: h[0])
    findings = list(_findings(chunk, Lines(doc.raw), hits))
    # UTF-16 and UTF-32 text has NUL bytes; the NUL test is a memchr, far cheaper than the
    # needle search.
    if isinstance(doc.raw, bytes) and b"\0" in doc.raw:
        for label, needles, width, texts in _WIDE:
            findings.extend(_wide_findings(scan, doc.raw, chunk, rules, label, needles, width, texts))
    # Ties (several keys in one base64 value share its offset) are broken by the key itself.
    return sorted(findings, key=lambda f: (f.span, f.rule_id, f.secret.value))


def _escape_pieces(scan: Scan, rules: Sequence[Rule]) -> Iterator[Piece]:
    """Escapes near a keyword (decoders.escape_pieces), and in a document that holds a keyword
    wholly escaped (a key written as `\\u0073\\u006b...`), every `\\u00XX` and `\\xXX` of it: one
    piece per escape, so a key is reported at its first escaped character either way."""
    near = escape_pieces(scan, rules)
    if not any(scan.has_literal(n) for n in scan.gates.escapes):
        return near
    data = scan.doc.data(0, len(scan.doc.raw))
    whole = (Piece(a, b, BYTES[c]) for a, b, c in escaped_characters(data))
    return in_order(whole, near)  # at a start both decoded, the whole document's escape


def _join_pieces(scan: Scan, rules: Sequence[Rule]) -> Iterator[Piece]:
    """String literals joined (decoders.join_pieces), and a key folded over the lines of a YAML
    block scalar (`key: >-`): its line breaks and indentation removed, where a scalar holds a
    keyword or a half of one (a fold may cut the keyword) the one pass found in the document."""
    joins = join_pieces(scan, rules)
    folds = scan.gates.folds
    # The windows the escape and join decoders built already (cached by the scan): where a key
    # can start (`ek_` in `seek_` opens none), a block scalar's header is looked for in each.
    if not any(scan.has(k) for k in folds):
        return joins
    breaks = (
        Piece(a, b, b"")
        for w in scan.windows(folds, REACH, key_starts=True)
        for a, b in block_scalar_breaks(w.text, w.base)
    )
    return in_order(breaks, joins)  # at a start both removed, the fold's break


def _hex_pieces(scan: Scan) -> list[Piece]:
    """Runs of hex digits that hold a keyword's hex spelling (the one pass looked for them),
    decoded in place: a key written as hex (`bytes.hex()`, `xxd -p`) is found at the run's start."""
    found = [n for n in scan.gates.hex if scan.has_literal(n)]
    if not found:
        return []
    data = scan.doc.data(0, len(scan.doc.raw))
    return [Piece(a, b, decoded) for a, b, decoded in hex_payloads(data, found)]


def _wide_findings(
    scan: Scan,
    raw: bytes,
    chunk: Chunk,
    rules: Sequence[Rule],
    label: str,
    needles: tuple[bytes, ...],
    width: int,
    texts: Callable[[bytes, int], Iterator[tuple[int, str]]],
) -> Iterator[Finding]:
    # Only the needles the one pass saw are located (matching.Scan.has_literal).
    hits = [raw.find(n) for n in needles if scan.has_literal(n)]
    if not hits:
        return
    for start, text in texts(raw, min(hits)):
        found: list[Hit] = [(at, rule, key, label) for at, rule, key, _ in sorted_hits(Scan(Doc(text)), rules)]
        yield from _findings(chunk, Lines(text), found, scale=width, base=start)


def scan_chunk(chunk: Chunk, rules: Sequence[Rule] = DEFAULT_RULES) -> list[Finding]:
    return _scan_doc(Doc(chunk.data), chunk, rules)


def scan(chunks: Iterable[Chunk], rules: Sequence[Rule] = DEFAULT_RULES) -> Iterator[Finding]:
    for chunk in chunks:
        yield from scan_chunk(chunk, rules)


def scan_text(text: str, rules: Sequence[Rule] = DEFAULT_RULES, path: str = "<text>") -> list[Finding]:
    """Scan a str; spans and columns count characters (used by the detect-secrets adapter)."""
    return _scan_doc(Doc(text), Chunk(b"", path), rules)


__all__ = ["BASE64_MARKERS", "BASE64_NEEDLES", "scan", "scan_chunk", "scan_text"]
