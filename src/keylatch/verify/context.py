"""Where to look for the endpoint of an Azure key: its own file, then (in git) its commit's files.

A Context maps a finding to texts, most relevant first, each with the key's line in it (0 when
the key is not in that text). Only Azure findings ask, so the cost is a few small reads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from keylatch.errors import ScanError
from keylatch.model import Finding
from keylatch.sources.gitcmd import Git, null_id
from keylatch.sources.objects import read_objects

log = logging.getLogger(__name__)

Context = Callable[[Finding], Iterator[tuple[bytes, int]]]

# A config file naming an endpoint is small; a commit's other files are read only up to these.
MAX_BYTES = 1 << 20
MAX_FILES = 200


def no_context(f: Finding) -> Iterator[tuple[bytes, int]]:
    return iter(())


def files(f: Finding) -> Iterator[tuple[bytes, int]]:
    """The file on disk the finding was reported in (`keylatch scan`)."""
    if f.location.commit or not f.location.path or f.location.path == "<stdin>":
        return
    try:
        with Path(f.location.path).open("rb") as fh:
            data = fh.read(MAX_BYTES)
    except OSError:
        return
    yield data, f.location.line


class Commits:
    """The blob a finding was read from, then the other files its commit added or changed."""

    def __init__(self, git: Git) -> None:
        self._git = git

    def __call__(self, f: Finding) -> Iterator[tuple[bytes, int]]:
        loc = f.location
        if loc.blob:
            for data in self._blobs([loc.blob]):
                yield data, loc.line
        if loc.commit:
            others = [b for b in self._changed(loc.commit) if b != loc.blob]
            for data in self._blobs(others[:MAX_FILES]):
                yield data, 0

    def _changed(self, commit: str) -> list[str]:
        # --root: a root commit lists its files too; merges list nothing (the endpoint came with
        # one of their parents, whose own commit is then the key's commit).
        try:
            out = self._git.run("diff-tree", "-r", "-z", "--no-commit-id", "--root", "--no-renames", commit, "--")
        except ScanError as exc:  # e.g. a submodule's commit, not in this repository
            log.debug("no files for commit %s: %s", commit[:12], exc)
            return []
        blobs = []
        for meta in out.split(b"\0")[::2]:
            fields = meta.decode("ascii", "replace").lstrip(":").split()
            if len(fields) >= 4 and fields[1] != "160000" and not null_id(fields[3]):
                blobs.append(fields[3])
        return blobs

    def _blobs(self, ids: list[str]) -> Iterator[bytes]:
        """Contents of the blobs among `ids` no larger than MAX_BYTES, in order."""
        if not ids:
            return
        sizes = self._git.run("cat-file", "--batch-check", input="".join(f"{b}\n" for b in ids).encode())
        small = []
        for line in sizes.splitlines():
            fields = line.split()
            if len(fields) == 3 and fields[1] == b"blob" and int(fields[2]) <= MAX_BYTES:
                small.append(fields[0].decode("ascii"))
        if not small:
            return
        got = read_objects(self._git, small)
        for blob in small:
            data = got.get(blob)
            if data is not None:
                yield data
