"""Objects a ref reaches without any commit: a ref (a tag, mostly) on a blob or a tree.

`git tag keys <blob>` publishes that blob as refs/tags/keys (git/git publishes its maintainer's
key so, `junio-gpg-pub`). No commit holds it, so no log names it: a blob is scanned as content,
a tree as every blob under it (`ls-tree -r`; a gitlink names another repository's commit and is
skipped, as in every walk), and an annotated tag's message is read as any tag's
(history/tags.py). A key there is placed "(in no commit: reached directly by <name>)"
(history/attribute.py `_tagged`), by the name it was reached by: a ref, or what a push or a
range named (a push of `<sha>:refs/tags/x` has no local ref to list).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from keylatch.history.model import DamagedObject
from keylatch.sources.gitcmd import Git

KINDS = (b"blob", b"tree")


@dataclass(frozen=True, slots=True)
class Root:
    name: str  # the ref (or revision) that reaches it: untrusted, report/ escapes it
    kind: bytes  # b"blob" or b"tree": what `name` is, or tags
    oid: bytes  # that blob or tree (annotated tags peeled)


@dataclass(frozen=True, slots=True)
class Reached:
    """The blobs the roots reach, (blob, path in the tree or "", name), and the trees git could
    not list, (tree, name): the walk names those as damage (exit 3), never as clean."""

    blobs: tuple[tuple[bytes, str, str], ...]
    unreadable: tuple[tuple[bytes, str], ...] = ()


def peel(git: Git, named: Sequence[tuple[str, str]]) -> tuple[Root, ...]:
    """The (name, revision) pairs whose revision is, or tags, a blob or a tree. Any other
    (a commit, a tag of one, an object git lacks) is the commit walk's to read or to name."""
    named = [(name, rev) for name, rev in named if "\n" not in rev]  # one line per request
    if not named:
        return ()
    # The revision as named (`HEAD:README` cannot take a `^{}`), then each tag peeled.
    kinds = _check(git, [rev for _, rev in named])
    tags = [oid for kind, oid in kinds if kind == b"tag"]
    peeled = dict(zip(tags, _check(git, [f"{t.decode('ascii')}^{{}}" for t in tags]), strict=True))
    roots = []
    for (name, _), (kind, oid) in zip(named, kinds, strict=True):
        if kind == b"tag":
            kind, oid = peeled[oid]
        if kind in KINDS:
            roots.append(Root(name, kind, oid))
    return tuple(dict.fromkeys(roots))


def _check(git: Git, revs: Sequence[str]) -> list[tuple[bytes, bytes]]:
    """(type, id) of each revision; (b"", b"") for one git cannot find."""
    if not revs:
        return []
    fmt = "--batch-check=%(objecttype) %(objectname)"
    out = git.run("cat-file", fmt, input="".join(f"{r}\n" for r in revs).encode("utf-8", "surrogateescape"))
    rows = [row.split(b" ") for row in out.splitlines()]
    # `<name> missing` (or `ambiguous`) for what git cannot find: neither a blob nor a tree.
    return [
        (row[0], row[1]) if len(row) == 2 and row[1] not in (b"missing", b"ambiguous") else (b"", b"") for row in rows
    ]


_REF_FORMAT = "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)"


def ref_listing(git: Git) -> bytes | None:
    """Every ref with what it points at and, for a tag, what that tags, as `ref_roots` reads
    them; None when git cannot list them so (a ref to a lost object: git stops there): then
    `ref_roots` lists them itself, later, as before. A whole-history scan with caches lists its
    refs once, at its start, for the attribution cache's key and for `ref_roots`."""
    proc = git.popen("for-each-ref", _REF_FORMAT)
    out, _ = proc.communicate()
    return out if proc.returncode == 0 else None


def ref_roots(git: Git, *patterns: str, listing: bytes | None = None) -> tuple[Root, ...]:
    """Every ref (or those under `patterns`, `refs/tags/`) that is, or tags, a blob or a tree.
    `listing`: `ref_listing`'s, of every ref (no patterns), when the scan has it."""
    if listing is None:
        listing = git.run("for-each-ref", _REF_FORMAT, *patterns)
    roots = []
    for line in listing.splitlines():
        kind, oid, peeled_kind, peeled, ref = line.split(b" ", 4)
        if peeled_kind:
            kind, oid = peeled_kind, peeled
        if kind in KINDS:
            roots.append(Root(ref.decode("utf-8", "backslashreplace"), kind, oid))
    return tuple(roots)


def reached(git: Git, roots: Iterable[Root]) -> Reached:
    """The blobs under `roots`, each tree listed once however many names reach it."""
    blobs: list[tuple[bytes, str, str]] = []
    unreadable: list[tuple[bytes, str]] = []
    listed: dict[bytes, list[tuple[bytes, str]] | None] = {}
    for root in roots:
        if root.kind == b"blob":
            blobs.append((root.oid, "", root.name))
            continue
        if root.oid not in listed:
            listed[root.oid] = _ls_tree(git, root.oid)
        entries = listed[root.oid]
        if entries is None:
            unreadable.append((root.oid, root.name))
            continue
        blobs += [(blob, path, root.name) for blob, path in entries]
    return Reached(tuple(blobs), tuple(unreadable))


def _ls_tree(git: Git, tree: bytes) -> list[tuple[bytes, str]] | None:
    """(blob, path) of every blob under `tree`; None when git cannot read it (or a tree in it)."""
    proc = git.popen("ls-tree", "-r", "-z", "--end-of-options", tree.decode("ascii"))
    out, _ = proc.communicate()
    if proc.returncode != 0:
        return None
    entries = []
    for entry in out.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        fields = meta.split(b" ")
        if len(fields) == 3 and fields[1] == b"blob":  # not a gitlink (`commit`)
            entries.append((fields[2], path.decode("utf-8", "backslashreplace")))
    return entries


def named_damage(damaged: Sequence[DamagedObject], found: Reached) -> tuple[DamagedObject, ...]:
    """`damaged` with the names that reach each lost blob directly (no commit names those), and
    each tree git could not list."""
    names: dict[str, set[str]] = defaultdict(set)
    for blob, _, name in found.blobs:
        names[blob.decode("ascii")].add(name)
    out = [
        dataclasses.replace(d, kind="blob", refs=tuple(sorted(names[d.oid])))
        if d.oid in names and not d.places and not d.refs
        else d
        for d in damaged
    ]
    trees: dict[str, set[str]] = defaultdict(set)
    for tree, name in found.unreadable:
        trees[tree.decode("ascii")].add(name)
    out += [DamagedObject(oid, "tree", refs=tuple(sorted(refs))) for oid, refs in sorted(trees.items())]
    return tuple(sorted(out, key=lambda d: d.oid))
