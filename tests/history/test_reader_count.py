"""How many readers a whole-history scan starts (history/readers.py `needed`): one per core at
most, and one more only per RANGE_BYTES listed, so a small repository is read by one git
process. The findings never depend on it: the same history read by one reader and by several
(RANGE_BYTES lowered so that this small repository gets them) reports the same keys."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keylatch.history import readers, scan_history
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.readers import objects, on_start

MakeRepo = Callable[..., GitRepo]
MIB = 1 << 20


@pytest.mark.parametrize(
    ("sizes", "n", "first", "expected"),
    [
        ([100] * 8, 4, 0, 1),  # a small repository: one reader
        ([3 * MIB] * 2, 2, 0, 1),  # 6 MiB: still one
        ([3 * MIB] * 3, 2, 0, 2),  # 9 MiB: two
        ([3 * MIB] * 30, 4, 0, 4),  # never more than the cores
        ([3 * MIB] * 30, 1, 0, 1),
        ([3 * MIB] * 30, 4, 28, 1),  # only what no early range holds counts
        ([], 4, 0, 1),
    ],
)
def test_one_reader_per_range_bytes_at_most_one_per_core(sizes: list[int], n: int, first: int, expected: int) -> None:
    assert readers.needed(objects(sizes), n, first) == expected


@pytest.fixture
def keyed(make_repo: MakeRepo) -> GitRepo:
    repo = make_repo()
    for i in range(12):
        body = "filler line\n" * (200 * (i + 1))
        key = make_key("sk-proj-", seed=90 + i) if i % 4 == 1 else ""
        repo.write(f"f{i}.txt", body + key + "\n")
        repo.commit(f"c{i}")
    return repo


def _started(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The `n` each whole-history scan passes to readers.start."""
    seen: list[int] = []
    on_start(monkeypatch, lambda n, first: seen.append(n))
    return seen


@pytest.mark.parametrize("jobs", [2, 4])
def test_a_small_history_is_read_by_one_reader_and_several_find_the_same(
    keyed: GitRepo, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    started = _started(monkeypatch)
    monkeypatch.setattr(readers, "jobs", lambda: jobs)
    one = scan_history(keyed.path, use_cache=False)
    monkeypatch.setattr(readers, "RANGE_BYTES", 1)
    many = scan_history(keyed.path, use_cache=False)
    assert started == [1, jobs]
    assert len(one.findings) == 3
    assert many.findings == one.findings
    assert (many.blobs, many.bytes, many.commits) == (one.blobs, one.bytes, one.commits)
