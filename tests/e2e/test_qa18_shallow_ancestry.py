"""A revision that walks ancestry (`HEAD~1`, `main^`) past a shallow clone's boundary names
history the clone never fetched: exit 3 with the fetch advice, as an object id the clone lacks
already was. It was exit 2, "'HEAD~1' is not a commit in this repository", which sent the user
of `keylatch ci --range HEAD~1..HEAD` in a `fetch-depth: 1` checkout to fix a correct command.
In a full clone the same expressions keep their meaning, and one past the root stays exit 2."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, copy_tree
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

REVS = ["HEAD~1", "HEAD^", "HEAD^^", "main~2", "HEAD~1^"]
# command line for a revision
COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "ci --range": lambda rev: ["ci", "--range", f"{rev}..HEAD"],
    "history --range": lambda rev: ["history", "--range", f"{rev}..HEAD"],
    "history --since": lambda rev: ["history", "--since", rev],
}


def _origin(make_repo: Callable[..., GitRepo]) -> GitRepo:
    repo = make_repo("origin")
    repo.write("a.txt", "first\n")
    repo.commit("first")
    repo.write("b.env", f"OPENAI_API_KEY={make_key('sk-proj-', seed=1811)}\n")
    repo.commit("key")
    repo.write("a.txt", "third\n")
    repo.commit("third")
    return repo


def _shallow(origin: GitRepo, tmp_path: Path) -> Path:
    dst = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{origin.path}", str(dst)], env=origin.env, check=True
    )
    return dst


@pytest.fixture(scope="module")
def shallow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One depth-1 clone of _origin for the module: each case reads a copy of its own (only
    reads: the scans write their cache under XDG_CACHE_HOME, outside the clone)."""
    root = tmp_path_factory.mktemp("shallow")
    (root / "home").mkdir()
    origin = _origin(lambda name: GitRepo.init(root / name, root / "home"))
    return _shallow(origin, root)


@pytest.mark.parametrize("rev", REVS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_ancestry_past_a_shallow_boundary_is_missing_history(
    command: str, rev: str, keylatch: RunKeylatch, shallow_template: Path, tmp_path: Path
) -> None:
    shallow = copy_tree(shallow_template, tmp_path / "shallow")
    r = keylatch(*COMMANDS[command](rev), cwd=shallow)
    assert r.code == 3, r.err
    (line,) = r.err.splitlines()
    assert line.startswith("keylatch: error: ") and repr(rev) in line and "shallow" in line, line
    assert "fetch" in line, line


@pytest.mark.parametrize("rev", REVS)
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_same_revisions_in_a_full_clone_scan(
    command: str, rev: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    origin = _origin(make_repo)
    r = keylatch(*COMMANDS[command](rev), cwd=origin.path)
    # The key's commit is HEAD~1: inside every range that starts two commits back.
    reaches_key = rev in ("HEAD^^", "main~2", "HEAD~1^")
    assert r.code == (1 if reaches_key else 0), r.err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_ancestry_past_the_root_of_a_full_clone_stays_a_usage_error(
    command: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    origin = _origin(make_repo)
    r = keylatch(*COMMANDS[command]("HEAD~9"), cwd=origin.path)
    assert r.code == 2, r.err
    assert "'HEAD~9' is not a commit in this repository" in r.err
