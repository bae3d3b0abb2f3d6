"""GIT_DIR and its kin inherited from the user's environment never redirect a scan away from the
repository named on the command line.

A hook, a script or a `git --git-dir=... --work-tree=...` setup exports GIT_DIR, GIT_WORK_TREE,
GIT_INDEX_FILE or GIT_OBJECT_DIRECTORY. Git honours them over `-C PATH`, so `keylatch history
/other/repo`, `keylatch history URL` (a clone keylatch made itself) and `keylatch ci --repo DIR`
read the repository the variable named, a clean one here, and reported the named one clean
(exit 0). Each cell runs from a third directory with the variable pointing at a clean decoy.
In the current directory the variables keep their meaning (the hooks rely on GIT_INDEX_FILE),
checked last.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1901)


def variables(decoy: GitRepo) -> dict[str, dict[str, str]]:
    git_dir = decoy.path / ".git"
    return {
        "GIT_DIR": {"GIT_DIR": str(git_dir)},
        "GIT_DIR and GIT_WORK_TREE": {"GIT_DIR": str(git_dir), "GIT_WORK_TREE": str(decoy.path)},
        "GIT_WORK_TREE": {"GIT_WORK_TREE": str(decoy.path)},
        "GIT_OBJECT_DIRECTORY": {"GIT_OBJECT_DIRECTORY": str(git_dir / "objects")},
        "GIT_COMMON_DIR": {"GIT_COMMON_DIR": str(git_dir)},
        "GIT_INDEX_FILE": {"GIT_INDEX_FILE": str(git_dir / "index")},
    }


def history(kl: RunKeylatch, repo: GitRepo, commits: list[str], env: dict[str, str], cwd: Path) -> Result:
    return kl("history", str(repo.path), "--no-color", cwd=cwd, env=env)


def history_url(kl: RunKeylatch, repo: GitRepo, commits: list[str], env: dict[str, str], cwd: Path) -> Result:
    return kl("history", f"file://{repo.path}", "--no-color", cwd=cwd, env=env)


def ci(kl: RunKeylatch, repo: GitRepo, commits: list[str], env: dict[str, str], cwd: Path) -> Result:
    return kl("ci", "--repo", str(repo.path), "--range", f"{commits[0]}..{commits[1]}", "--no-color", cwd=cwd, env=env)


COMMANDS: dict[str, Callable[[RunKeylatch, GitRepo, list[str], dict[str, str], Path], Result]] = {
    "history PATH": history,
    "history URL": history_url,
    "ci --repo": ci,
}
NAMES = list(variables(GitRepo(Path("."), {})))


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", NAMES)
def test_the_named_repository_is_the_one_scanned(
    name: str, command: str, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    decoy = make_repo("decoy")
    decoy.write("README", "nothing here\n")
    decoy.commit("init")
    repo = make_repo("repo")
    repo.write("README", "hello\n")
    base = repo.commit("init")
    repo.write("settings.py", f"OPENAI_API_KEY = '{KEY}'\n")
    head = repo.commit("settings")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    result = COMMANDS[command](keylatch, repo, [base, head], variables(decoy)[name], elsewhere)

    assert result.code == 1, result.err
    assert scan_text(KEY)[0].secret.redacted in result.out


def test_in_the_current_directory_git_index_file_keeps_its_meaning(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    """`git commit <paths>` hands the pre-commit hook a temporary index in GIT_INDEX_FILE: the
    hook judges that index, not .git/index."""
    repo = make_repo()
    repo.write("README", "hello\n")
    repo.commit("init")
    repo.write("settings.py", f"OPENAI_API_KEY = '{KEY}'\n")
    alternate = repo.path / ".git" / "next-index.lock"
    repo.git("read-tree", "HEAD", "--index-output", str(alternate))
    repo.env["GIT_INDEX_FILE"] = str(alternate)
    repo.git("add", "settings.py")
    del repo.env["GIT_INDEX_FILE"]
    assert repo.git("diff", "--cached", "--name-only") == ""  # .git/index holds nothing new

    result = keylatch("staged", "--no-color", cwd=repo.path, env={"GIT_INDEX_FILE": str(alternate)})

    assert result.code == 1, result.err
    assert "settings.py" in result.out + result.err
