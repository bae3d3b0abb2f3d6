"""Files and directories on disk -> Chunks.

    for item in walk([Path("src"), Path("-")], Excludes(config=("tests/fixtures/*",), base="/repo")):
        ...  # a Chunk of a file's bytes, or Skipped(path, kind): an entry that was not opened

What a PATH named on the command line may be:
- a regular file, or a directory (walked);
- a FIFO or a pipe (`<(cmd)` is `/dev/fd/63`), or `-` for standard input: read to its end in
  blocks; an archive or compressed stream there is opened as a file's is (`_stream`). A FIFO
  nobody has open for writing is a ScanError (exit 3), never a wait: it is opened with O_NONBLOCK
  and one non-blocking read tells "no writer" (end of file at once) from "a writer that has not
  written yet" (EAGAIN); then reads block as usual. A pipe (`pipe:[N]`) that
  is already at its end is empty content, not an error: its writer came and went;
- a symbolic link: its target text first (below), then what it leads to, as if named itself; a
  broken link or a loop is its text alone;
- anything else (a device, a socket, a path below a link loop) names nothing to scan:
  UsageError (exit 2), like a missing path. A device is never opened (`/dev/zero` never ends).

A symbolic link anywhere is content: git commits it as a blob of its target text, so that text
(os.readlink, bytes) is a Chunk at the link's path, line 1. Inside a directory it is never
followed (it could lead out of the tree, into a loop, to a device or a FIFO). Of the rest, only
regular files are read: FIFOs, sockets and devices are yielded as Skipped without being opened
(a FIFO would block for ever, a device never ends). A file is opened with O_NOFOLLOW|O_NONBLOCK
and checked with fstat, so an entry swapped for a FIFO after the listing is skipped too, not
waited on, and one swapped for a link is read as a link.
That is one open and one fstat per file (the listing's d_type answers "is it a regular file").

The walk is iterative and opens each directory relative to its parent's descriptor, so neither the
Python stack nor PATH_MAX limits depth; a directory's descriptor is closed once its last
subdirectory is entered, so a deep chain holds one or two.

Nothing else is skipped (no .gitignore, no binary detection: the keyword prefilter makes binary
files cheap) but explicit excludes and `.git/objects`, whose zlib-compressed content cannot hold a
readable key (`keylatch history` scans those objects properly).

Explicit excludes (sources/excludes.py) are applied on the way down: an excluded directory is
never entered.

An entry inside a directory that cannot be read (permissions, an I/O error, a directory that
cannot be listed or entered) and an archive anywhere that cannot be read whole (corrupt,
encrypted, a bomb, nested too deep: sources/archives.py) does not stop the walk: it is yielded as
Unread(path, message) after whatever of it was read, and the walk goes on, so keys in every other
file are still found. The caller decides the outcome (commands/scanning.py: exit 3, every unread
entry named). A PATH named on the command line that cannot be opened is still a ScanError: there
is nothing else it could mean.

`walk_spread` is the same walk with the files read by worker threads (os.read and the caller's
`wanted` test, a Hyperscan pass, release the GIL), in batches of a directory's files, in the
walk's order: what it yields, and the first error, are what `walk` yields. A small file the
`wanted` test passes over comes back as `Cleared` (counted, not scanned); larger files and
archives are read by the walking thread in blocks, as by `walk`. sources/forks.py spreads the
same batches over forked processes instead, where the process may fork.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from keylatch.errors import KeylatchError, ScanError, UsageError, printable
from keylatch.model import Chunk, Record
from keylatch.sources import archives as packed
from keylatch.sources.archives import DEFAULT_LIMITS, Limits
from keylatch.sources.blocks import OVERLAP, blocks
from keylatch.sources.excludes import Excludes, Matcher

if TYPE_CHECKING:
    from concurrent.futures import Future

# Files are read in overlapping blocks of this size (sources/blocks.py).
BLOCK = 32 << 20
# A read of a pipe, or of a file of unknown size, asks for this much (a pipe's buffer).
_PIPE_READ = 64 << 10

STDIN = Path("-")
# walk_spread: files up to this size are read whole by a worker thread; the bytes held in flight
# are at most _SMALL x _BATCH x the window (4 batches a thread).
_SMALL = 256 << 10
# Files per task: one task per file cost more in thread hand-offs than it saved (bench/README.md).
_BATCH = 16

# What every archive sources/magic.py `kind` recognises starts with, but tar (its magic is at byte
# 257): zip "PK", gzip 0x1f, bzip2 "BZh", xz 0xfd (tests/sources/test_files.py checks each kind).
_ARCHIVE_FIRST = frozenset(b"P\x1fB\xfd")

_NAME = attrgetter("name")  # a directory's entries sort by name (a lambda costs a frame each)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_OPEN_ENTRY = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
_OPEN_SUBDIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
_OPEN_NAMED = os.O_RDONLY | os.O_NONBLOCK | _CLOEXEC  # a named PATH: links followed, FIFOs never wait


# A name shorter than this holds no key: the shortest any rule finds is 32 characters (an Azure
# key's hex); the margin is for configured rules (tests/sources/test_pathnames.py checks the rules).
NAME_MIN = 20


# model.Records, not dataclasses: on every scan's start-up (keylatch/model.py says what that saves).
class Names(Record):
    """Displayed paths of a directory's entries whose names are long enough to hold a key (files,
    subdirectories, anything listed, excluded ones left out): a path is pushed with the content,
    so a key written in a name is a leak too (commands/scanning.py scans them, batched)."""

    __slots__ = ("paths",)
    paths: tuple[str, ...]

    def __init__(self, paths: tuple[str, ...]) -> None:
        self._set(paths)


class Skipped(Record):
    """A directory entry that is not a regular file, left unopened."""

    __slots__ = ("path", "kind")
    path: str  # as displayed
    kind: str  # "symlink", "FIFO", "socket", "character device", "block device"

    def __init__(self, path: str, kind: str) -> None:
        self._set(path, kind)


class Unread(Record):
    """An entry that could not be read (whole): the scan is incomplete, the walk went on."""

    __slots__ = ("path", "message")
    path: str  # as displayed: the file (an archive's own path, not its member's)
    message: str  # one line, printable: "cannot read x: Permission denied", "a.zip!m: not fully scanned: ..."

    def __init__(self, path: str, message: str) -> None:
        self._set(path, message)


class Cleared(Record):
    """Files read whole that the `wanted` test of walk_spread passed over: nothing to scan. One
    record stands for a run of such files in the walk's order (one a file cost ~1 us each in
    records and generator hops: 5 ms of a 5,000-file tree); `path` is the run's last."""

    __slots__ = ("path", "size", "files")
    path: str  # as displayed
    size: int  # bytes read, all the run's files together
    files: int

    def __init__(self, path: str, size: int, files: int = 1) -> None:
        self._set(path, size, files)


