"""A pack git cannot use (cut short, a corrupt object inside, a bad or lost index) hides none of
the keys that can still be read: every other object is listed by id and scanned, the pack's own
readable objects are unpacked as far as they go into a temporary directory (history/damage.py
readable_part) and attributed where the log places them, and the pack and each object that
could not be read are named, exit 3. Whatever the damage, the whole-history scan reports.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.damaged import INTACT, Planted, corrupt_index, pack_all, with_intact_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e
MakeRepo = Callable[..., GitRepo]
LATE = make_key("sk-proj-", seed=88)


def _offsets(repo: GitRepo, idx: Path) -> dict[str, int]:
    """Each object's offset in the pack, from its index (`git show-index` reads it on stdin)."""
    out = subprocess.run(["git", "show-index"], input=idx.read_bytes(), env=repo.env, capture_output=True, check=True)
    return {w[1].decode(): int(w[0]) for w in (line.split() for line in out.stdout.splitlines())}


def split_pack(make_repo: MakeRepo) -> tuple[Planted, Path, str]:
    """with_intact_key, everything in one healthy pack but two blobs, which are in a pack of
    their own: the key commit's conf.env (its key) first, then late.env (LATE, added last)."""
    p = with_intact_key(make_repo())
    p.repo.write("late.env", f"OPENAI_API_KEY={LATE}\n" + "padding line\n" * 50)
    p.repo.commit("late", date="2024-01-05T12:00:00Z")
    late = p.repo.git("rev-parse", "HEAD:late.env")
    pack_all(p.repo)
    pack_dir = p.repo.path / ".git" / "objects" / "pack"
    old = list(pack_dir.glob("pack-*"))
    listing = [line.split()[0] for line in p.repo.git("rev-list", "--objects", "--all").splitlines()]
    rest = [oid for oid in listing if oid not in (p.key_blob, late)]
    p.repo.git("pack-objects", "-q", str(pack_dir / "pack"), input="\n".join(rest) + "\n")
    name = p.repo.git("pack-objects", "-q", str(pack_dir / "pack"), input=f"{p.key_blob}\n{late}\n")
    for f in old:
        f.chmod(0o644)
        f.unlink()
    idx = pack_dir / f"pack-{name}.idx"
    offsets = _offsets(p.repo, idx)
    if offsets[p.key_blob] > offsets[late]:
        pytest.skip("git packed late.env first")  # the cut below needs the key blob first
    return p, idx, late


def cut_after_first(idx: Path, offsets: dict[str, int], late: str) -> None:
    """The pack ends a few bytes into its second object: the first is whole."""
    pack = idx.with_suffix(".pack")
    pack.chmod(0o644)
    pack.write_bytes(pack.read_bytes()[: offsets[late] + 3])


def corrupt_second(idx: Path, offsets: dict[str, int], late: str) -> None:
    """The pack keeps its length, but the second object's compressed data is garbage."""
    pack = idx.with_suffix(".pack")
    pack.chmod(0o644)
    data = bytearray(pack.read_bytes())
    data[offsets[late] + 2 : offsets[late] + 12] = b"\x00garbage!\xff"
    pack.write_bytes(bytes(data))


def history(keylatch: RunKeylatch, repo: GitRepo, *extra: str) -> Result:
    return keylatch("history", "--no-cache", "--format", "json", *extra, str(repo.path))


@pytest.mark.parametrize("damage", (cut_after_first, corrupt_second), ids=lambda f: f.__name__)
def test_the_readable_part_of_a_pack_is_reported_and_attributed(
    make_repo: MakeRepo, keylatch: RunKeylatch, damage: Callable[[Path, dict[str, int], str], None]
) -> None:
    p, idx, late = split_pack(make_repo)
    damage(idx, _offsets(p.repo, idx), late)

    r = history(keylatch, p.repo)

    assert r.code == 3 and "Traceback" not in r.err, r
    for key in (p.key, INTACT, LATE):
        assert key not in r.out + r.err
    doc = json.loads(r.out)
    found = {(loc["path"], loc["commit"]) for k in doc["findings"] for loc in k["locations"]}
    # The key in the damaged pack's readable object, attributed to the commit that added it.
    assert ("conf.env", p.commits[1]) in found, doc["findings"]
    assert "intact.env" in {path for path, _ in found}
    assert "late.env" not in {path for path, _ in found}
    damaged = {d["object"]: d for d in doc["damaged"]}
    assert late in damaged and damaged[late]["needed_by"][0]["path"] == "late.env", doc["damaged"]
    if damage is cut_after_first:
        assert f"objects/pack/{idx.with_suffix('.pack').name}" in damaged
    assert doc["stats"]["complete"] is False


