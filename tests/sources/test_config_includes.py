"""A scanned repository's config can include a file git would wait on: a FIFO nobody writes, a
terminal, keylatch's own stdin (`include.path=/dev/stdin`). git reads includes before it does
anything, so every command that reads the repository would hang (or git would read keylatch's
input to it as config). keylatch refuses such a repository with one line and exit 3.

Each command runs the real CLI in this process (tests/helpers/run.py) under a watchdog: a hang
fails the test, and the git it waits on is killed, instead of hanging the suite. An include of
`/dev/stdin` (or `/proc/self/fd/0`, or a link to either) names the process's own standard input:
in this process run.py's temporary file, a regular file git would read as config; in a child
process, the pipe a user's `... | keylatch` gives it. Both are refused."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch, watchdog

KEY = make_key("sk-proj-", 71)
# `scan` and `baseline create` read files, not git: they finish either way (test below).
COMMANDS = [
    ("history", "."),
    ("ci", "--range", "HEAD~1..HEAD"),
    ("staged",),
]


Run = Callable[..., Result]
HANG = 30  # seconds; a refusal takes well under one, a hang never ends


def _watched(keylatch: RunKeylatch) -> Run:
    def run(repo: GitRepo, *argv: str, stdin: str = "") -> Result:
        with watchdog(HANG, f"keylatch {' '.join(argv)}"):
            return keylatch(*argv, cwd=repo.path, input=stdin)
        raise AssertionError("unreachable: watchdog fails the test")  # for mypy: a `with` may swallow

    return run


@pytest.fixture
def run(keylatch: RunKeylatch) -> Run:
    return _watched(keylatch)


@pytest.fixture
def run_in_child(keylatch_process: RunKeylatch) -> Run:
    return _watched(keylatch_process)


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


def _link_to_stdin(repo: GitRepo) -> str:
    os.symlink("/dev/stdin", repo.path / ".git" / "settings")
    return "settings"


TARGETS: dict[str, Callable[[GitRepo], str]] = {
    "fifo": _fifo,
    "relative-fifo": lambda repo: _relative_fifo(repo),
    # keylatch's own stdin, whatever it is: here (in this process) run.py's temporary file, a
    # regular file, which git would read as config; in a child, the pipe a user's `... |` gives.
    "dev-stdin": lambda repo: "/dev/stdin",
    "dev-stdin-child": lambda repo: "/dev/stdin",
    "proc-self-fd": lambda repo: "/proc/self/fd/0",
    "dev-fd": lambda repo: "/dev/fd/0",
    "link-to-stdin": _link_to_stdin,
}


@pytest.mark.parametrize("section", ["include", 'includeIf "gitdir:/"'])
@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
def test_an_include_git_would_wait_on_is_refused(
    repo: GitRepo, run: Run, run_in_child: Run, argv: tuple[str, ...], target: str, section: str
) -> None:
    if target == "dev-stdin-child":
        run = run_in_child
    name = TARGETS[target](repo)
    with (repo.path / ".git" / "config").open("a") as fh:
        fh.write(f"[{section}]\n\tpath = {name}\n")
    r = run(repo, *argv, stdin="[core]\n")  # git must not take keylatch's stdin as config either
    assert r.code == 3, r.err
    (line,) = r.err.strip().splitlines()[-1:]
    assert line.startswith("keylatch: error: ") and "not a regular file" in line and "include" in line
    assert KEY not in r.out + r.err


def test_a_nested_include_is_followed(repo: GitRepo, run: Run) -> None:
    (repo.path.parent / "first.inc").write_text(f"[include]\n\tpath = {_fifo(repo)}\n")
    with (repo.path / ".git" / "config").open("a") as fh:
        fh.write(f"[include]\n\tpath = {repo.path.parent / 'first.inc'}\n")
    r = run(repo, "history", ".")
    assert r.code == 3 and "not a regular file" in r.err


def test_a_regular_include_still_works(repo: GitRepo, run: Run) -> None:
    (repo.path.parent / "ok.inc").write_text("[core]\n\tautocrlf = false\n")
    with (repo.path / ".git" / "config").open("a") as fh:
        fh.write("[include]\n\tpath = ../../ok.inc\n\tpath = missing.inc\n")  # a missing one: git skips it
    r = run(repo, "history", ".")
    assert r.code == 1 and "openai-project-key" in r.out


@pytest.mark.parametrize(("argv", "code"), [(("scan", "k.env"), 1), (("baseline", "create", "--reason", "t"), 0)])
def test_commands_that_read_files_do_not_read_git_config(
    repo: GitRepo, run: Run, argv: tuple[str, ...], code: int
) -> None:
    with (repo.path / ".git" / "config").open("a") as fh:
        fh.write(f"[include]\n\tpath = {_fifo(repo)}\n")
    r = run(repo, *argv)
    assert r.code == code, r.err
