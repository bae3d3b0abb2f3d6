"""`keylatch baseline create|update|check`, driven through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.redaction import assert_files_redacted
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=31)
NEW = make_key("sk-proj-", seed=32)


def test_baseline_survives_50_inserted_lines_and_a_new_key_on_the_line_is_reported(
    tmp_path: Path, keylatch: RunKeylatch
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "settings.py").write_text(f'OPENAI_API_KEY = "{KEY}"\n')
    r = keylatch("baseline", "create", "--reason", "revoked 2024-05", cwd=tmp_path)
    assert r.code == 0 and "wrote .keylatch-baseline.json: 1 entry (1 added, 0 removed)" in r.err
    baseline = tmp_path / ".keylatch-baseline.json"
    written = baseline.read_bytes()
    assert_files_redacted(baseline, keys=[KEY])
    assert json.loads(written)["entries"][0]["paths"] == ["app/settings.py"]

    (app / "settings.py").write_text("# padding\n" * 50 + f'OPENAI_API_KEY = "{KEY}"\n')
    r = keylatch("baseline", "update", cwd=tmp_path)
    assert r.code == 0 and "unchanged (1 entry)" in r.err
    assert baseline.read_bytes() == written
    r = keylatch("scan", ".", cwd=tmp_path)
    assert (r.code, r.out) == (0, "keylatch: no keys found\n")

    # Another key on the very line the baselined one was on: reported.
    (app / "settings.py").write_text("# padding\n" * 50 + f'OPENAI_API_KEY = "{NEW}"\n')
    r = keylatch("scan", ".", cwd=tmp_path)
    assert r.code == 1 and "app/settings.py:51:19: high openai-project-key" in r.out
    assert keylatch("scan", ".", "--no-baseline", cwd=tmp_path).code == 1


def test_create_refuses_to_overwrite_and_update_prunes(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "a.py").write_text(f'a = "{KEY}"\nb = "{NEW}"\n')
    r = keylatch("baseline", "update", "--file", "fresh.json", cwd=tmp_path)  # update creates a missing file
    assert r.code == 0 and "wrote fresh.json: 2 entries (2 added, 0 removed)" in r.err
    assert keylatch("baseline", "create", cwd=tmp_path).code == 0
    r = keylatch("baseline", "create", cwd=tmp_path)
    assert r.code == 2 and "already exists; use `keylatch baseline update`" in r.err
    (tmp_path / "a.py").write_text(f'a = "{KEY}"\n')
    assert keylatch("baseline", "update", cwd=tmp_path).code == 0
    assert len(json.loads((tmp_path / ".keylatch-baseline.json").read_text())["entries"]) == 2
    r = keylatch("baseline", "update", "--prune", cwd=tmp_path)
    assert r.code == 0 and "(0 added, 1 removed)" in r.err


def test_check_fails_on_expired_entries(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "a.py").write_text(f'a = "{KEY}"\n')
    yesterday = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat()
    r = keylatch("baseline", "create", "--expires", "2999-01-01", "--reason", "rotate by then", cwd=tmp_path)
    assert r.code == 0
    # Time passes: the entry's day is now behind us (--expires itself refuses a past date).
    path = tmp_path / ".keylatch-baseline.json"
    path.write_text(path.read_text().replace("2999-01-01", yesterday))
    r = keylatch("baseline", "check", cwd=tmp_path)
    assert r.code == 1
    assert "openai-project-key sha256:" in r.out and f"in a.py expired on {yesterday}: rotate by then" in r.out
    # Expired entries stop suppressing.
    assert keylatch("scan", cwd=tmp_path).code == 1
    r = keylatch("baseline", "create", "--file", "b.json", "--expires", "2999-01-01", cwd=tmp_path)
    assert r.code == 0 and keylatch("baseline", "check", "--file", "b.json", cwd=tmp_path).code == 0


def test_bad_expiry_and_bad_baseline_are_usage_errors(tmp_path: Path, keylatch: RunKeylatch) -> None:
    r = keylatch("baseline", "create", "--expires", "next week", cwd=tmp_path)
    assert r.code == 2 and "expected a date like 2025-01-31" in r.err
    (tmp_path / ".keylatch-baseline.json").write_text('{"version": 1, "entries": [{"rule_id": "x"}]}')
    r = keylatch("scan", cwd=tmp_path)
    assert r.code == 2 and r.err.startswith("keylatch: error: .keylatch-baseline.json: entries[0]")


def test_configured_baseline_path_and_detect_secrets_import(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.keylatch]\nbaseline = "ci/keylatch-baseline.json"\n')
    (tmp_path / "ci").mkdir()
    (tmp_path / "keys.py").write_text(f'a = "{KEY}"\n')
    ds = subprocess.run(["detect-secrets", "scan", "keys.py"], cwd=tmp_path, capture_output=True, text=True, check=True)
    (tmp_path / ".secrets.baseline").write_text(ds.stdout)
    r = keylatch("baseline", "create", "--from-detect-secrets", ".secrets.baseline", cwd=tmp_path)
    assert r.code == 0 and "wrote ci/keylatch-baseline.json" in r.err
    (entry,) = json.loads((tmp_path / "ci" / "keylatch-baseline.json").read_text())["entries"]
    assert entry["rule_id"] == "openai-project-key" and "imported from detect-secrets" in entry["reason"]
    assert keylatch("scan", cwd=tmp_path).code == 0


def test_history_baseline_suppresses_a_deleted_key_in_ci(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    repo = make_repo()
    repo.write("README.md", "x\n")
    base = repo.commit("initial")
    repo.write("old.py", f'K = "{KEY}"\n')
    repo.commit("add a key")
    (repo.path / "old.py").unlink()
    repo.commit("remove it again")
    assert keylatch("baseline", "create", cwd=repo.path).out == ""  # the files hold no key now
    r = keylatch("ci", "--range", f"{base}..HEAD", "--no-baseline", cwd=repo.path)
    assert r.code == 1 and "old.py:1:6" in r.out
    (repo.path / ".keylatch-baseline.json").unlink()
    r = keylatch("baseline", "create", "--history", "--reason", "revoked", cwd=repo.path)
    assert r.code == 0 and "1 entry (1 added" in r.err
    assert json.loads((repo.path / ".keylatch-baseline.json").read_text())["entries"][0]["paths"] == ["old.py"]
    accepted = repo.commit("accept the revoked key")
    # ci judges a range with its base's baseline: the range that adds the baseline is not covered by it ...
    r = keylatch("ci", "--range", f"{base}..HEAD", cwd=repo.path)
    assert r.code == 1 and "this range adds keylatch's baseline .keylatch-baseline.json" in r.err
    # ... a range after it is: the key comes back and is accepted.
    repo.write("old.py", f'K = "{KEY}"\n')
    repo.commit("bring it back")
    assert keylatch("ci", "--range", f"{accepted}..HEAD", cwd=repo.path).code == 0


def test_expires_in_the_past_is_refused_and_today_is_accepted(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "a.py").write_text(f'a = "{KEY}"\n')
    today = dt.datetime.now(dt.timezone.utc).date()
    for past in (today - dt.timedelta(days=1), dt.date(2020, 1, 1)):
        r = keylatch("baseline", "create", "--expires", past.isoformat(), cwd=tmp_path)
        assert (r.code, r.out) == (2, "")
        assert r.err == f"keylatch: error: argument --expires: {past} is in the past (today is {today} UTC)\n"
        assert not (tmp_path / ".keylatch-baseline.json").exists()
    # Today is the entry's last day: it still suppresses (a run just after midnight UTC may see tomorrow).
    r = keylatch("baseline", "create", "--expires", today.isoformat(), cwd=tmp_path)
    assert r.code == 0 or "is in the past" in r.err


def test_help_describes_the_baseline_exit_codes(keylatch: RunKeylatch) -> None:
    r = keylatch("baseline", "--help")
    assert r.code == 0
    codes = r.out.split("exit codes:", 1)[1]
    assert "1    check: an entry has expired" in codes and "keys found" not in codes
    assert "0    create/update: the baseline was written" in codes and "2    usage" in codes


SKIPPED = "2 of other plugins skipped: no OpenAI key keylatch finds"


def test_detect_secrets_import_counts_reason_and_other_plugins(tmp_path: Path, keylatch: RunKeylatch) -> None:
    kinds = ("sk-", "sk-proj-", "sk-svcacct-", "sk-None-", "sk-admin-", "sk-named", "azure")
    lines = [f'K{i} = "{make_key(k, seed=i)}"' for i, k in enumerate(kinds)]
    lines += [f"U{i}={make_key('sk-proj-', seed=40 + i)}" for i in range(3)]  # the OpenAIDetector's cut hash
    lines += ['password = "hunter2hunter2"', f'aws = "{"AKIA" + "IOSFODNN7EXAMPLE"}"']  # other plugins' secrets
    (tmp_path / "config.env").write_text("\n".join(lines) + "\n")
    ds = subprocess.run(
        ["detect-secrets", "scan", "config.env"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    (tmp_path / ".secrets.baseline").write_text(ds.stdout)
    listed = json.loads(ds.stdout)["results"]["config.env"]
    hashes = {e["hashed_secret"] for e in listed}
    others = {e["hashed_secret"] for e in listed if e["type"] in ("Secret Keyword", "AWS Access Key")}
    assert len(others) == 2, listed
    argv = ("baseline", "create", "--from-detect-secrets", ".secrets.baseline", "--reason", "revoked 2024-05")
    r = keylatch(*argv, "--expires", "2999-01-01", cwd=tmp_path)
    assert r.code == 0, r.err
    n = len(hashes) - 2
    written = json.loads((tmp_path / ".keylatch-baseline.json").read_text())["entries"]
    assert r.err == (
        f"keylatch: wrote .keylatch-baseline.json: {len(written)} entries ({len(written)} added, 0 removed); "
        f"{len(hashes)} detect-secrets secrets: {n} imported, {SKIPPED}\n"
    )
    # The password and the AWS key are not OpenAI keys: no rule `*` entry stands for them.
    assert not {e.get("sha1") for e in written} & others
    assert all(e["rule_id"] != "*" or e["sha1"] in hashes - others for e in written)
    # --reason and --expires apply to imported entries too.
    # (keys detect-secrets missed are found by the scan itself: new entries with the same reason)
    assert all(e["reason"].startswith("revoked 2024-05") for e in written)
    assert sum(e["reason"].startswith("revoked 2024-05 (imported from detect-secrets (") for e in written) == n
    assert all(e["expires"] == "2999-01-01" for e in written)
    assert keylatch("scan", "config.env", cwd=tmp_path).code == 0
    # update: entries = before + added - removed, and the import is counted the same way.
    r = keylatch("baseline", "update", "--from-detect-secrets", ".secrets.baseline", cwd=tmp_path)
    assert r.code == 0
    assert r.err == (
        f"keylatch: .keylatch-baseline.json unchanged ({len(written)} entries); "
        f"{len(hashes)} detect-secrets secrets: {n} imported, {SKIPPED}\n"
    )


def _in_commit_message(repo: GitRepo) -> str:
    return "message of commit " + repo.commit(f"temporary {make_key('sk-proj-', seed=2121)}")[:12]


def _in_tag_message(repo: GitRepo) -> str:
    repo.git("tag", "-a", "v9", "-m", f"release {make_key('sk-proj-', seed=2122)}")
    return "message of tag v9"


def _in_tagged_blob(repo: GitRepo) -> str:
    blob = repo.git("hash-object", "-w", "--stdin", input=f"k={make_key('sk-proj-', seed=2123)}\n").strip()
    repo.git("tag", "keys", blob)
    return "blob reached by refs/tags/keys"


@pytest.mark.parametrize("place", [_in_commit_message, _in_tag_message, _in_tagged_blob], ids=lambda f: f.__name__)
def test_a_history_entry_without_a_file_names_where_its_key_was(
    place: Callable[[GitRepo], str], make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    """`paths` is for reviewers; a key in a message or a tagged blob used to leave `""` there."""
    repo = make_repo()
    repo.write("README", "hi\n")
    repo.commit("base")
    shown = place(repo)
    r = keylatch("baseline", "create", "--history", cwd=repo.path)
    assert r.code == 0, r.err
    (entry,) = json.loads((repo.path / ".keylatch-baseline.json").read_text())["entries"]
    assert entry["paths"] == [shown]
