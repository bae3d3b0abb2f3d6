"""Host tokens reach git and the API from the environment only: never argv, plan, results,
a kept clone's config, stdout or stderr."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.errors import ScanError
from keylatch.org.fetch import credentials
from keylatch.sources.gitcmd import Git
from tests.helpers.fakehost import FakeHost, HostedRepo, serve
from tests.helpers.gitrepo import GitRepo
from tests.helpers.orgrepos import SHARED, build
from tests.helpers.run import RunKeylatch

TOKEN = "glpat-" + "Fake0Token1Never2Printed3" * 2

FILL = b"protocol=https\nhost=%s\npath=acme/a.git\n\n"


@pytest.mark.parametrize(("auth", "env", "user"), [("github", "GITHUB_TOKEN", "x-access-token"),
                                                   ("gitlab", "GITLAB_TOKEN", "oauth2")])  # fmt: skip
def test_git_gets_the_token_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: str, env: str, user: str
) -> None:
    monkeypatch.setenv(env, TOKEN)
    monkeypatch.setenv("GITHUB_SERVER_URL" if auth == "github" else "CI_SERVER_URL", "https://git.example.test")
    config = credentials("https://git.example.test/acme/a.git")
    assert config and TOKEN not in "".join(config)  # the -c value names the variable only
    out = Git(tmp_path, config=config).run("credential", "fill", input=FILL % b"git.example.test").decode()
    assert f"username={user}\npassword={TOKEN}\n" in out
    # Scoped to the origin it was made for: another host asks for a password, and cannot prompt.
    with pytest.raises(ScanError):
        Git(tmp_path, config=config).run("credential", "fill", input=FILL % b"elsewhere.example.test")


@pytest.mark.parametrize(
    ("url", "server", "env"),
    [
        ("http://git.example.test/a.git", "GITHUB_SERVER_URL", "GITHUB_TOKEN"),  # never over plain http
        ("ssh://git@git.example.test/a.git", "GITHUB_SERVER_URL", "GITHUB_TOKEN"),
        ("https://git.example.test/a.git", "", "GITHUB_TOKEN"),  # a list entry of an unknown host
        ("https://git.example.test/a.git", "GITHUB_SERVER_URL", "GITLAB_TOKEN"),  # only the host's own token
    ],
)
def test_no_helper_where_no_token_belongs(monkeypatch: pytest.MonkeyPatch, url: str, server: str, env: str) -> None:
    monkeypatch.setenv(env, TOKEN)
    for name in ("GITHUB_SERVER_URL", "GITHUB_API_URL", "CI_SERVER_URL", "CI_API_V4_URL"):
        monkeypatch.delenv(name, raising=False)
    if server:
        monkeypatch.setenv(server, "https://git.example.test")
    assert credentials(url) == ()


def test_no_token_in_any_output_file_or_clone_config(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], tmp_path: Path
) -> None:
    urls = build(make_repo, ["a", "b"], {"a": [SHARED], "b": [SHARED]})
    env = {"GITHUB_TOKEN": TOKEN, "GITLAB_TOKEN": TOKEN}
    host = FakeHost("github", [HostedRepo("acme/" + n, u) for n, u in urls.items()], orgs={"acme"}, token=TOKEN)
    with serve(host):
        runs = [keylatch("org", "plan", "--github", "acme", "--api-url", host.api_url, "-o", str(tmp_path / "p.jsonl"),
                         env=env)]  # fmt: skip
    runs.append(keylatch("org", "scan", str(tmp_path / "p.jsonl"), "--out", str(tmp_path / "out"),
                         "--keep-clones", str(tmp_path / "clones"), "--jobs", "2", env=env))  # fmt: skip
    runs += [keylatch("org", "merge", str(tmp_path / "out"), "-f", fmt, env=env) for fmt in ("text", "json", "sarif")]
    assert [r.code for r in runs] == [0, 1, 1, 1, 1]
    assert all(TOKEN not in r.out + r.err for r in runs)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "config" and "clones" in p.parts for p in files)
    assert len([p for p in files if p.name.endswith(".result.json")]) == 2
    assert [p for p in files if TOKEN.encode() in p.read_bytes()] == []


@pytest.mark.parametrize(
    ("url", "server", "auth"),
    [
        ("https://github.com/acme/a.git", "", "github"),
        ("https://gitlab.com/acme/a.git", "", "gitlab"),
        ("git@github.com:acme/a.git", "", "github"),
        ("https://github.attacker.example/acme/a.git", "", ""),  # only contains the word
        ("https://notgithub.com/acme/a.git", "", ""),
        ("https://gitlab.evil.example/acme/a.git", "", ""),
        ("https://ghe.corp.example/acme/a.git", "https://ghe.corp.example", "github"),  # $GITHUB_SERVER_URL
        ("https://ghe.corp.example.evil/acme/a.git", "https://ghe.corp.example", ""),
    ],
)
def test_a_list_entry_gets_a_token_only_for_its_own_host(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, server: str, auth: str
) -> None:
    from keylatch.org.listfile import entry

    monkeypatch.delenv("CI_SERVER_URL", raising=False)
    if server:
        monkeypatch.setenv("GITHUB_SERVER_URL", server)
    else:
        monkeypatch.delenv("GITHUB_SERVER_URL", raising=False)
    assert entry(url, "list.txt:1", tmp_path).auth == auth
