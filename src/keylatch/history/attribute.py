"""Blobs that hold keys -> the commits that introduced them, one KeyFinding per key.

Object ids stay the `bytes` git printed until a record for the report is built (Occurrence.blob).

A commit introduces a key at a path when the key is in the commit's version of the path and in
no parent's version of it (a key already in the parent's file is not new). For a merge, `git log
-c` lists only paths that differ from every parent, so a key a merge merely carries over from a
branch is not blamed on the merge, while a key typed into a conflict resolution is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from keylatch.errors import ScanError
from keylatch.history.blobscan import BlobScanner
from keylatch.history.direct import Reached, reached, ref_roots
from keylatch.history.model import CommitInfo, KeyFinding, Occurrence
from keylatch.history.rawlog import MESSAGE, LogDigest
from keylatch.model import Finding
from keylatch.sources.archives import rejoin
from keylatch.sources.gitcmd import Git, null_id
from keylatch.sources.objects import stream_objects
from keylatch.sources.repo import RepoState

# Checking whether a branch tip still holds a key costs one ls-tree; beyond this many tips we
# only check HEAD.
_MAX_TIPS = 16
_NO_COMMIT = CommitInfo("", "", "", "", "(in no commit: dangling blob)")


@dataclass(frozen=True, slots=True)
class Outcome:
    findings: tuple[KeyFinding, ...]
    commits: int
    gitlinks: int
    # Distinct keys only in objects no ref reaches (not reported without include_unreachable).
    unreached: int = 0


@dataclass(frozen=True, slots=True)
class _Intro:
    time: int
    order: int  # position in git log's output: larger is older at equal time
    sha: str
    path: str
    blob: bytes  # b"" for a commit message
    finding: Finding

    @property
    def age(self) -> tuple[int, int]:
        return (self.time, -self.order)


def attribute(
    git: Git,
    state: RepoState,
    log: LogDigest,
    scanner: BlobScanner,
    missing: frozenset[bytes],
    include_unreachable: bool,
    whole: bool = False,
    direct: Reached | None = None,
    refs: bytes | None = None,
) -> Outcome:
    """`refs`: the scan's listing of every ref (history/direct.py `ref_listing`), if it made one."""
    keyed = scanner.found
    kept = log.changes
    # A range scan read only the blobs its commits added; their parents' versions of the files
    # that now hold keys decide what is new, so read those too.
    olds = {
        o
        for _, _, ch in kept
        if ch.new in keyed
        for o in ch.olds
        if not null_id(o) and o not in missing and not scanner.is_scanned(o)
    }
    if olds:
        stream_objects(git, sorted(olds), scanner.visit)  # blobs only: a message has no "old"
    fps = {oid: frozenset(f.fingerprint for f in fs) for oid, fs in keyed.items()}
    intros: dict[str, list[_Intro]] = defaultdict(list)
    removed_in: dict[str, set[str]] = defaultdict(set)  # fingerprint -> parents that still had it
    removed_by: dict[str, set[str]] = defaultdict(set)  # fingerprint -> commits that took it out of a file
    seen_blobs: set[bytes] = set()
    for order, commit, ch in kept:
        old_fps = frozenset().union(*(fps.get(o, frozenset()) for o in ch.olds))
        new_fps = fps.get(ch.new, frozenset())
        seen_blobs.add(ch.new)
        sha = commit.sha.decode("ascii")
        for f in keyed.get(ch.new, ()):
            if f.fingerprint not in old_fps:
                # A message is in no file: an empty path, which every report names as the
                # commit's message (report/labels.py), never a file called "(commit message)".
                # A member of an archive blob (blobscan.py) is named inside the blob's path.
                path = (
                    "" if ch.mode == MESSAGE else rejoin(ch.path.decode("utf-8", "backslashreplace"), f.location.path)
                )
                # A message's "blob" is the commit object: no blob id to read lines from.
                blob = b"" if ch.mode == MESSAGE else ch.new
                intros[f.fingerprint].append(_Intro(commit.time, order, sha, path, blob, f))
        # A root commit has no parent but one "old" (all zeros): zip stops at the shorter.
        for parent, old in zip(commit.parents, ch.olds, strict=False):
            for fp in fps.get(old, frozenset()) - new_fps:
                removed_in[fp].add(parent.decode("ascii"))
                removed_by[fp].add(sha)
    _path_intros(log, scanner, intros)
    # Oldest introduction first (committer time: ISO dates in mixed time zones do not sort).
    dated = sorted(_build(git, state, intros, removed_in, removed_by, keyed), key=lambda t: t[0])
    findings = [k for _, k in dated]
    if whole or direct is not None:  # a range's: only the objects it names (history/direct.py)
        tagged, tagged_blobs = _tagged(git, keyed, seen_blobs, set(intros), None if whole else direct, refs)
        findings += tagged
        seen_blobs |= tagged_blobs
    if include_unreachable:
        findings += sorted(_dangling(keyed, seen_blobs, set(intros)), key=lambda k: k.fingerprint)
    unreached = 0
    if whole and not include_unreachable:
        # Every object of the store was read: keys that only a rewritten or dropped history holds
        # (the reflog, a reset, a dropped stash) are counted, so the summary can say they exist.
        unseen = {f.fingerprint for oid, fs in keyed.items() if oid not in seen_blobs for f in fs}
        unreached = len(unseen - {k.fingerprint for k in findings})
    return Outcome(tuple(findings), log.commits, log.gitlinks, unreached)


