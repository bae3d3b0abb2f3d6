"""Files as a commit holds them (the base of a CI range): tree entries, then blob contents.

    entries = entries_at(git, base, ["pyproject.toml", ".keylatch.yaml"])   # only those present
    both = entries_each(git, [base, head], paths)   # the same, for several commits in one process
    data = read_blobs(git, [e.oid for e in entries.values() if e.regular])

Hardened git like every call (sources/gitcmd.py): `ls-tree` and `cat-file --batch` run no
filter, textconv or other driver, so what is read is what the commit stores.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from keylatch.errors import ScanError, UsageError
from keylatch.sources.gitcmd import Git
from keylatch.sources.objects import read_batch, tree_entries


@dataclass(frozen=True, slots=True)
class Entry:
    mode: str  # "100644", "120000" (a symbolic link), "040000" (a directory), ...
    kind: str  # "blob", "tree" or "commit" (a submodule)
    oid: str

    @property
    def regular(self) -> bool:
        """A file git stores as content (not a link, directory or submodule)."""
        return self.kind == "blob" and self.mode in ("100644", "100755")


def _checked(paths: Sequence[str]) -> None:
    for p in paths:
        if "\n" in p or not p or p.startswith("/"):
            raise UsageError(f"cannot look up {p!r} in a commit")


def entries_at(git: Git, commit: str, paths: Sequence[str]) -> dict[str, Entry]:
    """The entries of `commit`'s tree at `paths` (repository-relative, `/`-separated) that exist."""
    _checked(paths)
    if not paths:
        return {}
    # --literal-pathspecs: a `*` in a directory name is a character, not a glob.
    out = git.run("--literal-pathspecs", "ls-tree", "-z", "--full-tree", commit, "--", *paths)
    wanted = set(paths)
    found: dict[str, Entry] = {}
    for rec in out.split(b"\0"):
        if not rec:
            continue
        meta, _, raw = rec.partition(b"\t")
        mode, kind, oid = meta.decode("ascii").split()
        path = raw.decode("utf-8", "surrogateescape")
        if path in wanted:  # ls-tree also lists a directory's entry when a path is inside it
            found[path] = Entry(mode, kind, oid)
    return found


def entries_each(git: Git, commits: Sequence[str], paths: Sequence[str]) -> dict[str, dict[str, Entry]]:
    """`entries_at` for each of `commits`, in one process where it can: the trees on the way to
    `paths` (the root, and each directory they lie in) read with one `cat-file --batch` and
    parsed here; that was one `ls-tree` per commit (ci's and pre-push's two ends).

    Anything but a plain, well-formed tree takes `entries_at`, one `ls-tree` per commit, for the
    answers and the errors it always gave: a name that is no commit id, a path with an empty,
    `.` or `..` component or a carriage return, a tree that is missing, damaged, out of git's
    order, has a duplicate name, a `/` in a name, or a mode git would rewrite."""
    _checked(paths)
    if not paths:
        return {c: {} for c in commits}
    found = _from_trees(git, commits, paths)
    if found is None:
        return {c: entries_at(git, c, paths) for c in commits}
    return found


_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# Tree entry modes as git writes them, as ls-tree spells them and what they hold. Any other
# (git canonicalises old or hostile ones when it reads a tree) goes to ls-tree.
_MODES = {b"100644": ("100644", "blob"), b"100755": ("100755", "blob"), b"120000": ("120000", "blob"),
          b"40000": ("040000", "tree"), b"160000": ("160000", "commit")}  # fmt: skip


def _from_trees(git: Git, commits: Sequence[str], paths: Sequence[str]) -> dict[str, dict[str, Entry]] | None:
    """entries_each's one process, or None where ls-tree must answer. Every request line is a
    checked commit id, then `^{tree}` or `:` and a checked path: none can be split or read as
    an option."""
    if not all(_ID.fullmatch(c) for c in commits):
        return None
    split = [p.split("/") for p in paths]
    if any("\r" in p for p in paths) or any(part in ("", ".", "..") for parts in split for part in parts):
        return None
    # Every directory on the way, each after its parent.
    dirs = list(dict.fromkeys("/".join(parts[:n]) for parts in split for n in range(len(parts))))
    try:
        objs = read_batch(git, [_tree_name(c, d) for c in commits for d in dirs])
    except ScanError:  # git could not read a tree on the way (damaged): ls-tree's words for it
        return None
    out: dict[str, dict[str, Entry]] = {}
    for c in commits:
        trees: dict[str, dict[str, Entry] | None] = {}  # None: no such directory in the commit
        for d in dirs:
            obj = objs.get(_tree_name(c, d))
            if d:
                parent, _, name = d.rpartition("/")
                above = trees[parent]
                entry = above.get(name) if above is not None else None
                if entry is None or entry.kind != "tree":
                    trees[d] = None  # as ls-tree, which finds nothing below a file or a link
                    continue
                if obj is None or obj.kind != b"tree" or _tree_id(obj.data, len(c)) != entry.oid:
                    return None
            elif obj is None or obj.kind != b"tree":
                return None  # no such commit, or its tree lost: ls-tree says which
            trees[d] = _parse_tree(obj.data, len(c) // 2)
            if trees[d] is None:
                return None
        at: dict[str, Entry] = {}
        for p, parts in zip(paths, split, strict=True):
            tree = trees["/".join(parts[:-1])]
            entry = tree.get(parts[-1]) if tree is not None else None
            # ls-tree walks into a directory another path lies in, and lists no entry for it.
            if entry is not None and not (entry.kind == "tree" and p in dirs):
                at[p] = entry
        out[c] = at
    return out


def _tree_name(commit: str, d: str) -> str:
    return f"{commit}:{d}" if d else f"{commit}^{{tree}}"


def _tree_id(data: bytes, width: int) -> str:
    """The id git gives a tree object holding `data` (a subtree read by path is the one its
    parent names)."""
    digest = hashlib.sha1 if width == 40 else hashlib.sha256
    return digest(b"tree %d\0" % len(data) + data).hexdigest()


def _parse_tree(data: bytes, width: int) -> dict[str, Entry] | None:
    """A tree object's entries by name, or None if it is not plain and well-formed."""
    entries: dict[str, Entry] = {}
    last = b""
    try:
        for mode, raw, oid in tree_entries(data, width):
            known = _MODES.get(mode)
            if known is None or not raw or b"/" in raw or len(oid) != width:
                return None
            # git's order: a directory's name sorts as if it ended in `/`; strictly increasing, so
            # no name twice (ls-tree's walk relies on the order to stop early).
            key = raw + (b"/" if known[1] == "tree" else b"\0")
            name = raw.decode("utf-8", "surrogateescape")
            if key <= last or name in entries:
                return None
            last = key
            entries[name] = Entry(known[0], known[1], oid.hex())
    except ValueError:  # an entry without its space or NUL
        return None
    return entries


def read_blobs(git: Git, oids: Iterable[str]) -> dict[str, bytes]:
    """Contents of the blobs `oids`, read with one `cat-file --batch`; a missing one is a
    ScanError (the repository is damaged: its tree names it)."""
    blobs: dict[str, bytes] = {}
    for oid, obj in read_batch(git, sorted(set(oids))).items():
        if obj is None or obj.kind != b"blob":
            raise ScanError(f"object {oid} is missing or not a file: the repository is damaged")
        blobs[oid] = obj.data
    return blobs
