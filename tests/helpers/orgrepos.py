"""Small repositories for the organisation tests: each a real git repository in tmp_path, some
holding synthetic keys (one shared by several repositories), cloned over file:// URLs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, replayed

SHARED = ("sk-proj-", 31)


def build(
    make_repo: Callable[..., GitRepo], names: list[str], keyed: dict[str, list[tuple[str, int]]]
) -> dict[str, str]:
    """Repositories `names` (slashes allowed), `keyed[name]` the (kind, seed) keys each commits;
    returns name -> file:// URL. A key is committed, then removed, in odd-numbered repositories,
    so both "still present" and "history only" occur."""
    urls = {}
    for i, name in enumerate(names):
        repo = make_repo("hosted/" + name)
        keys = tuple(keyed.get(name, []))
        for kind, seed in keys:
            make_key(kind, seed=seed)  # this test's keys, whether or not the repository is a copy
        replayed(repo, _hosted, name, keys, i)  # built once per session, copied per test
        urls[name] = Path(repo.path).as_uri()
    return urls


def _hosted(repo: GitRepo, name: str, keys: tuple[tuple[str, int], ...], i: int) -> None:
    repo.write("README.md", f"# {name}\n")
    repo.commit("start", date="2024-01-01T12:00:00Z")
    for j, (kind, seed) in enumerate(keys):
        repo.write(f"conf/app{j}.env", f"OPENAI_API_KEY={make_key(kind, seed=seed)}\n")
        repo.commit(f"config {j}", date=f"2024-02-{i % 27 + 1:02d}T12:00:00Z")
        if i % 2:
            repo.write(f"conf/app{j}.env", "OPENAI_API_KEY=\n")
            repo.commit(f"unset {j}", date=f"2024-03-{i % 27 + 1:02d}T12:00:00Z")
