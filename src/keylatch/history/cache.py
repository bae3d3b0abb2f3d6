"""The scanned-blob cache: ids of blobs already scanned and found clean, kept in the user's
cache directory, one directory per repository (`history_dir`).

Only clean blobs are remembered (a blob with a key is rescanned every time, so no secret and no
finding is ever stored). The file name carries a digest of the rules and keylatch's version, so
changing either starts from scratch. Writing is best effort: a read-only or absent cache
directory just means no cache. Blob ids never change meaning, so a stale entry cannot hide
anything. Nothing is written into the scanned repository: auditing someone else's clone leaves
it as it was (tests/history/test_cache_writes.py).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from keylatch import __version__
from keylatch.engine import BASE64_MARKERS
from keylatch.rules import Rule
from keylatch.sources import cachekey

log = logging.getLogger(__name__)

_PURPOSE = "clean-blobs"


def history_dir(common_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/keylatch/history/<repository>/`, next to the key that signs its files
    (sources/cachekey.py). A repository is its git directory's real path: two worktrees of one
    repository share the cache, two clones do not."""
    real = os.fsencode(os.path.realpath(common_dir))
    return cachekey.key_path(env).parent / "history" / hashlib.sha256(real).hexdigest()[:32]


def make_dir(path: Path) -> None:
    """Create a cache directory private to this user (OSError when it cannot be)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)


def rules_digest(rules: Sequence[Rule]) -> str:
    h = hashlib.sha256(__version__.encode())
    for r in rules:
        h.update(repr((r.id, r.pattern.pattern, r.keywords, r.anchored, r.base64)).encode())
        for pat in (r.file_context, r.line_context, r.line_exclude):
            h.update(b"\0" + (pat.pattern.encode() if pat is not None else b"-"))
    h.update(b"".join(BASE64_MARKERS))
    # Validators, decoders, the engine, and the readers that decide what a blob's text is (an
    # archive's members, a script's payload, a blob's first block) are code too: any edit to any
    # of them (a development install between releases) must invalidate what an older scan called
    # clean. A list of chosen modules went stale (sources/magic.py and history/blobscan.py once
    # decided what was read, outside it), so every module of the package counts, by its path in
    # the package, whatever its name.
    import keylatch as package

    if package.__file__:
        h.update(package_digest(Path(package.__file__).parent))
    return h.hexdigest()[:16]


def package_digest(root: Path) -> bytes:
    """A digest of every `.py` under `root`: each module's path in the package and its content."""
    h = hashlib.sha256()
    for rel, path, stat in _modules(root):
        h.update(rel.encode("utf-8", "surrogateescape") + b"\0" + _content_digest(path, stat))
    return h.digest()


# Per-process memo: a process that scans many histories (an org scan, the test suite's in-process
# runs) read and hashed all ~1.1 MB of the package for each (~3 ms). A module is read again only
# when its state changes, as Python's own bytecode cache judges a source file (size and mtime),
# and stricter: the inode (an editor's or pip's write-and-rename makes a new file) and the ctime,
# which every write sets and `os.utime` cannot set back. The value is a pure function of the
# file's bytes, so the memo can never answer for code that is not on disk: it only skips reading
# a file whose every stamp says it was not written since. Bounded: one entry per module state.
@functools.lru_cache(maxsize=2048)
def _content_digest(path: Path, stat: tuple[int, int, int, int, int]) -> bytes:
    del stat  # the key only: a changed stamp is a cache miss, which reads the file again
    return hashlib.sha256(path.read_bytes()).digest()


def _modules(root: Path) -> list[tuple[str, Path, tuple[int, int, int, int, int]]]:
    """(path in the package, path, its stamps) of every `.py` under `root`, sorted by the first
    (os.scandir, as os.walk: a third of Path.rglob's cost)."""
    found = []
    todo = [(root, "")]
    while todo:
        top, prefix = todo.pop()
        with os.scandir(top) as entries:
            for e in entries:
                if e.is_dir():
                    if not e.is_symlink():  # as os.walk: a linked directory is not entered
                        todo.append((Path(e.path), f"{prefix}{e.name}/"))
                elif e.name.endswith(".py"):
                    st = e.stat()
                    stamp = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
                    found.append((f"{prefix}{e.name}", Path(e.path), stamp))
    return sorted(found)


@dataclass(slots=True)
class BlobCache:
    """Clean object ids, kept as 20 raw bytes (git.git has ~470k: memory has a budget).
    Mutable, but local to one scan: never shared."""

    path: Path
    clean: set[bytes] = field(default_factory=set)
    added: bytearray = field(default_factory=bytearray)  # packed 20-byte ids

    @classmethod
    def load(cls, common_dir: Path, digest: str) -> BlobCache:
        """The clean ids kept for `digest` (rules_digest: computed once per scan, which also
        names the log cache)."""
        path = history_dir(common_dir) / f"clean-blobs-{digest}.bin"
        cache = cls(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cache
        except OSError as exc:
            log.debug("cache unreadable, scanning everything: %s", exc)
            return cache
        # The file is the MAC under this user's key, then the ids (sources/cachekey.py): a cache
        # file this user's keylatch did not write (copied in, a restored CI cache) is not believed.
        key = cachekey.load_key(create=False)
        tag, ids = raw[: cachekey.MAC_SIZE], raw[cachekey.MAC_SIZE :]
        if key is None or len(ids) % 20 or not cachekey.verify(key, _PURPOSE, ids, tag):
            log.debug("cache %s is damaged or was not written by this user, ignoring it", path)
            return cache
        cache.clean = {ids[i : i + 20] for i in range(0, len(ids), 20)}
        return cache

    def __contains__(self, oid: bytes) -> bool:
        """`oid` in ASCII hex, as git prints it."""
        return bytes.fromhex(oid.decode("ascii")) in self.clean

    def add(self, oids: Iterable[bytes]) -> None:
        for oid in oids:
            self.added += bytes.fromhex(oid.decode("ascii"))

    def add_packed(self, ids: bytes) -> None:
        self.added += ids

    def save(self) -> None:
        if not self.added:
            return
        # The ids in no order: load reads them into a set. Sorting git.git's 466k ids (and a
        # set of the new ones) was 0.5 s of CPU at the end of every cold scan (t-hist18). The
        # listing names an object once, and the cached ones are not read again, so the new
        # ids repeat neither themselves nor the old ones (a repeat would only cost 20 bytes).
        data = b"".join(self.clean) + bytes(self.added)
        key = cachekey.load_key()
        if key is None:
            log.debug("no cache key (see sources/cachekey.py): cache not written, scanning still complete")
            return
        data = cachekey.mac(key, _PURPOSE, data) + data
        try:
            make_dir(self.path.parent)
            # Write then rename: a concurrent or interrupted scan never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".clean-blobs-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
            # Old digests belong to other rule sets or versions; drop them.
            for old in self.path.parent.glob("clean-blobs-*.bin"):
                if old != self.path:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            log.debug("cache not written (%s): scanning still complete", exc)
