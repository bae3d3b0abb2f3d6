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


def _history(repo: GitRepo, dated: bool) -> dict[str, str]:
    """Branches that fork, merge and interleave in time (`dated`), or all share one date (git
    then breaks ties by its own order), with the main branch already on the remote."""
    day = iter(range(2, 28)).__next__

    def commit(message: str) -> str:
        return repo.commit(message, date=f"2024-01-{day() if dated else 1:02d}T12:00:00Z")

    repo.git("checkout", "-q", "-b", "old", "main")
    repo.write("old", "1\n")
    old = commit("old")  # older than main's next commits when dated
    repo.git("checkout", "-q", "main")
    repo.write("m1", "1\n")
    commit("m1")
    repo.write("m2", "1\n")
    commit("m2")
    repo.git("push", "-q", "origin", "main")
    base = repo.git("rev-parse", "main")
    repo.git("checkout", "-q", "-b", "side", "main~1")
    repo.write("s", "1\n")
    commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("m3", "1\n")
    commit("m3")
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    repo.git("tag", "-a", "-m", "v1", "v1", "side")
    repo.git("tag", "-a", "-m", "v0", "v0", base)  # a commit the remote has
    return {"old": old, "base": base, "main": repo.git("rev-parse", "main"), "side": repo.git("rev-parse", "side"),
            "v1": repo.git("rev-parse", "v1"), "v0": repo.git("rev-parse", "v0")}  # fmt: skip


PLANS = {
    "update": ["main base"],
    "new branch": ["side"],
    "new branch, older than the remote's": ["old"],
    "two refs": ["old", "main base"],
    "two refs, the other order": ["main base", "old"],
    "a tag and a branch": ["v1", "main base"],
    "a tag of a commit the remote has": ["v0"],
    "nothing new": ["base base"],
    "an old value never fetched": ["main " + "1" * 40],
}


@pytest.mark.parametrize("dated", [True, False], ids=["dated", "one date"])
@pytest.mark.parametrize("plan_name", PLANS)
def test_one_walk_answers_what_two_did(pair: tuple[GitRepo, GitRepo], dated: bool, plan_name: str) -> None:
    """`ends` (one `rev-list --boundary`) against the two walks it replaces, and the kinds read
    with the plan against `cat-file -t` and `rev-parse X^{commit}` asked one by one."""
    repo, _ = pair
    ids = _history(repo, dated)
    lines = ""
    for spec in PLANS[plan_name]:
        name, _, old = spec.partition(" ")
        kind = "tags" if name.startswith("v") else "heads"
        lines += f"refs/{kind}/{name} {ids[name]} refs/{kind}/{name} {ids.get(old, old) or Z}\n"
    plan = push.from_ref_lines(Git(repo.path), "origin", push.parse_ref_lines(lines))

    first = repo.git("rev-list", "--max-count=1", *plan.revs, "--")
    boundary = repo.git("rev-list", "--boundary", *plan.revs, "--").split()
    assert push.ends(Git(repo.path), plan) == (first, tuple(b[1:] for b in boundary if b.startswith("-")))
    tips = plan.revs[: plan.revs.index("--not")]
    assert plan.commits == tuple(t for t in tips if repo.git("cat-file", "-t", t) == "commit")
    tags = [t for t in tips if repo.git("cat-file", "-t", t) == "tag"]
    assert push.tag_only(plan) == (repo.git("rev-parse", f"{tags[0]}^{{commit}}") if tags else "")
    if plan_name == "an old value never fetched":  # only the tracking refs stop the walk
        assert plan.revs == (ids["main"], "--not", "--remotes=origin")
    if plan_name == "a tag of a commit the remote has":
        assert first == "" and push.tag_only(plan) == ids["base"]
