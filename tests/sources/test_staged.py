"""sources/staged.py: index entries -> chunks, in real repositories."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.engine import scan
from keylatch.errors import ScanError, UsageError
from keylatch.rules.synthetic import make_key
from keylatch.sources import staged as src
from tests.helpers.gitrepo import GitRepo
from tests.helpers.inside import inside

MakeRepo = Callable[..., GitRepo]


def paths_of(staged: src.Staged) -> list[str]:
    return sorted(f.path for f in staged.files)


def test_changes_lists_added_and_modified_not_deleted(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("keep.txt", "a\n")
    repo.write("gone.txt", "b\n")
    repo.write("edit.txt", "c\n")
    repo.commit("init")
    repo.write("edit.txt", "c2\n")
    repo.write("new.txt", "d\n")
    (repo.path / "gone.txt").unlink()
    repo.git("add", "-A")
    with inside(repo) as git:
        staged = src.staged_changes(git)
    assert paths_of(staged) == ["edit.txt", "new.txt"]
    assert staged.deleted == ("gone.txt",)
    edit = next(f for f in staged.files if f.path == "edit.txt")
    assert edit.head_blob == repo.git("rev-parse", "HEAD:edit.txt")
    assert edit.blob == repo.git("rev-parse", ":edit.txt")


def test_first_commit_scans_every_index_entry(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("a.txt", "a\n")
    repo.write("dir/b.txt", "b\n")
    repo.git("add", "-A")
    with inside(repo) as git:
        staged = src.staged_changes(git)
    assert not staged.has_head
    assert paths_of(staged) == ["a.txt", "dir/b.txt"]


def test_chunks_hold_the_index_not_the_working_tree(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-proj-", seed=11)
    repo.write("cfg.py", f'KEY = "{key}"\n')
    repo.git("add", "cfg.py")
    repo.write("cfg.py", "KEY = None\n")  # staged, then removed from disk: still committed
    with inside(repo) as git:
        staged = src.staged_changes(git)
        blobs = src.staged_blobs(git, staged)
        (finding,) = scan(src.chunks(src.staged_contents(staged, blobs)))
        worktree = src.chunks(src.worktree_changes(git, staged, blobs))
    assert finding.secret.value == key
    assert (finding.location.path, finding.location.line) == ("cfg.py", 1)
    assert [c.data for c in worktree] == [b"KEY = None\n"]


def test_worktree_chunks_cover_only_the_staged_files(make_repo: MakeRepo) -> None:
    """The warning source is the working copy of what is committed; a file the commit does not
    touch is not read (listing those would stat every file of the index: issue 14)."""
    repo = make_repo()
    repo.write("a.py", "x = 1\n")
    repo.write("b.py", "y = 1\n")
    repo.commit("init")
    repo.write("a.py", "x = 2\n")
    repo.git("add", "a.py")
    repo.write("a.py", f"x = '{make_key('sk-', seed=3)}'\n")  # an unstaged edit of a staged file
    repo.write("b.py", f"y = '{make_key('sk-', seed=2)}'\n")  # not staged at all
    with inside(repo) as git:
        staged = src.staged_changes(git)
        blobs = src.staged_blobs(git, staged)
        assert [c[0] for c in src.worktree_changes(git, staged, blobs)] == ["a.py"]


def test_paths_read_exactly_the_given_files(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("a.py", "a\n")
    repo.write("[a].py", "b\n")  # a glob that would match a.py
    repo.write("sub/c.py", "c\n")
    repo.commit("init")
    with inside(repo) as git:
        assert paths_of(src.staged_paths(git, ["[a].py"])) == ["[a].py"]
        assert paths_of(src.staged_paths(git, ["sub"])) == ["sub/c.py"]


def test_paths_untracked_deleted_and_missing(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("old.py", "o\n")
    repo.commit("init")
    repo.git("rm", "-q", "old.py")
    repo.write("loose.py", "l\n")
    with inside(repo) as git:
        staged = src.staged_paths(git, ["loose.py", "old.py"])
        assert staged.untracked == ("loose.py",)
        assert staged.deleted == ("old.py",)
        assert src.staged_contents(staged, {}) == [("loose.py", b"l\n", None)]
        with pytest.raises(UsageError, match="nope.py: not in the index"):
            src.staged_paths(git, ["nope.py"])


def test_submodule_gitlinks_are_not_content(make_repo: MakeRepo) -> None:
    repo = make_repo()
    inner = make_repo("inner")
    inner.write("x", "x\n")
    sha = inner.commit("x")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{sha},vendor")
    repo.write("a.txt", "a\n")
    repo.git("add", "a.txt")
    with inside(repo) as git:
        assert paths_of(src.staged_changes(git)) == ["a.txt"]


def test_temporary_index_is_honoured(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo()
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.write("b.txt", "b\n")
    other = tmp_path / "other-index"
    repo.env["GIT_INDEX_FILE"] = str(other)
    repo.git("read-tree", "HEAD")
    repo.git("add", "b.txt")
    with inside(repo) as git:
        assert paths_of(src.staged_changes(git)) == ["b.txt"]
    del repo.env["GIT_INDEX_FILE"]
    with inside(repo) as git:
        assert paths_of(src.staged_changes(git)) == []


def test_not_a_repository_is_a_scan_error(tmp_path: Path, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.path.joinpath(".git").rename(tmp_path / "moved")
    with inside(repo) as git, pytest.raises(ScanError, match="not a git repository"):
        src.staged_changes(git)


def test_many_paths_match_like_few(make_repo: MakeRepo) -> None:
    # Above _MANY_PATHS the index is listed once and matched here; the answer must not change.
    repo = make_repo()
    for i in range(80):
        repo.write(f"d{i % 4}/f{i}.txt", f"{i}\n")
    repo.write("[x].txt", "x\n")
    repo.commit("init")
    repo.write("loose.txt", "l\n")
    given = [f"d0/f{i}.txt" for i in range(0, 80, 4)] + ["d1", "d2/", "[x].txt", "loose.txt"]
    many = given + [f"d3/f{i}.txt" for i in range(3, 80, 4)] * 3  # repeats push it past the threshold
    assert len(many) > src._MANY_PATHS >= len(given)
    with inside(repo) as git:
        few_result = src.staged_paths(git, given)
        many_result = src.staged_paths(git, many)
        assert paths_of(many_result) == sorted(paths_of(few_result) + [f"d3/f{i}.txt" for i in range(3, 80, 4)])
        assert few_result.untracked == ("loose.txt",) and many_result.untracked == ("loose.txt",)
        with pytest.raises(UsageError, match="nope"):
            src.staged_paths(git, [*many, "nope"])


def test_unresolved_conflicts_are_read_from_disk(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.conflict("c.py")
    key = make_key("sk-proj-", seed=12)
    repo.write("c.py", f"v = '{key}'\n")  # resolving, not yet added
    (repo.path / "sub").mkdir()
    with inside(repo) as git:
        staged = src.staged_changes(git)
        assert staged.unmerged == ("c.py",)
        (finding,) = scan(src.chunks(src.staged_contents(staged, src.staged_blobs(git, staged))))
        os.chdir("sub")  # from a subdirectory: read all the same, named from the top like every path
        staged = src.staged_changes(git)
        assert staged.unmerged == ("c.py",)
        (again,) = scan(src.chunks(src.staged_contents(staged, src.staged_blobs(git, staged))))
    assert finding.secret.value == key and again.location.path == finding.location.path == "c.py"
