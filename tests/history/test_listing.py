"""The object listing's rows: every line a row or named, whatever its shape (history/allobjects.py)."""

from __future__ import annotations

import pytest

from keylatch.errors import ScanError
from keylatch.history.allobjects import _rows

A, B, C = b"a" * 40, b"b" * 40, b"c" * 64  # SHA-1 and SHA-256 ids


@pytest.mark.parametrize(
    ("listing", "rows", "unreadable"),
    [
        (b"blob %s 12\ncommit %s 300\n" % (A, B), [(b"blob", A, b"12"), (b"commit", B, b"300")], []),
        (b"tree %s 5\ntree %s 6\ntag %s 9\n" % (A, B, C), [(b"tag", C, b"9")], []),  # trees skipped
        (b"blob %s 1\ntree %s 2\n" % (A, B), [(b"blob", A, b"1")], []),  # a tree last
        (b"tree %s 2\n" % A, [], []),
        (b"", [], []),
        # A corrupt object lists as "<id> missing": named, and the rows around it still read.
        (
            b"blob %s 1\n%s missing\ntree %s 3\ncommit %s 4\n" % (A, B, A, C),
            [(b"blob", A, b"1"), (b"commit", C, b"4")],
            [B],
        ),
    ],
)
def test_rows_and_unreadable(listing: bytes, rows: list[tuple[bytes, bytes, bytes]], unreadable: list[bytes]) -> None:
    named: list[bytes] = []
    assert _rows(listing, named) == rows
    assert named == unreadable


@pytest.mark.parametrize(
    "line",
    [
        b"blob %s 12 extra\n" % A,  # a row with a field too many
        b"xblob %s 12\n" % A,  # text before a row: not a row
        b"blob %s\n" % A,  # no size
        b"%s ambiguous x\n" % A,
    ],
)
def test_a_line_that_is_not_a_row_stops_the_scan(line: bytes) -> None:
    with pytest.raises(ScanError, match="unexpected output"):
        _rows(b"blob %s 1\n" % B + line + b"commit %s 2\n" % B, [])
