"""A damaged repository still reports what it could read: for each kind of damage the walk can go
on past (a lost loose or packed blob, a corrupt object), a key in an intact commit is reported in
every format, the damage is named (once per object, with the places that need it), and the exit
code is 3 (3 wins over 1). `baseline --history` names it too and writes nothing.

Built for real: the repository of tests/helpers/damaged.py plus a commit with a second key that
no damage touches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.damaged import Planted, corrupt_loose, drop_from_pack, drop_loose, history_with_key, loose_path
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e
MakeRepo = Callable[..., GitRepo]
INTACT = make_key("sk-proj-", seed=85)


def with_intact_key(repo: GitRepo) -> Planted:
    """history_with_key, then a fourth commit adding `intact.env` with another key."""
    p = history_with_key(repo)
    repo.write("intact.env", f"OPENAI_API_KEY={INTACT}\n")
    repo.commit("intact", date="2024-01-04T12:00:00Z")
    return p


def lost_loose_key_blob(p: Planted) -> str:
    drop_loose(p.repo, p.key_blob)
    return p.key_blob


def lost_packed_blob(p: Planted) -> str:
    drop_from_pack(p.repo, p.clean_blob)
    return p.clean_blob


def corrupt_key_blob(p: Planted) -> str:
    corrupt_loose(p.repo, p.key_blob)
    return p.key_blob


DAMAGE = {f.__name__: f for f in (lost_loose_key_blob, lost_packed_blob, corrupt_key_blob)}
FORMATS = ("text", "json", "sarif", "github")


def run(keylatch: RunKeylatch, command: str, p: Planted, fmt: str) -> Result:
    if command == "history":
        return keylatch("history", "--no-cache", "--format", fmt, str(p.repo.path))
    return keylatch("ci", "--repo", str(p.repo.path), "--range", f"{p.commits[0]}..HEAD", "--format", fmt)


def named_place(oid: str, p: Planted) -> str:
    """The path that needs the lost object, as the report names it."""
    return "conf.env" if oid == p.key_blob else "d/x.txt"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", ["history", "ci"])
@pytest.mark.parametrize("damage", DAMAGE)
def test_the_rest_is_reported_and_the_damage_named(
    make_repo: MakeRepo, keylatch: RunKeylatch, damage: str, command: str, fmt: str
) -> None:
    p = with_intact_key(make_repo())
    oid = DAMAGE[damage](p)

    r = run(keylatch, command, p, fmt)

    assert r.code == 3, r
    assert INTACT not in r.out + r.err and p.key not in r.out + r.err
    assert "intact.env" in r.out and f"...{INTACT[-4:]}" in r.out, r.out
    # Named (once: text on stderr, json's notices), with the path that needs it; the last line
    # says the repository is damaged. SARIF carries each notice twice (notification, property).
    named = f"{oid} is missing or unreadable"
    assert (r.err.count(named) == 1) if fmt == "text" else (named in r.out), r
    assert re.search(rf"{oid} is missing or unreadable, needed by {named_place(oid, p)} in commit", r.out + r.err)
    *_, last = r.err.splitlines()
    assert last.startswith("keylatch: error: ") and re.search(rf"damaged: 1 .*{oid}.*git fsck", last), r.err
    if fmt == "json":
        doc = json.loads(r.out)
        assert [n["kind"] for n in doc["notices"] if oid in n["message"]] == ["not-scanned"]
    if command == "history" and fmt in ("text", "json"):
        assert "INCOMPLETE: the repository is damaged" in r.out + r.err
    if command == "history" and fmt == "json":
        assert doc["stats"]["complete"] is False and doc["stats"]["damaged_objects"] == 1
        assert doc["damaged"][0]["object"] == oid and doc["damaged"][0]["needed_by"][0]["path"] == named_place(oid, p)


@pytest.mark.parametrize("damage", DAMAGE)
def test_baseline_names_the_damage_and_writes_nothing(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, damage: str
) -> None:
    p = with_intact_key(make_repo())
    oid = DAMAGE[damage](p)
    out = tmp_path / "bl.json"

    r = keylatch("baseline", "create", "--history", "--file", str(out), cwd=p.repo.path)

    assert r.code == 3 and not out.exists(), r
    assert f"{oid} is missing or unreadable, needed by {named_place(oid, p)}" in r.err
    assert r.err.splitlines()[-1].endswith("not written"), r.err


def test_a_blob_many_commits_need_is_counted_once(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """The same lost blob at several paths and in several commits: one object (QA counted 27
    for 19 distinct), its places listed up to a bound and counted."""
    repo = make_repo()
    repo.write("intact.env", f"OPENAI_API_KEY={INTACT}\n")
    repo.commit("intact")
    for i in range(5):
        repo.write(f"copy{i}.txt", "the same content\n")
        repo.commit(f"copy {i}")
    shared = repo.git("rev-parse", "HEAD:copy0.txt")
    other = repo.git("hash-object", "-w", "--stdin", input="second lost\n")
    repo.write("other.txt", "second lost\n")
    repo.commit("other")
    drop_loose(repo, shared)
    drop_loose(repo, other)

    r = keylatch("history", "--no-cache", "--format", "json", str(repo.path))

    assert r.code == 3, r
    doc = json.loads(r.out)
    assert doc["stats"]["damaged_objects"] == 2
    (lost,) = [d for d in doc["damaged"] if d["object"] == shared]
    assert lost["places"] == 5 and [n["path"] for n in lost["needed_by"]] == ["copy0.txt", "copy1.txt", "copy2.txt"]
    assert re.search(r"damaged: 2 blobs .*missing", r.err.splitlines()[-1]), r.err
    assert any("and 2 more" in n["message"] for n in doc["notices"])
    assert [k["locations"][0]["path"] for k in doc["findings"]] == ["intact.env"]


def test_fsck_names_what_is_missing_with_include_unreachable(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """`git fsck` reports damage on stdout and exits 2: the damage is named, never "git failed
    with no message", and the keys of the rest are still reported."""
    p = with_intact_key(make_repo())
    drop_loose(p.repo, p.clean_blob)

    r = keylatch("history", "--include-unreachable", str(p.repo.path))

    assert r.code == 3, r
    assert "no message" not in r.err and f"{p.clean_blob} is missing or unreadable" in r.err
    assert "intact.env" in r.out and p.key not in r.out


def test_an_untrusted_path_of_a_lost_blob_is_escaped(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    name = f"evil\x1b[31m{make_key('sk-proj-', seed=86)}.txt"
    repo.write("intact.env", f"OPENAI_API_KEY={INTACT}\n")
    (repo.path / name).write_text("lost\n")
    repo.git("add", "-A")
    repo.commit("paths")
    oid = repo.git("rev-parse", "HEAD:intact.env")  # any loose blob: the evil one is dropped below
    evil = repo.git("hash-object", str(repo.path / name))
    assert loose_path(repo, evil).exists() and oid
    drop_loose(repo, evil)

    r = keylatch("history", "--no-cache", str(repo.path))

    assert r.code == 3, r
    assert "\x1b" not in r.err and "\\x1b[31m" in r.err and make_key("sk-proj-", seed=86) not in r.err
