"""Decoded views of a document: encoded spans replaced in place by what they encode.

A base64 value, an escape such as `%2D`, or the `" + "` between two string literals is a
`Piece` of the document; the view is the document with every piece replaced by its bytes, so a
key's line, its name and the file's evidence stay around it. The view is scanned like any
document, and only keys that touch a piece are kept (the plain scan found the others), at the
offset in the document where they start, or where the piece holding their start starts.
"""

from __future__ import annotations

import bisect
import heapq
import io
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from keylatch.engine.matching import Doc, Hit, Scan, sorted_hits
from keylatch.rules import Rule


@dataclass(frozen=True, slots=True)
class Piece:
    start: int  # [start, end) in the document
    end: int
    data: bytes  # what the span stands for


def in_order(*streams: Iterable[Piece]) -> Iterator[Piece]:
    """The pieces of `streams` (each in increasing order of start) in increasing order of start,
    one a start: the first stream's at a start shared by several. Lazy, so that a document
    dense with escapes never holds a record per escape (tests/test_engine_memory.py)."""
    last = -1
    for p in heapq.merge(*streams, key=start_of) if len(streams) > 1 else streams[0]:
        if p.start != last:
            last = p.start
            yield p


def start_of(p: Piece) -> int:
    return p.start


def view_hits(raw: bytes, pieces: Iterable[Piece], rules: Sequence[Rule], label: str, sep: bytes = b"") -> list[Hit]:
    """Hits of `rules` in `raw` with `pieces` (in order of start) decoded in place (each between
    `sep`s), labelled.

    Pieces that overlap an earlier one (the same value decoded at several alignments) are
    placed one after the other. The view's segments are kept in two arrays of offsets and a
    bytearray of kinds, about 9 bytes a segment, not a record each: an escape of three
    characters would otherwise hold a hundred bytes until the view is scanned.
    """
    # Built in a BytesIO: its getvalue() hands over its buffer, where bytes(bytearray) copies it.
    view = io.BytesIO()
    # Offsets fit 32 bits: a view is at most a few times its document (decoded values are
    # shorter than their spelling; overlapping base64 alignments, four at most, and seps).
    code = "I" if len(raw) < 1 << 28 else "q"
    view_at = array(code)  # segment starts in the view
    origins = array(code)  # each segment's offset in the document
    kinds = bytearray()  # 1 where the segment is a piece
    data = memoryview(raw)
    # Bound once: this loop runs once per escape of a dense document.
    at_add, origin_add, kind_add, write = view_at.append, origins.append, kinds.append, view.write
    pos = size = 0
    for p in pieces:
        start = p.start
        if start > pos:
            at_add(size)
            origin_add(pos)
            kind_add(0)
            size += write(data[pos:start])
        if sep:
            at_add(size)
            origin_add(start)
            kind_add(0)
            size += write(sep)
        at_add(size)
        origin_add(start)
        kind_add(1)
        size += write(p.data)
        if sep:
            at_add(size)
            origin_add(start)
            kind_add(0)
            size += write(sep)
        if p.end > pos:
            pos = p.end
    if not kinds:
        return []
    at_add(size)
    origin_add(pos)
    kind_add(0)
    write(data[pos:])
    text = view.getvalue()
    del view
    last = len(kinds) - 1
    hits: dict[tuple[int, str], Hit] = {}
    for at, rule, key, _ in sorted_hits(Scan(Doc(text)), rules):
        i = bisect.bisect_right(view_at, at) - 1
        end = at + len(key)
        j = bisect.bisect_left(view_at, end)
        # A decoded byte in the key, or a removed span (a join) strictly inside it.
        if not any(kinds[k] and (view_at[k] < view_at[k + 1] or at < view_at[k] < end) for k in range(i, min(j, last))):
            continue  # no decoded byte in the key: the plain scan reports it
        start = origins[i] if kinds[i] else origins[i] + at - view_at[i]
        hits.setdefault((start, key), (start, rule, key, label))
    return list(hits.values())