# The two records below never leave this module and sources/forks.py: NamedTuples, which cost
# ~80 us each to define where a frozen dataclass costs ~440 us, on every start-up.
class _Batch(NamedTuple):
    """Files of one directory for a worker: its own descriptor of the directory (closed by the
    worker, or by walk_spread if the batch never ran), and (name, displayed path) in order."""

    dir_fd: int
    files: tuple[tuple[str, str], ...]


class _Deferred(NamedTuple):
    """A regular file a worker opened but left to the walking thread (large, or an archive)."""

    fd: int
    path: str
    size: int


# int: the size of a small file read whole that `wanted` passes over (Cleared, without the record).
_Outcome = Chunk | Skipped | Unread | _Deferred | int
Item = Chunk | Skipped | Unread | Names


def walk(
    paths: Sequence[Path], excludes: Excludes | None = None, archives: Limits = DEFAULT_LIMITS
) -> Generator[Item, None, None]:
    """Chunks of every file under `paths` (sorted per directory), the entries skipped and those
    that could not be read. A file that is an archive (by its magic bytes, sources/archives.py)
    yields its members' Chunks."""
    for item in _items(paths, excludes or Excludes(), archives, batches=False):
        assert not isinstance(item, (_Batch, Cleared))  # batches=False, no `wanted`: files are read in place
        yield item