def _path_intros(log: LogDigest, scanner: BlobScanner, intros: dict[str, list[_Intro]]) -> None:
    """Keys written in the paths commits added (history/pathkeys.py), placed by the commit that
    added the path, at line 0 ("in the path"), with no blob (no line holds the key)."""
    if not log.paths:
        return
    from keylatch.history.pathkeys import keys_in_paths

    by_sha = {c.sha.decode("ascii"): (order, c) for order, c, _ in log.paths}
    places = ((path.decode("utf-8", "backslashreplace"), c.sha.decode("ascii")) for _, c, path in log.paths)
    for f in keys_in_paths(places, scanner.rules):
        sha = f.location.commit or ""
        order, commit = by_sha[sha]
        intros[f.fingerprint].append(_Intro(commit.time, order, sha, f.location.path, b"", f))


def _build(
    git: Git,
    state: RepoState,
    intros: dict[str, list[_Intro]],
    removed_in: dict[str, set[str]],
    removed_by: dict[str, set[str]],
    keyed: dict[bytes, tuple[Finding, ...]],
) -> list[tuple[tuple[int, str, str, str], KeyFinding]]:
    if not intros:
        return []
    head_tree = _listing(git, state.head) if state.head else b""
    head_blobs = _tree_blobs(head_tree, keyed)
    refs_of = _refs(git, {fp: frozenset(i.sha for i in lst) for fp, lst in intros.items()})
    tips = sorted({tip for rs in refs_of.values() for _, tip in rs})
    # The usual tip is HEAD's own commit (the checked-out branch): its tree is already listed.
    tip_blobs = (
        {t: head_blobs if t == state.head else _tree_blobs(_listing(git, t), keyed) for t in tips}
        if len(tips) <= _MAX_TIPS
        else {}
    )
    blob_fps = {oid: {f.fingerprint for f in fs} for oid, fs in keyed.items()}

    def holds(blobs: frozenset[bytes], fp: str) -> bool:
        return any(fp in blob_fps.get(b, ()) for b in blobs)

    # A key in a name is in HEAD while a path under that name is (one ls-tree, only then).
    named = {fp: {i.path for i in lst if not i.blob and i.finding.location.line == 0} for fp, lst in intros.items()}
    head_paths = _tree_paths(head_tree) if any(named.values()) else frozenset()

    def named_in_head(fp: str) -> bool:
        return any(p in head_paths for p in named[fp])

    wanted: set[str] = set()
    for fp, lst in intros.items():
        wanted.update(i.sha for i in lst)
        wanted.update(removed_in.get(fp, ()))
        wanted.update(removed_by.get(fp, ()))
    if state.head:
        wanted.add(state.head)
    wanted.update(tips)
    meta = commit_info(git, wanted)
    memo: dict[frozenset[str], str] = {}
    out = []
    for fp, lst in intros.items():
        first = min(lst, key=lambda i: i.age)
        in_head = holds(head_blobs, fp) or named_in_head(fp)
        my_tips = {tip for _, tip in refs_of[fp]}
        if in_head and state.head:
            # "in HEAD: yes" and "last seen" must name the same state: HEAD still holds it.
            last = state.head
        else:
            candidates = {i.sha for i in lst} | removed_in.get(fp, set())
            candidates.update(t for t, blobs in tip_blobs.items() if t in my_tips and holds(blobs, fp))
            last = _newest(git, candidates, meta, memo)
        # Gone from HEAD and from every ref tip (known only when the tips were read): the newest
        # commit that took it out of a file ended its exposure.
        present = (
            in_head or len(tips) > _MAX_TIPS or any(holds(blobs, fp) for t, blobs in tip_blobs.items() if t in my_tips)
        )
        gone = [c for c in removed_by.get(fp, ()) if c in meta]
        removed = None if present or not gone else meta[max(gone, key=lambda c: (meta[c][1], c))][0]
        finding = KeyFinding(
            rule_id=first.finding.rule_id,
            severity=first.finding.severity,
            secret=first.finding.secret,
            introduced=meta[first.sha][0],
            last_seen=meta[last][0],
            locations=_locations(lst, meta),
            in_head=in_head,
            refs=tuple(sorted({r for r, _ in refs_of[fp]})),
            at_shallow_boundary=first.sha in state.shallow,
            removed=removed,
        )
        out.append(((first.time, first.sha, first.finding.rule_id, fp), finding))
    return out


