"""Range detection with real repositories, GitHub event payload files and GitLab variables."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from keylatch.errors import ScanError, UsageError
from keylatch.sources.ci_range import RangePlan, detect, load_event, resolve
from keylatch.sources.gitcmd import Git
from keylatch.sources.repo import inspect
from tests.helpers.gitrepo import GitRepo

ZERO = "0" * 40
MakeRepo = Callable[..., GitRepo]


def commit(repo: GitRepo, name: str) -> str:
    repo.write(f"{name}.txt", name + "\n")
    return repo.commit(name)


@pytest.fixture
def forked(make_repo: MakeRepo) -> tuple[GitRepo, dict[str, str]]:
    """origin: main c1-c2-m3, feature c1-c2-f3-f4; returns origin and the commit ids."""
    origin = make_repo("origin")
    ids = {n: commit(origin, n) for n in ("c1", "c2")}
    origin.git("checkout", "-q", "-b", "feature")
    ids.update({n: commit(origin, n) for n in ("f3", "f4")})
    origin.git("checkout", "-q", "main")
    ids["m3"] = commit(origin, "m3")
    return origin, ids


def clone(origin: GitRepo, tmp_path: Path, *args: str, branch: str = "main") -> GitRepo:
    dest = tmp_path / f"clone{len(list(tmp_path.glob('clone*')))}"
    origin.git("clone", "-q", *args, "--branch", branch, f"file://{origin.path}", str(dest))
    return GitRepo(dest, origin.env)


def github(tmp_path: Path, name: str, payload: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any] | None]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(payload))
    env = {"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path)}
    return env, load_event(env)


def commits_of(repo: GitRepo, plan: RangePlan) -> set[str]:
    return set(repo.git("rev-list", *plan.revs, "--").split())


def plan_for(repo: GitRepo, env: dict[str, str], event: dict[str, Any] | None = None, **kw: str) -> RangePlan:
    return resolve(detect(env, event, **kw), Git(repo.path), inspect(repo.path).shallow)


REPO = {"default_branch": "main", "full_name": "acme/app"}


def test_github_push_scans_before_to_after(forked: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    origin, ids = forked
    work = clone(origin, tmp_path, branch="feature")
    env, event = github(tmp_path, "push", {"ref": "refs/heads/feature", "before": ids["c2"], "after": ids["f4"],
                                          "repository": REPO})  # fmt: skip
    plan = plan_for(work, env, event)
    assert plan.revs == (ids["f4"], "^" + ids["c2"])
    assert plan.commits == 2 and commits_of(work, plan) == {ids["f3"], ids["f4"]}
    assert plan.description == f"{ids['c2'][:12]}..{ids['f4'][:12]}" and plan.origin == "GitHub push"


def test_github_new_branch_scans_commits_not_on_the_default_branch(
    forked: tuple[GitRepo, dict[str, str]], tmp_path: Path
) -> None:
    origin, ids = forked
    work = clone(origin, tmp_path, branch="feature")
    env, event = github(tmp_path, "push", {"ref": "refs/heads/feature", "before": ZERO, "after": ids["f4"],
                                          "created": True, "repository": REPO})  # fmt: skip
    plan = plan_for(work, env, event)
    assert plan.revs == (ids["f4"], "^refs/remotes/origin/main")
    assert commits_of(work, plan) == {ids["f3"], ids["f4"]} and plan.commits == 2
    assert plan.description == f"{ids['f4'][:12]} not on origin/main"


def test_github_first_push_of_the_default_branch_scans_everything(
    forked: tuple[GitRepo, dict[str, str]], tmp_path: Path
) -> None:
    origin, ids = forked
    work = clone(origin, tmp_path)
    env, event = github(tmp_path, "push", {"ref": "refs/heads/main", "before": ZERO, "after": ids["m3"],
                                          "created": True, "repository": REPO})  # fmt: skip
    assert commits_of(work, plan_for(work, env, event)) == {ids["c1"], ids["c2"], ids["m3"]}


def test_github_deleted_branch_scans_nothing(tmp_path: Path, make_repo: MakeRepo) -> None:
    repo = make_repo()
    commit(repo, "c1")
    env, event = github(tmp_path, "push", {"ref": "refs/heads/gone", "before": "1" * 40, "after": ZERO,
                                          "deleted": True, "repository": REPO})  # fmt: skip
    plan = plan_for(repo, env, event)
    assert plan.revs == () and plan.commits == 0 and "refs/heads/gone was deleted" in plan.description


def test_github_pull_request_scans_from_the_merge_base(forked: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    origin, ids = forked
    work = clone(origin, tmp_path, branch="feature")
    env, event = github(tmp_path, "pull_request", {
        "action": "synchronize", "number": 7, "repository": REPO,
        "pull_request": {"base": {"ref": "main", "sha": ids["m3"]}, "head": {"ref": "feature", "sha": ids["f4"]}},
    })  # fmt: skip
    plan = plan_for(work, env, event)
    assert plan.revs == (ids["f4"], "^" + ids["c2"])
    assert commits_of(work, plan) == {ids["f3"], ids["f4"]}
    assert plan.origin == "GitHub pull_request"


def test_github_force_push_falls_back_to_the_default_branch(
    forked: tuple[GitRepo, dict[str, str]], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    origin, ids = forked
    work = clone(origin, tmp_path, branch="feature")
    env, event = github(tmp_path, "push", {"ref": "refs/heads/feature", "before": "ab" * 20, "after": ids["f4"],
                                          "forced": True, "repository": REPO})  # fmt: skip
    plan = plan_for(work, env, event)
    assert commits_of(work, plan) == {ids["f3"], ids["f4"]}
    assert "force push?" in caplog.text


def test_gitlab_merge_request_pipeline(forked: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    origin, ids = forked
    work = clone(origin, tmp_path, branch="feature")
    env = {
        "GITLAB_CI": "true", "CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": "3", "CI_MERGE_REQUEST_DIFF_BASE_SHA": ids["c2"],
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main", "CI_COMMIT_SHA": ids["f4"], "CI_DEFAULT_BRANCH": "main",
    }  # fmt: skip
    plan = plan_for(work, env)
    assert plan.revs == (ids["f4"], "^" + ids["c2"]) and plan.commits == 2
    assert plan.origin == "GitLab merge request"


def test_gitlab_merged_results_pipeline_stops_at_the_source_branch(
    forked: tuple[GitRepo, dict[str, str]], tmp_path: Path
) -> None:
    origin, ids = forked
    work = clone(origin, tmp_path)
    work.git("fetch", "-q", "origin", "feature")
    work.git("merge", "-q", "--no-edit", ids["f4"])
    merged = work.git("rev-parse", "HEAD")
    env = {
        "GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "3",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA": ids["c2"], "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": ids["f4"],
        "CI_COMMIT_SHA": merged,
    }  # fmt: skip
    assert commits_of(work, plan_for(work, env)) == {ids["f3"], ids["f4"]}


def test_gitlab_push_and_new_branch(forked: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    origin, ids = forked
    work = clone(origin, tmp_path, branch="feature")
    base = {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_SHA": ids["f4"],
            "CI_COMMIT_BRANCH": "feature", "CI_DEFAULT_BRANCH": "main"}  # fmt: skip
    push = plan_for(work, {**base, "CI_COMMIT_BEFORE_SHA": ids["f3"]})
    assert push.revs == (ids["f4"], "^" + ids["f3"]) and push.commits == 1
    new = plan_for(work, {**base, "CI_COMMIT_BEFORE_SHA": ZERO})
    assert new.revs == (ids["f4"], "^refs/remotes/origin/main") and new.commits == 2


def test_explicit_range_and_since_win_over_the_event(forked: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    origin, ids = forked
    work = clone(origin, tmp_path, branch="feature")
    env, event = github(tmp_path, "push", {"before": ids["c1"], "after": ids["f4"], "repository": REPO})
    plan = plan_for(work, env, event, range_arg=f"{ids['f3']}..{ids['f4']}")
    assert plan.revs == (ids["f4"], "^" + ids["f3"]) and plan.origin == "--range"
    since = plan_for(work, {}, None, since_arg="HEAD~3")
    assert commits_of(work, since) == {ids["c2"], ids["f3"], ids["f4"]}
    assert plan_for(work, {}, None, range_arg="HEAD~1..").revs == (ids["f4"], "^" + ids["f3"])


def test_unknown_revision_in_range_is_a_usage_error(make_repo: MakeRepo) -> None:
    repo = make_repo()
    commit(repo, "c1")
    with pytest.raises(UsageError, match="--range: 'nosuch' is not a commit in this repository"):
        plan_for(repo, {}, None, range_arg="nosuch..HEAD")


@pytest.mark.parametrize("bad", ["main", "a...b", "..HEAD"])
def test_malformed_range_is_a_usage_error(bad: str) -> None:
    with pytest.raises(UsageError, match="BASE..HEAD"):
        detect({}, None, range_arg=bad)


def test_no_ci_and_no_range_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not in GitHub Actions or GitLab CI"):
        detect({"CI": "true"}, None)
    env, event = github(tmp_path, "schedule", {"schedule": "0 3 * * *"})
    with pytest.raises(UsageError, match="GitHub event 'schedule' has no commit range"):
        detect(env, event)


def test_shallow_clone_missing_the_base_names_the_fix(forked: tuple[GitRepo, dict[str, str]], tmp_path: Path) -> None:
    origin, ids = forked
    work = clone(origin, tmp_path, "--depth", "1", branch="feature")
    env, event = github(tmp_path, "push", {"ref": "refs/heads/feature", "before": ids["c2"], "after": ids["f4"],
                                          "repository": REPO})  # fmt: skip
    with pytest.raises(ScanError) as info:
        plan_for(work, env, event)
    msg = str(info.value)
    assert f"base commit {ids['c2'][:12]} is not in this clone (the clone is shallow)" in msg
    assert "`fetch-depth: 0`" in msg and "git fetch --deepen" in msg
    # The fix works: deepen, and the same event now resolves.
    work.git("fetch", "-q", "--deepen=2")
    assert plan_for(work, env, event).commits == 2


def test_shallow_clone_that_cuts_the_range_is_an_error_not_a_partial_scan(
    forked: tuple[GitRepo, dict[str, str]], tmp_path: Path
) -> None:
    origin, ids = forked
    # Both branches at depth 1: origin/main exists, but f4's parents are cut off.
    work = clone(origin, tmp_path, "--depth", "1", "--no-single-branch", branch="feature")
    env, event = github(tmp_path, "push", {"ref": "refs/heads/feature", "before": ZERO, "after": ids["f4"],
                                          "created": True, "repository": REPO})  # fmt: skip
    with pytest.raises(ScanError, match=f"reaches the shallow clone's boundary at {ids['f4'][:12]}"):
        plan_for(work, env, event)
    gitlab = {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "1",
              "CI_MERGE_REQUEST_DIFF_BASE_SHA": ids["c2"], "CI_COMMIT_SHA": ids["f4"]}  # fmt: skip
    with pytest.raises(ScanError, match="`GIT_DEPTH: 0`"):
        plan_for(work, gitlab)
