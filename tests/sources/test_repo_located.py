"""sources/repo.py `located`: inspect's and revs.where's answers from one `rev-parse` (ci and
`baseline --history` asked twice) are the answers each gives alone, in every layout git has: a
working tree's top and a directory under it, the git dir and a directory inside it, bare and
empty repositories, a linked worktree, a `.git` file, a shallow clone, a path through a symbolic
link. Where git refuses, it answers None and the callers ask each for its own error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.errors import UsageError
from keylatch.sources.gitcmd import Git
from keylatch.sources.repo import inspect, located
from keylatch.sources.revs import where
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]


def _committed(make_repo: MakeRepo, name: str = "repo", *args: str) -> GitRepo:
    repo = make_repo(name, *args)
    repo.write("sub/dir/a.txt", "a\n")
    repo.commit("one")
    repo.write("b.txt", "b\n")
    repo.commit("two")
    return repo


def _layout(make_repo: MakeRepo, tmp_path: Path, layout: str) -> Path:
    if layout in ("top", "sub", "gitdir", "in-gitdir", "symlink"):
        repo = _committed(make_repo)
        if layout == "symlink":
            (tmp_path / "link").symlink_to(repo.path / "sub")
            return tmp_path / "link" / "dir"
        return repo.path / {"top": "", "sub": "sub/dir", "gitdir": ".git", "in-gitdir": ".git/refs"}[layout]
    if layout == "empty":
        return make_repo().path
    if layout in ("bare", "in-bare", "empty-bare"):
        if layout == "empty-bare":
            return make_repo("bare.git", "--bare").path
        src = _committed(make_repo)
        src.git("clone", "-q", "--bare", str(src.path), str(tmp_path / "bare.git"))
        return tmp_path / "bare.git" / ("refs" if layout == "in-bare" else "")
    if layout == "worktree":
        repo = _committed(make_repo)
        repo.git("worktree", "add", "-q", str(tmp_path / "wt"), "-b", "side")
        return tmp_path / "wt" / "sub"
    if layout == "gitfile":
        repo = _committed(make_repo, "repo", f"--separate-git-dir={tmp_path / 'elsewhere.git'}")
        return repo.path / "sub"
    if layout == "shallow":
        src = _committed(make_repo)
        src.git("clone", "-q", "--depth", "1", f"file://{src.path}", str(tmp_path / "shallow"))
        return tmp_path / "shallow"
    raise AssertionError(layout)


LAYOUTS = ["top", "sub", "gitdir", "in-gitdir", "symlink", "empty", "bare", "in-bare", "empty-bare",
           "worktree", "gitfile", "shallow"]  # fmt: skip


@pytest.mark.parametrize("layout", LAYOUTS)
def test_one_rev_parse_answers_as_inspect_and_where_do(make_repo: MakeRepo, tmp_path: Path, layout: str) -> None:
    path = _layout(make_repo, tmp_path, layout)
    both = located(Git(path), path)
    assert both == (inspect(path, git=Git(path)), where(Git(path), path))
    if layout == "shallow":
        assert both is not None and both[0].shallow
    if layout.startswith("empty"):
        assert both is not None and both[0].head is None


@pytest.mark.parametrize("what", ["plain directory", "file", "missing"])
def test_where_git_refuses_each_is_asked_for_its_own_error(tmp_path: Path, what: str) -> None:
    path = tmp_path / "here"
    if what == "plain directory":
        path.mkdir()
    elif what == "file":
        path.write_text("x\n")
    assert located(Git(path.parent if what == "missing" else tmp_path), path) is None
    with pytest.raises(UsageError):
        where(Git(tmp_path), path)
