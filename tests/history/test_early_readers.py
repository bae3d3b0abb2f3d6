"""Readers started on the listing's first objects while it still runs (history/readers.py Early)
change nothing a user sees: the same report, counts and exit code as readers that wait for the
whole listing, whatever the repository, its damage, its object format or its packs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.errors import ScanError
from keylatch.history import allobjects, readers
from keylatch.history.cache import BlobCache
from keylatch.history.grepfilter import Objects
from keylatch.rules.synthetic import make_key
from keylatch.sources.gitcmd import Git
from tests.helpers.damaged import (
    corrupt_index,
    corrupt_loose,
    drop_from_pack,
    drop_loose,
    packed_then_intact,
    with_intact_key,
)
from tests.helpers.gitrepo import GitRepo, copy_tree
from tests.helpers.readers import on_start
from tests.helpers.run import Result, RunKeylatch

Listed = tuple[Objects, int, int, int, list[bytes]]

MakeRepo = Callable[..., GitRepo]


def keyed(make_repo: MakeRepo, *init: str) -> GitRepo:
    """Sixteen commits of a few KB each, three of them adding a key: many listing blocks (about
    sixteen, at the tests' 200-byte blocks)."""
    repo = make_repo("repo", *init)
    for i in range(16):
        key = make_key("sk-proj-", seed=90 + i) if i % 5 == 2 else ""
        repo.write(f"d{i % 4}/f{i}.txt", "filler line\n" * (50 * (i + 1)) + key + "\n")
        repo.commit(f"c{i}")
    return repo


def loose_blob_dropped(make_repo: MakeRepo) -> GitRepo:
    p = with_intact_key(make_repo())
    drop_loose(p.repo, p.clean_blob)
    return p.repo


def loose_blob_corrupt(make_repo: MakeRepo) -> GitRepo:
    p = with_intact_key(make_repo())
    corrupt_loose(p.repo, p.key_blob)
    return p.repo


def packed_blob_dropped(make_repo: MakeRepo) -> GitRepo:
    p = with_intact_key(make_repo())
    drop_from_pack(p.repo, p.key_blob)
    return p.repo


def pack_index_corrupt(make_repo: MakeRepo) -> GitRepo:
    p, idx = packed_then_intact(make_repo())
    corrupt_index(idx)
    return p.repo


def pack_cut(make_repo: MakeRepo) -> GitRepo:
    """The pack cut in half: git cannot list it in pack order (allobjects lists by id instead)."""
    p, idx = packed_then_intact(make_repo())
    pack = idx.with_suffix(".pack")
    pack.chmod(0o644)
    pack.write_bytes(pack.read_bytes()[: pack.stat().st_size // 2])
    return p.repo


REPOS: dict[str, Callable[[MakeRepo], GitRepo]] = {
    "keys": keyed,
    "sha256": lambda make_repo: keyed(make_repo, "--object-format=sha256"),
    "packed": lambda make_repo: (r := keyed(make_repo), r.git("repack", "-adq"), r)[-1],
    "loose-blob-dropped": loose_blob_dropped,
    "loose-blob-corrupt": loose_blob_corrupt,
    "packed-blob-dropped": packed_blob_dropped,
    "pack-index-corrupt": pack_index_corrupt,
    "pack-cut": pack_cut,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Each of REPOS made once for the module (`keyed` alone is ~120 git processes), in a
    directory of its own; `copied` gives each test its own copy of it to read."""
    root = tmp_path_factory.mktemp("early-readers")
    home = root / "home"
    home.mkdir()
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:

            def make(sub: str = "repo", *args: str) -> GitRepo:
                return GitRepo.init(root / name / sub, home, *args)

            made[name] = REPOS[name](make).path
        return made[name]

    return get


def copied(built: Callable[[str], Path], name: str, tmp_path: Path) -> Path:
    return copy_tree(built(name), tmp_path / "repo")


def history(keylatch: RunKeylatch, repo: Path) -> tuple[int, dict[str, object], str]:
    res: Result = keylatch("history", str(repo), "--format", "json", "--no-cache")
    doc = json.loads(res.out)
    doc["stats"].pop("seconds")
    return res.code, doc, re.sub(r"\d+(\.\d+)?s\b", "Ns", res.err)  # "scanned in 0.2s"


@pytest.mark.parametrize("jobs", [2, 3, 4])  # 2: no core to spare, no early range
@pytest.mark.parametrize("name", list(REPOS))
def test_early_readers_report_what_waiting_readers_report(
    built: Callable[[str], Path],
    tmp_path: Path,
    keylatch: RunKeylatch,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    jobs: int,
) -> None:
    repo = copied(built, name, tmp_path)
    monkeypatch.setattr(readers, "jobs", lambda: jobs)
    monkeypatch.setattr(readers, "EARLY_BYTES", 1 << 40)  # never: the readers wait for the listing
    waited = history(keylatch, repo)
    # An early range at every block the listing reads, whenever the last one is done.
    monkeypatch.setattr(readers, "EARLY_BYTES", 1)
    monkeypatch.setattr(allobjects, "_BLOCK", 200)
    started: list[int] = []
    on_start(monkeypatch, lambda n, first: started.append(len(first.ranges) if first is not None else 0))
    early = history(keylatch, repo)
    assert early == waited
    assert waited[0] in (1, 3)
    if jobs < readers.EARLY_CORES:
        assert started == [0]
    elif name != "pack-cut":
        assert started and started[0] >= 1  # the early path ran
    else:
        assert waited[0] == 3
        assert started == [0]  # listed by id: no early range of the failed listing is kept


def test_a_listing_that_fails_late_drops_its_early_ranges(
    built: Callable[[str], Path], tmp_path: Path, keylatch: RunKeylatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = copied(built, "keys", tmp_path)
    waited = history(keylatch, repo)
    monkeypatch.setattr(readers, "jobs", lambda: readers.EARLY_CORES)
    monkeypatch.setattr(readers, "EARLY_BYTES", 1)
    monkeypatch.setattr(allobjects, "_BLOCK", 200)
    real = allobjects._list
    dropped: list[readers.Early] = []

    def dies_at_the_end(git: Git, skip: BlobCache | None, *, unordered: bool, early: readers.Early | None) -> Listed:
        listed = real(git, skip, unordered=unordered, early=early)
        if unordered:  # after the early ranges started: they read objects of a failed listing
            assert early is not None and early.ranges
            dropped.append(early)
            raise ScanError("git cat-file: the listing died at its end")
        assert early is None  # the listing by id starts none
        return listed

    monkeypatch.setattr(allobjects, "_list", dies_at_the_end)
    assert history(keylatch, repo) == waited
    assert all(p.returncode is not None for r in dropped[0].ranges for p in r.procs)  # killed and reaped
    assert not any(t.is_alive() for r in dropped[0].ranges for t in r.threads)


def test_an_early_range_takes_about_early_bytes_and_the_rest_is_split(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    objs = Objects()
    for i in range(12):
        path = repo.write("tmp.bin", b"%d NEEDLE\n" % i if i in (1, 9) else b"%05d\n" % i * 800)
        objs.add(repo.git("hash-object", "-w", str(path)).encode(), path.stat().st_size, commit=False)
    monkeypatch.setattr(readers, "EARLY_BYTES", 3 * 4800)
    monkeypatch.setattr(readers, "jobs", lambda: readers.EARLY_CORES)
    early = readers.early(Git(repo.path), (b"NEEDLE",), None, None)
    assert early is not None
    early.poll(objs)  # everything listed at once: the range still takes about EARLY_BYTES
    (first,) = early.ranges
    assert (first.first, first.stop) == (0, 4)  # objects 0, 2 and 3 (4800 bytes each) tip it
    found = readers.start(Git(repo.path), objs, (b"NEEDLE",), 2, None, None, early)
    assert [(r.first, r.stop) for r in found.ranges] == [(0, 4), (4, 8), (8, 12)]
    got = list(found.candidates())
    found.finish()
    assert got == [objs.oid(1), objs.oid(9)]
