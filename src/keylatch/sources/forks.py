"""files.walk_spread on processes: the GIL-bound part of a walk (open, fstat, read, the `wanted`
test, and the caller's own verdict) shared with forked workers, so a tree is read on every core.

    for item in walk_spread(paths, wanted, jobs, excludes, archives, quiet):
        ...  # what files.walk_spread yields: Chunks, Cleared, Skipped, Unread, in the walk's order

The parent walks the tree and reads its batches itself until it has seen FORK_AFTER batches (a
small tree never pays for a fork). Then it forks `jobs - 1` workers, each holding a copy of the
walk at that point: every process goes on walking (listing directories costs little against
reading them), and batch n belongs to process (n - FORK_AFTER) % jobs. A worker reads and tests
its batches' files and sends, for each batch, its index, its file names and one number a file:
the size of a file it cleared (read whole, not an archive, `wanted` false), or -1 for any file
the parent must open itself (it passed the test, is large or an archive, could not be read, is
not a regular file any more). The parent yields every batch in the walk's order: a cleared
file's Cleared from the worker's number, everything else from its own read, so findings, the
summary's counts, Unread messages and the first error are those of one process, by construction.
The parent never waits for a worker: when it comes to a worker's batch whose answer is not in
the pipe yet, it reads that batch itself (and drops the answer when it comes), so on a machine
whose other cores are busy the scan costs what it costs on one core, not more.

Fail closed: a worker whose answer is missing (it died or was killed), malformed, or names other
files (the tree changed between the two listings) is stopped, and the parent reads that batch and
every later batch of that worker itself. Workers never return into the caller's code: they end
with os._exit, so they flush nothing of the parent's (stdout buffers, atexit) and unwind nothing.
SIGINT and SIGTERM are blocked across the fork and default in a worker (it dies at once with
the parent's process group); the parent's generator, closed by an error or an interrupt, kills
and reaps every worker it started.

`quiet(chunk)` is the caller's verdict on a file `wanted` passes: true if it would find nothing
in it (scan: the engine reports no hit). A worker asks it and clears such a file, so the
engine's GIL-bound work spreads over the cores too; the parent never asks, it yields the Chunk.

Only where os.fork exists, only from a process without other threads (a fork copies one thread;
another could hold a lock), and only for more than one job; otherwise files.walk_spread's
threads, or one thread. Standard input is read by the parent alone (a worker's copy of the walk
must not read a stream), and each named PATH is walked by its own call, so a worker's walk ends
with that PATH's tree.
"""

from __future__ import annotations

import marshal
import os
import signal
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path

from keylatch.model import Chunk
from keylatch.sources import files
from keylatch.sources.archives import DEFAULT_LIMITS, Limits
from keylatch.sources.excludes import Excludes
from keylatch.sources.files import STDIN, Cleared, Item, _Batch, _Deferred, _deferred, _read_small

# Batches (of files.BATCH files) the parent reads alone before forking: a fork and a worker's
# exit cost ~3 ms of the parent's time, about 200 small files' reads (bench/README.md).
FORK_AFTER = 8
# A frame larger than this is not a worker's (16 names and sizes take a few hundred bytes).
_FRAME_LIMIT = 1 << 20


class _Worker:
    """A forked worker: its pid and the read end of its pipe (non-blocking; -1 once stopped),
    with what has been read of it and not yet taken. Mutable, and never leaves this module."""

    __slots__ = ("fd", "got", "pid")

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.got = bytearray()

    def answer(self, n: int, names: tuple[str, ...]) -> tuple[int, ...] | None:
        """Its sizes for batch `n` of `names`, if it has sent them yet. None: not yet (the parent
        reads the batch itself, so a worker that a loaded machine holds back never holds the
        scan back), or a worker that is gone or wrong (stopped: the parent reads the rest)."""
        while self.fd >= 0:
            frame = self._frame()
            if frame == "pending":
                return None
            if not isinstance(frame, tuple):
                break
            if frame[0] < n:  # a batch the parent did not wait for: it read that one itself
                continue
            sizes = frame[2]
            if frame[0] == n and frame[1] == names and type(sizes) is tuple and len(sizes) == len(names):
                if all(type(size) is int for size in sizes):
                    return sizes
            break  # out of step, or not a worker's answer
        self.stop()
        return None

    def _frame(self) -> tuple[int, object, object] | str:
        """The next frame the worker sent; "pending" if it is not all there yet; "bad" if it never
        will be (the pipe's end: the worker is gone) or is not a frame."""
        got = self.got
        while len(got) < 4 or len(got) < 4 + int.from_bytes(got[:4], "little"):
            if len(got) >= 4 and int.from_bytes(got[:4], "little") > _FRAME_LIMIT:
                return "bad"
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return "pending"
            except OSError:
                return "bad"
            if not data:
                return "bad"
            got += data
        size = int.from_bytes(got[:4], "little")
        body = bytes(got[4 : 4 + size])
        del got[: 4 + size]
        try:
            frame = marshal.loads(body)
        except (ValueError, EOFError, TypeError):
            return "bad"
        if type(frame) is not tuple or len(frame) != 3 or type(frame[0]) is not int:
            return "bad"
        return (frame[0], frame[1], frame[2])

    def stop(self) -> None:
        """Kill (if still running) and reap the worker; close its pipe. Idempotent."""
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:  # pragma: no cover - a zombie is still there to kill
                pass
            os.waitpid(self.pid, 0)
            self.pid = 0
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def walk_spread(
    paths: Sequence[Path],
    wanted: Callable[[bytes], bool],
    jobs: int,
    excludes: Excludes | None = None,
    archives: Limits = DEFAULT_LIMITS,
    quiet: Callable[[Chunk], bool] | None = None,
) -> Generator[Item | Cleared, None, None]:
    """files.walk_spread, its batches read by `jobs` processes where this process may fork."""
    if jobs <= 1 or not can_fork():
        yield from files.walk_spread(paths, wanted, jobs, excludes, archives)
        return
    excludes = excludes or Excludes()
    for root in paths:  # one walk a PATH: a worker's copy must never read standard input
        if root == STDIN:
            yield from files.walk_spread([root], wanted, 1, excludes, archives)
        else:
            yield from walk_forked(files.batched(root, excludes, archives), wanted, jobs, archives, quiet)


