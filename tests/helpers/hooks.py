"""Git commands whose hooks may refuse them: what a user sees when keylatch runs as a hook."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from tests.helpers.gitrepo import GitRepo
from tests.helpers.redaction import assert_redacted


@dataclass(frozen=True)
class Git:
    code: int
    out: str


def git_run(repo: GitRepo, *args: str, input: str | None = None) -> Git:
    """A git command whose hooks may refuse it: exit code and everything it printed."""
    proc = subprocess.run(
        ["git", *args], cwd=repo.path, env=repo.env, input=input, capture_output=True, text=True, check=False
    )
    assert_redacted(proc.stdout, proc.stderr)
    return Git(proc.returncode, proc.stdout + proc.stderr)
