"""scan_history on damaged repositories: a missing or unreadable object is never "clean".

The whole-history walk reads objects from the object store's own listing, so an object that is
gone is never asked for; the walk must still notice that a commit needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from keylatch.errors import ScanError, UsageError
from keylatch.history import WHOLE_HISTORY, scan_history
from keylatch.sources.repo import inspect
from tests.helpers.damaged import (
    DEEP_PATH,
    Planted,
    corrupt_loose,
    deep_tree,
    drop_from_pack,
    drop_loose,
    forget_promisor,
    history_with_key,
    missing_count,
    partial_clone,
)
from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.history import only, where

MakeRepo = Callable[..., GitRepo]


def whole(p: Planted) -> tuple[str, ...]:
    return WHOLE_HISTORY


def key_range(p: Planted) -> tuple[str, ...]:
    return (f"{p.commits[0]}..HEAD",)


SCOPES = {"whole": whole, "range": key_range}


@pytest.fixture(scope="module")
def keyed_template(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    root = tmp_path_factory.mktemp("keyed")
    (root / "home").mkdir()
    return history_with_key(GitRepo.init(root / "repo", root / "home"))


@pytest.fixture
def keyed(keyed_template: Planted, tmp_path: Path, home: Path) -> Planted:
    """history_with_key's repository, built once per module: each test damages its own copy."""
    copy_tree(keyed_template.repo.path, tmp_path / "repo")
    return replace(keyed_template, repo=GitRepo(tmp_path / "repo", git_env(home)))


DROPS = {"loose": drop_loose, "packed": drop_from_pack}


@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("how", DROPS)
@pytest.mark.parametrize("which", ["key_blob", "clean_blob"])
def test_a_missing_blob_is_damage_with_its_count(keyed: Planted, which: str, how: str, scope: str, cache: bool) -> None:
    p = keyed
    oid = getattr(p, which)
    DROPS[how](p.repo, oid)

    with pytest.raises(ScanError, match=rf"damaged: 1 blob .*missing.*\(first: {oid[:12]}") as err:
        scan_history(p.repo.path, SCOPES[scope](p), use_cache=cache)
    assert "\n" not in str(err.value)


def test_every_missing_blob_is_counted(keyed: Planted) -> None:
    p = keyed
    for oid in (p.key_blob, p.clean_blob):
        drop_loose(p.repo, oid)
    with pytest.raises(ScanError, match=r"damaged: 2 blobs .*missing.*git fsck"):
        scan_history(p.repo.path)


def test_a_blob_lost_after_a_cached_scan_is_still_noticed(keyed: Planted) -> None:
    p = keyed
    assert only(scan_history(p.repo.path)).secret.value == p.key  # fills both caches
    drop_loose(p.repo, p.key_blob)
    with pytest.raises(ScanError, match=f"damaged: 1 blob .*{p.key_blob[:12]}"):
        scan_history(p.repo.path)


@pytest.mark.parametrize("which", ["key_blob", "clean_blob"])
def test_a_blob_lost_after_two_cached_scans_is_still_noticed(keyed: Planted, which: str) -> None:
    """No ref moves when an object is lost: the log cache (keyed by the refs) once let a second
    scan skip the log and with it the presence check, and a lost clean blob passed as clean."""
    p = keyed
    for _ in range(2):  # the second run reads both caches
        assert only(scan_history(p.repo.path)).secret.value == p.key
    drop_loose(p.repo, getattr(p, which))
    with pytest.raises(ScanError, match=f"damaged: 1 blob .*{getattr(p, which)[:12]}"):
        scan_history(p.repo.path)


@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize(
    ("how", "damage"), [("loose", drop_loose), ("packed", drop_from_pack), ("corrupt", corrupt_loose)]
)
def test_report_damage_returns_the_rest(
    keyed: Planted, scope: str, cache: bool, how: str, damage: Callable[[GitRepo, str], None]
) -> None:
    """With report_damage the walk goes on: every key it could read, each lost object once with
    the places that need it, and an incomplete result."""
    from keylatch.rules.synthetic import make_key

    p = keyed
    other = make_key("sk-proj-", seed=87)
    p.repo.write("later.env", f"OPENAI_API_KEY={other}\n")
    later = p.repo.commit("later")
    damage(p.repo, p.key_blob)

    result = scan_history(p.repo.path, SCOPES[scope](p), use_cache=cache, report_damage=True)

    assert where(only(result)) == [(later, "later.env", 1)]
    (lost,) = result.damaged
    assert (lost.oid, lost.kind, lost.places, lost.needed) == (p.key_blob, "blob", (("conf.env", p.commits[1]),), 1)
    assert not result.complete and result.failed


def test_promisor_packs_without_partial_clone_config_are_damage(
    make_repo: MakeRepo, home: Path, tmp_path: Path
) -> None:
    p = partial_clone(make_repo, home, tmp_path, "promisor")
    forget_promisor(p.repo)
    assert not inspect(p.repo.path).partial
    missing = missing_count(p.repo)

    for allow in (False, True):  # --allow-partial is for partial clones, not for damage
        with pytest.raises(ScanError, match=rf"damaged: {missing} blobs .*missing") as err:
            scan_history(p.repo.path, allow_partial=allow)
        assert "partial clone" not in str(err.value)


def test_a_partial_clone_keeps_its_own_rule(make_repo: MakeRepo, home: Path, tmp_path: Path) -> None:
    p = partial_clone(make_repo, home, tmp_path, "partial")
    missing = missing_count(p.repo)

    with pytest.raises(ScanError, match=f"partial clone and {missing} blob"):
        scan_history(p.repo.path)
    result = scan_history(p.repo.path, allow_partial=True)
    assert result.missing_blobs == missing and not result.complete


@pytest.mark.parametrize("scope", SCOPES)
def test_a_corrupt_loose_object_is_named(keyed: Planted, scope: str) -> None:
    p = keyed
    corrupt_loose(p.repo, p.key_blob)

    with pytest.raises(ScanError, match=f"damaged: .*unreadable.*{p.key_blob}") as err:
        scan_history(p.repo.path, SCOPES[scope](p), use_cache=False)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize(("lost", "kind"), [("subtree", "tree"), ("commits", "commit")])
def test_a_missing_tree_or_commit_is_named(keyed: Planted, scope: str, lost: str, kind: str) -> None:
    p = keyed
    oid = p.subtree if lost == "subtree" else p.commits[1]
    revs = SCOPES[scope](p)
    drop_loose(p.repo, oid)

    with pytest.raises(ScanError, match=f"damaged: {kind} {oid[:12]}.*missing or unreadable.*git fsck"):
        scan_history(p.repo.path, revs)


def test_a_tree_two_thousand_levels_deep_is_scanned(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key, _, head = deep_tree(repo)

    for revs in (WHOLE_HISTORY, ("main",)):
        k = only(scan_history(repo.path, revs))
        assert k.secret.value == key and where(k) == [(head, DEEP_PATH, 1)]


def test_a_bare_repository_without_config_is_still_a_repository(keyed: Planted, home: Path, tmp_path: Path) -> None:
    from tests.helpers.damaged import clone

    p = keyed
    bare = tmp_path / "bare.git"
    clone(home, "--bare", str(p.repo.path), str(bare))
    (bare / "config").unlink()  # git still accepts it: HEAD, objects/ and refs/ make a repository

    state = inspect(bare)
    assert state.bare and state.git_dir == bare
    assert where(only(scan_history(bare))) == [(p.commits[1], "conf.env", 1)]


def test_not_a_repository_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=f"not a git repository: {tmp_path}"):
        inspect(tmp_path)
