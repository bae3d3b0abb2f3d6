"""`keylatch ci` for each event kind it supports, in the clone that CI gives it: when the clone
lacks what the range needs, the advice printed is run as given, and must make the next run
work (exit 1, the key found). Also GitLab's `external_pull_request_event` pipelines (a GitHub
pull request built by GitLab CI), scanned like merge requests: it was exit 2, "has no commit range"."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=1951)
ZERO = "0" * 40


@dataclass(frozen=True)
class Origin:
    repo: GitRepo
    ids: dict[str, str]


@pytest.fixture
def origin(make_repo: Callable[..., GitRepo]) -> Origin:
    """main: c1-c2-m3; feature: c1-c2-f3(key)-f4, also published as refs/pull/7/head."""
    repo = make_repo("origin")
    ids = {}
    for name in ("c1", "c2"):
        repo.write(f"{name}.txt", f"{name}\n")
        ids[name] = repo.commit(name)
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("app.env", f"OPENAI_API_KEY={KEY}\n")
    ids["f3"] = repo.commit("f3")
    repo.write("f4.txt", "f4\n")
    ids["f4"] = repo.commit("f4")
    repo.git("update-ref", "refs/pull/7/head", ids["f4"])
    repo.git("checkout", "-q", "main")
    repo.write("m3.txt", "m3\n")
    ids["m3"] = repo.commit("m3")
    return Origin(repo, ids)


def _clone(o: Origin, tmp_path: Path, *args: str) -> GitRepo:
    dest = tmp_path / f"ci{len(list(tmp_path.glob('ci*')))}"
    o.repo.git("clone", "-q", *args, f"file://{o.repo.path}", str(dest))
    return GitRepo(dest, o.repo.env)


def _github(tmp_path: Path, name: str, payload: dict[str, object]) -> dict[str, str]:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(payload))
    return {"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path)}


def _pull(name: str, ids: dict[str, str], tmp_path: Path) -> dict[str, str]:
    base, head = {"ref": "main", "sha": ids["m3"]}, {"ref": "feature", "sha": ids["f4"]}
    return _github(tmp_path, name, {
        "number": 7, "repository": {"default_branch": "main"},
        "pull_request": {"number": 7, "base": base, "head": head},
    })  # fmt: skip


def _external(ids: dict[str, str], **extra: str) -> dict[str, str]:
    return {
        "GITLAB_CI": "true", "CI": "true", "CI_PIPELINE_SOURCE": "external_pull_request_event",
        "CI_EXTERNAL_PULL_REQUEST_IID": "7", "CI_COMMIT_SHA": ids["f4"],
        "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME": "feature",
        "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_SHA": ids["f4"],
        "CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA": ids["m3"],
        **extra,
    }  # fmt: skip


def test_gitlab_external_pull_request_scans_the_pull_requests_commits(
    origin: Origin, tmp_path: Path, keylatch: RunKeylatch
) -> None:
    work = _clone(origin, tmp_path, "--no-single-branch", "--branch", "feature")
    r = keylatch("ci", cwd=work.path, env=_external(origin.ids))
    assert r.code == 1, r.out + r.err
    assert (
        f"GitLab external pull request: scanning 2 commits ({origin.ids['c2'][:12]}..{origin.ids['f4'][:12]})" in r.err
    )
    assert f"{origin.ids['f3'][:12]}" in r.out and "app.env:1" in r.out


@pytest.mark.parametrize("drop", ["CI_PIPELINE_SOURCE", "CI_EXTERNAL_PULL_REQUEST_IID"])
def test_either_marker_of_an_external_pull_request_pipeline_is_enough(
    drop: str, origin: Origin, tmp_path: Path, keylatch: RunKeylatch
) -> None:
    work = _clone(origin, tmp_path, "--no-single-branch", "--branch", "feature")
    env = {k: v for k, v in _external(origin.ids).items() if k != drop}
    assert keylatch("ci", cwd=work.path, env=env).code == 1


def test_an_external_pull_request_without_its_target_is_a_usage_error(
    origin: Origin, tmp_path: Path, keylatch: RunKeylatch
) -> None:
    work = _clone(origin, tmp_path, "--branch", "feature")
    env = {k: v for k, v in _external(origin.ids).items() if k != "CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA"}
    r = keylatch("ci", cwd=work.path, env=env)
    assert (r.code, r.err) == (
        2,
        "keylatch: error: GitLab external pull request pipeline without CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA\n",
    )


# (the clone CI gives, the job's environment) -> what the advice must name; running the commands
# it quotes (in backticks, `git fetch ...`) must make the next run find the key.
@dataclass(frozen=True)
class Case:
    clone: tuple[str, ...]
    env: Callable[[dict[str, str], Path], dict[str, str]]
    says: str
    never: str = "\0"


CASES = {
    # GitLab fetches only the pipeline's ref: the target branch's tip is not there.
    "gitlab-external-pr-target-missing": Case(
        ("--single-branch", "--branch", "feature"), lambda ids, _: _external(ids), "`git fetch origin main`",
        never="force push"),
    "gitlab-external-pr-shallow": Case(
        ("--depth", "1", "--single-branch", "--branch", "feature"), lambda ids, _: _external(ids), "`GIT_DEPTH: 0`"),
    # A fork's pull request under pull_request_target: the job checks out the base branch, and
    # no fetch-depth brings the fork's head (its branch is the fork's); refs/pull/7/head does.
    "github-pull-request-target-fork": Case(
        ("--single-branch", "--branch", "main"), lambda ids, tmp: _pull("pull_request_target", ids, tmp),
        "`git fetch origin refs/pull/7/head`"),
    # A pull request whose base the clone lacks: never "all of head" (the force-push fallback).
    "github-pull-request-base-missing": Case(
        ("--single-branch", "--branch", "feature"),
        lambda ids, tmp: _pull("pull_request", ids, tmp), "`git fetch origin main`", never="force push"),
    # A new branch on GitLab: GIT_DEPTH cannot fetch the default branch; a refspec'd fetch does
    # (a plain `git fetch origin main` in a single-branch clone updates no origin/main).
    "gitlab-new-branch": Case(
        ("--single-branch", "--branch", "feature"),
        lambda ids, _: {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": ZERO,
                        "CI_COMMIT_SHA": ids["f4"], "CI_COMMIT_BRANCH": "feature", "CI_DEFAULT_BRANCH": "main"},
        "`git fetch origin main:refs/remotes/origin/main`", never="GIT_DEPTH"),
    "github-new-branch": Case(
        ("--single-branch", "--branch", "feature"),
        lambda ids, tmp: _github(tmp, "push", {"ref": "refs/heads/feature", "before": ZERO, "after": ids["f4"],
                                              "created": True, "repository": {"default_branch": "main"}}),
        "`git fetch origin main:refs/remotes/origin/main`"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_advice_for_a_clone_that_lacks_the_range_is_what_fixes_it(
    case: str, origin: Origin, tmp_path: Path, keylatch: RunKeylatch
) -> None:
    c = CASES[case]
    work = _clone(origin, tmp_path, *c.clone)
    env = c.env(origin.ids, tmp_path)
    first = keylatch("ci", cwd=work.path, env=env)
    assert first.code == 3, first.out + first.err
    assert c.says in first.err and c.never not in first.err, first.err
    # The deepening alternatives (`GIT_DEPTH: 0`, `fetch-depth: 0`, --deepen, --unshallow) all
    # come to a whole history: one --unshallow stands for them; then every other fetch quoted.
    commands = [cmd for cmd in re.findall(r"`(git fetch [^`]*)`", first.err) if "--deepen" not in cmd]
    commands = [cmd for cmd in commands if "--unshallow" not in cmd]
    if "(the clone is shallow)" in first.err:
        commands.insert(0, "git fetch --unshallow")
    for cmd in commands:
        subprocess.run(shlex.split(cmd), cwd=work.path, env=work.env, check=True, capture_output=True)
    again = keylatch("ci", cwd=work.path, env=env)
    assert again.code == 1, again.out + again.err
    assert "app.env:1" in again.out


@pytest.mark.parametrize(
    "env",
    [
        {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "schedule"},
        {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "web"},
    ],
)
def test_a_gitlab_pipeline_with_no_range_points_at_history(
    env: dict[str, str], origin: Origin, keylatch: RunKeylatch
) -> None:
    r = keylatch("ci", cwd=origin.repo.path, env=env)
    assert r.code == 2 and "`keylatch history` for a full audit" in r.err, r.err


def test_a_github_workflow_dispatch_points_at_history(origin: Origin, tmp_path: Path, keylatch: RunKeylatch) -> None:
    r = keylatch("ci", cwd=origin.repo.path, env=_github(tmp_path, "workflow_dispatch", {"inputs": {}}))
    assert r.code == 2 and "`keylatch history` for a full audit" in r.err, r.err
