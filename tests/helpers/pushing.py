"""A clone with a bare origin and keylatch's pre-push hook installed: what pre-push tests push from."""

from __future__ import annotations

from collections.abc import Callable

from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import SRC, RunKeylatch


def pushing_clone(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> GitRepo:
    """A clone whose `main` is on its bare origin, with keylatch's plain pre-push hook."""
    origin = make_repo("origin.git", "--bare")
    repo = make_repo("work")
    repo.env["PYTHONPATH"] = str(SRC)  # the hook runs this checkout's keylatch
    repo.git("remote", "add", "origin", str(origin.path))
    repo.write("README", "hi\n")
    repo.commit("base")
    repo.git("push", "-q", "origin", "main")
    assert keylatch("install-hook", "--hook", "pre-push", cwd=repo.path).code == 0
    return repo
