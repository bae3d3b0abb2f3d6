"""sources/gitcmd.py: a Git builds its process environment once (Git.env) and hands out copies,
so a caller that adds to one (history/damage.py points one process at another object
directory) changes only that process, never the next one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from keylatch.sources.gitcmd import Git
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]


def _repo(make_repo: MakeRepo) -> GitRepo:
    repo = make_repo()
    repo.git("config", "filter.lfs.clean", "false")
    repo.write("README", "hello\n")
    repo.commit("init")
    return repo


def test_what_a_caller_adds_to_the_environment_stays_with_that_process(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = _repo(make_repo)
    git = Git(repo.path)
    first = git.env()
    first["GIT_OBJECT_DIRECTORY"] = str(tmp_path / "nowhere")
    first["GIT_CONFIG_COUNT"] = "0"

    again = git.env()
    assert "GIT_OBJECT_DIRECTORY" not in again and again["GIT_CONFIG_COUNT"] != "0"
    # The next process still reads the repository's objects, with the driver override in place.
    assert git.run("cat-file", "-t", "HEAD") == b"commit\n"
    assert git.run("config", "--get", "filter.lfs.clean") == b"\n"


def test_a_derived_git_has_the_same_environment(make_repo: MakeRepo) -> None:
    repo = _repo(make_repo)
    git = Git(repo.path)
    before = git.derived(config=("core.quotePath=false",))
    git.env()
    after = git.derived(config=("core.quotePath=false",))
    assert before.env() == after.env() == git.env() == Git(repo.path).env()
    assert git.derived(repo.path / ".git").env() == Git(repo.path / ".git").env()
