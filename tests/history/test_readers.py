"""Several readers over the object list find what one reader finds, and give up per range."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keylatch.history import ranges, readers, scan_history
from keylatch.history.grepfilter import MARK, Objects
from keylatch.rules.synthetic import make_key
from keylatch.sources.gitcmd import Git
from tests.helpers.gitrepo import GitRepo
from tests.helpers.readers import objects

MakeRepo = Callable[..., GitRepo]


@pytest.mark.parametrize(
    ("sizes", "n", "expected"),
    [
        ([100] * 8, 2, [(0, 4), (4, 8)]),
        ([100] * 8, 4, [(0, 2), (2, 4), (4, 6), (6, 8)]),
        ([10_000, 1, 1, 1], 2, [(0, 1), (1, 4)]),  # equal bytes, not equal counts
        ([1, 1, 1, 10_000], 2, [(0, 3), (3, 4)]),
        ([5], 4, [(0, 1)]),  # fewer objects than readers: fewer ranges
        ([5, 5], 1, [(0, 2)]),
    ],
)
def test_ranges_are_contiguous_and_cover_every_object(
    sizes: list[int], n: int, expected: list[tuple[int, int]]
) -> None:
    assert readers.split(objects(sizes), n) == expected


def blob(repo: GitRepo, content: bytes) -> tuple[bytes, int]:
    path = repo.write("tmp.bin", content)
    return repo.git("hash-object", "-w", str(path)).encode(), len(content)


def listed(pairs: list[tuple[bytes, int]]) -> Objects:
    objs = Objects()
    for oid, size in pairs:
        objs.add(oid, size, commit=False)
    return objs


@pytest.fixture(params=["hyperscan", "grep"])
def literal_pass(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each reader's literal pass: Hyperscan in-process (hsgate.py), or grep where it is missing."""
    if request.param == "grep":
        monkeypatch.setattr(readers, "literal_gate", lambda *_: None)
    return str(request.param)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_candidates_in_list_order_whatever_the_readers(make_repo: MakeRepo, n: int, literal_pass: str) -> None:
    repo = make_repo()
    pairs = [
        blob(repo, b"plain %d\n" % i * 500 if i % 3 else b"x" * (9000 + i) + b"NEEDLE %d\n" % i) for i in range(10)
    ]
    pairs.append(blob(repo, MARK + b"\nour marker inside a blob, no needle\n"))
    found = readers.start(Git(repo.path), listed(pairs), (b"NEEDLE",), n, None)
    got = list(found.candidates())
    found.finish()
    assert got == [pairs[i][0] for i in (0, 3, 6, 9)]


def test_a_range_out_of_step_is_scanned_whole_and_only_that_range(make_repo: MakeRepo, literal_pass: str) -> None:
    repo = make_repo()
    pairs = [blob(repo, b"NEEDLE\n"), blob(repo, b"clean one\n"), blob(repo, b"clean two\n")]
    gone = (b"0123456789abcdef0123456789abcdef01234567", 7)  # cat-file prints "missing"
    late = [blob(repo, b"clean three\n"), blob(repo, b"NEEDLE again\n")]
    objs = listed([*pairs, gone, *late])
    found = readers.start(Git(repo.path), objs, (b"NEEDLE",), 2, None)
    assert [(r.first, r.stop) for r in found.ranges] == [(0, 3), (3, 6)]
    got = list(found.candidates())
    found.finish()
    # The first range is exact; the second, out of step, is handed on whole (each id once).
    assert got == [pairs[0][0], gone[0], late[0][0], late[1][0]]
    assert list(found.visited) == [1, 0, 0, 1, 1, 1]


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_history_is_the_same_with_any_number_of_readers(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, jobs: int, literal_pass: str
) -> None:
    repo = make_repo()
    for i in range(12):
        body = "filler line\n" * (200 * (i + 1))
        key = make_key("sk-proj-", seed=70 + i) if i % 4 == 1 else ""
        repo.write(f"f{i}.txt", body + key + "\n")
        repo.commit(f"c{i}")
    monkeypatch.setattr(readers, "jobs", lambda: 1)
    one = scan_history(repo.path, use_cache=False)
    monkeypatch.setattr(readers, "jobs", lambda: jobs)
    many = scan_history(repo.path, use_cache=False)
    assert len(one.findings) == 3
    assert many.findings == one.findings
    assert (many.blobs, many.bytes, many.commits) == (one.blobs, one.bytes, one.commits)


@pytest.mark.parametrize(
    ("n", "share"), [(1, 512 << 20), (2, 256 << 20), (4, 128 << 20), (8, 96 << 20), (64, 96 << 20)]
)
def test_readers_share_a_delta_cache_budget_the_repository_cannot_change(
    make_repo: MakeRepo, n: int, share: int
) -> None:
    """Each reader's git inflates delta bases into a cache of its share of the budget (never
    below git's default), whatever the scanned repository's config asks: a huge value there
    would multiply the readers' memory, a tiny one their CPU."""
    repo = make_repo()
    repo.git("config", "core.deltaBaseCacheLimit", "64g")
    git = ranges.readers_git(Git(repo.path), n)
    assert git.run("config", "--get", "--type=int", "core.deltaBaseCacheLimit").strip() == str(share).encode()
