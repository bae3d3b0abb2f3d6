"""Files as a commit holds them (the base of a CI range): tree entries, then blob contents.

    entries = entries_at(git, base, ["pyproject.toml", ".keylatch.yaml"])   # only those present
    data = read_blobs(git, [e.oid for e in entries.values() if e.regular])

Hardened git like every call (sources/gitcmd.py): `ls-tree` and `cat-file --batch` run no
filter, textconv or other driver, so what is read is what the commit stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from keylatch.errors import ScanError, UsageError
from keylatch.sources.gitcmd import Git
from keylatch.sources.objects import read_batch


@dataclass(frozen=True, slots=True)
class Entry:
    mode: str  # "100644", "120000" (a symbolic link), "040000" (a directory), ...
    kind: str  # "blob", "tree" or "commit" (a submodule)
    oid: str
    size: int  # -1 unless a blob

    @property
    def regular(self) -> bool:
        """A file git stores as content (not a link, directory or submodule)."""
        return self.kind == "blob" and self.mode in ("100644", "100755")


def entries_at(git: Git, commit: str, paths: Sequence[str]) -> dict[str, Entry]:
    """The entries of `commit`'s tree at `paths` (repository-relative, `/`-separated) that exist."""
    for p in paths:
        if "\n" in p or not p or p.startswith("/"):
            raise UsageError(f"cannot look up {p!r} in a commit")
    if not paths:
        return {}
    # --literal-pathspecs: a `*` in a directory name is a character, not a glob.
    out = git.run("--literal-pathspecs", "ls-tree", "-l", "-z", "--full-tree", commit, "--", *paths)
    wanted = set(paths)
    found: dict[str, Entry] = {}
    for rec in out.split(b"\0"):
        if not rec:
            continue
        meta, _, raw = rec.partition(b"\t")
        mode, kind, oid, size = meta.decode("ascii").split()
        path = raw.decode("utf-8", "surrogateescape")
        if path in wanted:  # ls-tree also lists a directory's entry when a path is inside it
            found[path] = Entry(mode, kind, oid, int(size) if size != "-" else -1)
    return found


def read_blobs(git: Git, oids: Iterable[str]) -> dict[str, bytes]:
    """Contents of the blobs `oids`, read with one `cat-file --batch`; a missing one is a
    ScanError (the repository is damaged: its tree names it)."""
    blobs: dict[str, bytes] = {}
    for oid, obj in read_batch(git, sorted(set(oids))).items():
        if obj is None or obj.kind != b"blob":
            raise ScanError(f"object {oid} is missing or not a file: the repository is damaged")
        blobs[oid] = obj.data
    return blobs
