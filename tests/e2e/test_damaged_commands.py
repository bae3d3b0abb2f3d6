"""The commands that walked history without naming damage (`pre-push`, `remediate`, `org scan`)
go on past a lost blob: every key they can read is reported (pre-push blocks on it), the lost
object is named, and the command exits 3 (an org result is `incomplete`, with its keys).

Built for real: tests/helpers/damaged.py's repository with a key in an intact fourth commit,
then the key commit's blob (or a clean one) deleted or corrupted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.commands.remediate import REPLACEMENT
from keylatch.history import scan_history
from tests.helpers.damaged import INTACT, Planted, corrupt_loose, drop_loose, with_intact_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e
MakeRepo = Callable[..., GitRepo]
ZERO = "0" * 40


def lost_key_blob(p: Planted) -> str:
    drop_loose(p.repo, p.key_blob)
    return p.key_blob


def lost_clean_blob(p: Planted) -> str:
    drop_loose(p.repo, p.clean_blob)
    return p.clean_blob


def corrupt_key_blob(p: Planted) -> str:
    corrupt_loose(p.repo, p.key_blob)
    return p.key_blob


DAMAGE = {f.__name__: f for f in (lost_key_blob, lost_clean_blob, corrupt_key_blob)}


@pytest.mark.parametrize("damage", DAMAGE)
def test_pre_push_blocks_on_what_it_read_and_names_the_damage(
    make_repo: MakeRepo, keylatch: RunKeylatch, damage: str
) -> None:
    p = with_intact_key(make_repo())
    oid = DAMAGE[damage](p)
    line = f"refs/heads/main {p.repo.git('rev-parse', 'HEAD')} refs/heads/main {ZERO}\n"

    r = keylatch("pre-push", "backup", "file:///nowhere", cwd=p.repo.path, input=line)

    assert r.code == 3, r
    assert INTACT not in r.out + r.err and p.key not in r.out + r.err
    assert "intact.env" in r.out and f"...{INTACT[-4:]}" in r.out, r.out  # blocked on the key it read
    assert f"{oid} is missing or unreadable, needed by" in r.err, r.err
    *_, last = r.err.splitlines()
    assert last.startswith("keylatch: error: ") and "damaged: 1 " in last and oid in last, r.err


@pytest.mark.prints_secrets("the replacements file holds the keys by design (--write-replacements)")
@pytest.mark.parametrize("damage", DAMAGE)
def test_remediate_finds_the_readable_keys_again_and_names_the_damage(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, damage: str
) -> None:
    p = with_intact_key(make_repo())
    report = tmp_path / "leaks.json"
    made = keylatch("history", "--no-cache", "--format", "json", str(p.repo.path))
    assert made.code == 1, made
    doc = json.loads(made.out)
    # Only the intact key: the replacements can all be found again, the damage is still named.
    doc["findings"] = [k for k in doc["findings"] if k["locations"][0]["path"] == "intact.env"]
    report.write_text(json.dumps(doc))
    oid = DAMAGE[damage](p)
    out = tmp_path / "repl.txt"

    r = keylatch("remediate", str(report), "--write-replacements", str(out), "--repo", str(p.repo.path))

    assert r.code == 3, r
    assert out.read_text() == f"{INTACT}==>{REPLACEMENT}\n"
    assert f"{oid} is missing or unreadable" in r.err and INTACT not in r.out + r.err, r.err


def test_remediate_writes_nothing_when_a_key_may_be_in_the_lost_object(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path
) -> None:
    p = with_intact_key(make_repo())
    report = tmp_path / "leaks.json"
    made = keylatch("history", "--no-cache", "--format", "json", str(p.repo.path))
    report.write_text(made.out)
    drop_loose(p.repo, p.key_blob)
    out = tmp_path / "repl.txt"

    r = keylatch("remediate", str(report), "--write-replacements", str(out), "--repo", str(p.repo.path))

    assert r.code == 3 and not out.exists(), r
    assert f"{p.key_blob} is missing or unreadable" in r.err and "nothing written" in r.err, r.err


@pytest.mark.parametrize("damage", DAMAGE)
def test_an_org_result_of_a_damaged_repository_is_incomplete_with_its_keys(make_repo: MakeRepo, damage: str) -> None:
    """What `org scan` records for a repository whose walk met damage (org/scan.py passes
    report_damage): `incomplete`, the keys of the rest kept, the lost object named."""
    from keylatch.org.plan import PlannedRepo
    from keylatch.org.results import from_history

    p = with_intact_key(make_repo())
    oid = DAMAGE[damage](p)
    planned = PlannedRepo("acme/r", p.repo.path.as_uri(), "main", "", 0, "")

    result = from_history(
        planned, "", scan_history(p.repo.path, use_cache=False, report_unread=True, report_damage=True)
    )

    assert result.status == "incomplete" and result.failed
    assert "intact.env" in {place.path for k in result.keys for place in k.places}
    assert "damaged" in result.reason and any(oid in u for u in result.unread), result


def test_the_damage_notice_names_the_commit_that_needs_it(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    p = with_intact_key(make_repo())
    drop_loose(p.repo, p.key_blob)

    for argv in (
        ("history", "--no-cache", "--format", "json", str(p.repo.path)),
        ("ci", "--repo", str(p.repo.path), "--range", f"{p.commits[0]}..HEAD", "--format", "json"),
    ):
        r = keylatch(*argv)
        assert r.code == 3, r
        (notice,) = [n for n in json.loads(r.out)["notices"] if p.key_blob in n["message"]]
        assert (notice["path"], notice["commit"]) == ("conf.env", p.commits[1]), notice
