"""Suppression by inline comment or path glob: each finding is kept or dropped, with a reason.

API (all pure; the caller supplies the source lines, so the same code serves files, the index
and commits):

    allow = Allowlist(paths=("tests/fixtures/*",))
    kept = list(apply(findings, allow, lines_in(chunk.data)))      # findings of one chunk
    for finding, decision in judge(findings, allow, lines_of):      # with reasons, for logs
        ...

`lines_of(finding)` returns `(previous_line, line)` of the finding's first character, or None
when the source is not at hand (then only path globs apply). `lines_in(data)` builds it from the
bytes a chunk's findings were found in (it uses `Finding.span`); `lines_by_blob(blobs)` serves
callers that only have blobs and line numbers (history), and `lines_at(data, line_no)` a single
look-up.

Cost is linear in the data whatever the number of findings: each chunk (or blob) gets one
`SourceLines` index, a look-up touches one block of it plus the line itself, each distinct line
is decoded once, and `judge` decides each distinct line and each path once.

Recognised comments (in any of `#`, `//`, `/* */`, `--`, `<!-- -->`, `;`, `%`):

- `keylatch:allow` on the key's line, optionally followed by a reason;
- detect-secrets' `pragma: allowlist secret` on the key's line;
- detect-secrets' `pragma: allowlist nextline secret` alone on the line before the key. As in
  detect-secrets, nothing but the comment may be on that line, so a pragma at the end of one
  line cannot hide a key on the next (see detect_secrets/filters/allowlist.py).

A pragma must sit in a comment: the text `keylatch:allow` inside the key's string literal, with
no comment marker before it, does not count.

`Allowlist.lines` are user regexes (`allow-lines` in the config, like gitleaks' allowlist regexes
with `regexTarget = "line"`): a key whose line matches one is dropped. They come from a config
file and run on hostile content, so they run under the `regex` module with a time limit; a
pattern that times out allows nothing (fail closed), says so, and is not tried again in that
run (one time limit per pattern per run, not one per key line).
"""

from __future__ import annotations

import bisect
import fnmatch
import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

from keylatch.model import Finding, Record

log = logging.getLogger(__name__)

# Seconds one user pattern may spend on one line before it is treated as "no match".
LINE_PATTERN_TIMEOUT = 0.25

# (previous line, line) around a finding, or None when unknown.
LinesOf = Callable[[Finding], "tuple[str, str] | None"]

# Not `'` (Visual Basic): it starts string literals everywhere else.
_COMMENT = r"(?:#|//|/\*|--|<!--[# \t]*|;|%)"
_SAME_LINE = _COMMENT + r"[ \t]*(?:(?P<own>keylatch:allow)\b|(?P<ds>pragma: ?(?:allow|white)list[ -]secret))"
_NEXT_LINE = r"^[ \t]*" + _COMMENT + r"[ \t]*pragma: ?allowlist[ -]nextline[ -]secret\b"


# What the line-local lexer stops at outside string literals (pragma_outside_strings): a string
# literal, read whole ("...", `...`, '...' with backslash escapes, to its close or the line's
# end), a comment marker, or an escaped character. A `'` right after a letter or digit is an
# apostrophe (don't, keys'), not a string, unless the letters are a string prefix (f'', rb'').
_LEXEME = (
    r'"(?:[^"\\]|\\.)*(?:"|\\?$)'
    r"|`(?:[^`\\]|\\.)*(?:`|\\?$)"
    r"|(?<![A-Za-z0-9_])[rRbBuUfF]{0,2}'(?:[^'\\]|\\.)*(?:'|\\?$)"
    r"|(?P<marker><!--|#|//|/\*|--|;|%)"
    r"|\\."
)
# Markers after which the rest of the line is comment (its quotes are prose: "# it's fine"),
# and where a block comment ends. `--`, `;` and `%` are also operators (i--, a; b, "%s" % x),
# so they open no comment for the lexer: only a pragma right after them counts.
_LINE_COMMENTS = ("#", "//")
_BLOCK_ENDS = {"/*": "*/", "<!--": "-->"}


