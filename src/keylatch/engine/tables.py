"""The column a value stands in, named by its table's header row, however the table is spelled.

A key in a table row (CSV, TSV, a spreadsheet's quoted export, a Markdown table, the rows of a SQL
`INSERT ... VALUES`, `az ... -o table`'s fixed-width columns) has no name on its line: the header
row names it (QA round 21: `service,endpoint,key` then `openai,https://…,<hex>` was not judged).

A table is a block of consecutive lines with the row's cell count under the same delimiter
(separator lines such as `|---|` or `----  ----` included); its header is the block's first line,
and every cell of it must read as a name. A row with more or fewer cells than the lines above it
ends the block there, so it has no header (its cells are never named by a shifted header).

Cost: offsets arrive in increasing order and each block's header is remembered with the last row
seen in it, so a run of rows walks back over each line once, however far above the header is.
"""

from __future__ import annotations

import re

from keylatch.model import Record

# Delimiters of delimited tables, in the order they are preferred when a value has one each side.
_DELIMS = "|\t,;"
# A cell of a header row: words, as spreadsheets, SQL and `az` write them (`API Key`, `api_key`,
# `Ocp-Apim-Subscription-Key`, `Key1`), once quotes, backticks and emphasis are stripped.
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 _./-]{0,63}")
_SEPARATOR = re.compile(r":?-{3,}:?|=+")
_FIXED = re.compile(r"\S+(?: \S+)*")  # a fixed-width cell: words one space apart
_QUOTES = "\"'`*"
# The column list of a SQL insert, ending the line or opening its first row on it.
_SQL_HEAD = re.compile(r"(?i)\(([^()\n]*)\)\s*values\s*(?:\(|$)")
# How far back a block is walked without a blank line: a header is found however far above it is
# (the walk is remembered), but a single walk gives up after this many lines.
_MAX_LINES = 100_000


class Column(Record):
    """The name of a value's column, all names of its header, and where the table's rows begin
    (just after its header line): text before that is the table's paragraph."""

    __slots__ = ("name", "names", "rows_start")
    name: str
    names: tuple[str, ...]
    rows_start: int

    def __init__(self, name: str, names: tuple[str, ...], rows_start: int) -> None:
        self._set(name, names, rows_start)


def _split(line: str, delim: str) -> list[tuple[int, int]]:
    """Spans of the cells of `line` (relative to it): a cell that opens with a quote runs to its
    closing quote (doubled quotes inside it), so a delimiter inside a quoted field splits nothing."""
    if delim == "  ":
        return [m.span() for m in _FIXED.finditer(line)]
    spans: list[tuple[int, int]] = []
    i, n = 0, len(line)
    while i <= n:
        j = i
        while j < n and line[j] == " ":
            j += 1
        if j < n and line[j] in "\"'":
            q = line[j]
            k = line.find(q, j + 1)
            while 0 <= k < n - 1 and line[k + 1] == q:  # a doubled quote inside the field
                k = line.find(q, k + 2)
            nxt = line.find(delim, k + 1) if k >= 0 else -1
        else:
            nxt = line.find(delim, i)
        end = n if nxt < 0 else nxt
        spans.append((i, end))
        if nxt < 0:
            break
        i = nxt + len(delim)
    if delim == "|":  # a Markdown row's outer pipes open and close it: no cell before or after them
        if spans and not line[spans[0][0] : spans[0][1]].strip():
            spans.pop(0)
        if spans and not line[spans[-1][0] : spans[-1][1]].strip():
            spans.pop()
    return spans


def _cell_text(line: str, span: tuple[int, int]) -> str:
    return line[span[0] : span[1]].strip().strip(_QUOTES).strip()


def _delimiter(line: str, a: int, b: int) -> str | None:
    """The delimiter around the value at line[a:b]: the first character past spaces and quotes
    either side; two spaces or more (or the line's edge beside them) for a fixed-width table."""
    i = a
    while i > 0 and line[i - 1] in " \"'`*":
        i -= 1
    if i > 0 and line[i - 1] in _DELIMS:
        return line[i - 1]
    j = b
    while j < len(line) and line[j] in " \"'`*":
        j += 1
    if j < len(line) and line[j] in _DELIMS:
        return line[j]
    wide_left = i == 0 or line[max(0, a - 2) : a] == "  "
    wide_right = b == len(line.rstrip()) or line[b : b + 2] == "  "
    return "  " if wide_left and wide_right and (i > 0 or b < len(line.rstrip())) else None


def _is_separator(line: str, spans: list[tuple[int, int]]) -> bool:
    return bool(spans) and all(_SEPARATOR.fullmatch(line[a:b].strip()) for a, b in spans)


# (where the rows begin, past the header line; the header's names; where each name's cell starts)
_Header = tuple[int, tuple[str, ...], tuple[int, ...]]