def can_fork() -> bool:
    """os.fork and signal masks exist (not Windows), and no other thread does: a forked child
    holds a copy of one thread, and a lock another thread held would stay held for ever."""
    import sys

    if not hasattr(os, "fork") or not hasattr(signal, "pthread_sigmask"):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


def walk_forked(
    items: Generator[Item | _Batch, None, None],
    wanted: Callable[[bytes], bool],
    jobs: int,
    archives: Limits,
    quiet: Callable[[Chunk], bool] | None = None,
) -> Generator[Item | Cleared, None, None]:
    """What `items` (files._items with batches) yields, its batches read here or by workers."""
    workers: list[_Worker] = []
    n = 0
    try:
        for item in items:
            if not isinstance(item, _Batch):
                yield item
                continue
            if n == FORK_AFTER and jobs > 1:
                workers = _fork(items, item, n, jobs, wanted, archives, quiet)
            share = (n - FORK_AFTER) % (len(workers) + 1) if workers else 0
            sizes = workers[share - 1].answer(n, tuple(name for name, _ in item.files)) if share else None
            n += 1
            yield from _batch(item, sizes, wanted, archives)
    finally:
        items.close()
        for worker in workers:
            worker.stop()


def _batch(
    batch: _Batch, sizes: tuple[int, ...] | None, wanted: Callable[[bytes], bool], archives: Limits
) -> Iterator[Item | Cleared]:
    """A batch in order: a file a worker cleared from its size, every other file read here; a
    run of cleared files as one Cleared."""
    cleared = cleared_size = 0
    last = ""
    try:
        for i, (name, shown) in enumerate(batch.files):
            outcome = (
                sizes[i]
                if sizes is not None and sizes[i] >= 0
                else _read_small(batch.dir_fd, name, shown, archives, wanted)
            )
            if isinstance(outcome, int):
                cleared += 1
                cleared_size += outcome
                last = shown
                continue
            if cleared:  # before this file's chunks: a chunk's path follows a different one
                yield Cleared(last, cleared_size, cleared)
                cleared = cleared_size = 0
            if isinstance(outcome, _Deferred):
                yield from _deferred(outcome, archives)
            else:
                yield outcome
        if cleared:
            yield Cleared(last, cleared_size, cleared)
    finally:
        os.close(batch.dir_fd)


def _fork(
    items: Generator[Item | _Batch, None, None],
    first: _Batch,
    n: int,
    jobs: int,
    wanted: Callable[[bytes], bool],
    archives: Limits,
    quiet: Callable[[Chunk], bool] | None,
) -> list[_Worker]:
    """Up to `jobs - 1` workers, each walking on from batch `n` (`first`); fewer if fork fails."""
    workers: list[_Worker] = []
    blocked = {signal.SIGINT, signal.SIGTERM}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        for share in range(1, jobs):
            r, w = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # no more processes: the parent reads the shares it could not hand out
                os.close(r)
                os.close(w)
                break
            if pid == 0:  # the worker: never returns
                code = 1
                try:
                    for sig in blocked:
                        signal.signal(sig, signal.SIG_DFL)
                    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                    os.close(r)
                    for other in workers:
                        os.close(other.fd)
                    _work(items, first, n, share, jobs, w, wanted, archives, quiet)
                    code = 0
                finally:
                    os._exit(code)
            os.close(w)
            os.set_blocking(r, False)
            workers.append(_Worker(pid, r))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return workers


def _work(
    items: Generator[Item | _Batch, None, None],
    batch: _Batch,
    n: int,
    share: int,
    jobs: int,
    out: int,
    wanted: Callable[[bytes], bool],
    archives: Limits,
    quiet: Callable[[Chunk], bool] | None,
) -> None:
    """A worker's walk: its share of the batches, one frame each, in order."""
    while True:
        try:
            if (n - FORK_AFTER) % jobs == share:
                sizes = tuple(
                    _cleared(batch.dir_fd, name, shown, archives, wanted, quiet) for name, shown in batch.files
                )
                frame = marshal.dumps((n, tuple(name for name, _ in batch.files), sizes))
                _write(out, len(frame).to_bytes(4, "little") + frame)
        finally:
            os.close(batch.dir_fd)
        n += 1
        for item in items:
            if isinstance(item, _Batch):
                batch = item
                break
        else:
            return


def _cleared(
    dir_fd: int,
    name: str,
    shown: str,
    archives: Limits,
    wanted: Callable[[bytes], bool],
    quiet: Callable[[Chunk], bool] | None,
) -> int:
    """The size of a file read whole that `wanted` passes over, or that `quiet` says holds
    nothing for the caller; -1: the parent reads it."""
    outcome = _read_small(dir_fd, name, shown, archives, wanted)
    if isinstance(outcome, int):
        return outcome
    if isinstance(outcome, Chunk) and quiet is not None and quiet(outcome):
        return len(outcome.data)
    if isinstance(outcome, _Deferred):
        os.close(outcome.fd)
    return -1


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
