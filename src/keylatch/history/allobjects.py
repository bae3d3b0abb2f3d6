"""The whole-history blob stream: every blob and commit object the repository stores, in pack
order (the fastest read git offers), through the literal prefilter (history/hsgate.py, or grep
without Hyperscan), one reader per core over a range of that order each (history/readers.py).

Objects the blob cache knows are clean are skipped; only objects holding a needle are read
again and handed to the engine, while the readers go on. What the store lists but cannot read (a corrupt loose object
lists as "<id> missing") is damage, named here; what it does not list at all is checked
against the log afterwards (history/damage.py).
"""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator

from keylatch.errors import ScanError
from keylatch.history import readers
from keylatch.history.blobscan import OBJECT_KINDS, BlobScanner, Progress
from keylatch.history.cache import BlobCache
from keylatch.history.grepfilter import Objects
from keylatch.history.hsgate import Heads
from keylatch.model import Chunk
from keylatch.sources import archives
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.objects import LFS_POINTER, BlobHeader, stream_objects
from keylatch.sources.reaping import reaped

log = logging.getLogger(__name__)
_LISTING = "--batch-check=%(objecttype) %(objectname) %(objectsize)"


def scan_all(git: Git, scanner: BlobScanner, cache: BlobCache | None) -> None:
    """Every blob and commit object in the repository, minus those the cache knows are clean
    (a commit object is read for its message), with one reader per core (readers.jobs)."""
    progress = scanner.progress

    def report(objects: int, done: int) -> None:
        if progress is not None:
            progress(Progress(objects, done, time.monotonic() - scanner.started))

    # A rule's literal anywhere, or a start the visitor treats apart: an archive's magic (when
    # archives are opened), an LFS pointer (counted).
    needles, heads = scanner.needles(), _heads(scanner)
    # Readers start on the listing's first objects while it runs (readers.Early).
    early = readers.early(git, needles, report, heads)
    try:
        todo, blobs, nbytes, early = _listing(git, scanner, cache, early)
    except BaseException:
        if early is not None:
            early.stop()
        raise
    if not todo:
        return
    n = readers.needed(todo, readers.jobs(), early.next if early is not None else 0)
    found = readers.start(git, todo, needles, n, report, heads, early)
    # While the readers run, the progress line shows their counts, not the engine's few.
    scanner.progress = None
    done: set[bytes] = set()  # objects the engine read to their end

    def visit(header: BlobHeader, chunks: Iterator[Chunk] | None) -> None:
        scanner.visit(header, chunks)
        done.add(header.oid)

    try:
        stream_objects(git, found.candidates(), visit, OBJECT_KINDS, eager=True, release=found.abandoned.set)
        found.finish()
    except ScanError as failure:
        # A git died reading an object it had listed (corrupt in its pack): every object the
        # engine has not read is read again, by id, around the ones git cannot give.
        found.stop()
        scanner.progress = progress
        _read_around(git, todo, done, scanner, failure)
        found.visited[:] = b"\x01" * len(todo)  # the visitor counted them all
    except BaseException:
        found.stop()
        raise
    finally:
        scanner.progress = progress
    _count_the_rest(todo, found.visited, scanner, cache, blobs, nbytes)


# Objects git may fail on, one restarted `cat-file` each, before the scan gives up with the
# first failure: a pack that broken is named by `git fsck`, not here.
MAX_UNREADABLE = 1024


