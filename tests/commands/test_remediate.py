"""`keylatch remediate`: the plan, its order, the replacements file (mode 0600, only when asked)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.openai_emulator import emulator
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
