"""A host token only ever goes to the host it belongs to, decided from the URL and the environment
when git starts, never from a plan, a list or a result file (which anyone with the bucket can edit).

The witness is a real https git host on 127.0.0.1 (tests/helpers/tlsgit.py) that asks for
credentials and records what it is offered: a tampered plan aims each token at it, every way the
organisation commands clone, and the host must be offered nothing. The control (the same host
named as the token's own server) shows the witness would see the token."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from keylatch.org import tokens
from tests.helpers.fakehost import FakeHost, HostedRepo, serve
from tests.helpers.run import RunKeylatch
from tests.helpers.tlsgit import TlsGitHost, certificate, serve_tls_git

GH_TOKEN = "ghp_" + "Fake0Github1Token2" * 2
GL_TOKEN = "glpat-" + "Fake0Gitlab1Token2" * 2
TOKENS = {"GITHUB_TOKEN": GH_TOKEN, "GITLAB_TOKEN": GL_TOKEN}
SERVER_ENV = {"github": "GITHUB_SERVER_URL", "gitlab": "CI_SERVER_URL"}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """One certificate for the module's witnesses: generating its RSA key was most of each test's CPU."""
    return certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def witness(tls: tuple[ssl.SSLContext, Path]) -> Iterator[TlsGitHost]:
    """A fresh witness per test (its own port, requests and offers), serving the module's certificate."""
    with serve_tls_git(tls) as host:
        yield host


def _plan(path: Path, url: str, auth: str) -> Path:
    line = {"repository": "acme/a", "clone_url": url, "default_branch": "main", "head": "", "size": 1, "auth": auth}
    path.write_text(json.dumps(line) + "\n")
    return path


@pytest.mark.parametrize("auth", ["github", "gitlab"])
def test_a_tampered_plan_cannot_aim_a_token_at_another_host(
    keylatch: RunKeylatch, tmp_path: Path, witness: TlsGitHost, auth: str
) -> None:
    plan = _plan(tmp_path / "plan.jsonl", witness.url + "/acme/a.git", auth)
    res = keylatch("org", "scan", str(plan), "--out", str(tmp_path / "out"), env=TOKENS | witness.env)
    assert res.code == 3 and "acme/a" in res.err
    assert witness.requests and witness.offered == []
    assert GH_TOKEN not in res.out + res.err and GL_TOKEN not in res.out + res.err


@pytest.mark.parametrize("auth", ["github", "gitlab"])
def test_the_token_goes_to_its_own_configured_host_whatever_the_plan_says(
    keylatch: RunKeylatch, tmp_path: Path, witness: TlsGitHost, auth: str
) -> None:
    # The control: the witness named as this kind's server receives that kind's token, and only it,
    # even when the plan's `auth` note says nothing or names the other host.
    plan = _plan(tmp_path / "plan.jsonl", witness.url + "/acme/a.git", "")
    env = TOKENS | witness.env | {SERVER_ENV[auth]: witness.url}
    res = keylatch("org", "scan", str(plan), "--out", str(tmp_path / "out"), env=env)
    assert res.code == 3
    user, token = ("x-access-token", GH_TOKEN) if auth == "github" else ("oauth2", GL_TOKEN)
    assert witness.offered and set(witness.offered) == {f"{user}:{token}"}


def test_a_hostile_api_listing_another_host_gets_no_token_while_planning(
    keylatch: RunKeylatch, tmp_path: Path, witness: TlsGitHost
) -> None:
    # The API the user named (and its host) is trusted with the token; the clone URLs it lists
    # on another origin (here another port) are not.
    api = FakeHost("github", [HostedRepo("acme/a", witness.url + "/acme/a.git")], orgs={"acme"})
    with serve(api):
        res = keylatch("org", "plan", "--github", "acme", "--api-url", api.api_url, env=TOKENS | witness.env)
    assert res.code == 0, res.err
    assert witness.requests and witness.offered == []
    assert json.loads(res.out)["auth"] == ""
    assert any(s.headers.get("authorization") == f"Bearer {GH_TOKEN}" for s in api.seen)


def test_a_list_entry_on_another_host_gets_no_token_while_planning(
    keylatch: RunKeylatch, tmp_path: Path, witness: TlsGitHost
) -> None:
    (tmp_path / "repos.txt").write_text(witness.url + "/acme/a.git\n")
    res = keylatch("org", "plan", "--repos", str(tmp_path / "repos.txt"), env=TOKENS | witness.env)
    assert res.code == 0 and witness.requests and witness.offered == []


@pytest.mark.parametrize(
    ("url", "env", "kind"),
    [
        ("https://github.com/a/b.git", {}, "github"),
        ("https://GitHub.com./a/b.git", {}, "github"),
        ("https://gitlab.com/a/b.git", {}, "gitlab"),
        ("http://github.com/a/b.git", {}, ""),  # never over plain http
        ("ssh://git@github.com/a/b.git", {}, ""),
        ("https://github.com:8443/a/b.git", {}, ""),  # another port, another service
        ("https://github.com.evil.example/a/b.git", {}, ""),
        ("https://evil.example/github.com/a.git", {}, ""),
        ("https://user@evil.example/a.git", {}, ""),
        ("https://ghe.corp.example/a/b.git", {"GITHUB_SERVER_URL": "https://ghe.corp.example"}, "github"),
        ("https://ghe.corp.example/a/b.git", {"GITHUB_API_URL": "https://ghe.corp.example/api/v3"}, "github"),
        ("https://gl.corp.example/a/b.git", {"CI_SERVER_URL": "https://gl.corp.example"}, "gitlab"),
        ("https://gl.corp.example/a/b.git", {"CI_API_V4_URL": "https://gl.corp.example/api/v4"}, "gitlab"),
        ("https://gl.corp.example.evil/a/b.git", {"CI_SERVER_URL": "https://gl.corp.example"}, ""),
        ("https://github.com:notaport/a.git", {}, ""),
    ],
)
def test_whose_token_a_url_may_get(url: str, env: dict[str, str], kind: str) -> None:
    assert tokens.owner(url, env) == kind
