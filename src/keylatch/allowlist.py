"""Suppression by inline comment or path glob: each finding is kept or dropped, with a reason.

API (all pure; the caller supplies the source lines, so the same code serves files, the index
and commits):

    allow = Allowlist(paths=("tests/fixtures/*",))
    kept = list(apply(findings, allow, lines_in(chunk.data)))      # findings of one chunk
    for finding, decision in judge(findings, allow, lines_of):      # with reasons, for logs
        ...

`lines_of(finding)` returns `(previous_line, line)` of the finding's first character, or None
when the source is not at hand (then only path globs apply). `lines_in(data)` builds it from the
bytes a chunk's findings were found in (it uses `Finding.span`); `lines_at(data, line_no)`
serves callers that only have a blob and a line number.

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
pattern that times out allows nothing (fail closed) and says so.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from keylatch.model import Finding

log = logging.getLogger(__name__)

# Seconds one user pattern may spend on one line before it is treated as "no match".
LINE_PATTERN_TIMEOUT = 0.25

# (previous line, line) around a finding, or None when unknown.
LinesOf = Callable[[Finding], "tuple[str, str] | None"]

# Not `'` (Visual Basic): it starts string literals everywhere else.
_COMMENT = r"(?:#|//|/\*|--|<!--[# \t]*|;|%)"
_SAME_LINE = re.compile(
    _COMMENT + r"[ \t]*(?:(?P<own>keylatch:allow)\b|(?P<ds>pragma: ?(?:allow|white)list[ -]secret))"
)
_NEXT_LINE = re.compile(r"^[ \t]*" + _COMMENT + r"[ \t]*pragma: ?allowlist[ -]nextline[ -]secret\b")


@dataclass(frozen=True, slots=True)
class Allowlist:
    # Globs matched against the whole `/`-separated path and against each path component.
    paths: tuple[str, ...] = ()
    # Honour inline comments (on by default; `pragmas: false` in the config turns them off).
    pragmas: bool = True
    # User regexes searched in the key's line (see the module docstring).
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    keep: bool
    reason: str = ""
    comment: str = ""  # the allow comment that dropped the key ("" for any other reason)


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
    m = _SAME_LINE.search(line)
    if m:
        return "keylatch:allow" if m.group("own") else "pragma: allowlist secret"
    if _NEXT_LINE.search(previous):
        return "pragma: allowlist nextline secret"
    return None


def line_pattern(patterns: Iterable[str], line: str) -> str | None:
    """The first user pattern found in `line`, else None; a pattern that times out never allows."""
    import regex  # only when the config has allow-lines: it costs ~20 ms to import

    for pat in patterns:
        try:
            if regex.search(pat, line, timeout=LINE_PATTERN_TIMEOUT):
                return pat
        except TimeoutError:
            log.warning("allow-lines pattern %r timed out; the key on that line is still reported", pat)
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
        return Decision(False, f"path matches exclude {glob!r}")
    if allow.pragmas and lines is not None:
        name = pragma(*lines)
        if name is not None:
            return Decision(False, f"allowed by `{name}` comment", name)
    if allow.lines and lines is not None:
        pat = line_pattern(allow.lines, lines[1])
        if pat is not None:
            return Decision(False, f"line matches allow-lines pattern {pat!r}")
    return KEEP


def judge(
    findings: Iterable[Finding], allow: Allowlist, lines_of: LinesOf | None = None
) -> Iterator[tuple[Finding, Decision]]:
    for f in findings:
        yield f, decide(f, allow, lines_of(f) if lines_of is not None else None)


def apply(findings: Iterable[Finding], allow: Allowlist, lines_of: LinesOf | None = None) -> Iterator[Finding]:
    """The findings that no allow comment or path glob suppresses, in their order."""
    for f, decision in judge(findings, allow, lines_of):
        if decision.keep:
            yield f


def _around(data: bytes | str, pos: int) -> tuple[str, str]:
    if isinstance(data, bytes):
        # latin-1 as in the engine: one byte per character, pragmas are ASCII.
        text = data.decode("latin-1")
    else:
        text = data
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start : len(text) if end < 0 else end]
    prev_start = text.rfind("\n", 0, max(0, start - 1)) + 1 if start > 0 else 0
    previous = text[prev_start : start - 1] if start > 0 else ""
    return previous.rstrip("\r"), line.rstrip("\r")


def lines_in(data: bytes | str) -> LinesOf:
    """Lines around each finding of ONE chunk, located by `Finding.span` in that chunk's data."""

    def lines_of(f: Finding) -> tuple[str, str] | None:
        if f.span[0] > len(data):
            return None
        return _around(data, f.span[0])

    return lines_of


def lines_at(data: bytes | str, line_no: int, first_line: int = 1) -> tuple[str, str] | None:
    """(previous line, line) for 1-based `line_no` of `data` whose first line is `first_line`."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    lines = text.split("\n")
    i = line_no - first_line
    if not 0 <= i < len(lines):
        return None
    previous = lines[i - 1] if i > 0 else ""
    return previous.rstrip("\r"), lines[i].rstrip("\r")
