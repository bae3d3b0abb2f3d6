"""The whole-history blob stream: every blob and commit object the repository stores, in pack
order (the fastest read git offers), through the grep prefilter (history/grepfilter.py).

Objects the blob cache knows are clean are skipped; only objects holding a needle are read
again and handed to the engine. What the store lists but cannot read (a corrupt loose object
lists as "<id> missing") is damage, named here; what it does not list at all is checked
against the log afterwards (history/damage.py).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from keylatch.errors import ScanError
from keylatch.history.blobscan import OBJECT_KINDS, BlobScanner, Progress
from keylatch.history.cache import BlobCache
from keylatch.history.damage import damaged
from keylatch.history.grepfilter import Objects, candidates
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.objects import LFS_POINTER, stream_objects
from keylatch.sources.reaping import reaped

log = logging.getLogger(__name__)
_LISTING = "--batch-check=%(objecttype) %(objectname) %(objectsize)"


def scan_all(git: Git, scanner: BlobScanner, cache: BlobCache | None) -> None:
    """Every blob and commit object in the repository, minus those the cache knows are clean
    (a commit object is read for its message)."""
    todo = _listing(git, scanner, cache)
    progress = scanner.progress

    def report(blobs: int, nbytes: int) -> None:
        if progress is not None:
            progress(Progress(blobs, nbytes, time.monotonic() - scanner.started))

    hits = candidates(git, todo, (*scanner.prefilter(), LFS_POINTER), report)
    if hits is None:
        log.debug("grep prefilter unavailable or out of step: scanning every object in Python")
        stream_objects(git, (todo.oid(i) for i in range(len(todo))), scanner.visit, OBJECT_KINDS)
        return
    # Only objects holding a needle are read again and given to the engine.
    stream_objects(git, [todo.oid(i) for i in sorted(hits)], scanner.visit, OBJECT_KINDS)
    for i in range(len(todo)):
        if i in hits:
            continue
        if not todo.commits[i]:
            scanner.blobs += 1
            scanner.nbytes += todo.sizes[i]
        if cache is not None:
            cache.add_packed(todo.packed(i))


def _listing(git: Git, scanner: BlobScanner, cache: BlobCache | None) -> Objects:
    todo = Objects()
    unreadable: list[bytes] = []
    proc = git.popen("cat-file", "--batch-all-objects", _LISTING, "--unordered")
    assert proc.stdout is not None and proc.stderr is not None
    with proc, reaped(proc):  # killed first, then its pipes closed
        for line in proc.stdout:
            parts = line.split()
            if len(parts) != 3:
                # The object store lists it, but git cannot read its header: a corrupt object.
                if parts[1:] != [b"missing"]:
                    raise ScanError(f"git cat-file: unexpected output {line[:80]!r}")
                unreadable.append(parts[0])
                continue
            kind, oid, size = parts
            if kind not in OBJECT_KINDS:
                continue
            if cache is not None and oid in cache:
                scanner.cached += kind == b"blob"
            else:
                todo.add(oid, int(size), kind != b"blob")  # commits and tags: not counted as blobs
        err = proc.stderr.read()
    if proc.returncode != 0:
        raise ScanError(f"git cat-file: {first_line(err)}")
    if unreadable:
        raise damaged(git.repo or Path("."), len(unreadable), "object", "unreadable", min(unreadable))
    return todo
