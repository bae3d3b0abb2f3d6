"""The raw log of a damaged repository that `git log` cannot walk, rebuilt from what can be read.

`git log` stops at the first tree or commit it cannot read (a lost subtree, a lost parent, a ref
to a missing object, a pack whose index is corrupt) and prints nothing after it. When the caller
reports damage (scan_history(report_damage=True)), the log is rebuilt instead:

1. the commits: every commit and tag object the store lists, read with `cat-file --batch` (which
   answers "missing" for a corrupt object and goes on), and walked from the revisions' tips in
   Python; a tip or a parent that cannot be read is damage, named with what needs it;
2. their changes: `git log --no-walk --stdin` over those commits (git's own raw diff, so healthy
   commits are attributed exactly as before); when it stops at a commit, that commit's changes
   are listed from the parts of its tree and its parents' trees that can be read (a subtree that
   cannot is damage, named by path), written in git's raw format, and the log goes on after it.

Measured on the damaged repositories of tests/e2e/test_damaged_reports.py: one extra `git log`
per commit git cannot diff (usually two: the commit that wrote the lost tree and its child), so
the rebuild costs a few processes beyond the store listing. Only a failed walk pays for it: a
healthy repository's log is the one `git log` run, as before.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from keylatch.errors import ScanError
from keylatch.history.damage import WithObjects
from keylatch.history.model import PLACES_SHOWN, DamagedObject
from keylatch.history.rawlog import ZERO, log_args
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.objects import Object, read_batch, tree_entries
from keylatch.sources.reaping import reaped

# Commits git cannot diff, beyond which the rebuild stops (each costs one more `git log`): a
# repository that broken gets the one line naming the first failure.
MAX_FAILED = 256
_BATCH = 1000
_LOG_BLOCK = 1 << 20
_HEADER = re.compile(rb"\x01([0-9a-f]{40,64}) ")
_HEX = re.compile(r"\^?[0-9a-f]{40,64}")


@dataclass(frozen=True, slots=True)
class _Commit:
    tree: bytes
    parents: tuple[bytes, ...]
    time: int


def rebuild_log(
    git: Git, repo: Path, walk: Sequence[str], extra: Sequence[str], out: IO[bytes], failure: ScanError
) -> tuple[DamagedObject, ...]:
    """Write the raw log of `walk` (+ `extra` commits) to `out` from what can be read, and return
    the objects that could not be; `failure` (git log's own error) is raised when the revisions
    are not ones this can resolve (a symmetric range needs a merge base: git's walk)."""
    positive, negative, reflog = _tips(git, walk, failure)
    positive += [e.encode("ascii") for e in extra]
    commits, tags, listed = _store(git)
    if reflog:  # every commit the store holds: the reflog's and the dangling ones among them
        positive += listed
    refs = _ref_names(git)
    lost: dict[bytes, DamagedObject] = {}
    starts = [c for c in (_peel(t, tags, commits, refs, lost) for t in positive) if c is not None]
    # A tip that is no commit may be a tree or blob a ref names directly (history/tags.py reads
    # those): only what cannot be read at all is damage.
    for oid, obj in _read(git, sorted(lost)):
        if obj is not None:
            del lost[oid]
    stops = [c for c in (_peel(t, tags, commits, {}, {}) for t in negative) if c is not None]
    order = _walk(starts, _reach(stops, commits), commits, lost)
    out.seek(0)
    out.truncate()
    failed = 0
    while order:
        at = _git_log(git, order, out)
        if at is None:
            break
        failed += 1
        if failed > MAX_FAILED:
            raise failure
        _write_record(git, order[at], commits, out, lost)
        order = order[at + 1 :]
    out.flush()
    return tuple(lost[oid] for oid in sorted(lost))


def _tips(git: Git, walk: Sequence[str], failure: ScanError) -> tuple[list[bytes], list[bytes], bool]:
    reflog = "--reflog" in walk
    args = [w for w in walk if w != "--reflog"]
    try:
        lines = git.run("rev-parse", *args).decode("ascii", "replace").split() if args else []
    except ScanError:
        raise failure from None
    if any(_HEX.fullmatch(line) is None for line in lines):
        raise failure
    pos = [line.encode("ascii") for line in lines if not line.startswith("^")]
    neg = [line[1:].encode("ascii") for line in lines if line.startswith("^")]
    return pos, neg, reflog


def _store(git: Git) -> tuple[dict[bytes, _Commit], dict[bytes, bytes], list[bytes]]:
    """Every readable commit (its tree, parents, committer time) and tag (what it points at)."""
    wanted = _listed(git, (b"commit", b"tag"))
    commits: dict[bytes, _Commit] = {}
    tags: dict[bytes, bytes] = {}
    for oid, obj in _read(git, wanted):
        if obj is None:
            continue
        head = obj.data.split(b"\n\n", 1)[0].split(b"\n")
        if obj.kind == b"tag":
            tags[oid] = next((h[7:] for h in head if h.startswith(b"object ")), b"")
        elif obj.kind == b"commit":
            tree = next((h[5:] for h in head if h.startswith(b"tree ")), b"")
            parents = tuple(h[7:] for h in head if h.startswith(b"parent "))
            committer = next((h for h in head if h.startswith(b"committer ")), b"")
            stamp = committer.rsplit(b" ", 2)[-2:-1]
            commits[oid] = _Commit(tree, parents, int(stamp[0]) if stamp and stamp[0].isdigit() else 0)
    return commits, tags, [w for w in wanted if w in commits]


def _listed(git: Git, kinds: tuple[bytes, ...]) -> list[bytes]:
    """The ids of the objects of `kinds` the store lists, read as a stream: the whole listing
    held at once (git.git lists 850k objects) took keylatch's RSS past its 150 MB budget."""
    # git's complaints about what it cannot read go to a file: a line per object, more than a
    # pipe holds while this reads stdout.
    with tempfile.TemporaryFile() as errors:
        proc = git.popen("cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectname)", stderr=errors)
        assert proc.stdout is not None
        with proc, reaped(proc):
            wanted = [w[1] for w in (line.split() for line in proc.stdout) if len(w) == 2 and w[0] in kinds]
        errors.seek(0)
        said = errors.read(4096)
    if proc.returncode != 0:
        raise ScanError(f"git cat-file: {first_line(said)}")
    return wanted


def _read(git: Git, oids: Sequence[bytes]) -> Iterable[tuple[bytes, Object | None]]:
    for i in range(0, len(oids), _BATCH):
        part = [o.decode("ascii") for o in oids[i : i + _BATCH]]
        try:
            got = read_batch(git, part)
        except ScanError:
            got = _one_by_one(git, part)
        for name, obj in got.items():
            yield name.encode("ascii"), obj


def _one_by_one(git: Git, names: Sequence[str]) -> dict[str, Object | None]:
    """`cat-file --batch` answers "missing" for most damage but dies on an object corrupt in its
    pack ("packed object ... is corrupt"): each of a batch it died on is read alone, and one it
    dies on again is unreadable (None)."""
    out: dict[str, Object | None] = {}
    for name in names:
        try:
            out.update(read_batch(git, [name]))
        except ScanError:
            out[name] = None
    return out


def _ref_names(git: Git) -> dict[bytes, list[str]]:
    names: dict[bytes, list[str]] = defaultdict(list)
    out = git.run("for-each-ref", "--format=%(objectname) %(refname)")
    for line in out.splitlines():
        oid, _, name = line.partition(b" ")
        names[oid].append(name.decode("utf-8", "backslashreplace"))
    try:
        names[git.run("rev-parse", "--verify", "-q", "HEAD").strip()].append("HEAD")
    except ScanError:
        pass  # an unborn or broken HEAD: the refs name the rest
    return names


def _peel(
    oid: bytes,
    tags: dict[bytes, bytes],
    commits: dict[bytes, _Commit],
    refs: dict[bytes, list[str]],
    lost: dict[bytes, DamagedObject],
) -> bytes | None:
    """The commit a tip names, through tags; None for a tag of a blob or tree (history/tags.py
    reads those) and for an object that cannot be read (then named in `lost`)."""
    seen = set()
    while oid in tags and oid not in seen:
        seen.add(oid)
        oid = tags[oid]
    if oid in commits:
        return oid
    if refs and oid not in tags:
        lost.setdefault(oid, DamagedObject(oid.decode("ascii"), "object", refs=tuple(sorted(refs.get(oid, ())))))
    return None


def _reach(stops: Sequence[bytes], commits: dict[bytes, _Commit]) -> set[bytes]:
    seen: set[bytes] = set()
    todo = list(stops)
    while todo:
        c = todo.pop()
        if c in seen or c not in commits:
            continue
        seen.add(c)
        todo.extend(commits[c].parents)
    return seen


def _walk(
    starts: Sequence[bytes], stop: set[bytes], commits: dict[bytes, _Commit], lost: dict[bytes, DamagedObject]
) -> list[bytes]:
    """The commits reachable from `starts` and not from the stops, newest first (git log's
    order by committer time); a parent that cannot be read is named with a child that needs it."""
    seen: set[bytes] = set()
    needed: dict[bytes, set[bytes]] = defaultdict(set)
    todo = list(starts)
    while todo:
        c = todo.pop()
        if c in seen or c in stop:
            continue
        seen.add(c)
        for p in commits[c].parents:
            if p in commits:
                todo.append(p)
            elif p not in stop:
                needed[p].add(c)
    for oid, children in needed.items():
        places = tuple(("", c.decode("ascii")) for c in sorted(children))
        lost.setdefault(oid, DamagedObject(oid.decode("ascii"), "commit", places[:PLACES_SHOWN], len(places)))
    return sorted(seen, key=lambda c: (-commits[c].time, c))


def _git_log(git: Git, order: Sequence[bytes], out: IO[bytes]) -> int | None:
    """git's raw log of `order` appended to `out`; None when complete, else the index of the
    commit it stopped at (its header is printed after its diff, so it has none)."""
    out.seek(0, 2)
    start = out.tell()
    proc = git.popen(
        *log_args(["--no-walk=unsorted", "--stdin"]), stdin=subprocess.PIPE, stdout=out, stderr=subprocess.DEVNULL
    )
    assert proc.stdin is not None
    with proc.stdin:
        try:
            proc.stdin.write(b"".join(c + b"\n" for c in order))
        except BrokenPipeError:
            pass  # it stopped early: found below
    if proc.wait() == 0:
        return None
    out.seek(start)
    done = _headers(out)
    at = next((i for i, c in enumerate(order) if c not in done), None)
    if at is None:
        raise ScanError(f"git log: exit {proc.returncode} after every commit")
    # Whatever it wrote for the commits before: kept; anything after the last header that is
    # not a whole commit cannot be, since git writes a commit's header after computing its diff.
    out.seek(0, 2)
    return at


def _headers(out: IO[bytes]) -> set[bytes]:
    """The commits whose headers `out` holds from where it is, read a block at a time: the
    whole log read at once (hundreds of MB on git.git) took keylatch past its RSS budget."""
    done: set[bytes] = set()
    rest = b""
    while block := out.read(_LOG_BLOCK):
        data = rest + block
        # A header cut by the block's end is matched with the next block: keep the tail that
        # may hold its start (a header is at most 2 + 64 bytes).
        keep = max(0, len(data) - 80)
        done.update(m.group(1) for m in _HEADER.finditer(data) if m.start() < keep)
        rest = data[keep:]
    done.update(m.group(1) for m in _HEADER.finditer(rest))
    return done


def _write_record(
    git: Git, sha: bytes, commits: dict[bytes, _Commit], out: IO[bytes], lost: dict[bytes, DamagedObject]
) -> None:
    """One commit's changes in git's raw `-c` format, from the readable parts of its tree and
    its readable parents' trees (a parent that cannot be read counts as none: a root commit)."""
    c = commits[sha]
    parents = [p for p in c.parents if p in commits]
    (mine, holes), *theirs = _files(git, [(sha, c.tree), *((p, commits[p].tree) for p in parents)], lost)
    olds = []
    for files, parent_holes in theirs:
        olds.append(files)
        holes |= parent_holes
    n = max(1, len(parents))
    out.write(b"\x01" + sha + b" %d " % c.time + b" ".join(parents) + b"\0")
    for path in sorted(set(mine).union(*olds)):
        if any(path.startswith(h) for h in holes):
            continue  # under a tree that cannot be read here: not known to differ
        mode, new = mine.get(path, (b"000000", ZERO))
        before = [o.get(path, (b"000000", ZERO)) for o in olds] or [(b"000000", ZERO)]
        if any(old == new for _, old in before):
            continue  # `-c`: only what differs from every parent
        modes = b" ".join(m for m, _ in before) + b" " + mode
        ids = b" ".join(o for _, o in before) + b" " + new
        out.write(b":" * n + modes + b" " + ids + b" " + b"M" * n + b"\0" + path + b"\0")


def _files(
    git: Git, roots: Sequence[tuple[bytes, bytes]], lost: dict[bytes, DamagedObject]
) -> list[tuple[dict[bytes, tuple[bytes, bytes]], set[bytes]]]:
    """For each (commit, tree) of `roots`: path -> (mode, id) of every file and gitlink in the
    readable part of the tree, and the directories ("d/", or b"" for the whole tree) whose tree
    could not be read. The trees are read a level at a time, every root's at once: one
    `cat-file` per level, not per level of each tree (tests/history/test_damage_processes.py)."""
    out: list[tuple[dict[bytes, tuple[bytes, bytes]], set[bytes]]] = [({}, set()) for _ in roots]
    level: dict[bytes, list[tuple[int, bytes]]] = defaultdict(list)
    for i, (_, tree) in enumerate(roots):
        level[tree].append((i, b""))
    while level:
        nxt: dict[bytes, list[tuple[int, bytes]]] = defaultdict(list)
        for oid, obj in _read(git, list(level)):
            if obj is None or obj.kind != b"tree":
                for i, prefix in level[oid]:
                    out[i][1].add(prefix)
                    _name_tree(lost, oid, prefix, roots[i][0])
                continue
            for mode, name, raw in tree_entries(obj.data, len(oid) // 2):
                entry = raw.hex().encode("ascii")
                for i, prefix in level[oid]:
                    if mode == b"40000":
                        nxt[entry].append((i, prefix + name + b"/"))
                    else:
                        out[i][0][prefix + name] = (mode.zfill(6), entry)
        level = nxt
    return out


def _name_tree(lost: dict[bytes, DamagedObject], oid: bytes, prefix: bytes, commit: bytes) -> None:
    place = (prefix.decode("utf-8", "backslashreplace").rstrip("/") or ".", commit.decode("ascii"))
    old = lost.get(oid, DamagedObject(oid.decode("ascii"), "tree"))
    places = tuple(sorted({*old.places, place}))
    lost[oid] = DamagedObject(old.oid, "tree", places[:PLACES_SHOWN], old.needed + (place not in old.places))


class Damaged(WithObjects):
    """A Git for a repository whose damage is known and named (exit 3 follows): a read that
    stops at a lost object answers with what git printed before it (`ls-tree` of a tree with a
    lost subtree, `for-each-ref` past a ref to a lost object), so the keys found elsewhere are
    still attributed. Only scan_history uses it, and only after rebuild_log."""

    __slots__ = ()

    def run(self, *args: str, input: bytes | None = None, ok_codes: tuple[int, ...] = (0,)) -> bytes:
        return super().run(*args, input=input, ok_codes=(*ok_codes, 1, 128))


def tolerant(git: Git) -> Git:
    """`git` (and the objects it reads), tolerant: its driver listing is reused, not repeated."""
    return Damaged(git)
