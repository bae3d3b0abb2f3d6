"""Damaged repositories, built for real in tmp_path: the ways a clone loses or breaks objects.

Each builder starts from `history_with_key` (three commits; the second adds a key in
`conf.env` and a subdirectory) and damages one thing. The shas are recorded before the damage,
since afterwards git may not be able to compute them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, git_env, replayed
from tests.helpers.run import Result

MakeRepo = Callable[..., GitRepo]


@dataclass(frozen=True)
class Planted:
    repo: GitRepo
    key: str
    commits: tuple[str, str, str]  # base, key, third: oldest first
    key_blob: str  # conf.env as the key commit added it
    subtree: str  # the key commit's tree `d`
    clean_blob: str  # d/x.txt, added with the key


def history_with_key(repo: GitRepo) -> Planted:
    key = make_key("sk-proj-", seed=81)
    # Built once per session and copied into each fresh repository (tests/helpers/gitrepo.py).
    return Planted(repo, key, *replayed(repo, _keyed))


# A file 2,000 directories deep: deeper than any recursion a reader could afford per level.
DEEP_PATH = "/".join(["d"] * 2000) + "/k.env"


def deep_tree(repo: GitRepo) -> tuple[str, str, str]:
    """`main` is a commit, then one that adds a key at DEEP_PATH; returns the key, the two
    commits. git fast-import writes it (no checkout, no file system limits) once per session;
    each fresh repository gets a copy (~100 ms of fast-import each time, mostly system time)."""
    key = make_key("sk-proj-", seed=84)
    return key, *replayed(repo, _deep, key)


def _deep(repo: GitRepo, key: str) -> tuple[str, str]:
    repo.write("top.txt", "top\n")
    base = repo.commit("base")
    body = f"OPENAI_API_KEY={key}\n"
    repo.git(
        "fast-import", "--quiet",
        input=f"commit refs/heads/main\ncommitter A <a@example.test> 1700000000 +0000\ndata 5\ndeep\n"
        f"from {base}\nM 100644 inline {DEEP_PATH}\ndata {len(body)}\n{body}\n",
    )  # fmt: skip
    return base, repo.git("rev-parse", "main")


def _keyed(repo: GitRepo) -> tuple[tuple[str, str, str], str, str, str]:
    repo.write("a.txt", "hello\n")
    base = repo.commit("base", date="2024-01-01T12:00:00Z")
    repo.write("conf.env", f"OPENAI_API_KEY={make_key('sk-proj-', seed=81)}\n")
    repo.write("d/x.txt", "x\n")
    keyed = repo.commit("add settings", author="bob", date="2024-01-02T12:00:00Z")
    repo.write("b.txt", "b\n")
    third = repo.commit("third", date="2024-01-03T12:00:00Z")
    # One rev-parse for the three objects (it prints one line per argument, in order).
    blob, subtree, clean = repo.git("rev-parse", f"{keyed}:conf.env", f"{keyed}:d", f"{keyed}:d/x.txt").split()
    return (base, keyed, third), blob, subtree, clean


def _keyed_then_intact(repo: GitRepo) -> tuple[tuple[str, str, str], str, str, str]:
    made = _keyed(repo)
    _add_intact(repo)
    return made


def loose_path(repo: GitRepo, oid: str) -> Path:
    return repo.path / ".git" / "objects" / oid[:2] / oid[2:]


def drop_loose(repo: GitRepo, oid: str) -> None:
    """Delete a loose object, as a bad disk or a careless `rm` would."""
    path = loose_path(repo, oid)
    path.chmod(0o644)
    path.unlink()


def corrupt_loose(repo: GitRepo, oid: str) -> None:
    path = loose_path(repo, oid)
    path.chmod(0o644)
    path.write_bytes(b"this is not zlib data")


def drop_from_pack(repo: GitRepo, oid: str) -> None:
    """Pack everything, then rebuild the pack without `oid` (nothing loose is left)."""
    repo.git("repack", "-adq")
    repo.git("prune-packed")
    pack_dir = repo.path / ".git" / "objects" / "pack"
    old = list(pack_dir.glob("pack-*"))
    listing = repo.git("rev-list", "--objects", "--all").splitlines()
    keep = [line.split()[0] for line in listing if not line.startswith(oid)]
    assert len(keep) == len(listing) - 1
    repo.git("pack-objects", "-q", str(pack_dir / "pack"), input="\n".join(keep) + "\n")
    for p in old:
        p.chmod(0o644)
        p.unlink()


def clone(home: Path, *args: str) -> None:
    subprocess.run(["git", "clone", "-q", *args], env=git_env(home), check=True, capture_output=True)


def partial_clone(make_repo: MakeRepo, home: Path, tmp_path: Path, name: str) -> Planted:
    """A blob:none clone of a history_with_key repository: every blob but HEAD's is missing
    (`--no-checkout` keeps even those out)."""
    src = history_with_key(make_repo(f"{name}-src"))
    src.repo.git("config", "uploadpack.allowFilter", "true")
    dst = tmp_path / name
    clone(home, "--filter=blob:none", "--no-checkout", f"file://{src.repo.path}", str(dst))
    repo = GitRepo(dst, src.repo.env)
    return Planted(repo, src.key, src.commits, src.key_blob, src.subtree, src.clean_blob)


def forget_promisor(repo: GitRepo) -> None:
    """Keep the `.promisor` packs but drop the config that makes the clone partial: git no longer
    treats the missing blobs as fetchable, so they are damage."""
    for name in ("remote.origin.promisor", "extensions.partialClone", "remote.origin.partialclonefilter"):
        repo.git("config", "--unset", name, check=False)
    assert list((repo.path / ".git" / "objects" / "pack").glob("*.promisor"))


def missing_count(repo: GitRepo) -> int:
    out = repo.git("rev-list", "--objects", "--all", "--missing=print")
    return sum(1 for line in out.splitlines() if line.startswith("?"))


INTACT = make_key("sk-proj-", seed=85)


def with_intact_key(repo: GitRepo) -> Planted:
    """history_with_key, then a fourth commit adding `intact.env` with another key (INTACT)
    that no damage touches."""
    key = make_key("sk-proj-", seed=81)
    return Planted(repo, key, *replayed(repo, _keyed_then_intact))


def packed_then_intact(repo: GitRepo) -> tuple[Planted, Path]:
    """history_with_key's three commits in one pack (its index returned), then the INTACT commit
    loose after it: damage to the pack leaves the intact key readable."""
    p = history_with_key(repo)
    idx = pack_all(repo)
    _add_intact(repo)
    return p, idx


def _add_intact(repo: GitRepo) -> None:
    repo.write("intact.env", f"OPENAI_API_KEY={INTACT}\n")
    repo.commit("intact", date="2024-01-04T12:00:00Z")


def pack_all(repo: GitRepo) -> Path:
    """Everything in one pack, nothing loose: the pack's index."""
    repo.git("repack", "-adq")
    repo.git("prune-packed")
    (idx,) = (repo.path / ".git" / "objects" / "pack").glob("pack-*.idx")
    return idx


