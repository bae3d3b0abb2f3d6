"""`keylatch staged` on its error paths leaves no git child running and no pipe open: run under
`python3 -X dev -W error::ResourceWarning`, a leaked child or pipe prints a warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.gitrepo import git_env
from tests.helpers.run import SRC


@pytest.mark.parametrize("argv", [(), ("a.py",), ("--format", "json")], ids=["all", "files", "json"])
def test_outside_a_repository_exits_2_and_leaks_nothing(tmp_path: Path, home: Path, argv: tuple[str, ...]) -> None:
    where = tmp_path / "not-a-repo"
    where.mkdir()
    env = {**git_env(home), "PYTHONPATH": str(SRC), "GIT_CEILING_DIRECTORIES": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-m", "keylatch", "staged", *argv],
        cwd=where, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.splitlines() == [f"keylatch: error: not a git repository: {where}"]
