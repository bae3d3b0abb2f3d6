"""`keylatch install-hook` where the hooks cannot go: one line and exit 2, never a traceback.

A core.hooksPath (or --hooks-dir) that is a file, or lies below one, is the user's to fix. It used to end in
`unexpected FileExistsError` / `NotADirectoryError` and exit 3.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]


@pytest.mark.parametrize("via", ["core.hooksPath", "--hooks-dir"])
@pytest.mark.parametrize(("place", "why"), [("hooks", "File exists"), ("hooks/sub", "Not a directory")])
@pytest.mark.parametrize("hook", [(), ("--hook", "pre-push")], ids=["both", "pre-push"])
def test_hooks_in_a_place_that_cannot_hold_them_is_a_usage_error(
    make_repo: MakeRepo, keylatch: RunKeylatch, via: str, place: str, why: str, hook: tuple[str, ...]
) -> None:
    repo = make_repo()
    (repo.path / "hooks").write_text("a file, not a directory\n")
    args: tuple[str, ...] = ("--hooks-dir", str(repo.path / place)) if via == "--hooks-dir" else ()
    if via == "core.hooksPath":
        repo.git("config", "core.hooksPath", place)
    r = keylatch("install-hook", *hook, *args, cwd=repo.path)
    assert r.code == 2, r.err
    (line,) = r.err.splitlines()
    name = hook[-1] if hook else "pre-commit"
    assert line == f"keylatch: error: cannot install the {name} hook: {repo.path / place}: {why}"
    assert (repo.path / "hooks").read_text() == "a file, not a directory\n"


def test_a_hooks_directory_is_still_made_when_missing(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.git("config", "core.hooksPath", ".githooks/deep")
    r = keylatch("install-hook", cwd=repo.path)
    assert r.code == 0 and (repo.path / ".githooks" / "deep" / "pre-push").is_file()
    assert Path(repo.path / ".githooks" / "deep" / "pre-commit").stat().st_mode & 0o111