@functools.cache
def _comments() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The pragma patterns and the lexer, compiled when a finding's line is first judged (~0.4 ms
    that a clean run, which judges none, does not pay)."""
    return re.compile(_SAME_LINE), re.compile(_NEXT_LINE), re.compile(_LEXEME)


def pragma_outside_strings(line: str) -> re.Match[str] | None:
    """The same-line pragma in a real comment of `line`, else None.

    A comment marker inside a string literal is text: `KEY = "sk-... # keylatch:allow"` allows
    nothing, while `KEY = "a#b"  # keylatch:allow` does. One left-to-right pass over the line
    (each character is read by the lexer or by one comment search once), so a long minified
    line costs linear time. Line-local: a line inside a multi-line string is read as code.
    """
    same_line, _, lexeme = _comments()
    pos = 0
    while True:
        m = lexeme.search(line, pos)
        if m is None:
            return None
        marker = m.group("marker")
        if marker is None:
            pos = max(m.end(), pos + 1)
            continue
        start = m.start()
        if marker in _LINE_COMMENTS:
            return same_line.search(line, start)
        end_mark = _BLOCK_ENDS.get(marker)
        if end_mark is None:
            found = same_line.match(line, start)
            if found is not None:
                return found
            pos = m.end()
            continue
        close = line.find(end_mark, m.end())
        stop = len(line) if close < 0 else close
        found = same_line.search(line, start, stop)
        if found is not None or close < 0:
            return found
        pos = close + len(end_mark)


class Allowlist(Record):
    __slots__ = ("paths", "pragmas", "lines", "timed_out")
    # Globs matched against the whole `/`-separated path and against each path component.
    paths: tuple[str, ...]
    # Honour inline comments (on by default; `pragmas: false` in the config turns them off).
    pragmas: bool
    # User regexes searched in the key's line (see the module docstring).
    lines: tuple[str, ...]
    # The `lines` patterns that have timed out in this run, skipped from then on (line_pattern).
    # Mutable on purpose, and only ever grows: one record per run (Config builds one per policy).
    # Not compared, hashed or shown; a `replace` copy shares it.
    timed_out: set[str]

    def __init__(
        self,
        paths: tuple[str, ...] = (),
        pragmas: bool = True,
        lines: tuple[str, ...] = (),
        timed_out: set[str] | None = None,
    ) -> None:
        self._set(paths, pragmas, lines, set() if timed_out is None else timed_out)

    def _compared(self) -> tuple[object, ...]:
        return self.paths, self.pragmas, self.lines

    def __repr__(self) -> str:
        return f"Allowlist(paths={self.paths!r}, pragmas={self.pragmas!r}, lines={self.lines!r})"


class Decision(Record):
    __slots__ = ("keep", "reason", "comment", "kind")
    keep: bool
    reason: str
    comment: str  # the allow comment that dropped the key ("" for any other reason)
    # Which setting dropped the key (policy.SetAside counts them): EXCLUDE, COMMENT or LINES.
    kind: str

    def __init__(self, keep: bool, reason: str = "", comment: str = "", kind: str = "") -> None:
        self._set(keep, reason, comment, kind)


EXCLUDE, COMMENT, LINES = "exclude", "comment", "lines"


KEEP = Decision(True)


def path_excluded(path: str, globs: Iterable[str]) -> str | None:
    """The first glob that matches `path` (or one of its components), else None."""
    parts = path.split("/")
    for pat in globs:
        if fnmatch.fnmatchcase(path, pat) or any(fnmatch.fnmatchcase(p, pat) for p in parts):
            return pat
    return None


def pragma(previous: str, line: str) -> str | None:
    """Name of the allow comment that covers a key on `line`, else None."""
    _, next_line, _ = _comments()
    m = pragma_outside_strings(line)
    if m:
        return "keylatch:allow" if m.group("own") else "pragma: allowlist secret"
    if next_line.search(previous):
        return "pragma: allowlist nextline secret"
    return None


def line_pattern(patterns: Iterable[str], line: str, timed_out: set[str] | None = None) -> str | None:
    """The first user pattern found in `line`, else None; a pattern that times out never allows.

    A pattern that timed out once is added to `timed_out` and not tried again: the file is the
    scanned repository's, and a pattern that backtracks catastrophically on one of its key lines
    would cost the time limit (about 0.6 s in practice) on every such line, hours for a file of
    keys (QA t-qa17: 40 key lines took 35 s). Skipping it fails closed: the keys on the lines it
    would have matched are reported. config.py probes its patterns the same way."""
    import regex  # only when the config has allow-lines: it costs ~20 ms to import

    for pat in patterns:
        if timed_out is not None and pat in timed_out:
            continue
        try:
            if regex.search(pat, line, timeout=LINE_PATTERN_TIMEOUT):
                return pat
        except TimeoutError:
            if timed_out is None:
                log.warning("allow-lines pattern %r timed out; the key on that line is still reported", pat)
                continue
            timed_out.add(pat)
            log.warning(
                "allow-lines pattern %r timed out; it is not applied for the rest of this run: "
                "keys on lines it would match are reported",
                pat,
            )
    return None


def compile_check(pattern: str) -> str | None:
    """None when `pattern` compiles under the `regex` module, else the error message."""
    import regex

    try:
        regex.compile(pattern)
    except regex.error as exc:
        return str(exc)
    return None


def decide(finding: Finding, allow: Allowlist, lines: tuple[str, str] | None) -> Decision:
    return decide_at(finding.location.path, allow, lines)


def decide_at(path: str, allow: Allowlist, lines: tuple[str, str] | None) -> Decision:
    """The decision on a key at `path` whose line (and the one before) are `lines`: a finding's
    place, or one place where a commit introduced a key (keylatch.policy.judge_keys)."""
    glob = path_excluded(path, allow.paths)
    if glob is not None:
        return _excluded(glob)
    return _line_decision(allow, lines)


def _excluded(glob: str) -> Decision:
    return Decision(False, f"path matches exclude {glob!r}", kind=EXCLUDE)


def _line_decision(allow: Allowlist, lines: tuple[str, str] | None) -> Decision:
    if allow.pragmas and lines is not None:
        name = pragma(*lines)
        if name is not None:
            return Decision(False, f"allowed by `{name}` comment", name, COMMENT)
    if allow.lines and lines is not None:
        pat = line_pattern(allow.lines, lines[1], allow.timed_out)
        if pat is not None:
            return Decision(False, f"line matches allow-lines pattern {pat!r}", kind=LINES)
    return KEEP


def judge(
    findings: Iterable[Finding], allow: Allowlist, lines_of: LinesOf | None = None
) -> Iterator[tuple[Finding, Decision]]:
    """Each finding with its decision, as `decide` gives it.

    Each path and each distinct (previous line, line) is decided once: many keys on one long
    line cost one pragma search of it, not one per key.
    """
    by_path: dict[str, Decision | None] = {}
    by_lines: dict[tuple[str, str], Decision] = {}
    for f in findings:
        path = f.location.path
        if path not in by_path:
            glob = path_excluded(path, allow.paths)
            by_path[path] = _excluded(glob) if glob is not None else None
        excluded = by_path[path]
        if excluded is not None:
            yield f, excluded
            continue
        lines = lines_of(f) if lines_of is not None else None
        if lines is None:
            yield f, _line_decision(allow, None)
            continue
        decision = by_lines.get(lines)
        if decision is None:
            decision = by_lines[lines] = _line_decision(allow, lines)
        yield f, decision


def apply(findings: Iterable[Finding], allow: Allowlist, lines_of: LinesOf | None = None) -> Iterator[Finding]:
    """The findings that no allow comment or path glob suppresses, in their order."""
    for f, decision in judge(findings, allow, lines_of):
        if decision.keep:
            yield f


# SourceLines keeps one checkpoint per block of this many bytes: a look-up reads about a block.
_BLOCK = 512


class SourceLines:
    """The lines of one chunk or blob, looked up by offset or by line number, in any order.

    Built on first use with one C-level pass over the data (a newline count and the nearest
    newlines per block of _BLOCK bytes); a look-up then searches about one block plus the line
    itself, and each distinct line is decoded once (latin-1, as in the engine: one byte per
    character, pragmas are ASCII). The index belongs to its caller: nothing outlives it.
    """

    __slots__ = ("_data", "_nl", "_counts", "_prev", "_next", "_seen", "_last")

    def __init__(self, data: bytes | str) -> None:
        self._data = data
        self._nl: bytes | str = b"\n" if isinstance(data, bytes) else "\n"
        self._counts: list[int] = []  # newlines before each block
        self._prev: list[int] = []  # the last newline before each block, or -1
        self._next: list[int] = []  # the first newline at or after each block, or len(data)
        self._seen: dict[int, tuple[str, str]] = {}  # line start -> (previous line, line)
        self._last = (0, -1, ("", ""))  # the last line looked up: start, end, lines

    def _build(self) -> None:
        data, nl, size = self._data, self._nl, len(self._data)
        blocks = size // _BLOCK + 1
        total, last = 0, -1
        for k in range(blocks):
            lo = k * _BLOCK
            self._counts.append(total)
            self._prev.append(last)
            crossed = data.count(nl, lo, lo + _BLOCK)  # type: ignore[arg-type]
            if crossed:
                total += crossed
                last = data.rfind(nl, lo, lo + _BLOCK)  # type: ignore[arg-type]
        self._counts.append(total)
        self._prev.append(last)
        following = size
        nxt = [size] * (blocks + 1)
        for k in range(blocks - 1, -1, -1):
            first = data.find(nl, k * _BLOCK, (k + 1) * _BLOCK)  # type: ignore[arg-type]
            if first >= 0:
                following = first
            nxt[k] = following
        self._next = nxt

    def _start(self, pos: int) -> int:
        """Offset of the first character of the line that holds `pos`."""
        k = pos // _BLOCK
        r = self._data.rfind(self._nl, k * _BLOCK, pos)  # type: ignore[arg-type]
        return r + 1 if r >= 0 else self._prev[k] + 1

    def _end(self, pos: int) -> int:
        """Offset of the newline (or the end) that ends the line holding `pos`."""
        k = pos // _BLOCK
        r = self._data.find(self._nl, pos, (k + 1) * _BLOCK)  # type: ignore[arg-type]
        return r if r >= 0 else self._next[k + 1]

    def _text(self, start: int, end: int) -> str:
        part = self._data[start:end]
        text = part.decode("latin-1") if isinstance(part, bytes) else part
        return text.rstrip("\r")

    def around(self, pos: int) -> tuple[str, str] | None:
        """(previous line, line) of the line that holds offset `pos`, or None past the end."""
        if pos > len(self._data):
            return None
        start, end, last = self._last
        if start <= pos <= end:  # findings come in order: most look-ups hit the line before
            return last
        if not self._counts:
            self._build()
        start, end = self._start(pos), self._end(pos)
        found = self._seen.get(start)
        if found is None:
            line = self._text(start, end)
            previous = self._text(self._start(start - 1), start - 1) if start > 0 else ""
            found = self._seen[start] = (previous, line)
        self._last = (start, end, found)
        return found

    def at_line(self, line_no: int, first_line: int = 1) -> tuple[str, str] | None:
        """(previous line, line) for 1-based `line_no` of data whose first line is `first_line`."""
        if not self._counts:
            self._build()
        i = line_no - first_line  # how many newlines come before the line
        if not 0 <= i <= self._counts[-1]:
            return None
        if i == 0:
            return self.around(0)
        # The block that holds the i-th newline, then halve it: each byte of it is counted once.
        k = bisect.bisect_left(self._counts, i) - 1
        want = i - self._counts[k]  # the want-th newline at or after a
        a, b = k * _BLOCK, min(len(self._data), (k + 1) * _BLOCK)
        while b - a > 1:
            mid = (a + b) // 2
            crossed = self._data.count(self._nl, a, mid)  # type: ignore[arg-type]
            if crossed >= want:
                b = mid
            else:
                a, want = mid, want - crossed
        return self.around(b)


def lines_in(data: bytes | str) -> LinesOf:
    """Lines around each finding of ONE chunk, located by `Finding.span` in that chunk's data."""
    index = SourceLines(data)

    def lines_of(f: Finding) -> tuple[str, str] | None:
        return index.around(f.span[0])

    return lines_of


def lines_by_blob(blobs: Mapping[str, bytes]) -> LinesOf:
    """Lines around each finding by its `Location.blob` and line; each blob is indexed once."""
    indexes: dict[str, SourceLines] = {}

    def lines_of(f: Finding) -> tuple[str, str] | None:
        blob = f.location.blob or ""
        data = blobs.get(blob)
        if data is None:
            return None
        index = indexes.get(blob)
        if index is None:
            index = indexes[blob] = SourceLines(data)
        return index.at_line(f.location.line)

    return lines_of


def lines_at(data: bytes | str, line_no: int, first_line: int = 1) -> tuple[str, str] | None:
    """(previous line, line) for 1-based `line_no` of `data` whose first line is `first_line`."""
    return SourceLines(data).at_line(line_no, first_line)
