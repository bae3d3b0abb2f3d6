"""A report whose standard output cannot take it × the commands that write one (QA t-qa19).

Before the fix `keylatch scan > /dev/full` ended in "keylatch: error: unexpected OSError: [Errno
28] ..." and `keylatch scan >&-` in "unexpected AttributeError: 'NoneType' object has no
attribute 'isatty'" (and, where nothing asked stdout whether it is a terminal, the report went
nowhere). Now: one line that says the report could not be written, exit 3 (the scan ran, its
report was not delivered, as for a reader that went away), and no key on stderr.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, git_env
from tests.helpers.run import SRC, Result, RunKeylatch
from tests.helpers.sinks import dev_full, stdout_of_main

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1905)
COMMANDS = {
    "scan": ("scan", "."),
    "scan-json": ("scan", "--format", "json", "."),
    "history": ("history", "."),
    "history-sarif": ("history", "--format", "sarif", "."),
    "ci-range": ("ci", "--range", "ROOT..HEAD", "--format", "github"),
}


def _keyed(make_repo: Callable[..., GitRepo]) -> tuple[GitRepo, str]:
    """A repository whose second commit adds a key, and its first commit."""
    repo = make_repo()
    repo.write("README", "clean\n")
    root = repo.commit("readme")
    repo.write("settings.py", f'OPENAI_API_KEY = "{KEY}"\n')
    repo.commit("settings")
    return repo, root


def _assert_one_line_exit_3(code: int, err: str) -> None:
    assert code == 3, err
    errors = [line for line in err.splitlines() if line.startswith("keylatch: error:")]
    assert errors == [errors[0]] and "cannot write the report" in errors[0], err
    assert "unexpected" not in err and KEY not in err


@pytest.mark.parametrize("sink", ["dev-full", "closed"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_report_that_cannot_be_written_is_one_line_exit_3(
    command: str, sink: str, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    # In this process, with the sys.stdout Python gives a child whose stdout is /dev/full or
    # closed (tests/helpers/sinks.py); the child itself is the test below.
    repo, root = _keyed(make_repo)
    argv = [a.replace("ROOT", root) for a in COMMANDS[command]]
    if sink == "closed":
        with stdout_of_main(None):
            r: Result = keylatch(*argv, cwd=repo.path)
    else:
        with dev_full() as full, stdout_of_main(full):
            r = keylatch(*argv, cwd=repo.path)
    _assert_one_line_exit_3(r.code, r.err)


def _close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize("sink", ["dev-full", "closed"])
def test_a_child_whose_stdout_cannot_take_the_report_exits_3(
    sink: str, make_repo: Callable[..., GitRepo], home: Path
) -> None:
    # The interpreter's own startup: sys.stdout None for a closed descriptor, a flush that fails
    # for /dev/full, and its exit after the report was lost.
    repo, _ = _keyed(make_repo)
    env = git_env(home)
    env["PYTHONPATH"] = str(SRC)
    env["XDG_CACHE_HOME"] = str(repo.path.parent / "cache")
    with open(os.devnull.replace("null", "full"), "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "keylatch", *COMMANDS["history"]],
            cwd=repo.path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=full if sink == "dev-full" else None,
            stderr=subprocess.PIPE,
            preexec_fn=_close_stdout if sink == "closed" else None,
            text=True,
            check=False,
        )
    _assert_one_line_exit_3(proc.returncode, proc.stderr)
