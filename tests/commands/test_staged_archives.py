"""A key in a staged archive's member blocks the commit, and the advice unstages the archive
itself: git knows `dist/bundle.zip`, not `dist/bundle.zip!config/.env`."""

from __future__ import annotations

from collections.abc import Callable

from keylatch.rules.synthetic import make_key
from tests.helpers.archives import tarred, zipped
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=41)


def test_the_advice_names_the_archive_not_its_member(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.commit("base")
    inner = tarred({"config/.env": f"OPENAI_API_KEY={KEY}\n".encode()}, "w:gz")
    repo.write("dist/my bundle.zip", zipped({"inner.tgz": inner}))
    repo.git("add", "-A")
    res = keylatch("staged", "--no-color", cwd=repo.path)
    assert res.code == 1
    assert "dist/my bundle.zip!inner.tgz!config/.env:1" in res.out  # where the key is
    assert "git restore --staged 'dist/my bundle.zip'\n" in res.out  # what git can unstage
