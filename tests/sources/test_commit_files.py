"""sources/commit_files.py: a commit's entries at given paths, for several commits in one process
(`entries_each`, reading trees), checked against git's own `ls-tree` per commit (`entries_at`)."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable

import pytest

from keylatch.errors import ScanError, UsageError
from keylatch.sources import commit_files
from keylatch.sources.commit_files import entries_at, entries_each
from keylatch.sources.gitcmd import Git
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]

PATHS = [
    ".keylatch.yaml", ".keylatch.yml", "pyproject.toml", ".keylatch-baseline.json", "run.sh", "link.yaml",
    "sub/.keylatch.yaml", "sub/deeper/pyproject.toml", "sub/deeper/.keylatch-baseline.json", "file/x.yaml",
    "link/.keylatch.yaml", "mod", "mod/.keylatch.yaml", "sp ace/é.yaml", "missing/a/b.yaml", "sub",
]  # fmt: skip


def _write_object(repo: GitRepo, kind: str, data: bytes) -> str:
    """An object written as given (`--literally`: git's own checks would refuse a hostile tree)."""
    out = subprocess.run(["git", "hash-object", "--literally", "-w", "-t", kind, "--stdin"], cwd=repo.path,
                         env=repo.env, input=data, capture_output=True, check=True)  # fmt: skip
    return out.stdout.decode().strip()


def _tree(repo: GitRepo, entries: list[tuple[bytes, bytes, str]]) -> str:
    return _write_object(repo, "tree", b"".join(m + b" " + n + b"\0" + bytes.fromhex(o) for m, n, o in entries))


def _commit(repo: GitRepo, tree: str) -> str:
    return repo.git("commit-tree", "-m", "raw", tree)


def _two_commits(repo: GitRepo) -> tuple[str, str]:
    repo.write(".keylatch.yaml", "fail-on: high\n")
    repo.write("pyproject.toml", "[tool.other]\n")
    repo.write("run.sh", "echo\n")
    repo.write("sub/.keylatch.yaml", "fail-on: low\n")
    repo.write("sub/deeper/pyproject.toml", "[tool.keylatch]\n")
    repo.write("file", "not a directory\n")
    repo.write("sp ace/é.yaml", "x\n")
    (repo.path / "link.yaml").symlink_to(".keylatch.yaml")
    (repo.path / "link").symlink_to("sub")
    (repo.path / "run.sh").chmod(0o755)
    repo.git("add", "-A")
    base = repo.commit("base", add=False)
    repo.write("sub/deeper/.keylatch-baseline.json", "{}\n")
    repo.write(".keylatch.yaml", "fail-on: medium\n")
    (repo.path / "sub" / ".keylatch.yaml").unlink()
    repo.git("add", "-A")
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{base},mod")  # a submodule
    head = repo.commit("head", add=False)
    return base, head


@pytest.mark.parametrize("fmt", ["sha1", "sha256"])
def test_one_process_answers_as_ls_tree_does(make_repo: MakeRepo, fmt: str) -> None:
    repo = make_repo(*(("--object-format=sha256",) if fmt == "sha256" else ()))
    base, head = _two_commits(repo)
    git = Git(repo.path)
    both = entries_each(git, [base, head], PATHS)
    assert both == {base: entries_at(git, base, PATHS), head: entries_at(git, head, PATHS)}
    assert both[head]["mod"].kind == "commit" and both[head]["run.sh"].mode == "100755"
    assert both[base]["link.yaml"].mode == "120000" and not both[base]["link.yaml"].regular
    assert "link/.keylatch.yaml" not in both[base] and "file/x.yaml" not in both[base]
    assert both[base]["sp ace/é.yaml"].regular and "sub" not in both[base]  # as ls-tree: walked into
    alone = entries_each(git, [base, head], ["sub", "mod", "file"])
    assert alone == {c: entries_at(git, c, ["sub", "mod", "file"]) for c in (base, head)}
    assert alone[base]["sub"].kind == "tree" and "mod" not in alone[base]


def test_no_commits_and_no_paths(make_repo: MakeRepo) -> None:
    repo = make_repo()
    base, _ = _two_commits(repo)
    assert entries_each(Git(repo.path), [base], []) == {base: {}}
    with pytest.raises(UsageError, match="cannot look up"):
        entries_each(Git(repo.path), [base], ["a\nb"])


def _hostile(repo: GitRepo, how: str) -> str:
    """A commit whose tree git's reader takes another way than a plain parse would."""
    blob = _write_object(repo, "blob", b"fail-on: low\n")
    other = _write_object(repo, "blob", b"fail-on: high\n")
    plain = [(b"100644", b".keylatch.yaml", blob), (b"100644", b"pyproject.toml", other)]
    trees = {
        "unsorted": list(reversed(plain)),
        "a name twice": [plain[0], (b"100644", b".keylatch.yaml", other)],
        "an old mode": [(b"100664", b".keylatch.yaml", blob)],
        "a zero-padded mode": [(b"0100644", b".keylatch.yaml", blob)],
        "a slash in a name": [(b"100644", b"sub/.keylatch.yaml", blob)],
    }
    if how in trees:
        return _commit(repo, _tree(repo, trees[how]))
    sub = _tree(repo, plain)
    if how == "a lost subtree":
        lost = "1" * len(sub)
        return _commit(repo, _tree(repo, [(b"40000", b"sub", lost)]))
    assert how == "a truncated tree"
    return _commit(repo, _write_object(repo, "tree", b"100644 .keylatch.yaml\0" + bytes.fromhex(blob)[:5]))


@pytest.mark.parametrize(
    "how",
    [
        "unsorted",
        "a name twice",
        "an old mode",
        "a zero-padded mode",
        "a slash in a name",
        "a lost subtree",
        "a truncated tree",
    ],  # fmt: skip
)
def test_a_tree_that_is_not_plain_gets_ls_trees_answer(make_repo: MakeRepo, how: str) -> None:
    """Whatever ls-tree makes of it, answer or error, entries_each makes the same."""
    repo = make_repo()
    base, _ = _two_commits(repo)
    odd = _hostile(repo, how)
    git = Git(repo.path)
    paths = [".keylatch.yaml", "pyproject.toml", "sub/.keylatch.yaml"]
    try:
        expected: object = {base: entries_at(git, base, paths), odd: entries_at(git, odd, paths)}
    except ScanError as exc:
        with pytest.raises(ScanError) as got:
            entries_each(git, [base, odd], paths)
        assert str(got.value) == str(exc)
        return
    assert entries_each(git, [base, odd], paths) == expected


@pytest.mark.parametrize("name", ["HEAD", "main", "-n", "a" * 39, "missing"])
def test_a_name_that_is_no_commit_id_is_not_a_request_line(make_repo: MakeRepo, name: str) -> None:
    """Only checked commit ids become request lines of the one process; any other name is
    ls-tree's to answer, as before (or to refuse, with its own error)."""
    repo = make_repo()
    _two_commits(repo)
    git = Git(repo.path)
    try:
        expected = {name: entries_at(git, name, PATHS)}
    except ScanError as exc:
        with pytest.raises(ScanError, match=str(exc)[:20]):
            entries_each(git, [name], PATHS)
        return
    assert entries_each(git, [name], PATHS) == expected


def test_a_subtree_is_checked_against_its_parents_id() -> None:
    data = b"100644 a\0" + bytes(20)
    assert commit_files._tree_id(data, 40) == hashlib.sha1(b"tree %d\0" % len(data) + data).hexdigest()
    assert commit_files._parse_tree(data, 20) is not None
    assert commit_files._parse_tree(data[:-1], 20) is None
