"""sources/revs.py `commit_ids`: a range's ends resolved in one process, each to the commit
`git rev-parse --verify X^{commit}` names, and a name git cannot resolve (or that could not be
asked) left out, for `revs.commit` to explain as it always has."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keylatch.sources.gitcmd import Git
from keylatch.sources.revs import commit_ids
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]


@pytest.fixture
def repo(make_repo: MakeRepo) -> GitRepo:
    repo = make_repo()
    repo.write("a.txt", "one\n")
    repo.commit("one")
    repo.write("a.txt", "two\n")
    repo.commit("two fix")
    repo.git("tag", "-a", "-m", "release", "v1", "HEAD~1")
    repo.git("tag", "light", "HEAD")
    repo.git("tag", "blobtag", "HEAD:a.txt")
    repo.git("branch", "side", "HEAD~1")
    return repo


RESOLVED = ["HEAD", "HEAD~1", "HEAD^", "v1", "light", "side", "refs/heads/side", "main", "@", "HEAD@{0}"]
# `:/two fix^{commit}` searches messages for that whole text, for rev-parse as for cat-file.
NO_COMMIT = [":/two fix", "nope", "HEAD~9", "blobtag", "HEAD:a.txt", "HEAD^{tree}"]
UNASKED = ["-x", "--all", "a\nb", "HEAD\r", ""]


def _rev_parse(repo: GitRepo, rev: str) -> str | None:
    out = repo.git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False)
    return out.strip() or None


def test_each_end_is_the_commit_rev_parse_names(repo: GitRepo) -> None:
    found = commit_ids(Git(repo.path), RESOLVED + NO_COMMIT)
    assert found == {rev: _rev_parse(repo, rev) for rev in RESOLVED + NO_COMMIT}
    assert all(found[rev] for rev in RESOLVED) and not any(found[rev] for rev in NO_COMMIT)
    # The abbreviated and full ids of a commit name it too.
    head = repo.git("rev-parse", "HEAD").strip()
    assert commit_ids(Git(repo.path), [head, head[:10]]) == {head: head, head[:10]: head}


@pytest.mark.parametrize("rev", NO_COMMIT + UNASKED)
def test_an_answer_is_never_another_names(repo: GitRepo, rev: str) -> None:
    """Among resolved names, so a name git answers oddly cannot shift the others' answers; a
    name that cannot be one request line, or looks like an option, is not asked at all."""
    found = commit_ids(Git(repo.path), ["HEAD", rev, "side"])
    expected = {"HEAD": _rev_parse(repo, "HEAD"), "side": _rev_parse(repo, "side")}
    assert found == (expected if rev in UNASKED else {**expected, rev: None})


def test_outside_a_repository_nothing_is_answered(tmp_path_factory: pytest.TempPathFactory) -> None:
    assert commit_ids(Git(tmp_path_factory.mktemp("plain")), ["HEAD"]) == {}
