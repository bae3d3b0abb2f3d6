"""During a merge conflict, `keylatch staged` names conflicted paths from the top of the
repository, like every other path it reports, from whatever directory it runs in (a hook runs at
the top; a user runs it anywhere)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=401)


def _conflicted(make_repo: Callable[..., GitRepo]) -> GitRepo:
    repo = make_repo()
    repo.write("deep/er/x.txt", "x\n")
    repo.conflict("conf/app.py")
    repo.write("conf/app.py", f"v = '{KEY}'\n")  # resolving, not yet added
    return repo


@pytest.mark.parametrize("where", [".", "conf", "deep/er"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_conflicted_paths_are_named_from_the_top(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, where: str, fmt: str
) -> None:
    repo = _conflicted(make_repo)
    res = keylatch("staged", *(("--format", "json") if fmt == "json" else ()), cwd=repo.path / where)
    assert res.code == 1, res
    assert_redacted(res.out, res.err, keys=[KEY])
    assert "../" not in res.out + res.err
    if fmt == "json":
        assert [f["path"] for f in json.loads(res.out)["findings"]] == ["conf/app.py"]
    else:
        assert "conf/app.py:1" in res.out