def walk_spread(
    paths: Sequence[Path],
    wanted: Callable[[bytes], bool],
    jobs: int,
    excludes: Excludes | None = None,
    archives: Limits = DEFAULT_LIMITS,
) -> Generator[Item | Cleared, None, None]:
    """`walk`, with regular files in directories read by `jobs` threads; a file read whole for
    which `wanted(data)` is false comes back as Cleared. Same order, same Unread entries.
    (sources/forks.py spreads the same walk over processes, where a process may fork.)

    With one job there are no threads: the walking thread reads each small file in one call and
    tests it, as a worker would (a thread pool on one core only adds hand-offs)."""
    if jobs <= 1:
        for item in _items(paths, excludes or Excludes(), archives, batches=False, wanted=wanted):
            assert not isinstance(item, _Batch)  # batches=False: files are read in place
            yield item
        return
    from concurrent.futures import ThreadPoolExecutor

    window = 4 * jobs
    items = _items(paths, excludes or Excludes(), archives, batches=True)
    queue: deque[tuple[Future[list[_Outcome | Cleared | KeylatchError]], _Batch] | Item | Cleared] = deque()
    pool = ThreadPoolExecutor(jobs, thread_name_prefix="keylatch-read")
    try:
        for item in items:
            if isinstance(item, _Batch):
                queue.append((pool.submit(_read_batch, item, archives, wanted), item))
            else:
                queue.append(item)
            while len(queue) > window or (queue and not isinstance(queue[0], tuple)):
                yield from _emit(queue.popleft(), archives)
        while queue:
            yield from _emit(queue.popleft(), archives)
    finally:
        items.close()
        for pending in queue:  # an error or an interrupt: nothing left open, no thread left running
            if isinstance(pending, tuple) and pending[0].cancel():
                os.close(pending[1].dir_fd)
        pool.shutdown(wait=True)
        for pending in queue:
            if isinstance(pending, tuple) and not pending[0].cancelled() and pending[0].exception() is None:
                for outcome in pending[0].result():
                    if isinstance(outcome, _Deferred):
                        os.close(outcome.fd)


def _emit(
    item: tuple[Future[list[_Outcome | Cleared | KeylatchError]], _Batch] | Item | Cleared, archives: Limits
) -> Iterator[Item | Cleared]:
    if not isinstance(item, tuple):
        yield item
        return
    outcomes = item[0].result()
    done = 0
    try:
        for outcome in outcomes:
            done += 1
            if isinstance(outcome, KeylatchError):  # the batch stopped here, as the walk would have
                raise outcome
            if isinstance(outcome, _Deferred):
                yield from _deferred(outcome, archives)
            elif not isinstance(outcome, int):  # _read_batch made each a Cleared
                yield outcome
    finally:
        for outcome in outcomes[done:]:  # an error or an interrupt: the rest stay unread
            if isinstance(outcome, _Deferred):
                os.close(outcome.fd)


def _deferred(outcome: _Deferred, archives: Limits) -> Iterator[Chunk | Unread]:
    """A file `_read_small` left to the walking thread: read in blocks from its start; closed here."""
    try:
        os.lseek(outcome.fd, 0, os.SEEK_SET)  # its head may have been read
        yield from _entry_content(outcome.fd, outcome.path, outcome.size, archives)
    finally:
        os.close(outcome.fd)


def _read_batch(
    batch: _Batch, archives: Limits, wanted: Callable[[bytes], bool]
) -> list[_Outcome | Cleared | KeylatchError]:
    """A worker's task: each file of the batch, in order; an error ends the batch, last."""
    out: list[_Outcome | Cleared | KeylatchError] = []
    try:
        for name, shown in batch.files:
            outcome = _read_small(batch.dir_fd, name, shown, archives, wanted)
            out.append(Cleared(shown, outcome) if isinstance(outcome, int) else outcome)
    except KeylatchError as exc:
        out.append(exc)
    finally:
        os.close(batch.dir_fd)
    return out


