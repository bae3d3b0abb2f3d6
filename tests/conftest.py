from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.gitrepo import GitRepo, git_env
from tests.redaction import assert_redacted


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


SRC = Path(__file__).resolve().parents[1] / "src"

# Every full key a test hands to keylatch is recorded here, so the redaction test can check that
# none of them was printed.
RunKeylatch = Callable[..., Result]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir(exist_ok=True)
    return h


@pytest.fixture
def make_repo(tmp_path: Path, home: Path) -> Callable[..., GitRepo]:
    def make(name: str = "repo", *args: str) -> GitRepo:
        return GitRepo.init(tmp_path / name, home, *args)

    return make


@pytest.fixture
def keylatch(home: Path) -> Iterator[RunKeylatch]:
    """Run the real CLI in a subprocess (as users and hooks do) with a hermetic git config."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        full_env = git_env(home)
        # Run the code of this checkout, whatever is installed.
        full_env["PYTHONPATH"] = str(SRC)
        full_env.pop("NO_COLOR", None)
        full_env.pop("CI", None)
        if env:
            full_env.update(env)
        proc = subprocess.run(
            [sys.executable, "-m", "keylatch", *args],
            cwd=cwd, env=full_env, input=input, capture_output=True, text=True, check=False,
        )  # fmt: skip
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if "--show-secrets" not in args:
            # Every CLI run in the suite doubles as a redaction test.
            assert_redacted(result.out, result.err)
        return result

    yield run
