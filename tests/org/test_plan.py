"""`keylatch org plan` against local fake GitHub and GitLab APIs (tests/helpers/fakehost.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.fakehost import FakeHost, HostedRepo, serve
from tests.helpers.gitrepo import GitRepo
from tests.helpers.orgrepos import build
from tests.helpers.run import RunKeylatch

TOKEN = "ghp_" + "Fake0Token1Never2Printed3" * 2  # not key-shaped: a stand-in for a host token


def _lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def urls(make_repo: Callable[..., GitRepo]) -> dict[str, str]:
    return build(make_repo, ["a", "b", "c", "d", "e"], {})


def _github(urls: dict[str, str], **kw: object) -> FakeHost:
    repos = [
        HostedRepo("acme/" + n, u, archived=n == "d", fork=n == "e") for n, u in sorted(urls.items(), reverse=True)
    ]
    return FakeHost("github", repos, orgs={"acme"}, token=TOKEN, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), ["acme/a", "acme/b", "acme/c"]),
        (("--include-archived",), ["acme/a", "acme/b", "acme/c", "acme/d"]),
        (("--include-forks", "--include-archived"), ["acme/a", "acme/b", "acme/c", "acme/d", "acme/e"]),
        (
            (
                "--include",
                "acme/[ab]",
            ),
            ["acme/a", "acme/b"],
        ),
        (("--exclude", "*/b", "--exclude", "acme/c"), ["acme/a"]),
    ],
)
def test_github_org_every_page_filtered_and_sorted(
    keylatch: RunKeylatch, urls: dict[str, str], flags: tuple[str, ...], expected: list[str]
) -> None:
    with serve(_github(urls)) as host:
        res = keylatch("org", "plan", "--github", "acme", "--api-url", host.api_url, *flags,
                       env={"GITHUB_TOKEN": TOKEN})  # fmt: skip
    assert res.code == 0, res.err
    plan = _lines(res.out)
    assert [p["repository"] for p in plan] == expected
    first = plan[0]
    assert first["clone_url"] == urls["a"] and first["default_branch"] == "main" and first["size"] == 3
    assert first["head"] == GitRepo(Path(urls["a"].removeprefix("file://")), {}).git("rev-parse", "HEAD")
    assert len(host.seen) == 3  # five repositories, two per page
    assert all(s.headers["authorization"] == f"Bearer {TOKEN}" for s in host.seen)
    assert TOKEN not in res.out + res.err


def test_a_plan_is_the_same_every_time(keylatch: RunKeylatch, urls: dict[str, str]) -> None:
    with serve(_github(urls)) as host:
        runs = [keylatch("org", "plan", "--github", "acme", "--api-url", host.api_url, env={"GITHUB_TOKEN": TOKEN})
                for _ in range(2)]  # fmt: skip
    assert runs[0].out == runs[1].out and runs[0].out.endswith("\n")


def test_github_user_when_no_organisation_has_the_name(keylatch: RunKeylatch, urls: dict[str, str]) -> None:
    host = FakeHost("github", [HostedRepo("someone/a", urls["a"])], users={"someone"})
    with serve(host):
        res = keylatch("org", "plan", "--github", "someone", "--api-url", host.api_url)
    assert res.code == 0, res.err
    assert [p["repository"] for p in _lines(res.out)] == ["someone/a"]
    assert "authorization" not in host.seen[0].headers  # no token in the environment: none sent


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_missing_owner_or_group_is_a_usage_error(keylatch: RunKeylatch, kind: str) -> None:
    with serve(FakeHost(kind)) as host:
        res = keylatch("org", "plan", f"--{kind}", "nobody", "--api-url", host.api_url)
    assert res.code == 2
    assert f"no {'GitHub organisation or user' if kind == 'github' else 'GitLab group'} named 'nobody'" in res.err
    assert res.out == ""


@pytest.mark.parametrize(("kind", "env"), [("github", "GITHUB_TOKEN"), ("gitlab", "GITLAB_TOKEN")])
def test_a_refused_token_is_named_never_shown(keylatch: RunKeylatch, kind: str, env: str) -> None:
    with serve(FakeHost(kind, orgs={"acme"}, token=TOKEN)) as host:
        res = keylatch("org", "plan", f"--{kind}", "acme", "--api-url", host.api_url, env={env: TOKEN[::-1]})
    assert res.code == 2
    assert f"refused the token in ${env} (HTTP 401)" in res.err
    assert TOKEN[::-1] not in res.out + res.err


def _limits(kind: str, wait: int) -> list[tuple[int, dict[str, str]]]:
    reset = str(int(time.time()) + wait)
    if kind == "primary":
        return [(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset})]
    if kind == "secondary":
        return [(403, {"Retry-After": str(wait)}), (429, {"Retry-After": str(wait)})]
    return [(429, {"RateLimit-Remaining": "0", "RateLimit-Reset": reset}), (429, {"Retry-After": str(wait)})]


@pytest.mark.parametrize(("kind", "limit"), [("github", "primary"), ("github", "secondary"), ("gitlab", "gitlab")])
def test_rate_limits_wait_for_the_stated_reset_then_continue(
    keylatch: RunKeylatch, urls: dict[str, str], kind: str, limit: str
) -> None:
    host = _github(urls) if kind == "github" else _gitlab(urls)
    host.limits = _limits(limit, 1)
    env = {"GITHUB_TOKEN" if kind == "github" else "GITLAB_TOKEN": TOKEN}
    with serve(host):
        res = keylatch("org", "plan", f"--{kind}", "acme", "--api-url", host.api_url, env=env)
    assert res.code == 0, res.err
    assert len(_lines(res.out)) == 3


@pytest.mark.parametrize(("kind", "limit"), [("github", "primary"), ("github", "secondary"), ("gitlab", "gitlab")])
def test_rate_limits_beyond_max_wait_fail_with_one_line(
    keylatch: RunKeylatch, urls: dict[str, str], kind: str, limit: str
) -> None:
    host = _github(urls) if kind == "github" else _gitlab(urls)
    host.limits = _limits(limit, 3600)
    env = {"GITHUB_TOKEN" if kind == "github" else "GITLAB_TOKEN": TOKEN}
    with serve(host):
        res = keylatch("org", "plan", f"--{kind}", "acme", "--api-url", host.api_url, "--max-wait", "60", env=env)
    assert res.code == 3
    assert "API rate limit: asked to wait" in res.err and "more than --max-wait 60 s" in res.err
    assert len(res.err.strip().splitlines()) == 1 and res.out == ""


def _gitlab(urls: dict[str, str]) -> FakeHost:
    names = {"a": "acme/a", "b": "acme/sub/b", "c": "acme/sub/deep/c", "d": "acme/d", "e": "other/e"}
    repos = [HostedRepo(names[n], u, archived=n == "d") for n, u in urls.items()]
    return FakeHost("gitlab", repos, orgs={"acme", "other"}, token=TOKEN)


def test_gitlab_group_with_its_subgroups(keylatch: RunKeylatch, urls: dict[str, str]) -> None:
    with serve(_gitlab(urls)) as host:
        res = keylatch("org", "plan", "--gitlab", "acme", "--api-url", host.api_url, env={"GITLAB_TOKEN": TOKEN})
    assert res.code == 0, res.err
    plan = _lines(res.out)
    assert [p["repository"] for p in plan] == ["acme/a", "acme/sub/b", "acme/sub/deep/c"]
    assert {p["auth"] for p in plan} == {"gitlab"} and plan[0]["size"] == 3
    assert all(s.headers["private-token"] == TOKEN for s in host.seen)
    assert TOKEN not in res.out + res.err


@pytest.mark.parametrize("url", ["http://api.example.test", "ftp://127.0.0.1/x", "file:///tmp/api"])
def test_tokens_go_only_over_https_or_to_loopback(keylatch: RunKeylatch, url: str) -> None:
    res = keylatch("org", "plan", "--github", "acme", "--api-url", url, env={"GITHUB_TOKEN": TOKEN})
    assert res.code == 2 and "--api-url must be an https:// URL" in res.err


def test_a_list_of_urls_and_paths(keylatch: RunKeylatch, urls: dict[str, str], tmp_path: Path) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(f"# ours\n{urls['b']}\n\nhosted/a\n{urls['a']}\n")
    res = keylatch("org", "plan", "--repos", str(listing))
    assert res.code == 0, res.err
    plan = _lines(res.out)
    assert [p["clone_url"] for p in plan] == [urls["a"], urls["b"]]  # a path and its URL are one repository
    assert all(len(str(p["head"])) == 40 and p["default_branch"] == "main" for p in plan)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("https://someone:hunter2@github.com/acme/a.git", "a URL with a password"),
        ("no/such/dir", "neither a URL nor an existing path"),
    ],
)
def test_bad_list_lines_are_usage_errors(keylatch: RunKeylatch, tmp_path: Path, line: str, message: str) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(line + "\n")
    res = keylatch("org", "plan", "--repos", str(listing))
    assert res.code == 2 and f"repos.txt:1: {message}" in res.err
    assert "hunter2" not in res.err