def _newest(
    git: Git, candidates: set[str], meta: dict[str, tuple[CommitInfo, int]], memo: dict[frozenset[str], str]
) -> str:
    """The newest of commits that hold a key. A commit that is an ancestor of another candidate
    is older whatever its date (commits made within one second, clocks that disagree), so only
    the candidates no other one descends from are compared by committer time."""
    known = frozenset(c for c in candidates if c in meta)
    if known not in memo:
        heads = set(known)
        if len(known) > 1:
            heads = set(git.run("merge-base", "--independent", *sorted(known)).decode("ascii").split()) & known
        memo[known] = max(heads or known, key=lambda c: (meta[c][1], c))
    return memo[known]


def _locations(lst: list[_Intro], meta: dict[str, tuple[CommitInfo, int]]) -> tuple[Occurrence, ...]:
    best: dict[tuple[str, int, int], _Intro] = {}
    for i in sorted(lst, key=lambda i: i.age):
        best.setdefault((i.path, i.finding.location.line, i.finding.location.column), i)
    out = []
    for (path, line, col), i in sorted(best.items()):
        info = meta[i.sha][0]
        blob = i.blob.decode("ascii")
        enc = i.finding.encoding
        out.append(Occurrence(i.sha, path, line, col, info.author_name, info.author_email, blob, enc))
    return tuple(out)


def _dangling(keyed: dict[bytes, tuple[Finding, ...]], seen: set[bytes], known: set[str]) -> list[KeyFinding]:
    """Keys in blobs no walked commit holds (staged then dropped, `git hash-object -w`)."""
    by_fp: dict[str, list[tuple[bytes, Finding]]] = defaultdict(list)
    for oid, fs in keyed.items():
        if oid in seen:
            continue
        for f in fs:
            if f.fingerprint not in known:
                by_fp[f.fingerprint].append((oid, f))
    out = []
    for lst in by_fp.values():
        lst.sort(key=lambda t: (t[0], t[1].location.line, t[1].location.column))
        f = lst[0][1]
        locs = tuple(
            Occurrence(
                "",
                rejoin("", g.location.path),
                g.location.line,
                g.location.column,
                blob=oid.decode("ascii"),
                encoding=g.encoding,
            )
            for oid, g in lst
        )
        out.append(KeyFinding(f.rule_id, f.severity, f.secret, _NO_COMMIT, _NO_COMMIT, locs, False, ()))
    return out


