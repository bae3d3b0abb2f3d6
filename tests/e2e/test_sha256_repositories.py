"""A SHA-256 repository (`git init --object-format=sha256`) is scanned like a SHA-1 one.

Its object ids have 64 hex digits and its null id 64 zeros. keylatch parsed 40-digit ids in
places: `history` and `baseline --history` then called the repository damaged ("objects
missing"), and `pre-push` and `ci` failed on git log's output. Each command must find the key
where it is, and a clean range must pass.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]


def _sha256_repo(make_repo: MakeRepo) -> tuple[GitRepo, str, str, str]:
    repo = make_repo("repo", "--object-format=sha256")
    repo.write("README", "hello\n")
    repo.commit("init")
    base = repo.git("rev-parse", "HEAD")
    key = make_key("sk-proj-", seed=61)
    repo.write("app/settings.py", f"OPENAI_API_KEY = '{key}'\n")
    repo.commit("settings")
    head = repo.git("rev-parse", "HEAD")
    assert len(head) == 64  # the repository really is SHA-256
    return repo, base, head, key


def test_history_finds_the_key_and_names_its_commit(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, _, head, _ = _sha256_repo(make_repo)
    for _ in range(2):  # cold, then with the history cache
        res = keylatch("history", str(repo.path), "--format", "json")
        assert res.code == 1, res.err
        [found] = json.loads(res.out)["findings"]
        assert found["introduced"]["sha"] == head
        assert [(loc["path"], loc["line"]) for loc in found["locations"]] == [("app/settings.py", 1)]
        assert "damaged" not in res.err


def test_baseline_of_the_history_records_the_key(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, _, _, _ = _sha256_repo(make_repo)
    res = keylatch("baseline", "create", "--history", "--file", "base.json", cwd=repo.path)
    assert res.code == 0, res.err
    assert len(json.loads((repo.path / "base.json").read_text())["entries"]) == 1


@pytest.mark.parametrize("zeros", [64, 40])
def test_pre_push_of_a_new_branch_blocks_the_key(make_repo: MakeRepo, keylatch: RunKeylatch, zeros: int) -> None:
    repo, _, head, _ = _sha256_repo(make_repo)
    line = f"refs/heads/main {head} refs/heads/main {'0' * zeros}\n"
    res = keylatch("pre-push", "origin", "x", cwd=repo.path, input=line)
    assert res.code == 1, res.err
    assert "app/settings.py" in res.out + res.err


def test_ci_range_finds_the_key_and_a_clean_range_passes(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, base, head, _ = _sha256_repo(make_repo)
    res = keylatch("ci", "--range", f"{base}..{head}", cwd=repo.path)
    assert res.code == 1, res.err
    assert "app/settings.py" in res.out
    repo.write("README", "hello again\n")
    repo.commit("docs")
    res = keylatch("ci", "--range", f"{head}..HEAD", cwd=repo.path)
    assert res.code == 0, res.out + res.err


def test_staged_blocks_the_key(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, _, _, _ = _sha256_repo(make_repo)
    repo.write("new.env", f"OPENAI_API_KEY={make_key('sk-proj-', seed=62)}\n")
    repo.git("add", "new.env")
    res = keylatch("staged", cwd=repo.path)
    assert res.code == 1 and "new.env" in res.out + res.err