class Tables:
    """Column names of values in one document's table rows, for increasing offsets."""

    __slots__ = ("_text", "_memo", "_sql", "_columns")

    def __init__(self, text: str) -> None:
        self._text = text
        # The last row of tuples walked from, its column list and where its rows begin.
        self._sql: tuple[int, re.Match[str] | None, int] = (-1, None, 0)
        # Each value's column, as the first rule to ask found it: the two 32-hex rules ask alike.
        self._columns: dict[int, Column | None] = {}
        # (delimiter, cells) -> (line start of the last row known to be in the block, its header)
        self._memo: dict[tuple[str, int], tuple[int, _Header | None]] = {}

    def column(self, pos: int, end: int) -> Column | None:
        """The column of the value at text[pos:end], when it stands in a cell of a table row whose
        header names every cell; None otherwise."""
        if pos in self._columns:
            return self._columns[pos]
        found = self._columns[pos] = self._column(pos, end)
        return found

    def _column(self, pos: int, end: int) -> Column | None:
        text = self._text
        ls = text.rfind("\n", 0, pos) + 1
        le = text.find("\n", end)
        le = len(text) if le < 0 else le
        line = text[ls:le].rstrip("\r")
        found = self._sql_row(line, pos - ls, end - ls, ls)
        if found is not None:
            return found
        delim = _delimiter(line, pos - ls, end - ls)
        if delim is None:
            return None
        spans = _split(line, delim)
        index = next((i for i, (a, b) in enumerate(spans) if a <= pos - ls and end - ls <= b), -1)
        if index < 0 or len(spans) < 2:
            return None
        header = self._header(ls, delim, len(spans))
        if header is None:
            return None
        rows_start, names, starts = header
        # Fixed width: the header cell must start where the value's cell does (az aligns left).
        if delim == "  " and starts[index] != spans[index][0]:
            return None
        return Column(names[index], names, rows_start)

    def _header(self, row_start: int, delim: str, cells: int) -> _Header | None:
        """The header of the block above the row at
        `row_start`; None when the row is its block's first line or the header is not names."""
        text, key = self._text, (delim, cells)
        memo = self._memo.get(key)
        if memo is not None and memo[0] == row_start:
            return memo[1]  # another value of the same row
        at, top, walked = row_start, row_start, 0
        header: _Header | None = None
        resolved = False
        while at > 0 and walked < _MAX_LINES:
            prev = text.rfind("\n", 0, at - 1) + 1
            if memo is not None and prev == memo[0]:
                header, resolved = memo[1], True  # a row already walked from: its block's header
                break
            line = text[prev : at - 1].rstrip("\r")
            if not line.strip():
                break
            spans = _split(line, delim)
            if len(spans) != cells and not _is_separator(line, spans):
                break
            top, at, walked = prev, prev, walked + 1
        if not resolved:
            header = self._names(top, delim, cells) if top < row_start else None
        self._memo[key] = (row_start, header)
        return header

    def _names(self, start: int, delim: str, cells: int) -> _Header | None:
        text = self._text
        nl = text.find("\n", start)
        end = len(text) if nl < 0 else nl
        line = text[start:end].rstrip("\r")
        spans = _split(line, delim)
        names = tuple(_cell_text(line, s) for s in spans)
        if len(names) != cells or not all(_NAME.fullmatch(n) for n in names):
            return None
        return end + 1, names, tuple(a for a, _ in spans)

    def _sql_row(self, line: str, a: int, b: int, ls: int) -> Column | None:
        """A value in a row of a SQL insert: `(…, '<value>', …)` on its own line under
        `INSERT INTO t (c1, c2, c3) VALUES`, or on the insert's line itself."""
        opener = line.rfind("(", 0, a)
        closer = line.find(")", b)
        if opener < 0 or closer < 0:
            return None
        inner = line[opener + 1 : closer]
        spans = _split(inner, ",")
        index = next((i for i, (x, y) in enumerate(spans) if x <= a - opener - 1 and b - opener - 1 <= y), -1)
        if index < 0:
            return None
        head = _SQL_HEAD.search(line, 0, opener + 1)
        rows_start = ls
        if head is None:
            if line[:opener].strip():
                return None  # not a row of its own: a call's arguments, not a tuple of values
            head, rows_start = self._sql_head(ls)
            if head is None:
                return None
        names = tuple(n.strip().strip("\"'`[]") for n in head.group(1).split(","))
        if len(names) != len(spans) or not all(_NAME.fullmatch(n) for n in names):
            return None
        return Column(names[index], names, rows_start)

    def _sql_head(self, row_start: int) -> tuple[re.Match[str] | None, int]:
        """The column list above a row of tuples, walking back over the tuples."""
        found = self._sql_walk(row_start)
        self._sql = (row_start, *found)
        return found

    def _sql_walk(self, row_start: int) -> tuple[re.Match[str] | None, int]:
        text, at, walked = self._text, row_start, 0
        last, head, rows_start = self._sql
        if last == row_start:
            return head, rows_start
        while at > 0 and walked < _MAX_LINES:
            prev = text.rfind("\n", 0, at - 1) + 1
            if prev == last:
                return head, rows_start  # a row already walked from
            line = text[prev : at - 1].rstrip("\r")
            found = _SQL_HEAD.search(line)
            if found is not None:
                return found, at
            if not line.lstrip().startswith("("):
                return None, at
            at, walked = prev, walked + 1
        return None, at
