"""`keylatch install-hook` where husky manages the hooks: exit 2 with where keylatch goes instead.

husky's hooks run by their own name (v9's `.husky/_/h` and v4's `husky.sh` read `basename "$0"`):
chained as `pre-commit.pre-keylatch`, the user's `.husky/pre-commit` silently stopped running
(a commit went through without the team's checks), and husky rewrites its directory on every
`npm install`, silently dropping keylatch's hook. The layouts are husky's own (v4: hooks in
.git/hooks sourcing husky.sh; v5-8: core.hooksPath .husky; v9: core.hooksPath .husky/_).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.gitrepo import GitRepo
from tests.helpers.hooks import git_run
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]
USER = 'echo "TEAM CHECKS RAN" >&2\n'


def _executable(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def _husky_v9(repo: GitRepo) -> Path:
    hooks = repo.path / ".husky" / "_"
    _executable(hooks / "h", '#!/usr/bin/env sh\n[ "$HUSKY" = "2" ] && set -x\nn=$(basename "$0")\n'
                's=$(dirname "$(dirname "$0")")/$n\n[ ! -f "$s" ] && exit 0\nsh -e "$s" "$@"\n')  # fmt: skip
    for name in ("pre-commit", "pre-push"):
        _executable(hooks / name, '#!/usr/bin/env sh\n. "$(dirname "$0")/h"\n')
    (repo.path / ".husky" / "pre-commit").write_text(USER)
    repo.git("config", "core.hooksPath", ".husky/_")
    return hooks


def _husky_v5(repo: GitRepo) -> Path:
    hooks = repo.path / ".husky"
    _executable(hooks / "_" / "husky.sh", '#!/usr/bin/env sh\nhook_name="$(basename -- "$0")"\n')
    _executable(hooks / "pre-commit", '#!/usr/bin/env sh\n. "$(dirname -- "$0")/_/husky.sh"\n\n' + USER)
    repo.git("config", "core.hooksPath", ".husky")
    return hooks


def _husky_v4(repo: GitRepo) -> Path:
    hooks = repo.path / ".git" / "hooks"
    _executable(hooks / "husky.sh", 'hookName=$(basename "$0")\n')
    _executable(hooks / "pre-commit", '#!/bin/sh\n# husky\n. "$(dirname "$0")/husky.sh"\n')
    return hooks


LAYOUTS = {"husky-9": _husky_v9, "husky-5-to-8": _husky_v5, "husky-4": _husky_v4}


def _tree(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): p.read_text() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("hook", [(), ("--hook", "pre-commit"), ("--hook", "pre-push")], ids=["both", "commit", "push"])
@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_husky_hooks_are_not_chained_and_nothing_is_moved(
    make_repo: MakeRepo, keylatch: RunKeylatch, layout: Callable[[GitRepo], Path], hook: tuple[str, ...]
) -> None:
    repo = make_repo()
    hooks = layout(repo)
    before = _tree(hooks)
    r = keylatch("install-hook", *hook, cwd=repo.path)
    assert r.code == 2, r.out + r.err
    (line,) = r.err.splitlines()
    assert "is managed by husky" in line and "add `keylatch staged` to .husky/pre-commit" in line
    assert _tree(hooks) == before


@pytest.mark.parametrize("layout", LAYOUTS.values(), ids=LAYOUTS.keys())
def test_husky_named_with_hooks_dir_is_refused_too(
    make_repo: MakeRepo, keylatch: RunKeylatch, layout: Callable[[GitRepo], Path]
) -> None:
    repo = make_repo()
    hooks = layout(repo)
    r = keylatch("install-hook", "--hooks-dir", str(hooks), cwd=repo.path)
    assert r.code == 2 and "is managed by husky" in r.err


def test_a_users_own_hook_is_still_chained_and_runs(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    _executable(repo.path / ".githooks" / "pre-commit", "#!/bin/sh\n# moved here from husky last year\n" + USER)
    repo.git("config", "core.hooksPath", ".githooks")
    r = keylatch("install-hook", "--hook", "pre-commit", cwd=repo.path)
    assert r.code == 0, r.err
    repo.write("notes.txt", "nothing secret\n")
    repo.git("add", "notes.txt")
    done = git_run(repo, "commit", "-q", "-m", "notes")
    assert done.code == 0 and "TEAM CHECKS RAN" in done.out
