"""A force push to the default branch leaves its `before` commit out of the CI clone, and `ci`
fell back to "the commits not on the default branch": none, since the pushed commits are the
default branch by then. A force push that put a key on `main` passed CI (exit 0) on GitHub
and GitLab. It is now scanned whole, as the first push of the default branch is; a force push
to another branch keeps the fallback, and an ordinary push its range."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1831)
OLD_KEY = make_key("sk-svcacct-", seed=1832)


def _env(platform: str, tmp_path: Path, ref: str, before: str, after: str) -> dict[str, str]:
    if platform == "github":
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"ref": f"refs/heads/{ref}", "before": before, "after": after,
                                     "forced": True, "repository": {"default_branch": "main"}}))  # fmt: skip
        return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event),
                "GITHUB_SHA": after}  # fmt: skip
    return {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": before,
            "CI_COMMIT_SHA": after, "CI_COMMIT_BRANCH": ref, "CI_DEFAULT_BRANCH": "main"}  # fmt: skip


def _pushed(make_repo: Callable[..., GitRepo], tmp_path: Path, ref: str, *, force: bool) -> tuple[GitRepo, str, str]:
    """(the CI clone, before, after) of a push of `ref` whose new commit adds KEY: rewritten over
    `before` (force) or on top of it. The history below holds OLD_KEY, published long ago."""
    origin = make_repo("origin.git", "--bare")
    work = make_repo("work")
    work.git("remote", "add", "origin", str(origin.path))
    work.write("old.env", f"OPENAI_API_KEY={OLD_KEY}\n")
    work.commit("old key")
    work.git("rm", "-q", "old.env")
    work.commit("old key removed")
    work.git("checkout", "-q", "-B", ref)
    work.write("notes.txt", "soon rewritten\n")
    before = work.commit("to be rewritten")
    work.git("push", "-q", "origin", *dict.fromkeys(("main", ref)))
    if force:
        work.git("reset", "-q", "--hard", "HEAD~1")
    work.write("new.env", f"OPENAI_API_KEY={KEY}\n")
    after = work.commit("new key")
    work.git("push", "-q", "-f", "origin", ref)
    ci = tmp_path / "ci"
    # file://: only what the refs reach crosses, as in a CI checkout (a rewritten `before` does not).
    subprocess.run(
        ["git", "clone", "-q", "--no-single-branch", f"file://{origin.path}", str(ci)], env=work.env, check=True
    )
    subprocess.run(["git", "checkout", "-q", after], cwd=ci, env=work.env, check=True)
    return GitRepo(ci, work.env), before, after


@pytest.mark.parametrize("platform", ["github", "gitlab"])
@pytest.mark.parametrize("ref", ["main", "feature"])
def test_a_force_push_that_adds_a_key_fails_ci(
    platform: str, ref: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], tmp_path: Path
) -> None:
    ci, before, after = _pushed(make_repo, tmp_path, ref, force=True)
    assert ci.git("cat-file", "-t", before, check=False) != "commit"  # rewritten away: not in the clone
    r = keylatch("ci", "--format", "json", cwd=ci.path, env=_env(platform, tmp_path, ref, before, after))
    assert r.code == 1, r.err
    assert "force push?" in r.err
    paths = {f["path"] for f in json.loads(r.out)["findings"]}
    # The default branch is scanned whole (its old key too); another branch down to main.
    assert paths == ({"new.env", "old.env"} if ref == "main" else {"new.env"})


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_an_ordinary_push_to_the_default_branch_scans_its_range(
    platform: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], tmp_path: Path
) -> None:
    ci, before, after = _pushed(make_repo, tmp_path, "main", force=False)
    r = keylatch("ci", "--format", "json", cwd=ci.path, env=_env(platform, tmp_path, "main", before, after))
    assert r.code == 1, r.err
    assert "force push?" not in r.err
    assert {f["path"] for f in json.loads(r.out)["findings"]} == {"new.env"}
