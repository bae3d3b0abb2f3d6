"""Checked-out submodules, for `keylatch history --recurse-submodules`.

A submodule's commits live in its own repository; the parent only records their ids (gitlinks),
which the history walker reports as skipped. Submodules that are checked out can be scanned as
repositories of their own; their findings' paths get the submodule's path as a prefix.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from keylatch.history.model import HistoryResult
from keylatch.sources.gitcmd import Git


def checked_out(root: Path) -> list[str]:
    """Paths of the index's gitlinks that have a repository checked out at that path."""
    out = Git(root).run("ls-files", "--stage", "-z")
    subs = []
    for entry in out.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        if meta.startswith(b"160000 "):
            rel = path.decode("utf-8", "surrogateescape")
            if (root / rel / ".git").exists():
                subs.append(rel)
    return sorted(subs)


def combine(outer: HistoryResult, inner: HistoryResult, prefix: str) -> HistoryResult:
    moved = tuple(
        dataclasses.replace(
            k, locations=tuple(dataclasses.replace(o, path=prefix + o.path if o.path else o.path) for o in k.locations)
        )
        for k in inner.findings
    )
    return dataclasses.replace(
        outer,
        findings=outer.findings + moved,
        commits=outer.commits + inner.commits,
        blobs=outer.blobs + inner.blobs,
        bytes=outer.bytes + inner.bytes,
        seconds=outer.seconds + inner.seconds,
        cached_blobs=outer.cached_blobs + inner.cached_blobs,
        missing_blobs=outer.missing_blobs + inner.missing_blobs,
        unreachable_keys=outer.unreachable_keys + inner.unreachable_keys,
        gitlinks=outer.gitlinks + inner.gitlinks,
        lfs_pointers=outer.lfs_pointers + inner.lfs_pointers,
        shallow_boundary=outer.shallow_boundary + inner.shallow_boundary,
        submodules=(*outer.submodules, prefix.rstrip("/"), *inner.submodules),
        unread=outer.unread
        + tuple(dataclasses.replace(u, path=prefix + u.path if u.path else u.path) for u in inner.unread),
        damaged=outer.damaged
        + tuple(dataclasses.replace(d, places=tuple((prefix + p, c) for p, c in d.places)) for d in inner.damaged),
    )
