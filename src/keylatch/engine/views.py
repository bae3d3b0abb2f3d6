"""Decoded views of a document: encoded spans replaced in place by what they encode.

A base64 value, an escape such as `%2D`, or the `" + "` between two string literals is a
`Piece` of the document; the view is the document with every piece replaced by its bytes, so a
key's line, its name and the file's evidence stay around it. The view is scanned like any
document, and only keys that touch a piece are kept (the plain scan found the others), at the
offset in the document where they start, or where the piece holding their start starts.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from keylatch.engine.matching import Doc, Hit, Scan, sorted_hits
from keylatch.rules import Rule


@dataclass(frozen=True, slots=True)
class Piece:
    start: int  # [start, end) in the document
    end: int
    data: bytes  # what the span stands for


def view_hits(raw: bytes, pieces: Sequence[Piece], rules: Sequence[Rule], label: str, sep: bytes = b"") -> list[Hit]:
    """Hits of `rules` in `raw` with `pieces` decoded in place (each between `sep`s), labelled.

    Pieces that overlap an earlier one (the same value decoded at several alignments) are
    placed one after the other.
    """
    if not pieces:
        return []
    parts: list[bytes] = []
    view_at: list[int] = []  # segment starts in the view
    segments: list[tuple[int, bool]] = []  # (offset in the document, is a piece)
    size = pos = 0

    def add(data: bytes, orig: int, piece: bool) -> None:
        nonlocal size
        view_at.append(size)
        segments.append((orig, piece))
        parts.append(data)
        size += len(data)

    for p in sorted(pieces, key=lambda p: p.start):
        if p.start > pos:
            add(raw[pos : p.start], pos, False)
        if sep:
            add(sep, p.start, False)
        add(p.data, p.start, True)
        if sep:
            add(sep, p.start, False)
        pos = max(pos, p.end)
    add(raw[pos:], pos, False)
    hits: dict[tuple[int, str], Hit] = {}
    for at, rule, key, _ in sorted_hits(Scan(Doc(b"".join(parts))), rules):
        i = bisect.bisect_right(view_at, at) - 1
        j = bisect.bisect_left(view_at, at + len(key))
        end = at + len(key)
        # A decoded byte in the key, or a removed span (a join) strictly inside it.
        if not any(
            segments[k][1] and (view_at[k] < view_at[k + 1] or at < view_at[k] < end)
            for k in range(i, min(j, len(segments) - 1))
        ):
            continue  # no decoded byte in the key: the plain scan reports it
        orig, piece = segments[i]
        start = orig if piece else orig + at - view_at[i]
        hits.setdefault((start, key), (start, rule, key, label))
    return list(hits.values())
