"""Every field `keylatch ci` reads from its CI is checked: a GitHub event payload field, or a
GitLab variable, that is present but not what the CI sends is one line, exit 2, naming the field,
as an unreadable payload is. `{"before": 1}` was read as absent, a new branch that scanned more;
a non-hex `after` was a head commit "not in this clone" (exit 3). The value is never echoed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=1973)
ZERO = "0" * 40

NOT_IDS: dict[str, object] = {
    "number": 1, "null": None, "list": [], "object": {}, "bool": True, "name": "main", "short": "abc1234",
    "not-hex": "g" * 40, "key": KEY,
}  # fmt: skip
NOT_TEXT: dict[str, object] = {"number": 1, "null": None, "list": [KEY], "bool": False}
NOT_FLAGS: dict[str, object] = {"string": "true", "number": 1, "null": None}
NOT_NUMBERS: dict[str, object] = {"string": "7", "float": 7.5, "bool": True, "null": None}


@pytest.fixture
def repo(make_repo: Callable[..., GitRepo]) -> tuple[GitRepo, str, str]:
    repo = make_repo()
    repo.write("README", "hi\n")
    base = repo.commit("base")
    repo.write("app.env", f"OPENAI_API_KEY={KEY}\n")
    return repo, base, repo.commit("key")


def _events(base: str, head: str) -> dict[str, dict[str, object]]:
    """A well-formed payload of each event kind keylatch reads."""
    repository = {"default_branch": "main"}
    return {
        "push": {"ref": "refs/heads/feature", "before": base, "after": head, "repository": repository},
        "pull_request": {"number": 7, "repository": repository, "pull_request": {
            "number": 7, "base": {"ref": "main", "sha": base}, "head": {"ref": "feature", "sha": head}}},
        "merge_group": {"merge_group": {"base_sha": base, "head_sha": head, "base_ref": "refs/heads/main"}},
    }  # fmt: skip


# (event, path of the field, its wrong values, fields set first so that it is read)
GITHUB: list[tuple[str, tuple[str, ...], dict[str, object], dict[str, object]]] = [
    ("push", ("before",), NOT_IDS, {}),
    ("push", ("after",), NOT_IDS, {}),
    ("push", ("ref",), NOT_TEXT, {}),
    ("push", ("repository", "default_branch"), NOT_TEXT, {}),
    ("push", ("repository",), {"number": 1, "list": []}, {}),
    ("push", ("deleted",), NOT_FLAGS, {"after": ZERO}),
    ("pull_request", ("pull_request", "base", "sha"), NOT_IDS, {}),
    ("pull_request", ("pull_request", "head", "sha"), NOT_IDS, {}),
    ("pull_request", ("pull_request", "base", "ref"), NOT_TEXT, {}),
    ("pull_request", ("pull_request", "head"), {"string": "feature", "list": []}, {}),
    ("pull_request", ("number",), NOT_NUMBERS, {}),
    ("merge_group", ("merge_group", "base_sha"), NOT_IDS, {}),
    ("merge_group", ("merge_group", "head_sha"), NOT_IDS, {}),
    ("merge_group", ("merge_group", "base_ref"), NOT_TEXT, {}),
]
GITHUB_CASES = [
    pytest.param(event, path, value, pre, id=f"{event}-{'.'.join(path)}-{name}")
    for event, path, values, pre in GITHUB
    for name, value in values.items()
]


def _set(doc: dict[str, object], path: tuple[str, ...], value: object) -> None:
    for key in path[:-1]:
        inner = doc[key]
        assert isinstance(inner, dict)
        doc = inner
    doc[path[-1]] = value


def _one_line(err: str, field: str) -> str:
    (line,) = err.splitlines()
    assert line.startswith("keylatch: error: ") and field in line, line
    assert KEY not in err and "g" * 40 not in err and "abc1234" not in err, line
    return line


@pytest.mark.parametrize(("event", "path", "value", "pre"), GITHUB_CASES)
def test_a_malformed_github_event_field_is_one_line_exit_2(
    event: str,
    path: tuple[str, ...],
    value: object,
    pre: dict[str, object],
    repo: tuple[GitRepo, str, str],
    keylatch: RunKeylatch,
    tmp_path: Path,
) -> None:
    work, base, head = repo
    doc = copy.deepcopy(_events(base, head)[event])
    for key, v in pre.items():
        _set(doc, (key,), v)
    _set(doc, path, value)
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps(doc))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(payload)}
    r = keylatch("ci", cwd=work.path, env=env)
    assert (r.code, r.out) == (2, ""), r.err
    line = _one_line(r.err, ".".join(path))
    assert f"GitHub {event} event: " in line, line


def test_the_well_formed_events_scan_the_key(
    repo: tuple[GitRepo, str, str], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    """The payloads above, unchanged, find the key: what fails there is the one field."""
    work, base, head = repo
    for event, doc in _events(base, head).items():
        payload = tmp_path / f"{event}.json"
        payload.write_text(json.dumps(doc))
        env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(payload)}
        r = keylatch("ci", cwd=work.path, env=env)
        assert r.code == 1, (event, r.err)


def _gitlab(base: str, head: str) -> dict[str, dict[str, str]]:
    common = {"GITLAB_CI": "true", "CI_COMMIT_SHA": head, "CI_DEFAULT_BRANCH": "main"}
    return {
        "push": {**common, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": base, "CI_COMMIT_BRANCH": "feature"},
        "merge_request": {**common, "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "7",
                          "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": head},
        "external": {**common, "CI_PIPELINE_SOURCE": "external_pull_request_event",
                     "CI_EXTERNAL_PULL_REQUEST_IID": "7", "CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA": base,
                     "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_SHA": head},
    }  # fmt: skip


GITLAB = {
    "push": ("CI_COMMIT_SHA", "CI_COMMIT_BEFORE_SHA"),
    "merge_request": ("CI_COMMIT_SHA", "CI_MERGE_REQUEST_DIFF_BASE_SHA", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"),
    "external": (
        "CI_COMMIT_SHA",
        "CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA",
        "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_SHA",
    ),
}
GITLAB_CASES = [
    pytest.param(pipeline, name, value, id=f"{pipeline}-{name}-{what}")
    for pipeline, names in GITLAB.items()
    for name in names
    for what, value in {"name": "main", "short": "abc1234", "not-hex": "g" * 40, "key": KEY}.items()
]


@pytest.mark.parametrize("pipeline", sorted(GITLAB))
def test_the_well_formed_gitlab_variables_scan_the_key(
    pipeline: str, repo: tuple[GitRepo, str, str], keylatch: RunKeylatch
) -> None:
    """Each pipeline's variables below, unchanged, find the key: what fails there is the one
    variable. (The fixture's commits have fixed contents, authors and dates: every case's
    repository is this one, so the check runs once per pipeline, not once per case.)"""
    work, base, head = repo
    assert keylatch("ci", cwd=work.path, env=_gitlab(base, head)[pipeline]).code == 1


@pytest.mark.parametrize(("pipeline", "name", "value"), GITLAB_CASES)
def test_a_malformed_gitlab_commit_variable_is_one_line_exit_2(
    pipeline: str, name: str, value: str, repo: tuple[GitRepo, str, str], keylatch: RunKeylatch
) -> None:
    work, base, head = repo
    env = _gitlab(base, head)[pipeline]
    r = keylatch("ci", cwd=work.path, env={**env, name: value})
    assert (r.code, r.out) == (2, ""), r.err
    _one_line(r.err, name)


@pytest.mark.parametrize(
    "value", [pytest.param(v, id=k) for k, v in {"name": "main", "short": "abc1234", "key": KEY}.items()]
)
def test_a_malformed_github_sha_is_one_line_exit_2(
    value: str, repo: tuple[GitRepo, str, str], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    """GITHUB_SHA stands in for a push payload's missing `after`."""
    work, base, _ = repo
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"ref": "refs/heads/feature", "before": base}))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(payload)}
    r = keylatch("ci", cwd=work.path, env={**env, "GITHUB_SHA": value})
    assert (r.code, r.out) == (2, ""), r.err
    _one_line(r.err, "GITHUB_SHA")