def _read_around(git: Git, todo: Objects, done: set[bytes], scanner: BlobScanner, failure: ScanError) -> None:
    """Every object of `todo` not in `done`, through the engine, in order; an object at which
    git's `cat-file --batch` dies (it answers "missing" for most damage, but dies on a corrupt
    packed object: "packed object ... is corrupt") is named unreadable, and the rest read by a
    new `cat-file` from the object after it. Memory: a byte per object. Only a failed read pays."""
    left = bytearray(oid not in done for oid in (todo.oid(i) for i in range(len(todo))))
    at = 0  # cat-file --batch answers in order: the next answer is for the first object left
    reading = -1  # the object being visited, until its visit returns

    def visit(header: BlobHeader, chunks: Iterator[Chunk] | None) -> None:
        nonlocal at, reading
        at = reading = left.find(1, at)
        left[at] = 0
        scanner.visit(header, chunks)
        reading = -1

    def rest(start: int) -> Iterator[bytes]:
        return (todo.oid(i) for i in range(start, len(todo)) if left[i])

    failed = 0
    while (at := left.find(1, at)) >= 0:
        try:
            stream_objects(git, rest(at), visit, OBJECT_KINDS)
        except ScanError:
            failed += 1
            if failed > MAX_UNREADABLE:
                raise failure from None
            # The object git died on: the one being visited, or else the first one left; its
            # partial findings are dropped.
            bad = reading if reading >= 0 else left.find(1, at)
            reading = -1
            if bad < 0:
                raise  # every object answered, and still git failed
            oid = todo.oid(bad)
            left[bad] = 0
            scanner.missing.add(oid)
            scanner.found.pop(oid, None)


def _heads(scanner: BlobScanner) -> Heads:
    return start_heads(scanner.archives.depth)


def start_heads(depth: int) -> Heads:
    """The starts read apart: an LFS pointer, an archive's magic when archives are opened, and a
    wrapped base64 file (read whole by the engine, as scan reads it)."""

    def test(head: bytes) -> bool:
        return head.startswith(LFS_POINTER) or bool(depth and archives.kind(head))

    # magic.kind accepts only these starts (tests/history/test_hsgate.py): a zip's "PK", gzip's
    # 0x1f, bzip2's "B", xz's 0xfd, tar's "ustar" at 257; an LFS pointer's "v".
    firsts = frozenset(b"P\x1fB\xfd" if depth else b"") | {LFS_POINTER[0]}
    marks = ((257, b"ustar"),) if depth else ()
    # A zip with bytes in front: its end record; a script's compressed payload after its text.
    ends = (b"PK\x05\x06", *archives.PAYLOAD_NEEDLES) if depth else ()
    return Heads((*(archives.MAGIC_NEEDLES if depth else ()), LFS_POINTER), test, firsts, marks, True, ends)


def _count_the_rest(
    todo: Objects, visited: bytearray, scanner: BlobScanner, cache: BlobCache | None, blobs: int, nbytes: int
) -> None:
    """Objects the engine did not read are clean: count them, remember them in the cache."""
    i = visited.find(1)
    while i >= 0:
        if not todo.commits[i]:
            blobs -= 1  # the visitor counted it, if git still had it
            nbytes -= todo.sizes[i]
        i = visited.find(1, i + 1)
    scanner.blobs += blobs
    scanner.nbytes += nbytes
    if cache is None:
        return
    at = 0
    while at < len(todo):  # runs of unread objects, one slice each
        end = visited.find(1, at)
        end = len(todo) if end < 0 else end
        cache.add_packed(bytes(todo.ids[todo.width * at : todo.width * end]))
        at = end + 1


# One whole row of the listing, trees too: anchored at a line's start, it holds one newline, so
# as many rows as newlines means every line is a row (one pass in C, where a separate fullmatch
# of the whole listing cost as much again: 0.67 s against 0.49 s on git/git's 849k rows).
_ROW = re.compile(rb"^(blob|commit|tag|tree) ([0-9a-f]+) (\d+)\n", re.MULTILINE)
_BLOCK = 1 << 20


def _listing(
    git: Git, scanner: BlobScanner, cache: BlobCache | None, early: readers.Early | None
) -> tuple[Objects, int, int, readers.Early | None]:
    """The objects to read, how many of them are blobs and their bytes, and the readers `early`
    started while listing (None when the listing by id had to be used: see below).

    In pack order (`--unordered`) when git can give it; git cannot when a pack no longer matches
    its index (a cut pack: it must open the pack to order its objects, and dies). The listing
    by id needs only the indexes and lists such a pack's objects as "missing": named, while every
    other object is read (tests/e2e/test_damaged_packs.py). Only a failed listing pays for it."""
    skip = cache if cache is not None and cache.clean else None
    try:
        listed = _list(git, skip, unordered=True, early=early)
    except ScanError as failure:
        if early is not None:
            early.stop()  # it read objects of the failed listing
            early = None
        try:
            listed = _list(git, skip, unordered=False, early=None)
        except ScanError:
            raise failure from None
        log.debug("object listing in pack order failed (%s): listed by id instead", failure)
    todo, blobs, nbytes, cached, unreadable = listed
    scanner.cached += cached
    # Listed but unreadable (corrupt): damage, like a blob asked for by id that git lacks. The
    # walk goes on and names it (history/damage.py); the scan then exits 3.
    scanner.missing.update(unreadable)
    return todo, blobs, nbytes, early


