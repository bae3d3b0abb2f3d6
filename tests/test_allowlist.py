from __future__ import annotations

import pytest

from keylatch import allowlist
from keylatch.allowlist import Allowlist, apply, judge, lines_at, lines_in
from keylatch.engine import scan_chunk
from keylatch.model import Chunk
from keylatch.rules.synthetic import make_key

KEY = make_key("sk-proj-", seed=11)
OTHER = make_key("sk-", seed=12)

# (comment start, comment end) for every syntax the issue names.
SYNTAXES = {
    "hash": ("#", ""),
    "slashes": ("//", ""),
    "sql": ("--", ""),
    "c-block": ("/*", " */"),
    "html": ("<!--", " -->"),
    "ini": (";", ""),
    "tex": ("%", ""),
}


DEFAULT = Allowlist()


def kept(text: str, allow: Allowlist = DEFAULT, path: str = "app/settings.py") -> list[int]:
    chunk = Chunk(text.encode(), path)
    return [f.location.line for f in apply(scan_chunk(chunk), allow, lines_in(chunk.data))]


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("pragma", ["keylatch:allow", "keylatch:allow test fixture", "pragma: allowlist secret"])
def test_same_line_comment_allows_the_key(syntax: str, pragma: str) -> None:
    start, end = SYNTAXES[syntax]
    text = f'a = 1\nkey = "{KEY}"  {start} {pragma}{end}\nother = "{OTHER}"\n'
    assert kept(text) == [3]


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_nextline_pragma_allows_only_the_next_line(syntax: str) -> None:
    start, end = SYNTAXES[syntax]
    text = f'  {start} pragma: allowlist nextline secret{end}\nkey = "{KEY}"\nagain = "{OTHER}"\n'
    assert kept(text) == [3]


def test_nextline_pragma_after_code_does_not_hide_the_next_line() -> None:
    # As in detect-secrets: a trailing pragma would silently cover whatever follows.
    text = f'x = 1  # pragma: allowlist nextline secret\nkey = "{KEY}"\n'
    assert kept(text) == [2]


def test_pragma_outside_a_comment_does_not_count() -> None:
    assert kept(f'key = "{KEY} keylatch:allow"\n') == [1]
    assert kept(f'key = "{KEY}"  # see keylatch docs\n') == [1]


def test_windows_line_endings() -> None:
    text = f'# pragma: allowlist nextline secret\r\nkey = "{KEY}"\r\nb = "{OTHER}" # keylatch:allow\r\n'
    assert kept(text) == []


def test_pragmas_can_be_turned_off() -> None:
    assert kept(f'key = "{KEY}"  # keylatch:allow\n', Allowlist(pragmas=False)) == [1]


def test_path_globs_match_whole_path_or_a_component() -> None:
    text = f'key = "{KEY}"\n'
    assert kept(text, Allowlist(paths=("tests/fixtures/*",)), "tests/fixtures/a.py") == []
    assert kept(text, Allowlist(paths=("fixtures",)), "tests/fixtures/a.py") == []
    assert kept(text, Allowlist(paths=("*.md",)), "docs/keys.md") == []
    assert kept(text, Allowlist(paths=("*.md",)), "app/settings.py") == [1]


def test_judge_gives_reasons() -> None:
    chunk = Chunk(f'a = "{KEY}"  # keylatch:allow\nb = "{OTHER}"\n'.encode(), "vendor/x.py")
    findings = scan_chunk(chunk)
    by_line = {f.location.line: d for f, d in judge(findings, Allowlist(), lines_in(chunk.data))}
    assert by_line[1].keep is False and "keylatch:allow" in by_line[1].reason
    assert by_line[2].keep is True
    excluded = list(judge(findings, Allowlist(paths=("vendor",)), None))
    assert {d.reason for _, d in excluded} == {"path matches exclude 'vendor'"}


def test_lines_in_a_chunk_that_starts_mid_file() -> None:
    # History and large files give chunks whose first line is not 1; spans are chunk-relative.
    chunk = Chunk(f'# pragma: allowlist nextline secret\nk = "{KEY}"\n'.encode(), "a.py", first_line=40)
    (finding,) = scan_chunk(chunk)
    assert finding.location.line == 41
    assert list(apply([finding], Allowlist(), lines_in(chunk.data))) == []


def test_lines_at_by_line_number() -> None:
    data = b"one\ntwo\r\nthree\n"
    assert lines_at(data, 1) == ("", "one")
    assert lines_at(data, 3) == ("two", "three")
    assert lines_at(data, 12, first_line=10) == ("two", "three")
    assert lines_at(data, 9) is None


def test_pragma_names() -> None:
    assert allowlist.pragma("", "x # keylatch:allow") == "keylatch:allow"
    assert allowlist.pragma("", "x // pragma: whitelist secret") == "pragma: allowlist secret"
    assert allowlist.pragma("<!-- pragma: allowlist nextline secret -->", "x") == "pragma: allowlist nextline secret"
    assert allowlist.pragma("", "x") is None


def test_allow_lines_patterns_drop_keys_on_matching_lines_only() -> None:
    allow = Allowlist(lines=(r"(?i)example[_ ]key",))
    text = f'EXAMPLE_KEY = "{KEY}"\nREAL = "{OTHER}"\n'
    assert kept(text, allow) == [2]
    chunk = Chunk(text.encode(), "a.py")
    reasons = [d.reason for _, d in judge(scan_chunk(chunk), allow, lines_in(chunk.data))]
    assert reasons == ["line matches allow-lines pattern '(?i)example[_ ]key'", ""]


def test_allow_lines_pattern_that_times_out_allows_nothing(caplog: pytest.LogCaptureFixture) -> None:
    # Catastrophic backtracking on a long line: the time limit stops it and the key is kept.
    allow = Allowlist(lines=(r"(a|aa)+b",))
    text = f'key = "{KEY}"  # ' + "a" * 60 + "\n"
    assert kept(text, allow) == [1]
    assert "timed out" in caplog.text
    assert KEY not in caplog.text
