"""`keylatch install-hook`: plain git hooks that chain what was there, under real `git commit`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.hooks import git_run
from tests.helpers.run import SRC, RunKeylatch

MakeRepo = Callable[..., GitRepo]


def repo_with_src(make_repo: MakeRepo) -> GitRepo:
    repo = make_repo()
    repo.env["PYTHONPATH"] = str(SRC)
    return repo


def test_existing_hook_is_kept_runs_first_and_can_refuse(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = repo_with_src(make_repo)
    hooks = repo.path / ".git" / "hooks"
    mark = repo.path / "ran.txt"
    (hooks / "pre-commit").write_text(f'#!/bin/sh\necho ran >> {mark}\nexit "${{FAIL:-0}}"\n')
    (hooks / "pre-commit").chmod(0o755)
    res = keylatch("install-hook", cwd=repo.path)
    assert res.code == 0 and "existing hook kept as pre-commit.pre-keylatch" in res.out
    assert (hooks / "pre-commit.pre-keylatch").read_text().startswith("#!/bin/sh\necho ran")
    repo.write("a.py", "a = 1\n")
    repo.git("add", "-A")
    assert git_run(repo, "commit", "-m", "clean").code == 0
    assert mark.read_text() == "ran\n"
    repo.write("b.py", f"b = '{make_key('sk-proj-', seed=41)}'\n")
    repo.git("add", "-A")
    hook = git_run(repo, "commit", "-m", "key")
    assert hook.code == 1 and "b.py:1" in hook.out  # keylatch runs after the chained hook passed
    repo.env["FAIL"] = "5"
    repo.git("reset", "-q", "b.py")
    hook = git_run(repo, "commit", "--allow-empty", "-m", "chained hook refuses")
    assert hook.code != 0 and mark.read_text() == "ran\nran\nran\n"


def test_reinstall_updates_in_place(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = repo_with_src(make_repo)
    assert keylatch("install-hook", cwd=repo.path).code == 0
    res = keylatch("install-hook", cwd=repo.path)
    assert res.code == 0 and "pre-commit hook updated" in res.out and "pre-push hook updated" in res.out
    assert not (repo.path / ".git" / "hooks" / "pre-commit.pre-keylatch").exists()


def test_refuses_to_overwrite_a_second_foreign_hook(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = repo_with_src(make_repo)
    hooks = repo.path / ".git" / "hooks"
    for name in ("pre-commit", "pre-commit.pre-keylatch"):
        (hooks / name).write_text("#!/bin/sh\nexit 0\n")
    res = keylatch("install-hook", "--hook", "pre-commit", cwd=repo.path)
    assert res.code == 2 and "move one of them away" in res.err
    assert (hooks / "pre-commit").read_text() == "#!/bin/sh\nexit 0\n"


def test_local_hooks_path_is_honoured_and_a_global_one_is_reported(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = repo_with_src(make_repo)
    repo.git("config", "core.hooksPath", ".githooks")
    res = keylatch("install-hook", "--hook", "pre-commit", cwd=repo.path)
    assert res.code == 0 and (repo.path / ".githooks" / "pre-commit").is_file()
    repo.git("config", "--unset", "core.hooksPath")
    repo.git("config", "--global", "core.hooksPath", "/somewhere/else")
    res = keylatch("install-hook", cwd=repo.path)
    assert res.code == 2 and "core.hooksPath is set in" in res.err


def test_hook_never_imports_from_the_repository(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    # A scanned repository is hostile: a `keylatch/` package in it must not replace keylatch.
    repo = repo_with_src(make_repo)
    assert keylatch("install-hook", "--hook", "pre-commit", cwd=repo.path).code == 0
    marker = repo.path.parent / "pwned"
    repo.write("keylatch/__init__.py", f"open({str(marker)!r}, 'w').close()\n")
    repo.write("keylatch/__main__.py", f"open({str(marker)!r}, 'w').close()\n")
    repo.write("c.py", f"c = '{make_key('sk-', seed=42)}'\n")
    repo.git("add", "-A")
    res = git_run(repo, "commit", "-m", "x")
    assert res.code == 1 and "c.py:1" in res.out
    assert not marker.exists()


@pytest.mark.parametrize("where", ["absolute", "relative", "symlink", "home"])
def test_a_hooks_path_outside_the_repository_is_refused_and_nothing_is_written(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repository's own config must not make keylatch write elsewhere (QA t-qa17 p19): refused
    as `pre-commit install` refuses; `--hooks-dir` names such a directory deliberately."""
    repo = repo_with_src(make_repo)
    outside = tmp_path / "shared-bin"
    outside.mkdir()
    monkeypatch.setenv("HOME", str(tmp_path))
    named = {"absolute": str(outside), "relative": f"../{outside.name}", "symlink": ".githooks",
             "home": f"~/{outside.name}"}[where]  # fmt: skip
    if where == "symlink":
        (repo.path / ".githooks").symlink_to(outside)
    if where == "relative":
        assert (repo.path / named).resolve() == outside.resolve()
    repo.git("config", "core.hooksPath", named)
    res = keylatch("install-hook", cwd=repo.path)
    assert res.code == 2, res.err
    assert "points outside it" in res.err and "--hooks-dir" in res.err and len(res.err.splitlines()) == 1
    assert list(outside.iterdir()) == []
    assert not (repo.path / ".git" / "hooks" / "pre-commit").exists()
    res = keylatch("install-hook", "--hooks-dir", str(outside), cwd=repo.path)
    assert res.code == 0, res.err
    assert sorted(p.name for p in outside.iterdir()) == ["pre-commit", "pre-push"]
