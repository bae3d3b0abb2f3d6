"""sources/push.py: which commits a push publishes, checked with real remotes and rev-list."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keylatch.errors import ScanError
from keylatch.sources import push
from keylatch.sources.gitcmd import Git
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]
Z = "0" * 40


@pytest.fixture
def pair(make_repo: MakeRepo) -> tuple[GitRepo, GitRepo]:
    """A clone with one commit already on its bare origin."""
    origin = make_repo("origin.git", "--bare")
    repo = make_repo("work")
    repo.git("remote", "add", "origin", str(origin.path))
    repo.write("a", "a\n")
    repo.commit("base")
    repo.git("push", "-q", "origin", "main")
    return repo, origin


def commits(repo: GitRepo, plan: push.PushPlan) -> set[str]:
    if not plan.revs:
        return set()
    return set(repo.git("rev-list", *plan.revs, "--").split())


def new_commits(repo: GitRepo, n: int, branch: str) -> list[str]:
    repo.git("checkout", "-q", "-B", branch)
    out = []
    for i in range(n):
        repo.write(f"{branch}-{i}", f"{i}\n")
        out.append(repo.commit(f"{branch} {i}"))
    return out


def line(repo: GitRepo, branch: str, remote_sha: str = Z) -> str:
    return f"refs/heads/{branch} {repo.git('rev-parse', branch)} refs/heads/{branch} {remote_sha}\n"


def test_every_ref_of_a_multi_ref_push(pair: tuple[GitRepo, GitRepo]) -> None:
    repo, _ = pair
    base = repo.git("rev-parse", "main")
    clean = new_commits(repo, 1, "clean")
    repo.git("checkout", "-q", "main")
    leak = new_commits(repo, 3, "leak")  # a new branch, three commits deep
    refs = push.parse_ref_lines(line(repo, "clean") + line(repo, "leak"))
    plan = push.from_ref_lines(Git(repo.path), "origin", refs)
    assert commits(repo, plan) == set(clean + leak)
    assert base not in commits(repo, plan)


def test_update_scans_from_the_remote_value(pair: tuple[GitRepo, GitRepo]) -> None:
    repo, _ = pair
    old = repo.git("rev-parse", "main")
    added = new_commits(repo, 2, "main")
    plan = push.from_ref_lines(Git(repo.path), "origin", push.parse_ref_lines(line(repo, "main", old)))
    assert commits(repo, plan) == set(added)


def test_unknown_remote_sha_falls_back_to_tracking_refs(pair: tuple[GitRepo, GitRepo]) -> None:
    repo, _ = pair
    added = new_commits(repo, 1, "main")
    lines = line(repo, "main", "1234567890" * 4)  # force-push over a commit we never fetched
    plan = push.from_ref_lines(Git(repo.path), "origin", push.parse_ref_lines(lines))
    assert commits(repo, plan) == set(added)


def test_deletion_pushes_nothing(pair: tuple[GitRepo, GitRepo]) -> None:
    repo, _ = pair
    sha = repo.git("rev-parse", "main")
    refs = push.parse_ref_lines(f"(delete) {Z} refs/heads/old {sha}\n")
    plan = push.from_ref_lines(Git(repo.path), "origin", refs)
    assert plan.revs == () and not push.has_commits(Git(repo.path), plan)


def test_first_push_scans_the_whole_branch(make_repo: MakeRepo) -> None:
    origin = make_repo("origin.git", "--bare")
    repo = make_repo("work")
    repo.git("remote", "add", "origin", str(origin.path))
    shas = new_commits(repo, 3, "main")
    plan = push.from_ref_lines(Git(repo.path), "origin", push.parse_ref_lines(line(repo, "main")))
    assert commits(repo, plan) == set(shas)


def test_unpushed_covers_all_local_branches_and_tags(pair: tuple[GitRepo, GitRepo]) -> None:
    repo, _ = pair
    one = new_commits(repo, 1, "one")
    repo.git("checkout", "-q", "main")
    two = new_commits(repo, 2, "two")
    repo.git("checkout", "-q", "--detach", "main")
    tagged = repo.commit("tagged only")
    repo.git("tag", "v1")
    plan = push.from_environment(Git(repo.path), {"PRE_COMMIT_REMOTE_NAME": "origin"})
    assert commits(repo, plan) == {*one, *two, tagged}
    assert not plan.exact


def test_nothing_new(pair: tuple[GitRepo, GitRepo]) -> None:
    repo, _ = pair
    plan = push.unpushed(Git(repo.path), "origin")
    assert not push.has_commits(Git(repo.path), plan)


def test_malformed_ref_lines_fail_closed() -> None:
    with pytest.raises(ScanError, match="stdin line 1"):
        push.parse_ref_lines("refs/heads/main abc refs/heads/main def\n")


def test_framework_without_remote_name_fails_closed(pair: tuple[GitRepo, GitRepo]) -> None:
    repo, _ = pair
    with pytest.raises(ScanError, match="which remote"):
        push.from_environment(Git(repo.path), {})
