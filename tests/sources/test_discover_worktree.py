"""sources/discover.py `_worktree`: in the common layout (a `.git` directory in the working tree
GitPython found, no GIT_DIR-like variable) discovery takes inspect's rev-parse, run in the tree,
as git's word on bareness instead of asking the git dir first. In every layout discovery finds
what it found with the git dir asked (the shortcut switched off), and the state it hands on is
what inspect says of the root it found."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.sources import discover as disc
from keylatch.sources.repo import inspect
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]


def _committed(make_repo: MakeRepo, *args: str) -> GitRepo:
    repo = make_repo("repo", *args)
    repo.write("sub/a.txt", "a\n")
    repo.commit("one")
    return repo


def _layout(make_repo: MakeRepo, tmp_path: Path, layout: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    if layout == "gitfile":
        return _committed(make_repo, f"--separate-git-dir={tmp_path / 'elsewhere.git'}").path
    repo = _committed(make_repo)
    if layout == "top":
        return repo.path
    if layout == "sub":
        return repo.path / "sub"
    if layout == "symlink":
        (tmp_path / "link").symlink_to(repo.path)
        return tmp_path / "link" / "sub"
    if layout == "no-core-bare":  # git guesses: bare from the git dir, not from the tree
        repo.git("config", "--unset", "core.bare")
        return repo.path
    if layout == "bare-without-config":  # GitPython takes the parent for a working tree
        shutil.copytree(repo.path / ".git", tmp_path / "b" / ".git")
        (tmp_path / "b" / ".git" / "config").unlink()
        return tmp_path / "b" / ".git"
    if layout == "core-worktree":
        (tmp_path / "tree").mkdir()
        repo.git("config", "core.worktree", str(tmp_path / "tree"))
        return repo.path
    if layout == "linked-worktree":
        repo.git("worktree", "add", "-q", str(tmp_path / "wt"), "-b", "side")
        return tmp_path / "wt"
    if layout == "git-dir-variable":
        monkeypatch.chdir(repo.path)
        monkeypatch.setenv("GIT_DIR", str(repo.path / ".git"))
        return repo.path
    raise AssertionError(layout)


LAYOUTS = ["top", "sub", "symlink", "no-core-bare", "bare-without-config", "core-worktree", "linked-worktree",
           "gitfile", "git-dir-variable"]  # fmt: skip


@pytest.mark.parametrize("trust", [False, True], ids=["", "trusted"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_discovery_finds_what_the_git_dir_says(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str, trust: bool
) -> None:
    path = _layout(make_repo, tmp_path, layout, monkeypatch)
    found, git = disc.discover(path, trust)
    with monkeypatch.context() as m:
        m.setattr(disc, "_worktree", lambda *_: None)
        asked, asked_git = disc.discover(path, trust)
    assert (found.root, found.bare) == (asked.root, asked.bare)
    assert (git.repo, git.config) == (asked_git.repo, asked_git.config)
    assert found.state is None or found.state == inspect(found.root, trust, git=asked_git)
    shortcut = layout in ("top", "sub", "symlink", "core-worktree")
    assert (found.state is not None) == shortcut, found
    if found.state is not None:
        assert os.path.realpath(found.state.git_dir) == os.path.realpath(found.root / ".git")
