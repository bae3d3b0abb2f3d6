"""The user's cache key: made once with mode 0600, reused, and a MAC under another key fails."""

from __future__ import annotations

import stat
from pathlib import Path

from keylatch.sources.cachekey import key_path, load_key, mac, verify


def test_the_key_is_made_once_private_and_reused(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    first = load_key(env)
    assert first is not None and len(first) == 32
    assert stat.S_IMODE(key_path(env).stat().st_mode) == 0o600
    assert load_key(env) == first


def test_a_mac_under_another_users_key_or_for_another_purpose_does_not_verify(tmp_path: Path) -> None:
    mine = load_key({"XDG_CACHE_HOME": str(tmp_path / "a")})
    theirs = load_key({"XDG_CACHE_HOME": str(tmp_path / "b")})
    assert mine is not None and theirs is not None and mine != theirs
    tag = mac(mine, "clean-blobs", b"ids")
    assert verify(mine, "clean-blobs", b"ids", tag)
    assert not verify(theirs, "clean-blobs", b"ids", tag)
    assert not verify(mine, "log", b"ids", tag)
    assert not verify(mine, "clean-blobs", b"ids!", tag)


def test_no_key_when_the_cache_directory_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert load_key({"XDG_CACHE_HOME": str(blocker)}) is None
