"""The attribution cache: what `git log --raw` said about the key-holding blobs, per ref state.

A second whole-history scan of an unchanged repository needs no `git log` at all: if every ref
(and every worktree's HEAD) points where it did, the reachable commits are the same, and if the
same blobs hold keys, the same log lines matter. The entry stores commit ids, paths and blob
ids, never a secret; it lives next to the blob cache in the user's cache directory
(history/cache.py: history_dir) and is best effort.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keylatch.history.cache import history_dir, make_dir
from keylatch.history.rawlog import Change, CommitChanges, LogDigest
from keylatch.sources import cachekey
from keylatch.sources.gitcmd import Git

log = logging.getLogger(__name__)
# 2: an entry is saved only after every blob the log names was found present (history.py), so
# entries written before that check existed must not let a damaged repository skip it.
# 3: an entry carries a MAC under this user's key (sources/cachekey.py).
# 4: the key covers the object store's state (_store_state): an object lost since the entry was
# written (no ref moved) must not let the scan skip the log and its presence check.
# 5: an entry carries the added paths that may hold a key (rawlog.LogDigest.paths): a warm run
# must report a key in a name as the cold run did.
_FORMAT = 5
_PURPOSE = "log"


def _signed(doc: dict[str, Any]) -> bytes:
    return json.dumps({k: v for k, v in doc.items() if k != "mac"}, sort_keys=True, separators=(",", ":")).encode()


def _store_state(objects: Path) -> bytes:
    """The object store's fan-out directories and packs with their mtimes, without a process:
    deleting a loose object changes its directory's mtime, a repack the pack names. Adding an
    object changes it too (the log then runs once more): the price of never skipping the check."""
    out = []
    for d in (objects, objects / "pack"):
        try:
            with os.scandir(d) as it:
                out += [f"{e.name} {e.stat(follow_symlinks=False).st_mtime_ns}" for e in it]
        except OSError:
            out.append(f"{d.name} unreadable")
    return "\n".join(sorted(out)).encode()


def _heads(common_dir: Path, git: Git, head: str | None) -> bytes:
    """Where every worktree's HEAD is (`git log --all` walks each, a detached one too). A
    repository with no linked worktree (nothing under `worktrees/`, where git keeps them) has one
    HEAD, the one inspect already resolved: no `worktree list` process. Anything else (linked
    worktrees, a `worktrees` git may read differently from us) asks git, as before."""
    try:
        with os.scandir(common_dir / "worktrees") as entries:
            linked = any(True for _ in entries)
    except FileNotFoundError:
        linked = False
    except OSError:  # not a directory, unreadable: git's word, not a guess
        linked = True
    if linked:
        return git.run("worktree", "list", "--porcelain")
    return b"\0HEAD " + (head or "-").encode("ascii")


@dataclass(frozen=True, slots=True)
class LogCache:
    path: Path
    key: str

    @classmethod
    def open(
        cls,
        common_dir: Path,
        git: Git,
        rules_id: str,
        walk: Sequence[str],
        shallow: Sequence[str],
        head: str | None,
        refs: bytes | None = None,
    ) -> LogCache:
        """`head`: HEAD's commit as inspect (sources/repo.py) resolved it, None when unborn.
        `refs`: every ref where it points, as history/direct.py `ref_listing` lists them (the
        scan's one listing); None lists them here."""
        h = hashlib.sha256(repr((_FORMAT, rules_id, tuple(walk), tuple(shallow))).encode())
        if refs is not None:
            h.update(b"typed\0" + refs)
        else:
            h.update(b"names\0" + git.run("for-each-ref", "--format=%(objectname) %(refname)"))
        h.update(_heads(common_dir, git, head))
        h.update(_store_state(common_dir / "objects"))
        return cls(history_dir(common_dir) / f"log-{rules_id}.json", h.hexdigest())

    def _doc(self) -> dict[str, Any] | None:
        try:
            doc = json.loads(self.path.read_text(encoding="ascii"))
        except (OSError, ValueError):
            return None
        if not isinstance(doc, dict) or doc.get("key") != self.key or not isinstance(doc.get("mac"), str):
            return None
        # Written by this user's keylatch, or not believed: a forged entry could hide attribution.
        key = cachekey.load_key(create=False)
        try:
            tag = bytes.fromhex(doc["mac"])
        except ValueError:
            return None
        return doc if key is not None and cachekey.verify(key, _PURPOSE, _signed(doc), tag) else None

    def fresh(self) -> bool:
        """True when an entry for this exact ref state exists (the log can probably be skipped)."""
        return self._doc() is not None

    def load(self, keyed: Collection[bytes]) -> LogDigest | None:
        doc = self._doc()
        if doc is None or doc.get("keyed") != sorted(k.decode() for k in keyed):
            return None
        changes = tuple(
            (
                order,
                CommitChanges(sha.encode(), when, tuple(p.encode() for p in parents), ()),
                Change(bytes.fromhex(path), mode.encode(), new.encode(), tuple(o.encode() for o in olds)),
            )
            for order, sha, when, parents, path, mode, new, olds in doc["changes"]
        )
        paths = tuple(
            (order, CommitChanges(sha.encode(), when, tuple(p.encode() for p in parents), ()), bytes.fromhex(path))
            for order, sha, when, parents, path in doc["paths"]
        )
        return LogDigest(doc["commits"], doc["gitlinks"], changes, paths)

    def save(self, keyed: Collection[bytes], digest: LogDigest) -> None:
        doc = {
            "key": self.key,
            "keyed": sorted(k.decode() for k in keyed),
            "commits": digest.commits,
            "gitlinks": digest.gitlinks,
            "changes": [
                [order, c.sha.decode(), c.time, [p.decode() for p in c.parents], ch.path.hex(),
                 ch.mode.decode(), ch.new.decode(), [o.decode() for o in ch.olds]]
                for order, c, ch in digest.changes
            ],
            "paths": [
                [order, c.sha.decode(), c.time, [p.decode() for p in c.parents], path.hex()]
                for order, c, path in digest.paths
            ],
        }  # fmt: skip
        key = cachekey.load_key()
        if key is None:
            return
        doc["mac"] = cachekey.mac(key, _PURPOSE, _signed(doc)).hex()
        try:
            make_dir(self.path.parent)
            # Write then rename, and never leave the temporary file: an interrupted or failed
            # write must neither show half a document nor litter the cache directory.
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".log-")
            try:
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    json.dump(doc, fh)
                os.replace(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
        except OSError as exc:
            log.debug("attribution cache not written (%s)", exc)
