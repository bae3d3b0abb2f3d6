"""A damaged repository is a scan that cannot complete: how the history walk notices, and says so.

Damage is an object a commit needs that the repository cannot give: a deleted loose object, a
pack rebuilt without it, `.promisor` packs kept after the partial-clone config was removed (git
then no longer treats the gaps as fetchable), a corrupt object. A partial clone's missing blobs
are not damage: repostate.missing_blobs counts those, and --allow-partial decides.

A lost blob or an unreadable object does not stop the walk: every other object is scanned and
its keys reported, each lost object is named once with the places (path, commit) that need it,
and the scan exits 3 (`scan_history(report_damage=True)`; a caller that cannot report that gets
the one-line ScanError instead). A tree or commit git log cannot read stops the walk: it is one
line naming it. Each headline points at `git fsck`, which lists them all
(tests/e2e/test_damaged_matrix.py).
"""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

from keylatch.errors import ScanError
from keylatch.history.model import PLACES_SHOWN, CommitInfo, DamagedObject, KeyFinding, Occurrence
from keylatch.history.rawlog import MESSAGE, LogDigest, blob_ids
from keylatch.model import Finding
from keylatch.sources.archives import rejoin
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.objects import absent

BLOB_NEEDED = "blob that its commits need"
OBJECT_NEEDED = "object that its commits need"


_FSCK = "`git fsck` lists every damaged object"
# git's words for an object it needs and cannot read (git 2.39 .. 2.47), and what to call it.
_GIT_SAYS = (
    (r"unable to read tree \(?([0-9a-f]{40,64})", "tree"),
    (r"[Cc]ould not read ([0-9a-f]{40,64})", "commit"),
    (r"bad object (refs/\S+)", "the object of ref"),
    (r"bad object ([0-9a-f]{40,64})", "object"),  # a tag nested in a tag (history/tags.py)
    (r"unable to unpack ([0-9a-f]{40,64})", "object"),  # a corrupt loose object
    (r"packed object ([0-9a-f]{40,64}) \(stored in", "object"),  # corrupt in its pack, or its delta base
    (r"non-monotonic index (\S+)", "pack index"),
    (r"index file (\S+) is too small", "pack index"),
    (r"(\S+\.idx) is too small", "pack index"),
)


def check_present(git: Git, log_out: IO[bytes]) -> frozenset[bytes]:
    """The distinct blobs the raw log names that the repository lacks.

    The whole-history walk reads what the object store lists (`--batch-all-objects`), so a blob
    that is gone is never asked for and nothing else would notice. The log is already on disk
    for attribution; checking its ids costs one index lookup each in one `cat-file`.
    """
    log_out.seek(0)
    return absent(git, blob_ids(log_out))


def lost_objects(lost: Collection[bytes], digested: LogDigest) -> tuple[DamagedObject, ...]:
    """Each lost object once, with the first PLACES_SHOWN (path, commit) places the log gives
    it (by path, then commit) and how many there are: `digested` must have been built with the
    lost ids among its keyed ones."""
    places: dict[bytes, set[tuple[bytes, bytes]]] = {oid: set() for oid in lost}
    for _, commit, ch in digested.changes:
        if ch.new in places and ch.mode != MESSAGE:
            places[ch.new].add((ch.path, commit.sha))
    out = []
    for oid in sorted(places):
        shown = sorted(places[oid])[:PLACES_SHOWN]
        out.append(
            DamagedObject(
                oid.decode("ascii"),
                "blob" if places[oid] else "object",
                tuple((p.decode("utf-8", "backslashreplace"), c.decode("ascii")) for p, c in shown),
                len(places[oid]),
            )
        )
    return tuple(out)


def headline(repo: Path, lost: Collection[DamagedObject]) -> ScanError:
    """The one line for all of them: how many, and the first."""
    kinds = {d.kind for d in lost}
    what = f"{kinds.pop()} that its commits need" if len(kinds) == 1 and "object" not in kinds else OBJECT_NEEDED
    first = min(d.oid for d in lost)
    return damaged(repo, len(lost), what, "missing or unreadable", first.encode("ascii"))


def unreachable(git: Git, repo: Path) -> tuple[tuple[str, ...], frozenset[bytes]]:
    """Commits no ref reaches (dangling ones and those only a reflog remembers), and the objects
    fsck reports missing.

    fsck exits non-zero when it finds damage and writes its complaints to stdout (`missing blob
    <id>`), with the unreachable ones still listed: the lost objects go on to be named with the
    rest; any other complaint is one line quoting fsck (never "git failed with no message").
    """
    proc = git.popen("fsck", "--unreachable", "--no-reflogs", "--no-progress", "--connectivity-only")
    out, err = proc.communicate()
    commits, lost, other = [], set(), []
    for line in out.splitlines():
        words = line.split()
        if line.startswith(b"unreachable commit ") and len(words) == 3:
            commits.append(words[2].decode("ascii"))
        elif line.startswith(b"missing ") and len(words) == 3:
            lost.add(words[2])
        elif not line.startswith((b"unreachable ", b"dangling ")):
            other.append(line)
    if proc.returncode != 0 and not lost:
        said = first_line(b"\n".join(other) or err)
        raise ScanError(f"repository {repo} is damaged: git fsck (exit {proc.returncode}): {said}; {_FSCK}")
    return tuple(sorted(commits)), frozenset(lost)