def _tagged(
    git: Git,
    keyed: dict[bytes, tuple[Finding, ...]],
    seen: set[bytes],
    known: set[str],
    direct: Reached | None = None,
    listing: bytes | None = None,
) -> tuple[list[KeyFinding], set[bytes]]:
    """Keys in blobs a ref reaches without any commit: a tag on a blob or on a tree. `direct`:
    the blobs a range reached so (a pushed tag of a blob, by its pushed name); None: every ref's."""
    if direct is None:
        direct = reached(git, ref_roots(git, listing=listing))
        if direct.unreadable:  # as when git's ls-tree failed here: the scan is not complete
            tree, _ = direct.unreadable[0]
            raise ScanError(f"tree {tree.decode('ascii')} that a ref points at is missing or unreadable")
    places: dict[bytes, list[tuple[str, str]]] = defaultdict(list)  # blob -> (path, ref)
    for blob, path, name in direct.blobs:
        if blob in keyed and blob not in seen:
            places[blob].append((path, name))
    by_fp: dict[str, list[tuple[bytes, str, str, Finding]]] = defaultdict(list)
    for oid, where in places.items():
        for f in keyed[oid]:
            if f.fingerprint not in known:
                by_fp[f.fingerprint].extend((oid, path, ref, f) for path, ref in where)
    out = []
    for lst in by_fp.values():
        lst.sort(key=lambda t: (t[2], t[1], t[3].location.line))
        f = lst[0][3]
        refs = tuple(sorted({ref for _, _, ref, _ in lst}))
        info = CommitInfo("", "", "", "", f"(in no commit: reached directly by {refs[0]})")
        locs = tuple(
            sorted({Occurrence("", rejoin(path, g.location.path), g.location.line, g.location.column,
                               blob=oid.decode("ascii"), encoding=g.encoding, ref=ref)
                    for oid, path, ref, g in lst},
                   key=lambda o: (o.path, o.line, o.column, o.blob, o.ref))
        )  # fmt: skip
        out.append(KeyFinding(f.rule_id, f.severity, f.secret, info, info, locs, False, refs))
    return sorted(out, key=lambda k: k.fingerprint), set(places)


def _listing(git: Git, commit: str) -> bytes:
    """`ls-tree -r` of `commit`'s whole tree (`mode type id\tpath`, NUL-separated): one listing
    answers both which key-holding blobs and which paths the commit holds."""
    return git.run("ls-tree", "-r", "-z", "--full-tree", commit)


def _tree_paths(listing: bytes) -> frozenset[str]:
    """Every path in a tree `_listing` and every directory above one (as attribution names them)."""
    out: set[str] = set()
    for entry in listing.split(b"\0"):
        path = entry.partition(b"\t")[2].decode("utf-8", "backslashreplace")
        while path and path not in out:
            out.add(path)
            path = path.rpartition("/")[0]
    return frozenset(out)


def _tree_blobs(listing: bytes, keyed: dict[bytes, tuple[Finding, ...]]) -> frozenset[bytes]:
    """The key-holding blobs in a tree `_listing`."""
    found = set()
    for entry in listing.split(b"\0"):
        meta = entry.split(b"\t", 1)[0].split(b" ")
        if len(meta) == 3 and meta[1] == b"blob" and meta[2] in keyed:
            found.add(meta[2])
    return frozenset(found)


def _refs(git: Git, shas_of: dict[str, frozenset[str]]) -> dict[str, tuple[tuple[str, str], ...]]:
    """For each fingerprint, (ref, tip commit) of every ref that reaches an introducing commit."""
    memo: dict[frozenset[str], tuple[tuple[str, str], ...]] = {}
    out = {}
    for fp, shas in shas_of.items():
        if shas not in memo:
            args = ["for-each-ref", "--format=%(refname) %(objectname) %(*objectname)"]
            args += [f"--contains={s}" for s in sorted(shas)]
            rows = []
            for line in git.run(*args).decode("utf-8", "backslashreplace").splitlines():
                name, obj, peeled = (line.split(" ") + ["", ""])[:3]
                rows.append((name, peeled or obj))
            memo[shas] = tuple(rows)
        out[fp] = memo[shas]
    return out


def commit_info(git: Git, shas: Iterable[str]) -> dict[str, tuple[CommitInfo, int]]:
    """sha -> (CommitInfo, committer time), for all `shas` in one git call."""
    todo = sorted(set(shas))
    if not todo:
        return {}
    fmt = "--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%ct%x1f%s"
    out = git.run("log", "--no-walk=unsorted", "--stdin", "-z", fmt, input="\n".join(todo).encode() + b"\n")
    meta = {}
    for rec in out.split(b"\0"):
        parts = rec.lstrip(b"\n").decode("utf-8", "replace").split("\x1f", 5)
        if len(parts) == 6:
            sha, name, email, date, ct, summary = parts
            meta[sha] = (CommitInfo(sha, name, email, date, summary), int(ct))
    return meta
