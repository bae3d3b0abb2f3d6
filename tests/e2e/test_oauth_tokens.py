"""A Codex `auth.json` as users leak it: found by scan, staged, ci and history, with its expiry; an
expired access token is reported low, and fails only when fail-on reaches low."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from keylatch.rules.oauth import auth_json
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.history import day
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]
LIVE, EXPIRED = "2100-01-01T00:00:00Z", "2024-01-01T00:00:00Z"


def _auth(seed: int, kind: str = "openai-access-token") -> tuple[str, str, str]:
    access, refresh = make_key(kind, seed), make_key("openai-refresh-token", seed)
    return auth_json(access, refresh, make_key("jwt-openai-id-token", seed)), access, refresh


def test_scan_reports_both_tokens_of_auth_json_with_expiry(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    text, access, refresh = _auth(1)
    repo = make_repo()
    repo.write(".codex/auth.json", text)
    r = keylatch("scan", ".codex", cwd=repo.path)
    assert r.code == 1, r
    lines = r.out.splitlines()
    assert lines[0].startswith(".codex/auth.json:5:22: high openai-oauth-access-token eyJh...")
    assert lines[0].endswith(f"expires:{LIVE}")
    assert lines[1].startswith(".codex/auth.json:6:23: high openai-oauth-refresh-token rt_")
    assert "expires" not in lines[1]
    assert lines[2] == "keylatch: 2 keys found in 1 file"
    doc = json.loads(keylatch("scan", ".codex", "--format", "json", cwd=repo.path).out)
    assert [(f["rule_id"], f["expires"]) for f in doc["findings"]] == [
        ("openai-oauth-access-token", LIVE),
        ("openai-oauth-refresh-token", None),
    ]
    sarif = json.loads(keylatch("scan", ".codex", "--format", "sarif", cwd=repo.path).out)
    assert sarif["runs"][0]["results"][0]["properties"]["expires"] == LIVE
    assert access not in r.out + r.err and refresh not in r.out + r.err


@pytest.mark.parametrize(
    ("kind", "flags", "code", "severity", "expires"),
    [
        ("openai-access-token-expired", [], 1, "low", EXPIRED),  # default fail-on is low
        ("openai-access-token-expired", ["--fail-on", "medium"], 0, "low", EXPIRED),
        ("openai-access-token", ["--fail-on", "medium"], 1, "high", LIVE),
        ("openai-access-token", ["--fail-on", "critical"], 0, "high", LIVE),
    ],
)
def test_expired_token_is_low_and_reported_below_fail_on(
    tmp_path_factory: pytest.TempPathFactory,
    keylatch: RunKeylatch,
    kind: str,
    flags: list[str],
    code: int,
    severity: str,
    expires: str,
) -> None:
    work = tmp_path_factory.mktemp("logs")
    (work / "request.log").write_text(f"POST /v1/responses\nAuthorization: Bearer {make_key(kind, 2)}\n")
    r = keylatch("scan", "request.log", *flags, cwd=work)
    assert r.code == code, r
    assert f"request.log:2:23: {severity} openai-oauth-access-token eyJh..." in r.out
    assert f"expires:{expires}" in r.out
    assert ("below fail-on" in r.err) == (code == 0)


def test_an_expired_access_token_beside_its_refresh_token_still_fails(
    make_repo: MakeRepo, keylatch: RunKeylatch
) -> None:
    repo = make_repo()
    repo.write("auth.json", _auth(3, "openai-access-token-expired")[0])
    r = keylatch("scan", "auth.json", "--fail-on", "medium", cwd=repo.path)
    assert r.code == 1  # the refresh token mints new access tokens: high
    assert "low openai-oauth-access-token" in r.out and "high openai-oauth-refresh-token" in r.out


def test_staged_auth_json_is_refused(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("README", "x\n")
    repo.commit("init")
    repo.write("ci/codex-auth.json", _auth(4)[0])
    repo.git("add", "-A")
    r = keylatch("staged", cwd=repo.path)
    assert r.code == 1, r
    assert "ci/codex-auth.json:5" in r.out and "ci/codex-auth.json:6" in r.out
    assert f"expires:{LIVE}" in r.out and "ChatGPT / Codex OAuth access token" in r.out


def test_ci_range_finds_the_tokens(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("README", "x\n")
    base = repo.commit("init", date=day(1))
    repo.write(".github/codex/auth.json", _auth(5)[0])
    head = repo.commit("ci: codex login", date=day(2))
    r = keylatch("ci", "--range", f"{base}..{head}", cwd=repo.path)
    assert r.code == 1, r
    assert "openai-oauth-access-token" in r.out and "openai-oauth-refresh-token" in r.out


def test_history_finds_a_removed_auth_json_with_its_expiry(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("README", "x\n")
    repo.commit("init", date=day(1))
    repo.write("home/.codex/auth.json", _auth(6, "openai-access-token-expired")[0])
    c = repo.commit("backup dotfiles", author="bob", date=day(2))
    repo.git("rm", "-q", "home/.codex/auth.json")
    repo.commit("remove auth", date=day(3))
    r = keylatch("history", ".", cwd=repo.path)
    assert r.code == 1, r
    assert "low openai-oauth-access-token eyJh" in r.out and f"expires:{EXPIRED}" in r.out
    assert "high openai-oauth-refresh-token rt_" in r.out
    assert f"introduced {c[:12]}" in r.out
    doc = json.loads(keylatch("history", ".", "--format", "json", cwd=repo.path).out)
    assert sorted((f["rule_id"], f["severity"], f["expires"]) for f in doc["findings"]) == [
        ("openai-oauth-access-token", "low", EXPIRED),
        ("openai-oauth-refresh-token", "high", None),
    ]


def test_a_token_pasted_in_a_commit_message_is_shown_redacted(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    token = make_key("openai-access-token", 7)
    repo = make_repo()
    repo.write("README", "x\n")
    repo.commit(f"debug: token was {token}")
    r = keylatch("history", ".", cwd=repo.path)
    assert r.code == 1, r
    assert "message of commit" in r.out and token not in r.out + r.err
    assert token.split(".")[1][:20] not in r.out  # not a character of its payload