def test_text_names_the_pack_and_the_lost_object(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    p, idx, late = split_pack(make_repo)
    cut_after_first(idx, _offsets(p.repo, idx), late)

    r = keylatch("history", "--no-cache", str(p.repo.path))

    assert r.code == 3, r
    assert "conf.env" in r.out and f"...{p.key[-4:]}" in r.out and "intact.env" in r.out, r.out
    assert f"objects/pack/{idx.with_suffix('.pack').name} is missing or unreadable" in r.out + r.err
    assert re.search(rf"{late} is missing or unreadable, needed by late.env", r.out + r.err), r.out + r.err
    (last,) = r.err.splitlines()[-1:]
    assert last.startswith("keylatch: error: ") and "git fsck" in last, r.err


def lose_index(idx: Path) -> None:
    idx.chmod(0o644)
    idx.unlink()


def cut_index(idx: Path) -> None:
    idx.chmod(0o644)
    idx.write_bytes(idx.read_bytes()[:-30])


@pytest.mark.parametrize("damage", (corrupt_index, cut_index, lose_index), ids=lambda f: f.__name__)
def test_a_whole_pack_behind_a_bad_index_is_read(
    make_repo: MakeRepo, keylatch: RunKeylatch, damage: Callable[[Path], None]
) -> None:
    """git reads nothing of a pack whose index it cannot use, though the pack is whole: its
    keys are read from the pack itself, attributed, and the index is still named."""
    p = with_intact_key(make_repo())
    idx = pack_all(p.repo)
    damage(idx)

    r = history(keylatch, p.repo)

    assert r.code == 3 and "Traceback" not in r.err, r
    doc = json.loads(r.out)
    found = {(loc["path"], loc["commit"]) for k in doc["findings"] for loc in k["locations"]}
    assert ("conf.env", p.commits[1]) in found and "intact.env" in {path for path, _ in found}, doc
    assert {d["object"] for d in doc["damaged"]} & {
        f"objects/pack/{idx.name}",
        f"objects/pack/{idx.with_suffix('.pack').name}",
    }
    assert p.key not in r.out + r.err and INTACT not in r.out + r.err


def test_baseline_history_writes_nothing(make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path) -> None:
    p, idx, late = split_pack(make_repo)
    cut_after_first(idx, _offsets(p.repo, idx), late)
    out = tmp_path / "bl.json"

    r = keylatch("baseline", "create", "--history", "--file", str(out), cwd=p.repo.path)

    assert r.code == 3 and not out.exists(), r
    assert "Traceback" not in r.err and p.key not in r.out + r.err


def test_org_scan_names_a_repository_it_cannot_clone(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path
) -> None:
    """A clone needs every object its refs reach: git's upload-pack cannot pack a cut pack's
    objects, so the repository is a named failure (exit 3), never a clean result."""
    p, idx, late = split_pack(make_repo)
    cut_after_first(idx, _offsets(p.repo, idx), late)
    listing = tmp_path / "repos.txt"
    listing.write_text(f"file://{p.repo.path}\n")
    assert keylatch("org", "plan", "--repos", str(listing), "--output", str(tmp_path / "plan.jsonl")).code == 0

    r = keylatch("org", "scan", str(tmp_path / "plan.jsonl"), "--out", str(tmp_path / "out"))

    assert r.code == 3 and "Traceback" not in r.err, r
    assert "FAILED: cannot clone" in r.err and "1 failed" in r.err, r.err
    (result,) = (tmp_path / "out").glob("*.result.json")
    assert json.loads(result.read_text())["status"] == "failed"


def test_a_corrupt_packed_tree_is_named_and_the_rest_reported(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """git log dies on a tree corrupt in its pack ("packed object ... is corrupt"): the log is
    rebuilt from what can be read (history/salvage.py), the tree named with what needs it."""
    p = with_intact_key(make_repo())
    idx = pack_all(p.repo)
    pack = idx.with_suffix(".pack")
    pack.chmod(0o644)
    data = bytearray(pack.read_bytes())
    at = _offsets(p.repo, idx)[p.subtree]
    data[at + 2 : at + 12] = b"\x00garbage!\xff"
    pack.write_bytes(bytes(data))

    r = history(keylatch, p.repo)

    assert r.code == 3 and "Traceback" not in r.err, r
    doc = json.loads(r.out)
    found = {loc["path"] for k in doc["findings"] for loc in k["locations"]}
    assert {"conf.env", "intact.env"} <= found, doc["findings"]
    assert p.subtree in {d["object"] for d in doc["damaged"]}, doc["damaged"]
    assert p.key not in r.out + r.err and INTACT not in r.out + r.err
