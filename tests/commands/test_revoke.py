"""`keylatch revoke` against the Admin API of tests/helpers/openai_emulator.py (a real server on 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.openai_emulator import Emulator, Org, api_key, service_account
from tests.helpers.run import Result, RunKeylatch

Revoke = Callable[..., Result]
ADMIN = make_key("sk-admin-", 50)  # the operator's admin key, from the environment
TARGET = make_key("sk-proj-", 51)  # the leaked key
LEAKED_ADMIN = make_key("sk-admin-", 52)
DECOYS = [make_key("sk-proj-", s) for s in range(60, 67)]
JAN_1 = 1704067200  # 2024-01-01 00:00 UTC; gitrepo commits are dated 2024-01-01 12:00 UTC
FEB_1 = 1706745600


def organisation(api: Emulator, style: str = "prefix", *extra: dict[str, object]) -> Org:
    """Three projects (pages of two), the target in the last page of the last one."""
    assert len({k[-4:] for k in [TARGET, *DECOYS]}) == len(DECOYS) + 1
    org = Org(ADMIN)
    org.project("proj_dev", "Dev", *(api_key(f"key_dev{i}", k, JAN_1, style=style) for i, k in enumerate(DECOYS[:3])))
    org.project("proj_ml", "ML", api_key("key_ml0", DECOYS[3], JAN_1, style=style))
    org.project(
        "proj_prod", "Prod",
        *(api_key(f"key_prod{i}", k, JAN_1, style=style) for i, k in enumerate(DECOYS[4:])),
        api_key("key_target", TARGET, JAN_1, name="ci deploy", owner=service_account("deployer"), style=style),
        *extra,
    )  # fmt: skip
    org.admin_keys = [api_key("key_admin_other", DECOYS[0].replace("sk-proj-", "sk-admin-"), JAN_1, admin=True),
                      api_key("key_admin_leaked", LEAKED_ADMIN, JAN_1, admin=True, style=style)]  # fmt: skip
    api.org = org
    return org


@pytest.fixture
def revoke(keylatch: RunKeylatch, api: Emulator, tmp_path: Path) -> Revoke:
    def go(*args: str, admin: str | None = ADMIN, cwd: Path = tmp_path) -> Result:
        env = {"OPENAI_ADMIN_KEY": admin} if admin is not None else {}
        return keylatch("revoke", "--admin-url", api.url, *args, cwd=cwd, env=env)

    return go


def never_sent(api: Emulator, *keys: str) -> None:
    """The found keys reached the Admin API in no form: not in a path, not in a header."""
    for req in api.seen():
        blob = req.path + json.dumps(req.headers)
        for key in keys:
            assert key not in blob and key[-12:] not in blob, req.path


def test_dry_run_finds_the_one_key_and_deletes_nothing(api: Emulator, tmp_path: Path, revoke: Revoke) -> None:
    org = organisation(api)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={TARGET}\n")
    result = revoke(".env")
    assert result.code == 0, result.err
    assert "dry run: nothing is deleted" in result.out
    assert "match: project 'Prod' (proj_prod), key 'ci deploy' (key_target" in result.out
    assert "owner deployer (service account)" in result.out
    assert "would delete: DELETE /v1/organization/projects/proj_prod/api_keys/key_target" in result.out
    assert org.deleted == [] and {r.method for r in api.seen()} == {"GET"}
    # Every page of every list was read: projects (2 pages), each project's keys, admin keys not needed.
    paths = [r.path for r in api.seen()]
    assert sum(p.startswith("/v1/organization/projects?") for p in paths) == 2
    assert sum("/proj_prod/api_keys" in p for p in paths) == 2 and not any("admin_api_keys" in p for p in paths)
    never_sent(api, TARGET)


def test_yes_deletes_exactly_that_key(api: Emulator, tmp_path: Path, revoke: Revoke) -> None:
    org = organisation(api)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={TARGET}\n")
    result = revoke("--yes", ".env")
    assert result.code == 0 and "deleted: key_target" in result.out
    assert org.deleted == ["key_target"]
    (delete,) = [r for r in api.seen() if r.method == "DELETE"]
    assert delete.path == "/v1/organization/projects/proj_prod/api_keys/key_target"
    assert delete.headers["authorization"] == f"Bearer {ADMIN}"
    never_sent(api, TARGET)


def test_a_leaked_admin_key_is_matched_among_admin_keys(api: Emulator, tmp_path: Path, revoke: Revoke) -> None:
    org = organisation(api)
    (tmp_path / "admin.env").write_text(f"OPENAI_ADMIN_KEY={LEAKED_ADMIN}\n")
    result = revoke("--yes", "admin.env")
    assert result.code == 0 and org.deleted == ["key_admin_leaked"]
    assert [r.path for r in api.seen() if r.method == "DELETE"] == ["/v1/organization/admin_api_keys/key_admin_leaked"]
    never_sent(api, LEAKED_ADMIN)


def test_several_candidates_delete_nothing(api: Emulator, tmp_path: Path, revoke: Revoke) -> None:
    # Another key whose redacted form is the same (same prefix, same last four).
    org = organisation(api, "prefix", api_key("key_twin", TARGET, JAN_1, name="twin"))
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={TARGET}\n")
    result = revoke("--yes", ".env")
    assert result.code == 1 and org.deleted == []
    assert (
        "2 keys match: not deleting any" in result.out
        and "platform.openai.com/settings/organization/api-keys" in result.out
    )
    assert result.out.count("candidate:") == 2


def test_no_candidate_is_said_with_the_dashboard_link(api: Emulator, tmp_path: Path, revoke: Revoke) -> None:
    org = organisation(api)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={make_key('sk-proj-', 99)}\n")
    result = revoke("--yes", ".env")
    assert result.code == 1 and org.deleted == []
    assert "no key of this organisation matches" in result.out and "api-keys" in result.out


@pytest.mark.parametrize("style", ["prefix", "head", "stars"])
def test_a_history_report_matches_by_redacted_form_and_first_commit(
    api: Emulator,
    make_repo: Callable[..., GitRepo],
    keylatch: RunKeylatch,
    revoke: Revoke,
    style: str,
) -> None:
    # The report holds only the redacted key; a same-looking key created after the key's first
    # commit cannot be the one committed, so exactly one candidate is left.
    org = organisation(api, style, api_key("key_later", TARGET, FEB_1, name="created later", style=style))
    repo = make_repo()
    repo.write("deploy.env", f"OPENAI_API_KEY={TARGET}\n")
    repo.commit("deploy")  # 2024-01-01 12:00 UTC
    report = repo.path / "leaks.json"
    assert keylatch("history", str(repo.path), "-f", "json", "-o", str(report)).code == 1
    assert TARGET not in report.read_text()
    result = revoke("--yes", str(report))
    assert result.code == 0, result.out
    assert "first committed 2024-01-01 12:00 UTC" in result.out and org.deleted == ["key_target"]
    never_sent(api, TARGET)


@pytest.mark.prints_secrets("a --show-secrets report is the input being tested")
def test_a_report_with_full_keys_is_matched_on_the_key_locally(
    api: Emulator, tmp_path: Path, keylatch: RunKeylatch, revoke: Revoke
) -> None:
    org = organisation(api)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={TARGET}\n")
    report = tmp_path / "full.json"
    keylatch("scan", ".env", "-f", "json", "-o", str(report), "--show-secrets", cwd=tmp_path)
    assert TARGET in report.read_text()
    result = revoke("--yes", str(report))
    assert result.code == 0 and org.deleted == ["key_target"]
    never_sent(api, TARGET)


def test_refused_without_an_admin_key_in_the_environment(api: Emulator, tmp_path: Path, revoke: Revoke) -> None:
    organisation(api)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={TARGET}\n")
    result = revoke(".env", admin=None)
    assert result.code == 2 and "OPENAI_ADMIN_KEY" in result.err and api.seen() == []
    as_argument = revoke(".env", "--admin-key", ADMIN, admin=None)
    assert as_argument.code == 2 and api.seen() == []


def test_a_refused_admin_key_stops_with_exit_3(api: Emulator, tmp_path: Path, revoke: Revoke) -> None:
    organisation(api)
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={TARGET}\n")
    result = revoke(".env", admin=make_key("sk-admin-", 98))
    assert result.code == 3 and "Admin API: GET /v1/organization/projects: HTTP 401 invalid_api_key" in result.err


def test_azure_keys_get_the_regenerate_command_never_run(api: Emulator, tmp_path: Path, revoke: Revoke) -> None:
    organisation(api)
    (tmp_path / "azure.env").write_text(
        f"AZURE_OPENAI_ENDPOINT=https://contoso-eu.openai.azure.com/\nAZURE_OPENAI_KEY2={make_key('azure', 3)}\n"
    )
    result = revoke("azure.env")
    assert result.code == 1 and api.seen() == []  # nothing to ask the Admin API about
    assert (
        "az cognitiveservices account keys regenerate --name contoso-eu --resource-group <resource-group> "
        "--key-name key2" in result.out
    )


def test_not_a_report(tmp_path: Path, revoke: Revoke) -> None:
    (tmp_path / "x.json").write_text('{"findings": []}')
    result = revoke("x.json")
    assert result.code == 2 and "not a keylatch JSON report" in result.err


@pytest.mark.parametrize("source", ["scan", "report"])
def test_paths_and_report_fields_reach_the_terminal_escaped(
    api: Emulator, tmp_path: Path, revoke: Revoke, source: str
) -> None:
    """A scanned path (or a report's fields, which anyone can edit) is the repository's text: a
    terminal escape in it is shown escaped, never sent to the terminal, for every kind of key."""
    organisation(api)
    evil = "x\x1b]0;owned\x07\r"
    (tmp_path / f"{evil}.env").write_text(f"OPENAI_API_KEY={TARGET}\nANTHROPIC={make_key('sess-', 2)}\n")
    (tmp_path / f"{evil}az.env").write_text(
        f"AZURE_OPENAI_ENDPOINT=https://contoso-eu.openai.azure.com/\nAZURE_OPENAI_KEY={make_key('azure', 3)}\n"
    )
    args: tuple[str, ...] = (".",)
    if source == "report":
        doc = {
            "tool": {"name": "keylatch"},
            "findings": [
                {
                    "rule_id": f"openai-project-key{evil}",
                    "fingerprint": "0" * 64,
                    "secret": f"sk-{evil}",
                    "path": f"{evil}p",
                    "line": 1,
                }
            ],
        }
        (tmp_path / "r.json").write_text(json.dumps(doc))
        args = ("r.json",)
    result = revoke(*args)
    assert result.code in (0, 1), result.err
    shown = result.out + result.err
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown
    assert "\\x1b]0;owned\\x07" in shown
    assert TARGET not in shown
