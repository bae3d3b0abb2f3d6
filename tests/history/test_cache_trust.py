"""A history cache file that this user's keylatch did not write is not believed.

The caches live in the user's cache directory (history/cache.py: history_dir), but a cache
directory can be restored or shared too (a CI cache, a copied home). A forged
`clean-blobs-*.bin` could list the blob that holds a key as clean and hide it; a forged log
cache could rewrite attribution. Both carry a MAC under a per-user key (sources/cachekey.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.history import scan_history
from keylatch.history.cache import history_dir
from keylatch.rules.synthetic import make_key
from keylatch.sources import cachekey
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]
KEY = make_key("sk-proj-", seed=77)


def _forge_clean_blobs(repo: GitRepo, mac_key: bytes) -> None:
    """Rewrite the clean-blob cache so that it also lists the blob holding KEY, signed with `mac_key`."""
    (cache,) = history_dir(repo.path / ".git").glob("clean-blobs-*.bin")
    ids = cache.read_bytes()[cachekey.MAC_SIZE :]
    leaked = bytes.fromhex(repo.git("rev-parse", "HEAD:app.py"))
    ids = b"".join(sorted({ids[i : i + 20] for i in range(0, len(ids), 20)} | {leaked}))
    cache.write_bytes(cachekey.mac(mac_key, "clean-blobs", ids) + ids)


@pytest.fixture
def repo(make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "mine"))
    r = make_repo()
    r.write("README", "hello\n")
    r.write("app.py", f'OPENAI_API_KEY = "{KEY}"\n')
    r.commit("add app")
    assert len(scan_history(r.path).findings) == 1  # writes the caches
    return r


def test_a_clean_blob_cache_signed_by_someone_else_hides_nothing(repo: GitRepo, tmp_path: Path) -> None:
    theirs = cachekey.load_key({"XDG_CACHE_HOME": str(tmp_path / "theirs")})
    assert theirs is not None
    _forge_clean_blobs(repo, theirs)
    assert [k.secret.value for k in scan_history(repo.path).findings] == [KEY]


def test_the_same_forgery_under_this_users_key_would_hide_the_key(repo: GitRepo) -> None:
    # The control: the cache is really consulted, so the MAC is what protects the scan above.
    mine = cachekey.load_key(create=False)
    assert mine is not None
    _forge_clean_blobs(repo, mine)
    assert scan_history(repo.path).findings == ()


def test_a_log_cache_without_this_users_mac_is_ignored(repo: GitRepo) -> None:
    (log_file,) = history_dir(repo.path / ".git").glob("log-*.json")
    doc = json.loads(log_file.read_text())
    doc["changes"] = []  # no commit introduced anything: the key would have no place
    doc["mac"] = "00" * 32
    log_file.write_text(json.dumps(doc))
    (finding,) = scan_history(repo.path).findings
    assert [o.path for o in finding.locations] == ["app.py"]
