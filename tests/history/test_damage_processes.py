"""How many git processes a damaged repository's history scan starts, pinned (history/damage.py,
history/salvage.py): each is ~1.7 ms of CPU, and the damage path listed the repository's driver
names again for every Git it wrapped, and read each tree of a commit and its parents a level
at a time with a `cat-file` per level of each.

The reports themselves are the damaged matrices' (tests/e2e/test_damaged_*.py); here only the
count, and that a Git reading the readable part of a cut pack hands that part to what it derives.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from keylatch.history.damage import WithObjects
from keylatch.history.salvage import tolerant
from keylatch.sources.gitcmd import Git
from tests.helpers.damaged import corrupt_pack_index, drop_loose, lost_tree, with_intact_key
from tests.helpers.gitcount import counted, counting_git
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]


def test_a_lost_root_tree_lists_the_driver_names_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path
) -> None:
    p = with_intact_key(make_repo())
    drop_loose(p.repo, p.repo.git("rev-parse", f"{p.commits[1]}^{{tree}}"))
    env, log = counting_git(tmp_path)

    r = keylatch("history", "--no-cache", str(p.repo.path), env=env)

    assert r.code == 3 and "intact.env" in r.out, r
    seen = counted(log)
    # The rebuilt log's reads (salvage.tolerant) reuse the command's listing.
    assert seen["config --get-regexp (drivers)"] == 1, seen
    # Per commit git log stops at (two: the one whose root tree is lost and its child), one
    # `cat-file` per level of the commit's and its parent's trees together, not per tree.
    assert seen["cat-file"] == 10, seen  # 12 before
    assert seen["ls-tree"] == 1, seen  # HEAD is the only tip: its tree listed once
    assert sum(seen.values()) == 23, seen  # 27 before


def test_a_lost_subtree_reads_each_level_of_a_commit_and_its_parents_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path
) -> None:
    b = lost_tree(make_repo())
    env, log = counting_git(tmp_path)

    r = keylatch("history", "--no-cache", str(b.planted.repo.path), env=env)

    assert r.code == 3 and f"{b.named} is missing or unreadable" in r.out + r.err, r
    seen = counted(log)
    assert seen["config --get-regexp (drivers)"] == 1, seen
    assert seen["cat-file"] == 9, seen  # 10 before
    assert seen["ls-tree"] == 1, seen
    assert sum(seen.values()) == 22, seen  # 25 before


def test_a_pack_behind_a_bad_index_is_unpacked_without_listing_drivers_again(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path
) -> None:
    b = corrupt_pack_index(make_repo())
    env, log = counting_git(tmp_path)

    r = keylatch("history", "--no-cache", str(b.planted.repo.path), env=env)

    assert r.code == 3 and "conf.env" in r.out, r
    seen = counted(log)
    # readable_part unpacks with the command's Git and reads through a wrapper of it.
    assert seen["config --get-regexp (drivers)"] == 1, seen
    assert seen["unpack-objects"] == 1, seen
    assert seen["ls-tree"] == 1, seen
    assert sum(seen.values()) == 14, seen  # 17 before


def test_what_a_readable_part_derives_still_reads_its_objects(make_repo: MakeRepo, tmp_path: Path) -> None:
    """The readers' Git (history/ranges.readers_git: `derived(config=...)`) and the rebuilt log's
    tolerant one read the unpacked objects too: an object only the temporary directory holds."""
    repo = make_repo()
    repo.write("a.txt", "a\n")
    repo.commit("a")
    objects = tmp_path / "unpacked"
    objects.mkdir()
    made = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"], input=b"only in the unpacked part\n", capture_output=True,
        env={**repo.env, "GIT_OBJECT_DIRECTORY": str(objects)}, cwd=repo.path, check=True,
    ).stdout.decode().strip()  # fmt: skip
    git = WithObjects(Git(repo.path), str(objects))

    for g in (git, git.derived(config=("core.deltaBaseCacheLimit=1m",)), tolerant(git), tolerant(git).derived()):
        assert g.run("cat-file", "-t", made).strip() == b"blob", g
    assert Git(repo.path).returncode("cat-file", "-e", made) != 0
