"""A commit-graph that lies × the commands that walk commits (QA t-qa19).

`.git/objects/info/commit-graph` is a cache git trusts instead of reading a commit: its parents
and its root tree. A repository handed over for an audit can carry one that lies (clone and
fetch never transfer it, so only a copied repository has one). Before the fix a graph that cut
the parent of the commit after the key, or gave the key's commit another commit's tree, made
`history` and `ci --range` report no key, exit 0, while `git -c core.commitGraph=false log`
shows it. keylatch now never reads the graph (sources/gitcmd.py SETTINGS).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1901)
_NO_PARENT = 0x70000000  # gitformat-commit-graph: "no parent" in CDAT


def _entries(graph: bytes) -> tuple[list[str], int]:
    """The graph's commit ids in order, and where its CDAT chunk starts."""
    chunks: dict[bytes, int] = {}
    for i in range(graph[6] + 1):  # the chunk table, with its terminating entry
        row = 8 + 12 * i
        chunks[graph[row : row + 4]] = struct.unpack(">Q", graph[row + 4 : row + 12])[0]
    oidl, cdat = chunks[b"OIDL"], chunks[b"CDAT"]
    return [graph[o : o + 20].hex() for o in range(oidl, cdat, 20)], cdat


def _lie(repo: GitRepo, edit: Callable[[bytearray, int, list[str], int], None], target: str) -> None:
    repo.git("commit-graph", "write", "--reachable")
    path = repo.path / ".git" / "objects" / "info" / "commit-graph"
    graph = bytearray(path.read_bytes())
    oids, cdat = _entries(bytes(graph))
    edit(graph, cdat + 36 * oids.index(target), oids, cdat)
    path.chmod(0o644)
    path.write_bytes(bytes(graph))


def _cut_parent(graph: bytearray, entry: int, oids: list[str], cdat: int) -> None:
    graph[entry + 20 : entry + 24] = struct.pack(">I", _NO_PARENT)


def _parents_tree(graph: bytearray, entry: int, oids: list[str], cdat: int) -> None:
    parent = cdat + 36 * struct.unpack(">I", graph[entry + 20 : entry + 24])[0]
    graph[entry : entry + 20] = graph[parent : parent + 20]


# (lie, which commit it is told about): the commit after the key loses its parent (the key's
# commit is no longer reachable), or the key's commit claims its parent's tree (no key in it).
LIES = {"cut-parent": (_cut_parent, "removed"), "parents-tree": (_parents_tree, "added")}


@pytest.fixture
def lying(make_repo: Callable[..., GitRepo]) -> Callable[[str], GitRepo]:
    def build(lie: str) -> GitRepo:
        repo = make_repo()
        repo.write("README", "clean\n")
        commits = {"root": repo.commit("root")}
        repo.write("settings.py", f'OPENAI_API_KEY = "{KEY}"\n')
        commits["added"] = repo.commit("add settings")
        (repo.path / "settings.py").unlink()
        commits["removed"] = repo.commit("remove settings")
        repo.write("README", "clean, again\n")
        commits["tip"] = repo.commit("tip")
        edit, which = LIES[lie]
        _lie(repo, edit, commits[which])
        fooled = repo.git("log", "-p", "main") != repo.git("-c", "core.commitGraph=false", "log", "-p", "main")
        assert fooled, "the planted graph must fool git itself, or the test proves nothing"
        return repo

    return build


@pytest.mark.parametrize("lie", sorted(LIES))
@pytest.mark.parametrize("command", ["history", "history --no-cache --branch main", "ci --range ROOT..main"])
def test_a_lying_commit_graph_hides_no_key(
    lie: str, command: str, lying: Callable[[str], GitRepo], keylatch: RunKeylatch
) -> None:
    repo = lying(lie)
    root = repo.git("-c", "core.commitGraph=false", "rev-list", "--max-parents=0", "main")
    args = [a.replace("ROOT", root) for a in command.split()]
    if args[0] == "history":
        args.append(str(repo.path))
    r = keylatch(*args, cwd=repo.path)
    assert r.code == 1, r.out + r.err
    assert "settings.py:1" in r.out
