"""sources/lines.py: the wanted lines of a blob or file, picked in one streaming pass."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keylatch.allowlist import lines_at
from keylatch.sources import lines
from keylatch.sources.gitcmd import Git
from keylatch.sources.lines import Line, blob_lines, file_lines, pick, text_pair, wanted_of
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]


def pieces_of(data: bytes, sizes: list[int]) -> Iterator[bytes]:
    pos, k = 0, 0
    while pos < len(data):
        step = sizes[k % len(sizes)] if sizes else len(data)
        yield data[pos : pos + step]
        pos, k = pos + step, k + 1


@given(
    st.lists(st.sampled_from([b"a", b"bb", b"\n", b"\r\n", b"\xe9"]), max_size=80),
    st.lists(st.integers(1, 9), min_size=1, max_size=5),
    st.randoms(),
)
def test_picked_lines_match_splitting_the_content_at_any_block_boundaries(
    parts: list[bytes], sizes: list[int], rnd: random.Random
) -> None:
    data = b"".join(parts)
    rows = data.split(b"\n")
    wanted = {rnd.randint(1, len(rows) + 2): () for _ in range(rnd.randint(0, 30))}
    got = pick(pieces_of(data, sizes), wanted)
    assert {n: line.data for n, line in got.items()} == {n: rows[n - 1] for n in wanted if n <= len(rows)}
    assert not any(line.cut for line in got.values())


@pytest.mark.parametrize(
    ("data", "line", "expected"),
    [
        (b"key\nb\n", 1, ("", "key")),  # a finding on line 1: no line before it
        (b"# pragma\r\nkey\r\n", 2, ("# pragma", "key")),  # CRLF: the \r is not part of the line
        (b"a\nlast", 2, ("a", "last")),  # no trailing newline
        (b"a\nb\n", 3, ("b", "")),  # the empty line after the final newline, as SourceLines has it
        (b"a\nb\n", 4, None),  # past the end
    ],
)
def test_text_pair_reads_as_source_lines_do(data: bytes, line: int, expected: tuple[str, str] | None) -> None:
    for size in (1, 2, 3, len(data)):
        got = pick(pieces_of(data, [size]), wanted_of([("b", line, 1)], previous=True)["b"])
        assert text_pair(got, line) == expected == lines_at(data, line)


def test_a_line_longer_than_the_cap_keeps_its_head_and_a_window_around_each_column() -> None:
    row = b"h" * 10 + b"." * 100 + b"KEY1 # ok" + b"." * 100 + b"KEY2" + b"." * 50
    data = b"# pragma: allowlist nextline secret" + b"x" * 100 + b"\n" + row + b"\n"
    one, two = row.index(b"KEY1") + 1, row.index(b"KEY2") + 1
    got = pick(pieces_of(data, [7]), {1: (), 2: (one, two)}, cap=40, window=12)
    assert got[1] == Line(data[:40], cut=True, windows=(data[:40],))
    assert got[2].cut and got[2].data == row[:40]
    assert got[2].windows == (row[:40], row[one - 13 : one + 11], row[two - 13 : two + 11])
    previous, text = text_pair(got, 2) or ("", "")
    assert previous.startswith("# pragma: allowlist nextline secret")  # anchored at its start
    assert "KEY1 # ok" in text and "KEY2" in text and len(text) < len(row)


def test_memory_follows_the_lines_asked_for_not_the_content() -> None:
    # One line of 3 MiB against a 1 MiB cap: what is kept is the cap plus the windows.
    row = b"a" * (3 << 20) + b"KEY"
    got = pick(pieces_of(row, [1 << 16]), {1: (len(row) - 2,)}, cap=1 << 20, window=1 << 10)
    kept = len(got[1].data) + sum(len(w) for w in got[1].windows)
    assert got[1].windows[-1].endswith(b"KEY")
    assert kept < (1 << 20) * 2 + 4 * (1 << 10)


class CountingBytes(bytes):
    """bytes that count the bytes their find/count/index calls may look at."""

    looked = 0

    def _range(self, start: int | None, end: int | None) -> int:
        lo = 0 if start is None else start
        hi = len(self) if end is None else min(end, len(self))
        return max(hi - lo, 0)

    def count(self, sub: object, start: int | None = None, end: int | None = None) -> int:  # type: ignore[override]
        CountingBytes.looked += self._range(start, end)
        return super().count(sub, start, end)  # type: ignore[arg-type]

    def find(self, sub: object, start: int | None = None, end: int | None = None) -> int:  # type: ignore[override]
        found = super().find(sub, start, end)  # type: ignore[arg-type]
        CountingBytes.looked += (found + 1 if found >= 0 else len(self)) - (start or 0)
        return found

    def index(self, sub: object, start: int | None = None, end: int | None = None) -> int:  # type: ignore[override]
        found = super().index(sub, start, end)  # type: ignore[arg-type]
        CountingBytes.looked += found + 1 - (start or 0)
        return found


@pytest.mark.parametrize(
    "shape",
    [
        "every line",  # a key on every line: many wanted lines in one block
        "every 50th line",  # galloping over runs of lines
        "one line at the end",
    ],
)
def test_work_is_linear_in_the_content_whatever_the_lines_asked_for(shape: str) -> None:
    looked = []
    for count in (4000, 8000):
        data = "".join(f"k{i} = {'x' * (i % 7)}\n" for i in range(count)).encode()
        step = {"every line": 1, "every 50th line": 50, "one line at the end": count}[shape]
        wanted = wanted_of((("b", n, 1) for n in range(step, count + 1, step)), previous=True)["b"]
        CountingBytes.looked = 0
        got = pick((CountingBytes(p) for p in pieces_of(data, [1 << 14])), wanted)
        assert set(got) == set(wanted)
        assert CountingBytes.looked <= 8 * len(data)
        looked.append(CountingBytes.looked)
    assert looked[1] <= 2.5 * looked[0]


def test_blob_lines_streams_each_blob_and_gives_none_for_a_missing_one(make_repo: MakeRepo) -> None:
    repo = make_repo()
    big = b"".join(b"line %d\n" % i for i in range(300_000)) + b"# keylatch:allow\nend"
    repo.write("big.txt", big)
    repo.write("small.txt", "one\r\ntwo\r\n")
    repo.commit("init")
    ids = {name: repo.git("rev-parse", f"HEAD:{name}") for name in ("big.txt", "small.txt")}
    last = big.count(b"\n") + 1
    wanted: dict[str, dict[int, tuple[int, ...]]] = {
        ids["big.txt"]: {last: (1,), last - 1: (), 1: ()},
        ids["small.txt"]: {2: (1,)},
        "0" * 40: {1: ()},
        "not an id": {1: ()},
    }
    got = blob_lines(Git(repo.path), wanted)
    big_lines = got[ids["big.txt"]]
    assert big_lines is not None and text_pair(big_lines, last) == ("# keylatch:allow", "end")
    assert big_lines[1].data == b"line 0"
    small = got[ids["small.txt"]]
    assert small is not None and small[2].data == b"two\r"
    assert got["0" * 40] is None and got["not an id"] is None


def test_blob_lines_across_the_reader_s_blocks(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks of the cat-file reader overlap (sources/blocks.py): the lines come out once.
    from keylatch.sources import blocks, objects

    monkeypatch.setattr(objects, "BLOCK", 4 * blocks.OVERLAP)
    data = b"".join(b"%d\r\n" % i for i in range(400_000))
    repo = make_repo()
    repo.write("a.txt", data)
    repo.commit("init")
    blob = repo.git("rev-parse", "HEAD:a.txt")
    rows = data.split(b"\n")
    wanted = {n: () for n in range(1, len(rows) + 1, 997)}
    got = blob_lines(Git(repo.path), {blob: wanted})[blob]
    assert got is not None and {n: line.data for n, line in got.items()} == {n: rows[n - 1] for n in wanted}


def test_file_lines_reads_a_file_in_blocks_and_none_when_it_cannot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lines, "_READ", 5)
    path = tmp_path / "f.txt"
    path.write_bytes(b"a\r\nbb\nccc")
    got = file_lines(path, {1: (), 3: (1,)})
    assert got is not None and got[1].data == b"a\r" and got[3].data == b"ccc"
    assert file_lines(tmp_path / "gone", {1: ()}) is None