def damaged(repo: Path, count: int, what: str, state: str, first: bytes | None) -> ScanError:
    """`what` is a noun phrase whose first word takes the plural: "blob that its commits need"."""
    noun, _, rest = what.partition(" ")
    noun += "" if count == 1 else "s"
    verb = "is" if count == 1 else "are"
    first_id = first.decode("ascii", "replace") if first else "?"
    return ScanError(
        f"repository {repo} is damaged: {count} {noun}{' ' + rest if rest else ''} {verb} {state} "
        f"(first: {first_id}); {_FSCK}"
    )


def damage_named(repo: Path, message: str, said: bytes = b"") -> ScanError:
    """A git failure (`git log: <first stderr line>`), reworded when git says an object it needs
    is missing: that is damage, not a git problem, and `git fsck` is where to look next. `said`:
    git's whole stderr, whose later lines may name the object the first one does not."""
    import re  # only on this failure path

    text = message + "\n" + said.decode("utf-8", "backslashreplace")
    for pattern, kind in _GIT_SAYS:
        m = re.search(pattern, text)
        if m is not None:
            return ScanError(
                f"repository {repo} is damaged: {kind} {m.group(1)} is missing or unreadable ({message}); {_FSCK}"
            )
    return ScanError(message)


# A pack index git can read: v2's magic and version (a v1 index has neither), then 256 fan-out
# counts, and a size those counts allow: git's check_packed_git_idx (packfile.c).
_IDX_V2 = b"\xfftOc\x00\x00\x00\x02"
_HEX = frozenset("0123456789abcdef")


def unreadable_packs(common_dir: Path) -> tuple[DamagedObject, ...]:
    """The packs git skips without a word: an index it cannot read (corrupt fan-out, wrong size,
    cut), a pack that is gone or cut (it no longer ends with the checksum its index records), a
    pack with no index. `cat-file --batch-all-objects` lists none of their objects and exits 0,
    so an object only they hold (an unreachable one: no commit asks for it) would go unscanned
    and unnamed. Cost: a stat and two small reads per pack, no git process."""
    pack_dir = common_dir / "objects" / "pack"
    try:
        names = sorted(e.name for e in os.scandir(pack_dir) if e.name.endswith((".idx", ".pack")))
    except OSError:
        return ()  # no pack directory: nothing is packed
    present = set(names)
    out = []
    for name in names:
        stem = name.rsplit(".", 1)[0]
        if name.endswith(".pack"):
            if stem + ".idx" not in present:
                out.append(_pack(name, "pack"))  # an index lost: git cannot find its objects
        elif (kind := _bad_index(pack_dir / name, pack_dir / (stem + ".pack"))) is not None:
            out.append(_pack(name if kind == "pack index" else stem + ".pack", kind))
    return tuple(out)


def _bad_index(idx: Path, pack: Path) -> str | None:
    """ "pack index" when git cannot use this index, "pack" when its pack is gone or cut, else None."""
    try:
        with idx.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(8 + 1024)
            f.seek(max(0, size - 40))
            recorded = f.read(20)
    except OSError:
        return "pack index"
    v2 = head.startswith(_IDX_V2)
    table = head[8:] if v2 else head
    if len(table) < 1024:
        return "pack index"
    fanout = struct.unpack(">256I", table)
    if any(a > b for a, b in zip(fanout, fanout[1:], strict=False)):
        return "pack index"
    n = fanout[255]
    large = 8 * max(0, n - 1) if v2 else 0  # v2: 64-bit offsets of a pack over 2 GiB
    fits = [
        h for h in (20, 32) if 0 <= size - ((8 + 1024 + n * (h + 8) if v2 else 1024 + n * (h + 4)) + 2 * h) <= large
    ]
    if not fits:
        return "pack index"
    try:
        with pack.open("rb") as f:
            pack_size = os.fstat(f.fileno()).st_size
            f.seek(max(0, pack_size - 20))
            ends = f.read(20)
    except OSError:
        return "pack"
    # The index's trailer is the pack's checksum, then its own (SHA-1 layout; a SHA-256 index
    # is checked for its size only).
    return "pack" if pack_size < 32 or (fits == [20] and ends != recorded) else None


