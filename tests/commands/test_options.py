"""The shared option groups (commands/options.py), as each command that has them parses them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.helpers.gitrepo import GitRepo, replayed
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]

# Each command with the verification group, with what it needs to run in a two-commit repository.
VERIFYING = {
    "scan": ("scan", "."),
    "ci": ("ci", "--range", "HEAD~1..HEAD"),
    "history": ("history", "."),
}

REFUSED_URLS = [
    "http://example.com",  # plain http off this machine: keys would cross the network in clear text
    "http://10.0.0.1:8080",
    "ftp://example.com",
    "file:///etc/passwd",
    "api.openai.com",  # no scheme
    "https:///v1",  # no host
    "",
]
ACCEPTED_URLS = ["https://api.openai.com", "https://proxy.example.test:8443/v1", "http://127.0.0.1:9", "http://[::1]:9"]


@pytest.fixture
def repo(make_repo: MakeRepo) -> GitRepo:
    r = make_repo()
    replayed(r, _two_commits)  # built once per session, copied per test
    return r


def _two_commits(r: GitRepo) -> None:
    r.write("a.py", "a = 1\n")
    r.commit("one")
    r.write("b.py", "b = 1\n")
    r.commit("two")


@pytest.mark.parametrize("url", REFUSED_URLS)
@pytest.mark.parametrize("command", VERIFYING)
def test_verify_url_must_be_https_or_loopback(repo: GitRepo, keylatch: RunKeylatch, command: str, url: str) -> None:
    res = keylatch(*VERIFYING[command], "--verify", "--verify-url", url, cwd=repo.path)
    assert (res.code, res.out) == (2, "")
    assert res.err == (
        f"keylatch: error: argument --verify-url: must be an https:// URL "
        f"(plain http only to a loopback address), not {url!r}\n"
    )


@pytest.mark.parametrize("url", ACCEPTED_URLS)
@pytest.mark.parametrize("command", VERIFYING)
def test_verify_url_without_verify_is_refused(repo: GitRepo, keylatch: RunKeylatch, command: str, url: str) -> None:
    res = keylatch(*VERIFYING[command], "--verify-url", url, cwd=repo.path)
    assert (res.code, res.out) == (2, "")
    # history reads no config (an audited repository cannot switch the network on): only --verify.
    either = "" if command == "history" else " (or verify = true in the config)"
    # (ci first says which range it judges)
    assert res.err.splitlines()[-1:] == [f"keylatch: error: --verify-url needs --verify{either}"]
    assert res.err.count("error") == 1


def test_verify_url_with_verify_on_in_the_config_is_accepted(repo: GitRepo, keylatch: RunKeylatch) -> None:
    repo.write(".keylatch.yaml", "verify: true\n")
    res = keylatch("scan", "a.py", "--verify-url", "http://127.0.0.1:9", cwd=repo.path)
    assert res.code == 0, res.err  # no key found: nothing to ask, and nothing refused
