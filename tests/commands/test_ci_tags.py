"""`keylatch ci` on a pushed tag: an annotated tag's message is pushed content, read as
`history` and the pre-push hook read it, whichever way the CI names the tag."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=71)


@pytest.fixture
def tagged(make_repo: Callable[..., GitRepo], tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """A clone of a repository whose newest commit (clean) carries an annotated tag v2 with KEY in
    its message, and a lightweight tag light."""
    origin = make_repo("origin")
    origin.write("a.txt", "one\n")
    ids = {"base": origin.commit("one")}
    origin.write("a.txt", "two\n")
    ids["head"] = origin.commit("two")
    origin.git("tag", "-a", "v2", "-m", f"release 2\n\ndeploy key {KEY}\n")
    origin.git("tag", "light")
    work = tmp_path / "work"
    origin.git("clone", "-q", f"file://{origin.path}", str(work))
    return GitRepo(work, origin.env), ids


def github(tmp_path: Path, ref: str, before: str, after: str) -> dict[str, str]:
    path = tmp_path / "event.json"
    payload = {"ref": ref, "before": before, "after": after, "repository": {"default_branch": "main"}}
    path.write_text(json.dumps(payload))
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(path)}


def gitlab(tag: str, before: str, sha: str) -> dict[str, str]:
    return {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": tag, "CI_COMMIT_BEFORE_SHA": before,
            "CI_COMMIT_SHA": sha, "CI_DEFAULT_BRANCH": "main"}  # fmt: skip


@pytest.mark.parametrize("how", ["github-new", "github-moved", "gitlab-new", "gitlab-moved", "range"])
def test_the_message_of_a_pushed_annotated_tag_is_scanned(
    tagged: tuple[GitRepo, dict[str, str]], tmp_path: Path, keylatch: RunKeylatch, how: str
) -> None:
    work, ids = tagged
    before = "0" * 40 if how.endswith("new") else ids["base"]
    args: tuple[str, ...] = ("ci",)
    env: dict[str, str] = {}
    if how.startswith("github"):
        env = github(tmp_path, "refs/tags/v2", before, ids["head"])
    elif how.startswith("gitlab"):
        env = gitlab("v2", before, ids["head"])
    else:
        args = ("ci", "--range", f"{ids['base']}..v2")
    r = keylatch(*args, "-f", "json", cwd=work.path, env=env)
    assert r.code == 1, r.err
    (found,) = json.loads(r.out)["findings"]
    assert found["rule_id"] == "openai-project-key" and found["tag"] == "v2"
    assert KEY not in r.out and KEY not in r.err
    text = keylatch(*args, cwd=work.path, env=env)
    assert text.code == 1 and "message of tag v2" in text.out


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_a_lightweight_tag_push_scans_its_commits_only(
    tagged: tuple[GitRepo, dict[str, str]], tmp_path: Path, keylatch: RunKeylatch, platform: str
) -> None:
    work, ids = tagged
    env = (
        github(tmp_path, "refs/tags/light", ids["base"], ids["head"])
        if platform == "github"
        else gitlab("light", ids["base"], ids["head"])
    )
    r = keylatch("ci", cwd=work.path, env=env)
    assert r.code == 0, r.err
    assert "scanning 1 commit" in r.err


def test_a_pushed_tag_missing_from_the_clone_is_exit_3(
    tagged: tuple[GitRepo, dict[str, str]], tmp_path: Path, keylatch: RunKeylatch
) -> None:
    """Its message could not be read: never a clean answer."""
    work, ids = tagged
    work.git("tag", "-d", "v2")
    r = keylatch("ci", cwd=work.path, env=github(tmp_path, "refs/tags/v2", ids["base"], ids["head"]))
    assert r.code == 3
    assert "the pushed tag refs/tags/v2 is not in this clone" in r.err and "git fetch origin" in r.err
    assert KEY not in r.err
