"""A scanned repository's config can include a file git would wait on: a FIFO nobody writes, a
terminal, keylatch's own stdin (`include.path=/dev/stdin`). git reads includes before it does
anything, so every command that reads the repository would hang (or git would read keylatch's
input to it as config). keylatch refuses such a repository with one line and exit 3.

Each command runs as a real process with a bounded timeout: a hang fails the test instead of
hanging the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import SRC

KEY = make_key("sk-proj-", 71)
# `scan` and `baseline create` read files, not git: they finish either way (test below).
COMMANDS = [
    ("history", "."),
    ("ci", "--range", "HEAD~1..HEAD"),
    ("staged",),
]


def run(repo: GitRepo, *argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**repo.env, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "keylatch", *argv],
        cwd=repo.path, env=env, input=stdin, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


@pytest.fixture
def repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    r = make_repo()
    r.write("README.md", "r\n")
    r.commit("one")
    r.write("k.env", f"K={KEY}\n")
    r.commit("two")
    r.write("staged.env", f"K={KEY}\n")
    r.git("add", "staged.env")
    return r


def _fifo(repo: GitRepo) -> str:
    path = repo.path.parent / "config.fifo"
    os.mkfifo(path)
    return str(path)


def _relative_fifo(repo: GitRepo) -> str:
    os.mkfifo(repo.path / ".git" / "inc")
    return "inc"  # relative to the including file's directory


TARGETS: dict[str, Callable[[GitRepo], str]] = {
    "fifo": _fifo,
    "dev-stdin": lambda repo: "/dev/stdin",
    "relative-fifo": lambda repo: _relative_fifo(repo),
}


@pytest.mark.parametrize("section", ["include", 'includeIf "gitdir:/"'])
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_an_include_git_would_wait_on_is_refused(
    repo: GitRepo, argv: tuple[str, ...], target: str, section: str
) -> None:
    name = TARGETS[target](repo)
    with (repo.path / ".git" / "config").open("a") as fh:
        fh.write(f"[{section}]\n\tpath = {name}\n")
    r = run(repo, *argv, stdin="[core]\n")  # git must not take keylatch's stdin as config either
    assert r.returncode == 3, r.stderr
    (line,) = r.stderr.strip().splitlines()[-1:]
    assert line.startswith("keylatch: error: ") and "not a regular file" in line and "include" in line
    assert KEY not in r.stdout + r.stderr


def test_a_nested_include_is_followed(repo: GitRepo) -> None:
    (repo.path.parent / "first.inc").write_text(f"[include]\n\tpath = {_fifo(repo)}\n")
    with (repo.path / ".git" / "config").open("a") as fh:
        fh.write(f"[include]\n\tpath = {repo.path.parent / 'first.inc'}\n")
    r = run(repo, "history", ".")
    assert r.returncode == 3 and "not a regular file" in r.stderr


def test_a_regular_include_still_works(repo: GitRepo) -> None:
    (repo.path.parent / "ok.inc").write_text("[core]\n\tautocrlf = false\n")
    with (repo.path / ".git" / "config").open("a") as fh:
        fh.write("[include]\n\tpath = ../../ok.inc\n\tpath = missing.inc\n")  # a missing one: git skips it
    r = run(repo, "history", ".")
    assert r.returncode == 1 and "openai-project-key" in r.stdout


@pytest.mark.parametrize(("argv", "code"), [(("scan", "k.env"), 1), (("baseline", "create", "--reason", "t"), 0)])
def test_commands_that_read_files_do_not_read_git_config(repo: GitRepo, argv: tuple[str, ...], code: int) -> None:
    with (repo.path / ".git" / "config").open("a") as fh:
        fh.write(f"[include]\n\tpath = {_fifo(repo)}\n")
    r = run(repo, *argv)
    assert r.returncode == code, r.stderr
