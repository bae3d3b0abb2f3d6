"""The one block splitter: a file or an object of any size becomes overlapping Chunks.

Memory is bounded by the block size whatever the content's size or line length. Consecutive
blocks overlap by more than the longest match (an encoded value is followed at most 64 KiB, see
encoded._B64_SPAN_LIMIT), so a key across a block boundary is whole in one of them; line numbers
are carried across blocks. Files (sources/files.py) and git objects (sources/objects.py) differ
only in how they read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from keylatch.model import Chunk

OVERLAP = 160 << 10

# fill(n) -> up to n bytes, and whether they are the last (a reader that cannot tell returns
# False and then b"").
Fill = Callable[[int], tuple[bytes, bool]]


def blocks(fill: Fill, block: int, path: str, blob: str | None = None) -> Iterator[Chunk]:
    """Chunks of at most `block` bytes; each after the first starts with its predecessor's last
    OVERLAP bytes."""
    data, end = fill(block)
    line = 1
    while True:
        yield Chunk(data, path, first_line=line, blob=blob)
        if end:
            return
        more, end = fill(block - OVERLAP)
        if not more:
            return
        keep = data[-OVERLAP:]
        line += data.count(b"\n", 0, len(data) - len(keep))
        data = keep + more
