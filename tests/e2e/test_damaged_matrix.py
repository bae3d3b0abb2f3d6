"""The damaged-repository matrix: every way a clone can lack or break an object, through every
command that reads history. None may exit 0; each exits 3 with one line naming what is missing
(how many blobs, or which tree or commit), except where the damage is outside what the command
must read (then it still finds the key it can see).

Built for real: objects deleted from disk, a pack rebuilt without a blob, a loose object
overwritten, shallow and blob:none clones, a clone whose partial-clone config was removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.advice import foreign_flags
from tests.helpers.damaged import (
    DEEP_PATH,
    Planted,
    clone,
    corrupt_loose,
    deep_tree,
    drop_from_pack,
    drop_loose,
    forget_promisor,
    history_with_key,
    missing_count,
    partial_clone,
)
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e
MakeRepo = Callable[..., GitRepo]
ZERO = "0" * 40


@dataclass(frozen=True)
class Damaged:
    planted: Planted
    says: str  # what the error line must name


def missing_loose_blob(make_repo: MakeRepo, home: Path, tmp_path: Path) -> Damaged:
    p = history_with_key(make_repo())
    drop_loose(p.repo, p.key_blob)
    return Damaged(p, f"damaged: 1 blob .*{p.key_blob}")


def missing_packed_blob(make_repo: MakeRepo, home: Path, tmp_path: Path) -> Damaged:
    p = history_with_key(make_repo())
    drop_from_pack(p.repo, p.clean_blob)
    return Damaged(p, f"damaged: 1 blob .*{p.clean_blob}")


def corrupt_loose_object(make_repo: MakeRepo, home: Path, tmp_path: Path) -> Damaged:
    p = history_with_key(make_repo())
    corrupt_loose(p.repo, p.key_blob)
    return Damaged(p, f"damaged: 1 .*unreadable.*{p.key_blob}")


def missing_tree(make_repo: MakeRepo, home: Path, tmp_path: Path) -> Damaged:
    p = history_with_key(make_repo())
    drop_loose(p.repo, p.subtree)
    return Damaged(p, f"damaged: (1 )?tree .*{p.subtree}")


def missing_parent_commit(make_repo: MakeRepo, home: Path, tmp_path: Path) -> Damaged:
    p = history_with_key(make_repo())
    drop_loose(p.repo, p.commits[1])
    # `pre-push` first asks rev-list whether anything is new; git's own line names the commit.
    return Damaged(p, f"(damaged: (1 )?commit .*|Could not read ){p.commits[1]}")


def shallow(make_repo: MakeRepo, home: Path, tmp_path: Path) -> Damaged:
    src = history_with_key(make_repo("src"))
    dst = tmp_path / "shallow"
    clone(home, "--depth", "1", f"file://{src.repo.path}", str(dst))
    p = Planted(GitRepo(dst, src.repo.env), src.key, src.commits, src.key_blob, src.subtree, src.clean_blob)
    return Damaged(p, "shallow")


def partial(make_repo: MakeRepo, home: Path, tmp_path: Path) -> Damaged:
    p = partial_clone(make_repo, home, tmp_path, "partial")
    return Damaged(p, r"partial clone and \d+ blob")


def promisor_without_config(make_repo: MakeRepo, home: Path, tmp_path: Path) -> Damaged:
    p = partial_clone(make_repo, home, tmp_path, "promisor")
    forget_promisor(p.repo)
    # A range needs fewer of them than the whole history (tests/history/test_history_damaged.py).
    assert missing_count(p.repo) > 1
    return Damaged(p, r"damaged: \d+ blobs that its commits need are missing")


ROWS = {
    f.__name__: f
    for f in (
        missing_loose_blob, missing_packed_blob, corrupt_loose_object, missing_tree,
        missing_parent_commit, shallow, partial, promisor_without_config,
    )
}  # fmt: skip


def run_command(keylatch: RunKeylatch, command: str, d: Damaged, tmp_path: Path) -> Result:
    repo, (base, _, head) = d.planted.repo, d.planted.commits
    if command == "history":
        return keylatch("history", str(repo.path))
    if command == "history-no-cache":
        return keylatch("history", "--no-cache", str(repo.path))
    if command == "ci":
        return keylatch("ci", "--repo", str(repo.path), "--range", f"{base}..{head}")
    if command == "pre-push":
        # A remote with nothing yet (no tracking refs): the push publishes every commit.
        line = f"refs/heads/main {head} refs/heads/main {ZERO}\n"
        return keylatch("pre-push", "backup", "file:///nowhere", cwd=repo.path, input=line)
    assert command == "baseline"
    return keylatch("baseline", "create", "--history", "--file", str(tmp_path / "bl.json"), cwd=repo.path)


COMMANDS = ("history", "history-no-cache", "ci", "pre-push", "baseline")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("row", ROWS)
def test_a_damaged_repository_never_passes(
    make_repo: MakeRepo, home: Path, tmp_path: Path, keylatch: RunKeylatch, row: str, command: str
) -> None:
    import re

    d = ROWS[row](make_repo, home, tmp_path)
    r = run_command(keylatch, command, d, tmp_path)

    if row == "shallow" and command == "pre-push":
        # What a shallow clone can push is all here: its boundary commit's tree holds the key.
        assert r.code == 1 and "conf.env" in r.out, r
        return
    assert r.code == 3, r
    *_, last = r.err.splitlines()
    assert last.startswith("keylatch: error: ") and re.search(d.says, last), r.err
    # Advice names only flags this command has (`baseline` once suggested history's --allow-shallow).
    assert foreign_flags(command.split("-no-")[0], r.err) == []
    assert "Traceback" not in r.err
    assert not (tmp_path / "bl.json").exists()  # no baseline written from a partial view


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_staged_with_a_damaged_staged_blob(make_repo: MakeRepo, keylatch: RunKeylatch, damage: str) -> None:
    p = history_with_key(make_repo())
    p.repo.write("new.env", f"OPENAI_API_KEY={make_key('sk-proj-', seed=83)}\n")
    p.repo.git("add", "new.env")
    oid = p.repo.git("rev-parse", ":new.env")
    (drop_loose if damage == "missing" else corrupt_loose)(p.repo, oid)

    r = keylatch("staged", cwd=p.repo.path)

    assert r.code == 3 and r.err.startswith("keylatch: error: ") and oid[:12] in r.err, r


def test_staged_with_head_tree_missing(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    p = history_with_key(make_repo())
    p.repo.write("d/y.txt", "y\n")
    p.repo.git("add", "d/y.txt")
    head_tree = p.repo.git("rev-parse", "HEAD^{tree}")
    drop_loose(p.repo, head_tree)

    r = keylatch("staged", cwd=p.repo.path)

    assert r.code == 3 and r.err.startswith("keylatch: error: "), r


@pytest.mark.parametrize("command", ["history", "ci", "pre-push"])
def test_a_tree_two_thousand_levels_deep_is_scanned(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, command: str
) -> None:
    repo = make_repo()
    _, base, head = deep_tree(repo)
    d = Damaged(Planted(repo, "", (base, base, head), "", "", ""), "")

    r = run_command(keylatch, command, d, tmp_path)

    assert r.code == 1, r
    assert "RecursionError" not in r.err and DEEP_PATH[-40:] in r.out + r.err


def test_a_bare_repository_without_config_is_scanned(
    make_repo: MakeRepo, home: Path, tmp_path: Path, keylatch: RunKeylatch
) -> None:
    p = history_with_key(make_repo())
    bare = tmp_path / "bare.git"
    clone(home, "--bare", str(p.repo.path), str(bare))
    (bare / "config").unlink()

    r = keylatch("history", "--format", "json", str(bare))

    assert r.code == 1, r
    assert p.commits[1] in r.out and "conf.env" in r.out