def _list(
    git: Git, skip: BlobCache | None, *, unordered: bool, early: readers.Early | None
) -> tuple[Objects, int, int, int, list[bytes]]:
    todo = Objects()
    unreadable: list[bytes] = []
    counts = [0, 0, 0]
    order = ("--unordered",) if unordered else ()
    # git's complaints go to a file: a damaged store says a line per object it cannot read,
    # more than a pipe holds while this reads stdout.
    with tempfile.TemporaryFile() as errors:
        proc = git.popen("cat-file", "--batch-all-objects", _LISTING, *order, stderr=errors)
        _read_listing(proc, skip, todo, unreadable, counts, early)
        errors.seek(0)
        err = errors.read(4096)
    if proc.returncode != 0:
        raise ScanError(f"git cat-file: {first_line(err)}")
    blobs, nbytes, cached = counts
    return todo, blobs, nbytes, cached, unreadable


def _read_listing(
    proc: subprocess.Popen[bytes],
    skip: BlobCache | None,
    todo: Objects,
    unreadable: list[bytes],
    counts: list[int],
    early: readers.Early | None,
) -> None:
    """Rows into `todo`; counts: [blobs, their bytes, blobs the cache skipped]."""
    assert proc.stdout is not None
    with proc, reaped(proc):  # killed first, then its pipes closed
        rest = b""
        while True:
            data = proc.stdout.read(_BLOCK)
            if not data and not rest:
                break
            # Whole lines only; at the end, a last line without its newline too.
            data = rest + data if data else rest + b"\n"
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            rows = _rows(data[:cut], unreadable)
            # Rows parsed by the regex in C, then added a list at a time: git.git lists 850k
            # objects, and a Python statement per object was most of the listing's time.
            if skip is not None:
                counts[2] += sum(1 for kind, oid, _ in rows if kind == b"blob" and oid in skip)
                rows = [row for row in rows if row[1] not in skip]
            if rows:
                todo.width = len(rows[0][1]) // 2  # one object format per repository
            todo.ids += bytes.fromhex(b"".join(oid for _, oid, _ in rows).decode("ascii"))
            sizes = [int(size) for _, _, size in rows]
            kinds = [kind != b"blob" for kind, _, _ in rows]  # commits and tags: not counted as blobs
            todo.sizes.extend(sizes)
            todo.commits.extend(kinds)
            counts[0] += kinds.count(False)
            counts[1] += sum(s for s, k in zip(sizes, kinds, strict=True) if not k)
            if early is not None:
                early.poll(todo)


def _rows(data: bytes, unreadable: list[bytes]) -> list[tuple[bytes, bytes, bytes]]:
    """The blob, commit and tag rows of whole lines `data`; an id git lists as "missing" goes
    to `unreadable`; anything else raises."""
    rows: list[tuple[bytes, bytes, bytes]] = _ROW.findall(data)
    if len(rows) == data.count(b"\n"):
        return [row for row in rows if row[0] != b"tree"]
    rows = []
    for line in data.splitlines():
        parts = line.split()
        if len(parts) != 3:
            # The object store lists it, but git cannot read its header: a corrupt object.
            if parts[1:] != [b"missing"]:
                raise ScanError(f"git cat-file: unexpected output {line[:80]!r}")
            unreadable.append(parts[0])
            continue
        kind, oid, size = parts
        if kind in OBJECT_KINDS:
            rows.append((kind, oid, size))
        elif kind != b"tree":  # a row that is no row: every object listed is read or named
            raise ScanError(f"git cat-file: unexpected output {line[:80]!r}")
    return rows