def _read_small(
    dir_fd: int, name: str, shown: str, archives: Limits, wanted: Callable[[bytes], bool] | None
) -> _Outcome:
    """`_entry` in one call: a small regular file read whole and tested (no `wanted`: always a
    Chunk; its size if `wanted` passes over it); the rest deferred. A worker's task, and walk's
    when it is given `wanted`."""
    try:
        fd = os.open(name, _OPEN_ENTRY, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW: it is a symbolic link now; its text is its content
            return _link_text(dir_fd, name, shown)
        return _unread(shown, exc)
    deferred = False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return Skipped(shown, _kind(st.st_mode))
        if st.st_size > _SMALL:
            deferred = True
            return _Deferred(fd, shown, st.st_size)
        size = st.st_size
        try:
            # One read for what fstat says, as _fill would, without its loop for the usual case.
            data, end = os.read(fd, size + 1) if size else b"", True
            if len(data) != size or not size:  # short, grown, or sized 0 (/proc): _fill goes on
                more, end = _fill(fd, BLOCK - len(data), size - len(data))
                data += more
        except OSError as exc:
            return _unread(shown, exc)
        # The archive test reads the head already in hand (walk's pread, without the call); a
        # first byte no archive starts with and no tar magic answer it without a call at all.
        if not end or (
            archives.depth
            and len(data) >= 4
            and (
                ((data[0] in _ARCHIVE_FIRST or data[257:262] == b"ustar") and packed.kind(data[: packed.HEAD]))
                or packed.zip_end(data, len(data))  # a zip with bytes in front (sources/magic.py)
                or packed.script_payload(data)  # a script's compressed payload (sources/magic.py)
            )
        ):
            deferred = True
            return _Deferred(fd, shown, st.st_size)
        return Chunk(data, shown) if wanted is None or wanted(data) else len(data)
    finally:
        if not deferred:
            os.close(fd)


def _items(
    paths: Sequence[Path],
    excludes: Excludes,
    archives: Limits,
    *,
    batches: bool,
    wanted: Callable[[bytes], bool] | None = None,
) -> Generator[Item | Cleared | _Batch, None, None]:
    for root in paths:
        if root == STDIN:
            yield from _stream(0, "<stdin>", archives)
        else:
            yield from _named(root, excludes, archives, batches, wanted)


def batched(root: Path, excludes: Excludes, archives: Limits) -> Generator[Item | _Batch, None, None]:
    """The walk of one PATH (not standard input), each directory's regular files handed out in
    batches, unread, for a walk_spread to read (sources/forks.py)."""
    for item in _named(root, excludes, archives, True, None):
        assert not isinstance(item, Cleared)  # no `wanted`: nothing is tested here
        yield item


def display_path(path: Path) -> str:
    """Paths as users typed them, with `/` separators (baselines and reports store this form)."""
    return path.as_posix().removeprefix("./")


def read_chunks(path: Path) -> Iterator[Chunk]:
    """The Chunks of one file, whatever it is (no type checks: for callers that know)."""
    name = display_path(path)
    try:
        fd = os.open(path, _OPEN_NAMED)
    except OSError as exc:
        raise _cannot_read(name, exc) from exc
    try:
        yield from _chunks(fd, name, os.fstat(fd).st_size)
    finally:
        os.close(fd)


def read_small(path: Path, limit: int) -> bytes:
    """At most `limit + 1` bytes of the regular file `path` (more than `limit`: the caller says
    "too large"). Anything else raises OSError without being read: a FIFO would block, a device
    never ends. For configuration and baseline files, which come from the scanned repository."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # before open: opening a device can act
        raise OSError(errno.EINVAL, "not a regular file")
    fd = os.open(path, _OPEN_NAMED)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        data, _ = _fill(fd, limit + 1, st.st_size)
        return data
    finally:
        os.close(fd)


def _named(
    root: Path, excludes: Excludes, archives: Limits, batches: bool, wanted: Callable[[bytes], bool] | None
) -> Iterator[Item | Cleared | _Batch]:
    shown = display_path(root)
    try:
        link = stat.S_ISLNK(os.lstat(root).st_mode)
    except OSError as exc:
        raise _not_found(root, shown, exc) from exc
    if link and not _kernel_link(root):
        # A link named on the command line is content too: its text, as git would commit it
        # (a dangling link or a loop has no other); then what it leads to, as the user named it.
        # Its own place, not its target's, says whether a configuration glob excludes it.
        # (Matcher.of resolves its root: the link's directory is resolved, the link is not.)
        up = Matcher.of(root.parent, display_path(root.parent), excludes)
        if not (up.root_excluded() or up.excluded(root.name, root.name)):
            yield _link_text(None, root, shown)
    m = Matcher.of(root, shown, excludes)
    if m.root_excluded():
        return
    if len(root.name) >= NAME_MIN:  # its own name may hold a key, as an entry's below it may
        yield Names((shown,))
    try:
        mode = os.stat(root).st_mode  # follows links: the user named this path
    except OSError as exc:
        if link and exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP) and not _kernel_link(root):
            return  # dangling, or a loop: its text was all there is
        raise _not_found(root, shown, exc) from exc
    if stat.S_ISDIR(mode):
        try:
            fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
        except OSError as exc:
            raise _cannot_read(shown, exc) from exc
        yield from _tree(fd, m, root.name, archives, batches, wanted)
        return
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        raise UsageError(f"not a file or directory: {printable(shown)} ({_kind(mode)})")
    try:
        fd = os.open(root, _OPEN_NAMED)
    except OSError as exc:
        raise _cannot_read(shown, exc) from exc
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode):
            yield from _regular(fd, shown, st.st_size, archives)
        elif stat.S_ISFIFO(st.st_mode):
            yield from _pipe(fd, root, shown, archives)
        else:  # replaced since the stat above
            raise ScanError(f"cannot read {printable(shown)}: it changed during the scan")
    finally:
        os.close(fd)


def _pipe(fd: int, root: Path, shown: str, archives: Limits) -> Iterator[Chunk | Unread]:
    try:
        first: bytes | None = os.read(fd, _PIPE_READ)
    except BlockingIOError:
        first = None  # a writer, nothing written yet
    except OSError as exc:
        raise _cannot_read(shown, exc) from exc
    if first == b"" and not _is_anonymous_pipe(root):
        raise ScanError(f"cannot read {printable(shown)}: no process is writing to this FIFO")
    os.set_blocking(fd, True)
    yield from _stream(fd, shown, archives, first or b"")


def _stream(fd: int, shown: str, archives: Limits, first: bytes = b"") -> Iterator[Chunk | Unread]:
    """Standard input or a pipe: its Chunks, or its members' if it is an archive (its first HEAD
    bytes say, as for a file). An archive that cannot be read whole yields its readable members'
    Chunks, then Unread, as `_regular` does."""
    head = first
    if archives.depth:
        try:
            while len(head) < packed.HEAD and (piece := os.read(fd, _PIPE_READ)):
                head += piece
            opened = bool(packed.kind(head[: packed.HEAD]))
            # A script's compressed payload follows its text (sources/magic.py): read up to its
            # first zero byte, and a header's length more.
            while (
                not opened
                and len(head) < packed.SCRIPT
                and head.find(b"\0", 0, max(0, len(head) - packed.HEAD)) < 0
                and (piece := os.read(fd, _PIPE_READ))
            ):
                head += piece
        except OSError as exc:
            raise _cannot_read(shown, exc) from exc
        if opened or packed.script_payload(head):

            def read(n: int) -> bytes:
                nonlocal head
                if head:
                    data, head = head[:n], head[n:]
                    return data
                return os.read(fd, min(n, _PIPE_READ))

            yield from _members(packed.stream_chunks(read, shown, archives, BLOCK), shown)
            return
    last, size = None, 0
    for chunk in _chunks(fd, shown, 0, head):
        size += len(chunk.data) - (OVERLAP if last is not None else 0)  # each block after the first repeats OVERLAP
        last = chunk
        yield chunk
    if archives.depth and last is not None and packed.zip_end(last.data, size):
        # A zip with bytes in front is known by its end, read last: a stream cannot go back to
        # its members (a file can, sources/archives.py). Its text was scanned; its members were not.
        why = "a zip with bytes in front of it, read from a pipe: its members were not read (scan it by its path)"
        yield Unread(shown, f"{printable(shown)}: not fully scanned: {why}")


def _is_anonymous_pipe(path: Path) -> bool:
    # /dev/fd/N and /proc/self/fd/N are links to "pipe:[inode]" for `<(cmd)`.
    try:
        return os.readlink(path).startswith("pipe:")
    except OSError:
        return False


def _tree(
    top: int, m: Matcher, top_name: str, archives: Limits, batches: bool, wanted: Callable[[bytes], bool] | None
) -> Iterator[Item | Cleared | _Batch]:
    """Every entry below the open directory `top` (closed here): each directory's entries by
    name, then its subdirectories, depth first."""
    fd, rel, name = top, "", top_name
    # Directories with subdirectories still to enter: (fd, rel path, names reversed).
    stack: list[tuple[int, str, list[str]]] = []
    try:
        while True:
            if fd >= 0:
                subdirs = yield from _directory(fd, rel, name, m, archives, batches, wanted)
                if subdirs:
                    subdirs.reverse()
                    stack.append((fd, rel, subdirs))
                else:
                    os.close(fd)
                fd = -1
            if not stack:
                return
            parent, parent_rel, pending = stack[-1]
            name = pending.pop()
            rel = f"{parent_rel}/{name}" if parent_rel else name
            try:
                fd = os.open(name, _OPEN_SUBDIR, dir_fd=parent)
            except OSError as exc:  # this directory is not scanned; its siblings are
                yield _unread(m.shown(rel), exc)
            finally:
                if not pending:  # its last subdirectory: a deep chain holds no ancestors open
                    stack.pop()
                    os.close(parent)
    finally:
        if fd >= 0:
            os.close(fd)
        for parent, _, _ in stack:
            os.close(parent)


def _directory(
    fd: int,
    rel: str,
    dir_name: str,
    m: Matcher,
    archives: Limits,
    batches: bool,
    wanted: Callable[[bytes], bool] | None = None,
) -> Generator[Item | Cleared | _Batch, None, list[str]]:
    """Read the files of the open directory `fd` (or, with `batches`, hand them out in batches
    for walk_spread's workers); return the subdirectories to enter."""
    try:
        with os.scandir(fd) as it:
            entries = sorted(it, key=_NAME)
    except OSError as exc:  # a directory that cannot be listed: not scanned, the walk goes on
        yield _unread(m.shown(rel) or ".", exc)
        return []
    subdirs = []
    batch: list[tuple[str, str]] = []
    shown_in = m.shown(f"{rel}/" if rel else "")  # each entry is shown as shown_in + its name
    cleared = cleared_size = 0  # a run of files read in place that `wanted` passed over
    last_cleared = ""
    named: list[str] = []  # entries whose names may hold a key
    for entry in entries:
        name = entry.name
        path = f"{rel}/{name}" if rel else name
        if m.excluded(path, name):
            continue
        if len(name) >= NAME_MIN:
            named.append(shown_in + name)
        try:
            # d_type: no system call. Most entries are files: one question for those.
            is_file = entry.is_file(follow_symlinks=False)
            is_dir = not is_file and entry.is_dir(follow_symlinks=False)
        except OSError as exc:
            if batch:  # the files listed before this entry come first
                yield _batch_of(fd, batch, m.shown(rel))
                batch = []
            if cleared:
                yield Cleared(shown_in + last_cleared, cleared_size, cleared)
                cleared = cleared_size = 0
            yield _unread(shown_in + name, exc)
            continue
        if is_dir:
            if not (name == "objects" and dir_name == ".git"):
                subdirs.append(name)
        elif is_file and batches:
            batch.append((name, shown_in + name))
            if len(batch) == _BATCH:
                yield _batch_of(fd, batch, m.shown(rel))
                batch = []
        elif is_file:  # one call a small file, as a worker reads it (no pread of its head)
            outcome = _read_small(fd, name, shown_in + name, archives, wanted)
            if isinstance(outcome, int):
                cleared += 1
                cleared_size += outcome
                last_cleared = name
                continue
            if cleared:  # before this file's chunks: a chunk's path follows a different one
                yield Cleared(shown_in + last_cleared, cleared_size, cleared)
                cleared = cleared_size = 0
            if isinstance(outcome, _Deferred):
                yield from _deferred(outcome, archives)
            else:
                yield outcome
        else:
            if batch:  # the files listed before this entry come first
                yield _batch_of(fd, batch, m.shown(rel))
                batch = []
            if cleared:
                yield Cleared(shown_in + last_cleared, cleared_size, cleared)
                cleared = cleared_size = 0
            if entry.is_symlink():  # its text, as git stores it; never followed
                yield _link_text(fd, name, shown_in + name)
            else:
                yield Skipped(shown_in + name, _entry_kind(entry))
    if batch:
        yield _batch_of(fd, batch, m.shown(rel))
    if cleared:
        yield Cleared(shown_in + last_cleared, cleared_size, cleared)
    if named:
        yield Names(tuple(named))
    return subdirs


def _batch_of(fd: int, files: list[tuple[str, str]], shown_dir: str) -> _Batch:
    try:
        return _Batch(os.dup(fd), tuple(files))  # the walk closes `fd` when it moves on
    except OSError as exc:
        raise _cannot_read(shown_dir, exc) from exc


def _entry(dir_fd: int, name: str, shown: str, archives: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    """A directory entry listed as a regular file: read it if it still is one."""
    try:
        fd = os.open(name, _OPEN_ENTRY, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW: it is a symbolic link now; its text is its content
            yield _link_text(dir_fd, name, shown)
        else:
            yield _unread(shown, exc)
        return
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode):
            yield from _entry_content(fd, shown, st.st_size, archives)
        else:
            yield Skipped(shown, _kind(st.st_mode))
    finally:
        os.close(fd)


def _entry_content(fd: int, name: str, size: int, archives: Limits) -> Iterator[Chunk | Unread]:
    """`_regular` for an entry inside a directory: a read that fails ends this file, not the walk."""
    try:
        yield from _regular(fd, name, size, archives)
    except ScanError as exc:
        yield Unread(name, str(exc))


def _regular(fd: int, name: str, size: int, archives: Limits) -> Iterator[Chunk | Unread]:
    """A regular file's Chunks, or its members' if it is an archive (one pread of its head). An
    archive that cannot be read whole yields its readable members' Chunks, then Unread."""
    if archives.depth and size >= 4:
        try:
            head = os.pread(fd, packed.HEAD, 0)
        except OSError as exc:
            raise _cannot_read(name, exc) from exc
        opened = bool(packed.kind(head))
        if not opened and size >= 22:  # a zip with bytes in front is known by its end (sources/magic.py)
            try:
                opened = packed.zip_end(os.pread(fd, packed.TAIL, max(0, size - packed.TAIL)), size)
            except OSError as exc:
                raise _cannot_read(name, exc) from exc
        if not opened:  # a script with a compressed payload after its text (sources/magic.py)
            try:
                opened = bool(packed.script_payload(os.pread(fd, packed.SCRIPT, 0)))
            except OSError as exc:
                raise _cannot_read(name, exc) from exc
        if opened:
            # Its own descriptor, seekable (zip reads its directory at the end); closed here.
            with open(os.dup(fd), "rb") as fh:
                yield from _members(packed.member_chunks(fh, name, archives, BLOCK), name)
            return
    yield from _chunks(fd, name, size)


def _chunks(fd: int, name: str, size: int = 0, first: bytes = b"") -> Iterator[Chunk]:
    """Overlapping blocks of what `fd` reads from here to its end (`first`: bytes already read)."""
    offset = 0

    def fill(n: int) -> tuple[bytes, bool]:
        nonlocal offset, first
        if first:
            data, end = _fill(fd, n - len(first), size - len(first))
            data, first = first + data, b""
        else:
            data, end = _fill(fd, n, size - offset)
        offset += len(data)
        return data, end

    try:
        yield from blocks(fill, BLOCK, name)
    except OSError as exc:
        raise _cannot_read(name, exc) from exc


def _fill(fd: int, n: int, expected: int) -> tuple[bytes, bool]:
    """Up to `n` bytes, reading until there are `n` or the end; and whether the end was reached.

    `expected` is what fstat said is left (st_size; 0 or less: unknown, as for a pipe). A file
    read up to that size is at its end: a small file costs one read. Otherwise the end is a read
    that returns nothing; a pipe is asked for 64 KiB at a time (os.read allocates what it asks).
    """
    parts: list[bytes] = []
    got = 0
    while got < n:
        left = expected - got
        piece = os.read(fd, min(n - got, left + 1 if left > 0 else _PIPE_READ))
        if not piece:
            return b"".join(parts), True
        parts.append(piece)
        got += len(piece)
        if 0 < left == len(piece):
            return b"".join(parts), True
    return b"".join(parts), False


def _link_text(dir_fd: int | None, name: str | Path, shown: str) -> Chunk | Skipped | Unread:
    """A symbolic link's content: the bytes of its target text, which is what git commits for it
    (a blob holding that text), at `shown`:1. Read with readlink, never followed: a link to
    /dev/zero, a FIFO, `/` or itself is text like any other. Bytes, so a target that is not UTF-8
    is scanned as git stores it."""
    try:
        return Chunk(os.readlink(os.fsencode(name), dir_fd=dir_fd), shown)
    except OSError as exc:
        if exc.errno == errno.EINVAL:  # not a link any more (replaced since the listing): not opened
            return Skipped(shown, "special file")
        return _unread(shown, exc)


def _kernel_link(path: Path) -> bool:
    """A link the kernel made (/proc/self/fd/N, /dev/fd/63 for `<(cmd)`, /dev/stdin): its text
    (`pipe:[N]`, `/proc/self/fd/0`) describes an open file, it is no one's content to commit; and
    one of /proc's dangling fd links is not a dangling link the user wrote."""
    parent = os.path.realpath(path.parent)  # /dev/fd is /proc/self/fd; /dev/shm holds user files
    return parent == "/proc" or parent.startswith("/proc/") or (parent == "/dev" and path.name in _DEV_STREAMS)


_DEV_STREAMS = frozenset(("stdin", "stdout", "stderr", "fd"))


def _kind(mode: int) -> str:
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "special file"


_KINDS = (
    (stat.S_ISLNK, "symlink"),
    (stat.S_ISFIFO, "FIFO"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
    (stat.S_ISDIR, "directory"),
)


def _entry_kind(entry: os.DirEntry[str]) -> str:
    if entry.is_symlink():
        return "symlink"
    try:
        return _kind(entry.stat(follow_symlinks=False).st_mode)
    except OSError:
        return "special file"


def _not_found(root: Path, shown: str, exc: OSError) -> KeylatchError:
    """A PATH that names nothing (exit 2), or one that exists but cannot be reached (exit 3)."""
    where = printable(shown)
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        broken = exc.errno == errno.ENOENT and os.path.islink(root)
        return UsageError(f"no such file or directory: {where}" + (" (a broken symbolic link)" if broken else ""))
    if exc.errno == errno.ELOOP:
        return UsageError(f"symbolic link loop: {where}")
    if exc.errno == errno.ENAMETOOLONG:
        return UsageError(f"file name too long: {where}")
    return _cannot_read(shown, exc)


def _members(chunks: Iterator[Chunk], shown: str) -> Iterator[Chunk | Unread]:
    """An archive's member Chunks, then Unread if it could not be read whole (corrupt,
    encrypted, a bomb, too deep, or an I/O error): the members before it, and the rest of the
    scan, are still read."""
    try:
        yield from chunks
    except OSError as exc:
        yield _unread(shown, exc)
    except ScanError as exc:
        yield Unread(shown, str(exc))


def _unread(shown: str, exc: OSError) -> Unread:
    return Unread(shown, str(_cannot_read(shown, exc)))


def _cannot_read(shown: str, exc: OSError) -> ScanError:
    return ScanError(f"cannot read {printable(shown)}: {exc.strerror or exc}")
