"""The user's own key for keylatch's caches in a git directory: a cache keylatch did not write is
never believed.

The history caches (`<git dir>/keylatch/`) say "these blobs are clean" and "this is what the log
said". A git directory can arrive whole from someone else (a tarball, a shared disk, a restored
CI cache), so its cache files are the sender's text: a forged clean-blob list would hide a key.
Each cache file therefore carries an HMAC-SHA256 under a random key that lives outside every
repository, in the user's cache directory (mode 0600). A file whose MAC does not verify under
this user's key is ignored, and the scan reads everything.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

MAC_SIZE = 32
_KEY_SIZE = 32


def key_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base) / "keylatch" / "cache.key"


def load_key(env: Mapping[str, str] | None = None, create: bool = True) -> bytes | None:
    """This user's cache key; made on first use. None when it can be neither read nor made:
    then no cache is believed and none is written."""
    path = key_path(env)
    try:
        data = path.read_bytes()
        if len(data) == _KEY_SIZE:
            return data
    except OSError:
        pass
    if not create:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # another scan made it first, or a damaged file: read it once more
        try:
            data = path.read_bytes()
        except OSError:
            return None
        return data if len(data) == _KEY_SIZE else None
    except OSError:
        return None
    key = secrets.token_bytes(_KEY_SIZE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


def mac(key: bytes, purpose: str, data: bytes) -> bytes:
    """The MAC of `data` for one kind of cache file (`purpose` keeps one kind from passing as another)."""
    return hmac.new(key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()


def verify(key: bytes, purpose: str, data: bytes, tag: bytes) -> bool:
    return hmac.compare_digest(mac(key, purpose, data), tag)
