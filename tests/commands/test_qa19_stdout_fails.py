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
from tests.helpers.run import SRC

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1905)
COMMANDS = {
    "scan": ("scan", "."),
    "scan-json": ("scan", "--format", "json", "."),
    "history": ("history", "."),
    "history-sarif": ("history", "--format", "sarif", "."),
    "ci-range": ("ci", "--range", "ROOT..HEAD", "--format", "github"),
}


def _close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize("sink", ["dev-full", "closed"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_report_that_cannot_be_written_is_one_line_exit_3(
    command: str, sink: str, make_repo: Callable[..., GitRepo], home: Path
) -> None:
    repo = make_repo()
    repo.write("README", "clean\n")
    root = repo.commit("readme")
    repo.write("settings.py", f'OPENAI_API_KEY = "{KEY}"\n')
    repo.commit("settings")
    env = git_env(home)
    env["PYTHONPATH"] = str(SRC)
    env["XDG_CACHE_HOME"] = str(repo.path.parent / "cache")
    argv = [a.replace("ROOT", root) for a in COMMANDS[command]]
    with open(os.devnull.replace("null", "full"), "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "keylatch", *argv],
            cwd=repo.path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=full if sink == "dev-full" else None,
            stderr=subprocess.PIPE,
            preexec_fn=_close_stdout if sink == "closed" else None,
            text=True,
            check=False,
        )
    assert proc.returncode == 3, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("keylatch: error:")]
    assert errors == [errors[0]] and "cannot write the report" in errors[0], proc.stderr
    assert "unexpected" not in proc.stderr and KEY not in proc.stderr
