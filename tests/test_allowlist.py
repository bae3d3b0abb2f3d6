from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keylatch import allowlist
from keylatch.allowlist import Allowlist, apply, judge, lines_at, lines_in
from keylatch.engine import scan_chunk
from keylatch.model import Chunk, Finding, Location
from keylatch.rules.synthetic import make_key
from tests.helpers.contexts import COMMENTS
from tests.helpers.work import Counting

KEY = make_key("sk-proj-", seed=11)
OTHER = make_key("sk-", seed=12)


DEFAULT = Allowlist()


def kept(text: str, allow: Allowlist = DEFAULT, path: str = "app/settings.py") -> list[int]:
    chunk = Chunk(text.encode(), path)
    return [f.location.line for f in apply(scan_chunk(chunk), allow, lines_in(chunk.data))]


@pytest.mark.parametrize("syntax", COMMENTS)
@pytest.mark.parametrize("pragma", ["keylatch:allow", "keylatch:allow test fixture", "pragma: allowlist secret"])
def test_same_line_comment_allows_the_key(syntax: str, pragma: str) -> None:
    start, end = COMMENTS[syntax]
    text = f'a = 1\nkey = "{KEY}"  {start} {pragma}{end}\nother = "{OTHER}"\n'
    assert kept(text) == [3]


@pytest.mark.parametrize("syntax", COMMENTS)
def test_nextline_pragma_allows_only_the_next_line(syntax: str) -> None:
    start, end = COMMENTS[syntax]
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


# Patterns that backtrack catastrophically on the tail each key line below carries. The
# config comes with the scanned repository: without a memory of timeouts, each key line cost
# the time limit again (QA t-qa17: 40 key lines, 35 s; 10,000 lines would be hours).
BACKTRACKING = {"alternation": (r"(a|aa)+$", "a" * 40 + "!"), "nested": (r"(x|xx)+y", "x" * 60)}


