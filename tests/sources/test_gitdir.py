"""sources/gitdir.py: which git directory it finds, what it walks, what it refuses. It starts no
git process, so each case calls `check` directly (tests/e2e/test_gitdir_entries.py runs the
commands under a timeout)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.errors import ScanError
from keylatch.sources import gitdir
from tests.helpers.gitdir import KINDS
from tests.helpers.gitrepo import GitRepo

NO_ENV: dict[str, str] = {}


@pytest.fixture
def repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    r = make_repo()
    r.write("a.txt", "a\n")
    r.commit("first")
    return r


def _refused(path: Path, env: dict[str, str] = NO_ENV) -> str:
    with pytest.raises(ScanError) as info:
        gitdir.check(str(path), env)
    return str(info.value)


def test_a_clean_repository_passes(repo: GitRepo) -> None:
    gitdir.check(str(repo.path), NO_ENV)
    gitdir.check(str(repo.path / ".git" / "refs"), NO_ENV)  # from inside the git dir


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_is_refused_and_named(repo: GitRepo, tmp_path: Path, kind: str) -> None:
    path = repo.path / ".git" / "refs" / "heads" / "deep" / "x"
    path.parent.mkdir(parents=True)
    KINDS[kind](path, tmp_path / "elsewhere")
    message = _refused(repo.path)
    assert str(path) in message
    assert "\n" not in message


def test_found_from_a_subdirectory_of_the_work_tree(repo: GitRepo) -> None:
    (repo.path / "src" / "pkg").mkdir(parents=True)
    os.mkfifo(repo.path / ".git" / "shallow")
    assert "shallow is a FIFO" in _refused(repo.path / "src" / "pkg")


def test_bare_repository(make_repo: Callable[..., GitRepo]) -> None:
    bare = make_repo("bare.git", "--bare")
    os.mkfifo(bare.path / "packed-refs")
    assert "packed-refs is a FIFO" in _refused(bare.path)


def test_a_git_file_names_the_git_dir(repo: GitRepo, tmp_path: Path) -> None:
    """A `.git` file (a submodule, `git init --separate-git-dir`): its target is walked."""
    moved = tmp_path / "elsewhere.git"
    (repo.path / ".git").rename(moved)
    (repo.path / ".git").write_text(f"gitdir: {moved}\n")
    gitdir.check(str(repo.path), NO_ENV)
    os.mkfifo(moved / "objects" / "info" / "commit-graph")
    assert str(moved / "objects" / "info" / "commit-graph") in _refused(repo.path)


def test_a_non_regular_dot_git_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".git")
    assert ".git is a FIFO" in _refused(tmp_path)


def test_discovery_files_of_a_candidate_above(tmp_path: Path) -> None:
    """No repository below: git judges each directory upward as a bare repository by opening its
    HEAD, so a FIFO HEAD on the way is refused before git would wait on it."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    os.mkfifo(tmp_path / "a" / "HEAD")
    assert "HEAD is a FIFO" in _refused(tmp_path / "a" / "b")


def test_not_a_repository_or_missing_is_left_to_git(tmp_path: Path) -> None:
    gitdir.check(str(tmp_path), NO_ENV)
    gitdir.check(str(tmp_path / "missing"), NO_ENV)


def test_directory_link_loops_end(repo: GitRepo) -> None:
    refs = repo.path / ".git" / "refs"
    (refs / "loop").symlink_to(refs)
    (refs / "heads" / "up").symlink_to(repo.path / ".git")
    gitdir.check(str(repo.path), NO_ENV)


def test_hooks_and_the_sockets_of_fsmonitor_and_annex_are_not_walked(repo: GitRepo, tmp_path: Path) -> None:
    git_dir = repo.path / ".git"
    os.mkfifo(git_dir / "hooks" / "fifo")
    KINDS["socket"](git_dir / "fsmonitor--daemon.ipc", tmp_path)
    (git_dir / "annex" / "ssh").mkdir(parents=True)
    KINDS["socket"](git_dir / "annex" / "ssh" / "example.test", tmp_path)
    gitdir.check(str(repo.path), NO_ENV)


def test_a_link_through_proc_is_refused_whatever_it_points_at(repo: GitRepo, tmp_path: Path) -> None:
    """/proc/self/fd/N is a regular file for keylatch and a pipe for git: refused either way."""
    regular = tmp_path / "regular"
    regular.write_text("x\n")
    with regular.open() as fh:
        (repo.path / ".git" / "packed-refs").unlink(missing_ok=True)
        (repo.path / ".git" / "packed-refs").symlink_to(f"/proc/self/fd/{fh.fileno()}")
        assert "file descriptor" in _refused(repo.path)


def test_environment_git_dirs_and_object_dirs(repo: GitRepo, tmp_path: Path) -> None:
    other = tmp_path / "objects-elsewhere"
    (other / "pack").mkdir(parents=True)
    os.mkfifo(other / "pack" / "p.idx")
    for name in ("GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES"):
        assert "p.idx is a FIFO" in _refused(tmp_path / "nowhere", {name: str(other)})
    git_dir = tmp_path / "dir.git"
    (git_dir / "refs").mkdir(parents=True)
    os.mkfifo(git_dir / "HEAD")
    assert "HEAD is a FIFO" in _refused(tmp_path / "nowhere", {"GIT_DIR": str(git_dir)})


def test_alternate_directories_are_walked_only_where_git_looks(repo: GitRepo, tmp_path: Path) -> None:
    """An alternate may name any directory (`/`): only its info/, pack/ and xx/ entries are git's."""
    alt = tmp_path / "alt"
    (alt / "unrelated").mkdir(parents=True)
    os.mkfifo(alt / "unrelated" / "fifo")
    (alt / "ab").mkdir()
    (repo.path / ".git" / "objects" / "info" / "alternates").write_text(f"{alt}\n")
    gitdir.check(str(repo.path), NO_ENV)
    os.mkfifo(alt / "ab" / "cd")
    assert str(alt / "ab" / "cd") in _refused(repo.path)


@pytest.mark.parametrize(
    ("line", "path"),
    [('"/a b/objects"', "/a b/objects"), (r'"/tab\there"', "/tab\there"), (r'"/\303\251"', "/\u00e9")],
)
def test_quoted_alternates(line: str, path: str) -> None:
    assert gitdir._unquote(line) == path
