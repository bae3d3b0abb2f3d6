"""`keylatch history` with GIT_DIR set by the caller (a script, `git --git-dir`, a hook) × where
it stands (QA t-qa19).

git takes $GIT_DIR for the current directory (docs/security.md), and so does `keylatch ci`; but
`history` found its repository in Python from the directory it stood in, so it refused to run
outside a repository ("not a git repository: .", exit 2) while ci scanned GIT_DIR's, and inside
another repository it named one repository to git's hardening and the cache while git read the
other. Discovery now follows GIT_DIR for the current directory: the run reports exactly what
`keylatch history <GIT_DIR's repository>` reports.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=1904)


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
@pytest.mark.parametrize("stand", ["outside-any-repository", "in-another-repository", "in-its-work-tree"])
def test_history_reads_the_repository_git_dir_names(
    stand: str, relative: bool, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    leaky = make_repo("leaky")
    leaky.write("settings.py", f'OPENAI_API_KEY = "{KEY}"\n')
    leaky.commit("settings")
    other = make_repo("other")
    other.write("README", "clean\n")
    other.commit("readme")
    cwd = {
        "outside-any-repository": tmp_path / "plain",
        "in-another-repository": other.path,
        "in-its-work-tree": leaky.path,
    }[stand]
    cwd.mkdir(exist_ok=True)
    git_dir = leaky.path / ".git"
    named = keylatch("history", "--no-cache", str(leaky.path), cwd=tmp_path)
    assert named.code == 1 and "settings.py:1" in named.out, named.err
    value = os.path.relpath(git_dir, cwd) if relative else str(git_dir)
    r = keylatch("history", "--no-cache", cwd=cwd, env={"GIT_DIR": value})
    assert (r.code, _untimed(r.out)) == (named.code, _untimed(named.out)), r.err


def _untimed(report: str) -> str:
    return re.sub(r" in \d+\.\ds\b", "", report)
