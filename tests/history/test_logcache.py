"""The caches never change the answer: unchanged refs reuse the log digest, any change redoes it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.errors import ScanError
from keylatch.history import scan_history
from keylatch.history.cache import history_dir
from keylatch.rules.synthetic import make_key
from tests.helpers.gitcount import counted, counting_git
from tests.helpers.gitrepo import GitRepo
from tests.helpers.history import day, where

MakeRepo = Callable[..., GitRepo]


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


def test_second_scan_reuses_caches_and_a_new_commit_invalidates_them(make_repo: MakeRepo) -> None:
    repo = make_repo()
    one, two = make_key("sk-", seed=61), make_key("sk-", seed=62)
    repo.write("a.txt", "x\n" + one + "\n")
    repo.write("b.txt", "clean\n")
    c1 = repo.commit("one", date=day(1))

    first = scan_history(repo.path)
    (log_file,) = history_dir(repo.path / ".git").glob("log-*.json")
    assert json.loads(log_file.read_text())["commits"] == 1
    second = scan_history(repo.path)
    assert second.findings == first.findings
    assert (second.blobs, second.cached_blobs) == (1, 1)  # only the key blob is read again

    repo.write("c.txt", two + "\n")
    c2 = repo.commit("two", author="bob", date=day(2))
    third = scan_history(repo.path)
    assert [where(k) for k in third.findings] == [[(c1, "a.txt", 2)], [(c2, "c.txt", 1)]]
    assert third.commits == 2


def test_unwritable_cache_location_still_scans(make_repo: MakeRepo) -> None:
    # Tests run as root here, where chmod cannot make a directory unwritable; a file where the
    # cache directory should be makes every cache write fail the same way (an OSError).
    repo = make_repo()
    repo.write("a.txt", make_key("sk-proj-", seed=63) + "\n")
    c = repo.commit("k")
    blocker = history_dir(repo.path / ".git").parent
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a directory\n")

    results = [scan_history(repo.path) for _ in range(2)]

    assert [[where(k) for k in r.findings] for r in results] == [[[(c, "a.txt", 1)]]] * 2
    assert results[1].cached_blobs == 0
    assert blocker.read_text() == "not a directory\n"


def test_range_scans_write_no_cache(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("a.txt", make_key("sk-", seed=64) + "\n")
    c = repo.commit("k")
    result = scan_history(repo.path, ["HEAD", "--not", "--remotes=origin"])
    assert [where(k) for k in result.findings] == [[(c, "a.txt", 1)]]
    assert not (repo.path / ".git" / "keylatch").exists()
    assert not history_dir(repo.path / ".git").exists()


def _git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every git process scan_history starts from here on, logged (tests/helpers/gitcount.py)."""
    env, log = counting_git(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return log


def test_a_moved_head_redoes_the_log_without_asking_for_worktrees(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No linked worktree: HEAD is the only worktree HEAD, and inspect already resolved it, so
    the cache key takes it from there (history/logcache.py `_heads`), not from `worktree list`."""
    repo = make_repo()
    repo.write("a.txt", "clean\n")
    repo.commit("one", date=day(1))
    repo.git("checkout", "-q", "--detach")
    repo.write("k.txt", make_key("sk-", seed=65) + "\n")
    c2 = repo.commit("on a detached HEAD", date=day(2))
    log = _git_log(tmp_path, monkeypatch)

    assert [where(k) for k in scan_history(repo.path).findings] == [[(c2, "k.txt", 1)]]
    # HEAD goes back to main: no ref moved, no object was written, only HEAD reaches c2 no more.
    repo.git("checkout", "-q", "main")
    again = scan_history(repo.path)

    assert (again.findings, again.unreachable_keys) == ((), 1)
    assert counted(log)["worktree"] == 0


def test_a_moved_head_in_a_linked_worktree_redoes_the_log(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    repo.write("a.txt", "clean\n")
    repo.commit("one", date=day(1))
    wt = GitRepo(tmp_path / "wt", repo.env)
    repo.git("worktree", "add", "-q", "--detach", str(wt.path))
    wt.write("k.txt", make_key("sk-", seed=66) + "\n")
    c2 = wt.commit("in the worktree", date=day(2))
    log = _git_log(tmp_path, monkeypatch)

    assert [where(k) for k in scan_history(repo.path).findings] == [[(c2, "k.txt", 1)]]
    wt.git("checkout", "-q", "--detach", "main")
    again = scan_history(repo.path)

    assert (again.findings, again.unreachable_keys) == ((), 1)
    assert counted(log)["worktree"] == 2  # the worktrees' HEADs are git's to list


def _tag_a_blob(repo: GitRepo, text: str) -> str:
    blob = repo.git("hash-object", "-w", "--stdin", input=text).strip()
    repo.git("tag", "published", blob)
    return blob


def test_a_key_a_ref_reaches_without_a_commit_is_placed_alike_with_and_without_caches(
    make_repo: MakeRepo,
) -> None:
    """The cached scan lists its refs once, at its start, for the cache's key and for the refs
    to blobs and trees (history/direct.py `ref_listing`): the same places as a scan without."""
    repo = make_repo()
    repo.write("a.txt", "clean\n")
    repo.commit("one", date=day(1))
    blob = _tag_a_blob(repo, make_key("sk-proj-", seed=67) + "\n")

    plain = scan_history(repo.path, use_cache=False)
    cached = [scan_history(repo.path) for _ in range(2)]

    (finding,) = plain.findings
    assert finding.refs == ("refs/tags/published",) and finding.locations[0].blob == blob
    assert [r.findings for r in cached] == [plain.findings] * 2


def test_a_ref_to_a_lost_object_fails_alike_with_and_without_caches(make_repo: MakeRepo) -> None:
    """git cannot list the refs with their types past a ref to a lost object: the cached scan
    then lists them as it did before, and names what is lost as the scan without caches does."""
    repo = make_repo()
    repo.write("a.txt", make_key("sk-proj-", seed=68) + "\n")
    repo.commit("one", date=day(1))
    blob = _tag_a_blob(repo, "lost\n")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()

    said = []
    for use_cache in (False, True):
        with pytest.raises(ScanError) as failure:
            scan_history(repo.path, use_cache=use_cache)
        said.append(str(failure.value))
    assert said[0] == said[1] and "refs/tags/published" in said[0], said