@pytest.mark.parametrize("shape", BACKTRACKING)
def test_a_pattern_that_timed_out_is_not_tried_again(shape: str, caplog: pytest.LogCaptureFixture) -> None:
    pattern, tail = BACKTRACKING[shape]
    keys = [make_key("sk-proj-", seed=100 + i) for i in range(6)]
    # The last line is one the pattern matches quickly: after the timeout it is no longer applied,
    # so that key is reported too (fail closed), and the warning says so once.
    quick = "a" if shape == "alternation" else "xy"
    text = "".join(f'K{i} = "{k}"  # {tail}\n' for i, k in enumerate(keys[:-1])) + f'K = "{keys[-1]}"  # {quick}\n'
    allow = Allowlist(lines=(pattern,))
    assert allowlist.line_pattern((pattern,), quick) == pattern  # a match when tried alone
    assert kept(text, allow) == [1, 2, 3, 4, 5, 6]
    warnings = [r.getMessage() for r in caplog.records if "timed out" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert "not applied for the rest of this run" in warnings[0]
    assert allow.timed_out == {pattern}


def test_a_pattern_that_timed_out_stays_out_for_every_later_chunk(caplog: pytest.LogCaptureFixture) -> None:
    pattern, tail = BACKTRACKING["alternation"]
    allow = Allowlist(lines=(pattern, "EXAMPLE"))
    for i in range(4):  # one chunk per file, as scan and history judge them, one Allowlist per run
        assert kept(f'K = "{make_key("sk-proj-", seed=120 + i)}"  # {tail}\n', allow) == [1]
    assert kept(f'EXAMPLE = "{KEY}"\n', allow) == []  # the other pattern still allows
    assert sum("timed out" in r.getMessage() for r in caplog.records) == 1


def _azure(i: int) -> str:
    return make_key("azure", seed=i)


# Chunks with `count` findings, shaped so that a per-finding pass over the chunk or over the
# key's line would show (a whole-chunk decode per finding took 71.8 s for 8 MB of keys).
ALLOW_SHAPES: dict[str, Callable[[int], str]] = {
    "a key per line": lambda count: "".join(f"k{i} = {_azure(i)}\n" for i in range(count)),
    "keys on one line": lambda count: " ".join(_azure(i) for i in range(count)) + "\n",
    "keys between long blank runs": lambda count: "".join(f"{_azure(i)}\n" + "\n" * 300 for i in range(count)),
    "keys under a pragma line each": lambda count: "".join(
        f"# pragma: allowlist nextline secret\n{_azure(i)}\n" for i in range(count)
    ),
}


@pytest.mark.parametrize("shape", sorted(ALLOW_SHAPES))
def test_allow_comments_cost_linear_in_the_chunk_whatever_the_number_of_findings(shape: str) -> None:
    # No clock: the bytes of the chunk read to find each finding's lines (tests/work.py).
    reads = []
    for count in (150, 300):
        data = Counting(ALLOW_SHAPES[shape](count).encode())
        findings = scan_chunk(Chunk(bytes(data), "a.txt"))
        assert len(findings) == count
        decisions = list(judge(findings, Allowlist(), lines_in(data)))
        assert all(d.keep for _, d in decisions) is (shape != "keys under a pragma line each")
        assert data.read <= 8 * len(data)
        reads.append(data.read)
    assert reads[1] <= 2.5 * reads[0]


def test_history_reads_each_blob_once_whatever_the_number_or_order_of_findings() -> None:
    text = "".join(f"# keylatch:allow\nk = 1  # keylatch:allow\n{_azure(i)}\n\n" for i in range(400))
    data = Counting(text.encode())
    found = scan_chunk(Chunk(bytes(data), "a.txt", blob="b1"))
    random.Random(1).shuffle(found)
    lines_of = allowlist.lines_by_blob({"b1": data})
    assert all(lines_of(f) == ("k = 1  # keylatch:allow", f.secret.value) for f in found)
    assert data.read <= 8 * len(data)
    other = Finding("r", found[0].severity, found[0].secret, Location("a.txt", 3, 1, blob="gone"))
    assert lines_of(other) is None


def test_each_distinct_line_is_judged_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = allowlist.pragma

    def counting(previous: str, line: str) -> str | None:
        calls.append(line)
        return real(previous, line)

    monkeypatch.setattr(allowlist, "pragma", counting)
    line = " ".join(_azure(i) for i in range(200)) + "  # keylatch:allow"
    chunk = Chunk(f"{line}\nb = {_azure(300)}\n".encode(), "a.txt")
    decisions = [d.keep for _, d in judge(scan_chunk(chunk), Allowlist(), lines_in(chunk.data))]
    assert decisions == [False] * 200 + [True]
    assert len(calls) == 2


@given(st.lists(st.sampled_from([b"a", b"b", b"\n", b"\r", b"\xe9"]), max_size=60), st.randoms())
def test_line_lookups_in_any_order_match_splitting_the_text(parts: list[bytes], rnd: random.Random) -> None:
    data = b"".join(parts)
    text = data.decode("latin-1")
    rows = text.split("\n")

    def naive(i: int) -> tuple[str, str]:
        return (rows[i - 1] if i else "").rstrip("\r"), rows[i].rstrip("\r")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(allowlist, "_BLOCK", 7)  # small blocks: every look-up crosses block edges
        index = allowlist.SourceLines(data)
        positions = list(range(len(data) + 1))
        rnd.shuffle(positions)
        for pos in positions:
            assert index.around(pos) == naive(text.count("\n", 0, pos))
        assert index.around(len(data) + 1) is None
        for first in (1, 5):
            for line_no in range(first - 1, first + len(rows) + 1):
                want = naive(line_no - first) if 0 <= line_no - first < len(rows) else None
                assert index.at_line(line_no, first) == want
                assert lines_at(data, line_no, first) == want