def corrupt_index(idx: Path) -> None:
    """Overwrite the fan-out table of a pack index: git can read nothing in that pack."""
    idx.chmod(0o644)
    data = bytearray(idx.read_bytes())
    data[20:40] = b"\xff" * 20
    idx.write_bytes(bytes(data))


def ghost_ref(repo: GitRepo, name: str = "refs/heads/ghost") -> str:
    """A ref naming an object the repository never had (a lost file, a botched restore)."""
    oid = "1234567890" * 4
    path = repo.path / ".git" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(oid + "\n")
    return oid


def damage_line(r: Result) -> str:
    """The run's last line, checked to be the damage error that exits 3 and points at `git
    fsck` (every command that reads history ends so on a damaged repository)."""
    assert r.code == 3, r
    *_, last = r.err.splitlines()
    assert last.startswith("keylatch: error: ") and "damaged" in last and "git fsck" in last, r.err
    return last


@dataclass(frozen=True)
class Broken:
    """A repository damaged after its keys were planted, and the object a report must name."""

    planted: Planted
    named: str
    in_range: bool = True  # the damage is inside base..HEAD (a ref elsewhere is not)


def lost_tree(repo: GitRepo) -> Broken:
    """The tree holding the keyed file lost (a loose object deleted)."""
    p = with_intact_key(repo)
    drop_loose(repo, p.subtree)
    return Broken(p, p.subtree)


def lost_commit(repo: GitRepo) -> Broken:
    """The commit after the keyed one lost: the intact commit's parent."""
    p = with_intact_key(repo)
    drop_loose(repo, p.commits[1])
    return Broken(p, p.commits[1])


def corrupt_pack_index(repo: GitRepo) -> Broken:
    """The first three commits packed, the pack's index corrupt; the intact commit loose."""
    p, idx = packed_then_intact(repo)
    corrupt_index(idx)
    return Broken(p, p.commits[2])
