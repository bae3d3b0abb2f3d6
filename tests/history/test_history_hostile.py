"""A scanned repository is hostile: none of its configured programs may run, and replace refs
must not hide a key (`--no-replace-objects` everywhere)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from keylatch.history import WHOLE_HISTORY, scan_history
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.history import day, only, where
from tests.helpers.hostile import hostile_repo

MakeRepo = Callable[..., GitRepo]


def test_hostile_config_runs_nothing_and_replace_refs_hide_nothing(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo()
    key, real, marker = hostile_repo(repo, tmp_path)

    k = only(scan_history(repo.path, use_cache=False))
    only(scan_history(repo.path, [f"{real}~1..{real}"]))
    only(scan_history(repo.path, include_unreachable=True))

    assert k.secret.value == key
    assert where(k) == [(real, "settings.py", 2)]
    assert k.introduced.author_name == "Bob Example"
    assert not marker.exists(), marker.read_text()


def test_gitpython_discovery_is_hardened_too(make_repo: MakeRepo, tmp_path: Path) -> None:
    from keylatch.sources.discover import branch_ref, discover

    repo = make_repo()
    _, _, marker = hostile_repo(repo, tmp_path)
    sub = repo.path / "pkg"
    sub.mkdir()

    found, git = discover(sub)
    assert found.root == repo.path
    assert branch_ref(git, "main") == "refs/heads/main"
    assert not marker.exists()


def test_grafts_hide_no_key(make_repo: MakeRepo) -> None:
    """`.git/info/grafts` can cut the commit that added a key out of the history git shows;
    keylatch reads the real parents (GIT_GRAFT_FILE=/dev/null), in whole and range scans."""
    repo = make_repo()
    key = make_key("sk-proj-", seed=32)
    repo.write("README", "hi\n")
    base = repo.commit("init", date=day(1))
    repo.write("settings.py", f"KEY = '{key}'\n")
    real = repo.commit("settings", author="bob", date=day(2))
    repo.write("settings.py", "KEY = None\n")
    head = repo.commit("rotate", date=day(3))
    (repo.path / ".git" / "info" / "grafts").write_text(f"{head} {base}\n")
    assert key not in repo.git("log", "-p")  # plain git is fooled

    for revs in (WHOLE_HISTORY, (f"{base}..{head}",)):
        k = only(scan_history(repo.path, revs, use_cache=False))
        assert where(k) == [(real, "settings.py", 1)]
        assert k.introduced.author_name == "Bob Example"
