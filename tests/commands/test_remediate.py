"""`keylatch remediate`: the plan, its order, the replacements file (mode 0600, only when asked)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.openai_emulator import Org, emulator
from tests.helpers.run import RunKeylatch

LIVE_ADMIN, DEAD, LOCAL = make_key("sk-admin-", 90), make_key("sk-proj-", 91), make_key("sk-proj-", 92)


def leaky_repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    repo = make_repo()
    repo.write("ops/admin.env", f"OPENAI_ADMIN_KEY={LIVE_ADMIN}\n")
    repo.write("old.env", f"OPENAI_API_KEY={DEAD}\n")
    repo.commit("keys", author="alice")
    repo.write("app.env", f"OPENAI_API_KEY={LOCAL}\n")
    repo.commit("more", author="bob")
    return repo


def test_the_plan_is_ordered_by_urgency_and_says_each_step(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = leaky_repo(make_repo)
    report = tmp_path / "leaks.json"
    with emulator() as api:
        api.answer(LIVE_ADMIN, "admin-live")
        api.answer(LOCAL, "no-credit")
        verify = ("--verify", "--verify-url", api.url, "--no-verify-cache")
        keylatch("history", str(repo.path), *verify, "-f", "json", "-o", str(report))
    result = keylatch("remediate", str(report), cwd=tmp_path)
    assert result.code == 0, result.err
    heads = [line.split()[1] for line in result.out.splitlines() if line[:1].isdigit()]
    assert heads == [f"sk-admin-{LIVE_ADMIN[9:13]}...{LIVE_ADMIN[-4:]}",
                     f"sk-proj-{LOCAL[8:12]}...{LOCAL[-4:]}", f"sk-proj-{DEAD[8:12]}...{DEAD[-4:]}"]  # fmt: skip
    out = result.out
    assert f"keylatch revoke --yes {report}" in out
    assert "(OPENAI_ADMIN_KEY;" in out and "(OPENAI_API_KEY;" in out
    assert "git filter-repo --sensitive-data-removal --replace-text replacements.txt" in out
    for caveat in ("forks and existing clones", "pull-request refs", "CI caches"):
        assert caveat in out
    assert "[live-no-credit]" in out and "[revoked]" in out
    note = out.split("Incident note")[1]
    assert "Verified: 2 live, 1 revoked or never valid" in note and "by Alice Example <alice@example.test>" in note
    assert not (tmp_path / "replacements.txt").exists()  # written only when asked


@pytest.mark.prints_secrets("the replacements file holds the keys by design (--write-replacements)")
def test_the_replacements_file_is_written_only_when_asked_with_mode_0600(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = leaky_repo(make_repo)
    report = repo.path / "leaks.json"
    keylatch("history", ".", "-f", "json", "-o", str(report), cwd=repo.path)
    assert LOCAL not in report.read_text()
    # The report holds redacted keys: the keys are found again in the repository, by fingerprint.
    result = keylatch("remediate", "leaks.json", "--write-replacements", "../repl.txt", cwd=repo.path)
    assert result.code == 0, result.err
    repl = tmp_path / "repo" / ".." / "repl.txt"
    assert stat.S_IMODE(repl.stat().st_mode) == 0o600
    assert sorted(repl.read_text().splitlines()) == sorted(f"{k}==>***REMOVED-BY-KEYLATCH***"
                                                         for k in (LIVE_ADMIN, DEAD, LOCAL))  # fmt: skip
    assert "holds 3 full key(s)" in result.err
    again = keylatch("remediate", "leaks.json", "--write-replacements", "../repl.txt", cwd=repo.path)
    assert again.code == 2 and "not overwriting" in again.err


def test_keys_missing_from_the_repository_are_a_usage_error(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = leaky_repo(make_repo)
    report = tmp_path / "leaks.json"
    keylatch("history", str(repo.path), "-f", "json", "-o", str(report))
    other = make_repo("other")
    other.commit("empty")
    result = keylatch("remediate", str(report), "--write-replacements", "r.txt", cwd=other.path)
    assert result.code == 2 and "not in .'s history" in result.err
    assert not (other.path / "r.txt").exists()


def test_a_scan_report_works_too(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "k.env").write_text(f"AZURE_OPENAI_API_KEY={make_key('azure', 2)}\n")
    keylatch("scan", "k.env", "-f", "json", "-o", "r.json", cwd=tmp_path)
    result = keylatch("remediate", "r.json", cwd=tmp_path)
    assert result.code == 0 and "az cognitiveservices account keys regenerate" in result.out
    assert "(AZURE_OPENAI_API_KEY;" in result.out and "[not verified]" in result.out
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["findings"][0]["verification"] is None


# --- a report is anyone's file (QA t-qa17 p8, p9, p21) ------------------------------------------

EVIL = "x\x1b]0;owned\x07\r\n\u202e"
PLANTED = make_key("sk-proj-", 93)


def hostile_report(path: Path, secret: str, field: str) -> Path:
    """A history-shaped report whose `field` holds a terminal escape and a key."""
    finding: dict[str, object] = {
        "rule_id": "openai-project-key",
        "fingerprint": "0" * 64,
        "secret": secret,
        "locations": [{"path": "app.env", "line": 1, "commit": "a" * 40}],
        "verification": {"verdict": "live", "reason": "ok"},
        "exposure": {"authors": ["Alice <a@x>"], "first_commit": "2024-01-01T12:00:00Z", "days_exposed": 3},
    }
    bad = f"{EVIL}{PLANTED}"
    if field == "path":
        finding["locations"] = [{"path": bad, "line": 1, "commit": "a" * 40}]
    elif field == "commit":
        finding["locations"] = [{"path": "app.env", "line": bad, "commit": bad}]
    elif field in ("rule_id", "fingerprint"):
        finding[field] = bad
    elif field == "authors":
        finding["exposure"] = {"authors": [bad], "first_commit": bad}
    elif field == "verdict":
        finding["verification"] = {"verdict": bad, "reason": bad}
    path.write_text(json.dumps({"tool": {"name": "keylatch"}, "findings": [finding]}))
    return path


@pytest.mark.parametrize("field", ["path", "commit", "rule_id", "fingerprint", "authors", "verdict"])
def test_every_report_field_reaches_the_terminal_escaped_and_redacted(
    tmp_path: Path, keylatch: RunKeylatch, field: str
) -> None:
    report = hostile_report(tmp_path / "r.json", "sk-proj-abcd...wxyz", field)
    result = keylatch("remediate", str(report), cwd=tmp_path)
    assert result.code == 0, result.err
    shown = result.out + result.err
    assert not any(c in shown for c in "\x1b\x07\r\u202e"), shown
    assert "\\x1b]0;owned\\x07" in shown
    assert PLANTED not in shown
    if field != "fingerprint":  # shown as its first 12 characters only
        assert f"sk-proj-{PLANTED[8:12]}...{PLANTED[-4:]}" in shown


# Every kind of key, the one the engine finds alone and the ones it needs context for (azure-classic:
# 32 hex characters), whole or cut: a `secret` that is not the key of its fingerprint is never shown.
SECRETS = [make_key(kind, 94) for kind in ("sk-proj-", "sk-admin-", "azure", "azure-classic", "sess-", "sk-named")]


@pytest.mark.parametrize("secret", [*SECRETS, SECRETS[2][:60], f"{EVIL}{SECRETS[3]}"], ids=lambda s: s[:8])
@pytest.mark.parametrize("command", ["remediate", "revoke"])
def test_a_secret_that_is_not_its_fingerprints_key_is_never_shown_whole(
    tmp_path: Path, keylatch: RunKeylatch, secret: str, command: str
) -> None:
    report = hostile_report(tmp_path / "r.json", secret, "none")
    admin = make_key("sk-admin-", 95)
    with emulator() as api:
        api.org = Org(admin)  # an organisation with no keys: revoke shows each found key, matches none
        revoke = ("--admin-url", api.url) if command == "revoke" else ()
        result = keylatch(command, str(report), *revoke, cwd=tmp_path, env={"OPENAI_ADMIN_KEY": admin})
    assert result.code in (0, 1), result.err
    shown = result.out + result.err
    assert "sha256:000000000000" in shown  # the key was shown: by its fingerprint, never whole
    for piece in (secret, secret[:24], secret[-24:]):
        assert piece not in shown
    assert "\x1b" not in shown