def _pack(name: str, kind: str) -> DamagedObject:
    """A pack file, named as git names them (`pack-<id>.idx`); any other name is untrusted and
    shown by the sha256 of its name instead."""
    stem, _, ext = name.rpartition(".")
    if not (stem.startswith("pack-") and len(stem) in (45, 69) and _HEX.issuperset(stem[5:])):
        import hashlib

        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
        name = f"(a .{ext} file named unlike git's packs, sha256 {digest})"
    return DamagedObject(f"objects/pack/{name}", kind)


class WithObjects(Git):
    """`git` that also reads objects from `objects` (an object directory): the readable part of
    the cut packs, which git refuses whole (readable_part).

    It wraps `git` rather than copying its repository and config: `git`'s listing of the
    repository's driver names (gitcmd.Git, one `git config` process) and its environment are
    reused, not listed again, and what it derives (the readers' `derived(config=...)`) is
    wrapped too, so a reader sees `objects` as well (tests/history/test_damage_processes.py).
    """

    __slots__ = ("inner", "objects")

    def __init__(self, inner: Git, objects: str = "") -> None:
        super().__init__(inner.repo, inner.config)
        self.inner = inner
        self.objects = objects

    def derived(self, repo: Path | None = None, config: tuple[str, ...] = ()) -> Git:
        return type(self)(self.inner.derived(repo, config), self.objects)

    def config_names(self) -> tuple[str, ...]:
        return self.inner.config_names()

    def env(self) -> dict[str, str]:
        env = self.inner.env()
        if self.objects:
            # After any the caller's environment names (kept only for the current directory).
            env["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = os.pathsep.join(
                [*filter(None, [env.get("GIT_ALTERNATE_OBJECT_DIRECTORIES")]), self.objects]
            )
        return env


@contextlib.contextmanager
def readable_part(git: Git, common_dir: Path, bad: Sequence[DamagedObject]) -> Iterator[Git]:
    """`git`, or, when a pack git cannot use is there (cut: it no longer ends as its index says;
    or its index is corrupt or lost), a Git that also reads what that pack still holds: each is unpacked
    as far as it goes (`git unpack-objects -r`, which goes on past a corrupt object and stops
    where the pack ends) into a temporary object directory, removed afterwards, never into the
    repository. `bad`: what unreadable_packs found, which names them; their objects git cannot
    recover are listed missing: named too. Cost: nothing when no pack is bad; a bad one is read
    once, its readable objects written compressed to the temporary directory."""
    pack_dir = common_dir / "objects" / "pack"
    # A name unlike git's is named by a hash (_pack), so it matches no file here.
    named = {pack_dir / (d.oid.rsplit("/", 1)[1].rsplit(".", 1)[0] + ".pack") for d in bad}
    cut = sorted(p for p in named if p.is_file())
    if not cut:
        yield git
        return
    with tempfile.TemporaryDirectory(prefix="keylatch-packs-") as objects:
        for pack in cut:
            _unpack(git, pack, objects)
        yield WithObjects(git, objects)


def _unpack(git: Git, pack: Path, objects: str) -> None:
    """What `pack` still holds, into the object directory `objects`; git exits non-zero at the
    cut (or at the first object it cannot inflate, with -r after the rest): expected."""
    env = git.env()
    env["GIT_OBJECT_DIRECTORY"] = objects
    env.pop("GIT_ALTERNATE_OBJECT_DIRECTORIES", None)
    try:
        with pack.open("rb") as f:
            subprocess.run(
                git.argv("unpack-objects", "-r", "-q"), stdin=f, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=env, check=False,
            )  # fmt: skip
    except OSError:
        pass  # unreadable: the pack stays named and its objects missing


UNPLACED = CommitInfo("", "", "", "", "(commit unknown: the repository is damaged and no readable commit holds it)")


def unplaced(found: Mapping[bytes, Sequence[Finding]], placed: Sequence[KeyFinding]) -> list[KeyFinding]:
    """Keys the object store holds that no commit the rebuilt log could read places (a commit
    or tree that is lost, or an object no ref reaches): reported by the blob that holds them,
    rather than counted as unreachable, since the walk could not tell which they are."""
    known = {k.fingerprint for k in placed}
    by_fp: dict[str, list[tuple[bytes, Finding]]] = {}
    for oid, fs in found.items():
        for f in fs:
            if f.fingerprint not in known:
                by_fp.setdefault(f.fingerprint, []).append((oid, f))
    out = []
    for fp in sorted(by_fp):
        lst = sorted(by_fp[fp], key=lambda t: (t[0], t[1].location.line, t[1].location.column))
        f = lst[0][1]
        locs = tuple(
            Occurrence("", rejoin("", g.location.path), g.location.line, g.location.column, blob=oid.decode("ascii"),
                       encoding=g.encoding)
            for oid, g in lst
        )  # fmt: skip
        out.append(KeyFinding(f.rule_id, f.severity, f.secret, UNPLACED, UNPLACED, locs, False, ()))
    return out
