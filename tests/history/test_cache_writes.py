"""Cache writes are all or nothing: an interrupt in the middle leaves the previous file whole and
no temporary file in the cache dir (a rerun then reads a valid cache or none); and no scan
writes into the scanned repository."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from keylatch.history import scan_history
from keylatch.history.cache import history_dir
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]


def interrupted_while_writing(
    repo: GitRepo,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    stand_in: Callable[..., None],
    include_unreachable: bool = False,
) -> None:
    """Scan, commit, scan again with `target` replaced by `stand_in` (which raises
    KeyboardInterrupt), then check the cache dir is as the first scan left it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(repo.path.parent / "xdg"))
    repo.write("a.txt", make_key("sk-proj-", seed=71) + "\n")
    repo.write("b.txt", "clean\n")
    repo.commit("one")
    first = scan_history(repo.path)
    cache_dir = history_dir(repo.path / ".git")
    before = {p.name: p.read_bytes() for p in cache_dir.iterdir()}
    repo.write("c.txt", "more\n")
    repo.commit("two")
    monkeypatch.setattr(target, stand_in)
    with pytest.raises(KeyboardInterrupt):
        scan_history(repo.path, include_unreachable=include_unreachable)
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(repo.path.parent / "xdg"))

    assert {p.name: p.read_bytes() for p in cache_dir.iterdir()} == before  # whole; no temp file

    def intros(findings: Any) -> list[tuple[str, str, Any]]:
        return [(k.fingerprint, k.introduced.sha, k.locations) for k in findings]

    assert intros(scan_history(repo.path).findings) == intros(first.findings)
    for f in cache_dir.glob("log-*.json"):
        json.loads(f.read_text())


def test_an_interrupted_log_cache_write_leaves_the_old_one(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def half_then_interrupt(doc: Any, fh: Any, **kw: Any) -> None:
        fh.write(json.dumps(doc)[:10])
        raise KeyboardInterrupt

    interrupted_while_writing(make_repo(), monkeypatch, "keylatch.history.logcache.json.dump", half_then_interrupt)


def test_an_interrupted_blob_cache_write_leaves_the_old_one(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_rename(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    # --include-unreachable writes no log cache: only the blob cache's write is interrupted.
    interrupted_while_writing(
        make_repo(), monkeypatch, "keylatch.history.cache.os.replace", no_rename, include_unreachable=True
    )


@pytest.mark.parametrize("cache", ["fresh", "warm", "read-only", "absent"])
def test_a_history_scan_leaves_the_scanned_repository_byte_identical(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cache: str
) -> None:
    """A one-off audit of someone else's clone must not change it; a cache directory that cannot
    be written (read-only, or its parent missing and unmakeable) just means no cache."""
    repo = make_repo()
    key = make_key("sk-proj-", seed=72)
    repo.write("a.txt", key + "\n")
    repo.commit("one")
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    if cache == "warm":
        scan_history(repo.path)
    elif cache == "read-only":
        xdg.mkdir()
        xdg.chmod(0o500)
    elif cache == "absent":
        (tmp_path / "not-a-dir").write_text("")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-dir" / "cache"))
    before = tree_bytes(repo.path / ".git")
    try:
        found = scan_history(repo.path)
    finally:
        xdg.chmod(0o700) if xdg.exists() else None
    assert [k.secret.value for k in found.findings] == [key]
    assert tree_bytes(repo.path / ".git") == before
    if cache in ("fresh", "warm"):
        assert list(history_dir(repo.path / ".git").glob("clean-blobs-*.bin"))


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
