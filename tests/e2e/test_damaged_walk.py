"""Damage that stops `git log` (a lost or corrupt tree, a lost parent commit, a ref to a lost
object, a corrupt pack index) through every command that reads history: each still reports every
key it can read elsewhere, names the object it could not read, and exits 3 (history/salvage.py).

Built for real: the repository of tests/helpers/damaged.py with a fourth commit whose key
(`intact.env`) no damage touches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.damaged import (
    INTACT,
    Broken,
    corrupt_loose,
    corrupt_pack_index,
    damage_line,
    drop_loose,
    ghost_ref,
    history_with_key,
    lost_commit,
    lost_tree,
    with_intact_key,
)
from tests.helpers.gitrepo import GitRepo
from tests.helpers.pushing import ZERO
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e
MakeRepo = Callable[..., GitRepo]


def corrupt_subtree(repo: GitRepo) -> Broken:
    p = with_intact_key(repo)
    corrupt_loose(repo, p.subtree)
    return Broken(p, p.subtree)


def missing_root_tree(repo: GitRepo) -> Broken:
    p = with_intact_key(repo)
    root = repo.git("rev-parse", f"{p.commits[1]}^{{tree}}")
    drop_loose(repo, root)
    return Broken(p, root)


def ref_to_missing_object(repo: GitRepo) -> Broken:
    p = with_intact_key(repo)
    return Broken(p, ghost_ref(repo), in_range=False)


KINDS = {
    "missing_subtree": lost_tree, "corrupt_subtree": corrupt_subtree, "missing_root_tree": missing_root_tree,
    "missing_parent_commit": lost_commit, "ref_to_missing_object": ref_to_missing_object,
    "corrupt_pack_index": corrupt_pack_index,
}  # fmt: skip
COMMANDS = ("history", "history-no-cache", "history-json", "ci", "pre-push", "baseline")


def run(keylatch: RunKeylatch, command: str, b: Broken, tmp_path: Path) -> Result:
    repo, base = b.planted.repo, b.planted.commits[0]
    if command == "history":
        return keylatch("history", str(repo.path))
    if command == "history-no-cache":
        return keylatch("history", "--no-cache", str(repo.path))
    if command == "history-json":
        return keylatch("history", "--no-cache", "--format", "json", str(repo.path))
    if command == "ci":
        return keylatch("ci", "--repo", str(repo.path), "--range", f"{base}..HEAD")
    if command == "pre-push":
        line = f"refs/heads/main {repo.git('rev-parse', 'HEAD')} refs/heads/main {ZERO}\n"
        return keylatch("pre-push", "backup", "file:///nowhere", cwd=repo.path, input=line)
    assert command == "baseline"
    return keylatch("baseline", "create", "--history", "--file", str(tmp_path / "bl.json"), cwd=repo.path)


# ci and pre-push plan their range with `git rev-list` first: a commit it cannot read is damage
# the walk goes on past (sources/ci_range.py, sources/push.py; tests/e2e/test_damaged_ranges.py).
CASES = [(kind, command) for kind in KINDS for command in COMMANDS]


@pytest.mark.parametrize(("kind", "command"), CASES)
def test_the_readable_keys_are_reported_and_the_lost_object_named(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, kind: str, command: str
) -> None:
    b = KINDS[kind](make_repo())
    r = run(keylatch, command, b, tmp_path)

    assert INTACT not in r.out + r.err and b.planted.key not in r.out + r.err
    assert "Traceback" not in r.err
    if command in ("ci", "pre-push") and not b.in_range:  # a ref outside the range: nothing it needs is lost
        assert r.code == 1 and "intact.env" in r.out, r
        return
    last = damage_line(r)
    named = b.named
    if kind == "corrupt_pack_index" and command not in ("ci", "pre-push"):
        # The whole-history scan reads the pack behind the bad index itself (history/damage.py
        # readable_part): no commit is lost, the index is what is named.
        named = "objects/pack/pack-"
        assert re.search(r"pack index objects/pack/pack-[0-9a-f]{40}\.idx is missing or unreadable", r.out + r.err)
        assert command == "baseline" or "conf.env" in r.out, r.out
    else:
        assert f"{b.named} is missing or unreadable" in r.out + r.err, r
    if command == "baseline":
        assert not (tmp_path / "bl.json").exists() and last.endswith("not written"), r.err
        return
    assert "intact.env" in r.out and f"...{INTACT[-4:]}" in r.out, r.out
    if command == "history-json":
        doc = json.loads(r.out)
        assert doc["stats"]["complete"] is False
        assert any(d["object"].startswith(named) for d in doc["damaged"]), doc["damaged"]
        (intact,) = [k for k in doc["findings"] if k["locations"][0]["path"] == "intact.env"]
        assert intact["introduced"]["summary"] == "intact"


@pytest.mark.parametrize("kind", ["missing_subtree", "corrupt_subtree"])
def test_a_key_beside_a_lost_tree_keeps_its_commit(make_repo: MakeRepo, keylatch: RunKeylatch, kind: str) -> None:
    """The commit that wrote the lost tree is listed from what can be read of it: its key in a
    readable file is attributed to it, as in a healthy repository."""
    b = KINDS[kind](make_repo())

    r = keylatch("history", "--no-cache", "--format", "json", str(b.planted.repo.path))

    assert r.code == 3, r
    doc = json.loads(r.out)
    (key,) = [k for k in doc["findings"] if k["locations"][0]["path"] == "conf.env"]
    assert key["introduced"]["sha"] == b.planted.commits[1], key
    (lost,) = [d for d in doc["damaged"] if d["object"] == b.named]
    assert lost["kind"] == "tree" and lost["needed_by"][0] == {"path": "d", "commit": b.planted.commits[1]}


def test_a_key_only_a_lost_commit_places_is_reported_without_a_commit(
    make_repo: MakeRepo, keylatch: RunKeylatch
) -> None:
    """The key commit's root tree is lost: its key is still in the store (the blob is there),
    read by the whole-history scan and reported with no commit rather than counted away."""
    p = history_with_key(make_repo())
    p.repo.write("conf.env", "moved\n")
    p.repo.commit("remove the key")
    drop_loose(p.repo, p.repo.git("rev-parse", f"{p.commits[1]}^{{tree}}"))

    r = keylatch("history", "--no-cache", "--format", "json", str(p.repo.path))

    assert r.code == 3, r
    doc = json.loads(r.out)
    (key,) = doc["findings"]
    assert key["locations"][0]["blob"] == p.key_blob and key["introduced"] is None
    text = keylatch("history", "--no-cache", str(p.repo.path))
    assert text.code == 3 and "commit unknown: the repository is damaged" in text.out, text


def test_a_key_in_a_ref_name_is_redacted(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """A ref name is untrusted (git refuses control characters in one, not a key)."""
    from keylatch.rules.synthetic import make_key

    p = with_intact_key(make_repo())
    secret = make_key("sk-proj-", seed=88)
    ghost_ref(p.repo, f"refs/heads/{secret}")

    r = keylatch("history", "--no-cache", str(p.repo.path))

    assert r.code == 3, r
    assert secret not in r.out + r.err and f"...{secret[-4:]}" in r.err, r.err


def test_a_healthy_repository_reads_its_log_once(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """No rebuild without damage: the report is the healthy one (exit 1, no damage notes)."""
    p = with_intact_key(make_repo())

    r = keylatch("history", "--no-cache", "--format", "json", str(p.repo.path))

    assert r.code == 1, r
    doc = json.loads(r.out)
    assert doc["stats"]["complete"] is True and "damaged" not in doc
    assert re.search(r"\b4 commits\b", r.err) or doc["stats"]["commits"] == 4
