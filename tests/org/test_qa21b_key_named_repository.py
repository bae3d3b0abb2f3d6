"""A repository whose name holds a key (QA t-qa21b): the plan copied the host's name, and `org
scan` wrote it into every result record and named the result file and the kept mirror after
it, so the whole key landed on disk in file names (an `ls` of the results, a CI artifact
listing) and contents. The name is now redacted when planned; file names redact it too, for a
plan written by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from keylatch.org.fetch import kept_mirror
from keylatch.org.plan import read
from keylatch.org.results import file_name
from keylatch.rules.synthetic import make_key
from tests.helpers.fakehost import FakeHost, HostedRepo, serve
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=2131)
NAME = f"acme/leak-{KEY}"


def _written(*dirs: Path) -> list[Path]:
    return [p for d in dirs if d.exists() for p in d.rglob("*")]


@pytest.mark.parametrize("readable", [True, False], ids=["scanned", "failed"])
def test_no_file_org_writes_holds_a_key_from_a_repository_name(
    readable: bool, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = make_repo()
    repo.write("README", "hi\n")
    repo.commit("base")
    url = repo.path.as_uri() if readable else (tmp_path / "gone").as_uri()
    plan, out, keep = tmp_path / "plan.jsonl", tmp_path / "results", tmp_path / "mirrors"
    with serve(FakeHost("github", repos=[HostedRepo(NAME, url)], orgs={"acme"})) as host:
        planned = keylatch("org", "plan", "--github", "acme", "--api-url", host.api_url, "--output", str(plan))
    assert planned.code == 0, planned.err
    (row,) = [json.loads(line) for line in plan.read_text().splitlines()]
    assert row["repository"] == f"acme/leak-{KEY[:12]}...{KEY[-4:]}"
    result = keylatch("org", "scan", str(plan), "--out", str(out), "--keep-clones", str(keep), cwd=tmp_path)
    assert result.code == (0 if readable else 3), result.err
    written = _written(out, keep)
    assert any(p.name.endswith(".result.json") for p in written)
    assert readable == any(p.name.endswith(".git") for p in written)
    assert not [p.name for p in written if KEY in p.name]
    assert not [p.name for p in written if p.is_file() and p.suffix in (".json", ".jsonl") and KEY in p.read_text()]
    merged = keylatch("org", "merge", str(out), "--plan", str(plan))
    assert merged.code == (0 if readable else 3), merged.err
    if not readable:  # named as not scanned
        assert f"leak-{KEY[:12]}...{KEY[-4:]}" in merged.out + merged.err


def test_a_hand_written_plan_names_no_record_and_no_file_by_a_key(tmp_path: Path) -> None:
    """A plan is anyone's file: its names are redacted when read, and file names redact again."""
    plan = tmp_path / "plan.jsonl"
    row = {"auth": "", "clone_url": "https://example.test/a.git", "default_branch": "main", "head": "",
           "repository": NAME, "size": 1}  # fmt: skip
    plan.write_text(json.dumps(row) + "\n")
    (repo,) = read(plan)
    assert repo.repository == f"acme/leak-{KEY[:12]}...{KEY[-4:]}"
    raw = replace(repo, repository=NAME)  # as a caller that did not go through read() would hold it
    for name in (file_name(raw), kept_mirror(tmp_path, NAME).name):
        assert KEY not in name and f"{KEY[:12]}...{KEY[-4:]}" in name
