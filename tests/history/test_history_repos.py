"""scan_history on the repositories real users have: shallow, partial, bare, empty, worktrees,
submodules, LFS, non-UTF-8, hostile configuration."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.errors import ScanError
from keylatch.history import scan_history
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, git_env
from tests.helpers.history import day, only, where

MakeRepo = Callable[..., GitRepo]


def three_commits(repo: GitRepo) -> tuple[str, list[str]]:
    """A key added in the first of three commits and still there."""
    key = make_key("sk-proj-", seed=21)
    repo.write("conf.env", f"KEY={key}\n")
    shas = [repo.commit("key", author="bob", date=day(1))]
    for i in (2, 3):
        repo.write("n.txt", f"{i}\n")
        shas.append(repo.commit(f"c{i}", date=day(i)))
    return key, shas


def clone(home: Path, *args: str) -> None:
    subprocess.run(["git", "clone", "-q", *args], env=git_env(home), check=True, capture_output=True)


def test_shallow_clone_fails_unless_allowed_and_never_blames_the_boundary(
    make_repo: MakeRepo, home: Path, tmp_path: Path
) -> None:
    src = make_repo("src")
    key, shas = three_commits(src)
    dst = tmp_path / "shallow"
    clone(home, "--depth", "1", f"file://{src.path}", str(dst))

    with pytest.raises(ScanError, match=f"shallow clone cut at {shas[2][:12]}.*--allow-shallow"):
        scan_history(dst)
    result = scan_history(dst, allow_shallow=True)

    k = only(result)
    assert result.shallow_boundary == (shas[2],)
    assert k.secret.value == key and k.at_shallow_boundary
    assert where(k) == [(shas[2], "conf.env", 1)]
    assert not result.complete


def missing_count(repo: Path, home: Path) -> int:
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--objects", "--all", "--missing=print"],
        env=git_env(home), capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sum(1 for line in out.splitlines() if line.startswith("?"))


def test_partial_clone_reports_missing_blobs_and_never_fetches(make_repo: MakeRepo, home: Path, tmp_path: Path) -> None:
    src = make_repo("src")
    three_commits(src)
    src.git("config", "uploadpack.allowFilter", "true")
    dst = tmp_path / "partial"
    clone(home, "--filter=blob:none", "--no-checkout", f"file://{src.path}", str(dst))
    before = missing_count(dst, home)
    assert before == 3  # conf.env and both versions of n.txt

    with pytest.raises(ScanError, match=f"partial clone and {before} blob.*--allow-partial"):
        scan_history(dst)
    result = scan_history(dst, allow_partial=True)

    assert result.missing_blobs == before and result.findings == () and not result.complete
    assert missing_count(dst, home) == before  # nothing was fetched


def test_bare_repository(make_repo: MakeRepo, home: Path, tmp_path: Path) -> None:
    src = make_repo("src")
    key, shas = three_commits(src)
    bare = tmp_path / "bare.git"
    clone(home, "--bare", str(src.path), str(bare))

    k = only(scan_history(bare))

    assert k.secret.value == key
    assert where(k) == [(shas[0], "conf.env", 1)] and k.in_head
    assert k.refs == ("refs/heads/main",)


def test_empty_repository_is_clean(make_repo: MakeRepo) -> None:
    repo = make_repo()
    result = scan_history(repo.path)
    assert (result.findings, result.commits, result.blobs) == ((), 0, 0)
    assert result.complete


def test_linked_worktree_sees_every_branch_and_detached_head(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo()
    repo.write("a.txt", "a\n")
    repo.commit("init", date=day(1))
    wt = GitRepo(tmp_path / "wt", repo.env)
    repo.git("worktree", "add", "-q", "--detach", str(wt.path))
    key = make_key("sk-", seed=22)
    wt.write("w.txt", f"{key}\n")
    c = wt.commit("in worktree", author="bob", date=day(2))

    # --all includes every worktree's HEAD, so the detached commit is seen from both sides.
    for path in (repo.path, wt.path):
        assert where(only(scan_history(path))) == [(c, "w.txt", 1)]
    assert only(scan_history(wt.path)).in_head
    assert not only(scan_history(repo.path)).in_head


def test_submodule_is_reported_as_skipped(make_repo: MakeRepo) -> None:
    sub = make_repo("sub")
    sub.write("k.txt", make_key("sk-", seed=23) + "\n")
    sub.commit("sub key")
    parent = make_repo("parent")
    parent.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", f"file://{sub.path}", "vendor/sub")
    parent.commit("add submodule")

    result = scan_history(parent.path)

    assert result.findings == () and result.gitlinks == 1


def test_lfs_pointer_is_noted_as_not_scanned_content(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write(
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "ab" * 32 + "\nsize 12345\n",
    )
    repo.commit("lfs")
    result = scan_history(repo.path)
    assert result.lfs_pointers == 1 and result.findings == ()


def test_non_utf8_path_and_content(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-proj-", seed=24)
    name = b"caf\xe9.txt".decode("utf-8", "surrogateescape")  # latin-1 bytes, not UTF-8
    repo.write(name, b"\xff\xfe\n\xe9t\xe9 " + key.encode() + b"\n")
    c = repo.commit("latin-1")

    k = only(scan_history(repo.path))

    assert where(k) == [(c, "caf\\xe9.txt", 2)]
    assert k.locations[0].column == 5


def test_huge_blob_is_streamed_with_lines_across_blocks(make_repo: MakeRepo) -> None:
    from keylatch.sources.objects import BLOCK

    repo = make_repo()
    key = make_key("sk-", seed=25)
    filler = b"x" * 99 + b"\n"
    lines_before = (BLOCK + (1 << 20)) // len(filler)  # past the first block
    repo.write("big.log", filler * lines_before + key.encode() + b"\n" + filler * 10)
    c = repo.commit("big")

    k = only(scan_history(repo.path, use_cache=False))

    assert where(k) == [(c, "big.log", lines_before + 1)]
