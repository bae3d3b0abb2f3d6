"""A pack git cannot read is skipped without a word: `cat-file --batch-all-objects` lists none of
its objects and exits 0. An object only that pack holds (here an unreachable blob with a key: no
commit asks for it, so no read fails) would go unscanned. Each such pack is named and the scan
exits 3 (history/damage.py unreadable_packs), in every command that reads history.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.damaged import INTACT, corrupt_index, damage_line, with_intact_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e
MakeRepo = Callable[..., GitRepo]
HIDDEN = make_key("sk-proj-", seed=86)


def hidden_pack(repo: GitRepo) -> tuple[Path, str]:
    """A healthy history (with_intact_key), plus a pack of its own holding one unreachable blob
    with a key: (the pack's index, the blob)."""
    with_intact_key(repo)
    blob = repo.git("hash-object", "-w", "--stdin", input=f"OPENAI_API_KEY={HIDDEN}\n")
    pack_dir = repo.path / ".git" / "objects" / "pack"
    pack_dir.mkdir(parents=True, exist_ok=True)
    name = repo.git("pack-objects", "-q", str(pack_dir / "pack"), input=blob + "\n")
    loose = repo.path / ".git" / "objects" / blob[:2] / blob[2:]
    loose.chmod(0o644)
    loose.unlink()
    return pack_dir / f"pack-{name}.idx", blob


def corrupt_fanout(idx: Path) -> str:
    corrupt_index(idx)
    return idx.name


def cut_index(idx: Path) -> str:
    idx.chmod(0o644)
    idx.write_bytes(idx.read_bytes()[:-30])
    return idx.name


def cut_pack(idx: Path) -> str:
    pack = idx.with_suffix(".pack")
    pack.chmod(0o644)
    pack.write_bytes(pack.read_bytes()[:-10])
    return pack.name


def lost_index(idx: Path) -> str:
    idx.chmod(0o644)
    idx.unlink()
    return idx.with_suffix(".pack").name


DAMAGE = {f.__name__: f for f in (corrupt_fanout, cut_index, cut_pack, lost_index)}
COMMANDS = ("history", "history-json", "baseline", "ci", "pre-push")


def run(keylatch: RunKeylatch, command: str, repo: GitRepo, tmp_path: Path) -> Result:
    if command == "history":
        return keylatch("history", "--no-cache", str(repo.path))
    if command == "history-json":
        return keylatch("history", "--no-cache", "--format", "json", str(repo.path))
    if command == "ci":
        return keylatch("ci", "--repo", str(repo.path), "--range", "HEAD~3..HEAD")
    if command == "pre-push":
        line = f"refs/heads/main {repo.git('rev-parse', 'HEAD')} refs/heads/main {'0' * 40}\n"
        return keylatch("pre-push", "backup", "file:///nowhere", cwd=repo.path, input=line)
    return keylatch("baseline", "create", "--history", "--file", str(tmp_path / "bl.json"), cwd=repo.path)


CASES = [(d, c) for d in DAMAGE for c in COMMANDS]


@pytest.mark.parametrize(("damage", "command"), CASES)
def test_an_unreadable_pack_is_named(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, damage: str, command: str
) -> None:
    repo = make_repo()
    idx, _ = hidden_pack(repo)
    named = DAMAGE[damage](idx)

    r = run(keylatch, command, repo, tmp_path)

    assert HIDDEN not in r.out + r.err and INTACT not in r.out + r.err and "Traceback" not in r.err
    damage_line(r)
    assert f"objects/pack/{named} is missing or unreadable" in r.out + r.err, r
    if command == "baseline":
        assert not (tmp_path / "bl.json").exists()
        return
    assert "intact.env" in r.out and f"...{INTACT[-4:]}" in r.out, r.out  # the rest is still reported
    if command == "history-json":
        doc = json.loads(r.out)
        assert doc["stats"]["complete"] is False
        assert f"objects/pack/{named}" in {d["object"] for d in doc["damaged"]}


def test_a_readable_pack_is_scanned_and_not_named(make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path) -> None:
    """The control: the same pack intact is read, its unreachable key reported, no damage."""
    repo = make_repo()
    hidden_pack(repo)

    r = run(keylatch, "history", repo, tmp_path)

    assert r.code == 1, r
    assert "1 more key only in objects no ref reaches" in r.out + r.err, r
    assert "damaged" not in r.out + r.err and "objects/pack" not in r.out + r.err


def test_an_oddly_named_pack_is_not_echoed(make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path) -> None:
    """A file name in objects/pack is untrusted: one git would not have made is named by a hash."""
    repo = make_repo()
    idx, _ = hidden_pack(repo)
    secret = make_key("sk-proj-", seed=87)
    odd = idx.with_name(f"{secret}\x1b[31m.pack")
    idx.with_suffix(".pack").rename(odd)

    r = run(keylatch, "history", repo, tmp_path)

    assert r.code == 3, r
    assert secret not in r.out + r.err and "\x1b" not in r.out + r.err
    assert "a .pack file named unlike git's packs, sha256 " in r.out + r.err, r
