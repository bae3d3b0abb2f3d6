"""Every command that scans goes on past what it cannot read, as `scan` does: the keys in the rest
are handled, EVERY unread entry or archive blob is named (not only the first), and it exits 3 at
the end (3 wins over 1). The commands here are the ones beside scan/history/ci/pre-push
(tests/e2e/test_unreadable_entries.py): baseline (files and --history), revoke, remediate
(from a report of an incomplete scan, and finding keys again for --write-replacements), and org
scan + merge.

| command                         | keys in the rest            | unread entries         | writes          |
| ------------------------------- | --------------------------- | ---------------------- | --------------- |
| baseline create [--history]     | counted in the error        | each named on stderr   | nothing         |
| revoke PATH                     | matched, as without damage  | each named on stderr   | -               |
| remediate REPORT                | each key's plan             | the report's, each     | replacements    |
| org scan / org merge (all fmts) | recorded, merged            | result `incomplete`    | result files    |
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.openai_emulator import Emulator, Org, emulator
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=71)
ADMIN = make_key("sk-admin-", seed=72)
CORRUPT = b"PK\x03\x04" + b"\0" * 40
BAD = ("dist/one_bad.zip", "dist/two_bad.zip")  # two, so "every" is tested, not "the first"


def _tree(root: Path) -> Path:
    for name in BAD:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(CORRUPT + name.encode())  # two blobs, not one
    (root / "z.env").write_text(f"OPENAI_API_KEY={KEY}\n")
    return root


def _repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    repo = make_repo()
    _tree(repo.path)
    repo.commit("add")
    return repo


def _named(res: Result) -> list[str]:
    """The unread names on stderr's error lines, in order."""
    return [n for ln in res.err.splitlines() if ln.startswith("keylatch: error:") for n in BAD if n in ln]


def _checked(res: Result) -> None:
    assert res.code == 3, res
    assert "Traceback" not in res.err
    assert_redacted(res.out, res.err, keys=[KEY])
    assert _named(res) == list(BAD), res.err  # each one, once, in order
    assert all("corrupt or truncated" in ln for ln in res.err.splitlines() if any(n in ln for n in BAD))


@pytest.fixture
def api() -> Iterator[Emulator]:
    with emulator() as e:
        e.org = Org(ADMIN)
        yield e


@pytest.mark.parametrize("history", [False, True], ids=["files", "history"])
@pytest.mark.parametrize("action", ["create", "update"])
def test_baseline_names_every_unread_entry_and_writes_nothing(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path, action: str, history: bool
) -> None:
    repo = _repo(make_repo)
    target = tmp_path / "bl.json"
    res = keylatch("baseline", action, *(("--history",) if history else ()), "--file", str(target), cwd=repo.path)
    _checked(res)
    assert "2 entries could not be read (1 finding(s) in the rest)" in res.err and "not written" in res.err
    assert not target.exists()


def test_revoke_handles_the_keys_in_the_rest_and_names_every_unread_entry(
    keylatch: RunKeylatch, tmp_path: Path, api: Emulator
) -> None:
    _tree(tmp_path)
    res = keylatch("revoke", "--admin-url", api.url, ".", cwd=tmp_path, env={"OPENAI_ADMIN_KEY": ADMIN})
    _checked(res)
    assert f"sk-proj-{KEY[8:12]}...{KEY[-4:]}" in res.out and "z.env:1" in res.out  # the key was still looked up
    assert "keylatch revoke: 0 to delete, 1 left to do by hand" in res.out
    assert "only the keys in what could be read were handled (exit 3)" in res.err


@pytest.mark.parametrize("source", ["scan", "history"])
def test_remediate_of_an_incomplete_report_plans_every_key_and_names_what_was_not_read(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path, source: str
) -> None:
    repo = _repo(make_repo)
    report = tmp_path / "leaks.json"
    argv = ("scan", "--no-baseline", ".") if source == "scan" else ("history", "--no-cache")
    made = keylatch(*argv, "-f", "json", "-o", str(report), cwd=repo.path, input="")
    assert made.code == 3, made
    res = keylatch("remediate", str(report), cwd=tmp_path)
    _checked(res)
    assert f"sk-proj-{KEY[8:12]}...{KEY[-4:]}" in res.out and "Incident note" in res.out
    assert "the report's scan did not read" in res.err


@pytest.mark.prints_secrets("the replacements file holds the keys by design (--write-replacements)")
def test_remediate_finds_keys_again_past_unread_archive_blobs(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = _repo(make_repo)
    (repo.path / "dist").joinpath("one_bad.zip").unlink()
    (repo.path / "dist").joinpath("two_bad.zip").unlink()
    repo.commit("gone")
    # A report with no unread entry (an older scan of a clean copy): only the walk meets the blobs.
    doc = {"tool": {"name": "keylatch"}, "findings": [{"fingerprint": _sha(KEY), "rule_id": "openai-project-key",
           "secret": f"sk-proj-{KEY[8:12]}...{KEY[-4:]}", "path": "z.env", "line": 1}]}  # fmt: skip
    (tmp_path / "r.json").write_text(json.dumps(doc))
    out = tmp_path / "repl.txt"
    res = keylatch("remediate", str(tmp_path / "r.json"), "--write-replacements", str(out), "--repo", str(repo.path))
    assert res.code == 3, res
    assert _named(res) == list(BAD)
    assert out.read_text() == f"{KEY}==>***REMOVED-BY-KEYLATCH***\n"


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_org_records_the_keys_of_a_repository_with_unread_blobs_and_reports_it_incomplete(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path, fmt: str
) -> None:
    repo = _repo(make_repo)
    (tmp_path / "repos.txt").write_text(repo.path.as_uri() + "\n")
    plan = tmp_path / "plan.jsonl"
    assert keylatch("org", "plan", "--repos", str(tmp_path / "repos.txt"), "-o", str(plan)).code == 0
    scanned = keylatch("org", "scan", str(plan), "--out", str(tmp_path / "out"))
    assert scanned.code == 3, scanned
    assert "1 key(s); INCOMPLETE: 2 archive blob(s) could not be read whole" in scanned.err
    assert [n for n in BAD if n in scanned.err] == list(BAD)
    (result,) = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.result.json")]
    assert result["status"] == "incomplete" and len(result["keys"]) == 1 and len(result["unread"]) == 2
    merged = keylatch("org", "merge", str(tmp_path / "out"), "-f", fmt)
    assert merged.code == 3, merged
    assert_redacted(merged.out, merged.err, keys=[KEY])
    out = merged.out
    if fmt == "json":
        doc = json.loads(out)
        assert len(doc["keys"]) == 1 and [f["repository"] for f in doc["failed"]] == [result["repository"]]
        out = doc["failed"][0]["reason"]
    elif fmt == "sarif":
        (run,) = json.loads(out)["runs"]  # one run for the repository: its key, and "not whole"
        assert len(run["results"]) == 1 and run["invocations"][0]["executionSuccessful"] is False
        out = run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
    else:
        assert re.search(r"1 distinct key", out)
    assert [n for n in BAD if n in out] == list(BAD)
