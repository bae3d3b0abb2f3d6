"""Several object readers over a partitioned object list, with the engine alongside.

The whole-history literal prefilter runs once per core: the object list, in pack order, is cut
into contiguous ranges of about equal bytes (contiguous, so each git keeps its delta-base cache
warm), and each range runs through its own `git cat-file --batch`, scanned by Hyperscan on the
range's own thread (history/hsgate.py, which releases the GIL), or, without Hyperscan, piped
through `grep -abo -F` (history/grepreaders.py). Each object with a hit goes, in list order, to
one more `cat-file --batch` whose objects the engine scans on the calling thread while the
readers go on. Findings, visit order and counts are the same as with one reader.

Alignment is checked per range: a range whose stream is not the one the listing predicted (an
object vanished, a grep that behaves differently) is handed to the engine whole, object by
object, minus the objects already handed on. Memory: a byte per object here and a 1 MiB buffer
per reader; each git process has its own delta-base cache (core.deltaBaseCacheLimit, 96 MiB by
default), so git's total grows with the number of readers (bench/history_bench.py reports it).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from keylatch.errors import ScanError
from keylatch.history import grepreaders, hsgate
from keylatch.history.grepfilter import MARK, Objects, grep_needles, grep_program
from keylatch.history.pipes import HalfPipeReads
from keylatch.history.ranges import END, Progress, Range, Report, cat_file, readers_git
from keylatch.sources import cores
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.reaping import kill

log = logging.getLogger(__name__)
_POLL = 0.1  # seconds between checks for an abandoned stream while waiting for a candidate
# Bytes a range is charged per object besides its content: the id lookup and the header.
_PER_OBJECT = 256
# Bytes listed before an early range starts (Early): about 0.2 s of one reader.
EARLY_BYTES = 128 << 20
EARLY_CORES = 3  # usable cores from which the listing starts readers (`early`)


def jobs() -> int:
    """Readers to run: one per core this process may use (sources/cores.py)."""
    return cores.usable()


# Listed bytes (as `split` weighs them) per reader beyond the first: a reader is a git process
# (~1.2 ms of CPU to start, and its delta-base cache to warm), while 8 MiB take one reader some
# 20-50 ms. A small repository (most of the test suite's, a fresh project's) is read by one git.
RANGE_BYTES = 8 << 20


def needed(objs: Objects, n: int, first: int = 0) -> int:
    """Readers for the objects `first` to the end: at most `n`, one more per RANGE_BYTES."""
    rest = sum(objs.sizes[first:]) + _PER_OBJECT * (len(objs) - first)
    return max(1, min(n, 1 + rest // RANGE_BYTES))


def split(sizes: Objects, n: int, first: int = 0) -> list[tuple[int, int]]:
    """`n` contiguous index ranges of about equal bytes over objects `first` to the end (fewer
    when objects are few): each object goes to the range its middle byte falls in."""
    rest = sizes.sizes[first:]
    total = sum(rest) + _PER_OBJECT * len(rest)
    bounds = [first]
    acc = 0
    for i, size in enumerate(rest, first):
        weight = size + _PER_OBJECT
        if len(bounds) < n and i > bounds[-1] and (2 * acc + weight) * n >= 2 * total * len(bounds):
            bounds.append(i)
        acc += weight
    bounds.append(len(sizes))
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if a < b]


@dataclass(slots=True)
class Readers:
    """The running readers of one scan; `candidates()` yields what the engine must read."""

    objs: Objects
    ranges: list[Range]
    visited: bytearray  # 1 for each object handed to the engine
    abandoned: threading.Event = field(default_factory=threading.Event)

    def candidates(self) -> Iterator[bytes]:
        """Object ids with a hit, in list order; a range out of step is given whole. Stops at a
        range that failed (its error is raised by `finish`) or when the stream is abandoned."""
        for r in self.ranges:
            while True:
                i = self._next(r)
                if i is None:
                    return
                if i == END:
                    break
                self.visited[i] = 1
                yield self.objs.oid(i)
            if r.error is not None:
                return
            if not r.aligned:
                log.debug("grep prefilter out of step for objects %d-%d: scanning them in Python", r.first, r.stop)
                for i in range(r.first, r.stop):
                    if not self.visited[i]:
                        self.visited[i] = 1
                        yield self.objs.oid(i)

    def _next(self, r: Range) -> int | None:
        while not self.abandoned.is_set():
            with contextlib.suppress(queue.Empty):
                return r.found.get(timeout=_POLL)
        return None

    def stop(self) -> None:
        """Abandon the scan: kill every process, then wait for the threads (which end at once)."""
        self.abandoned.set()
        kill(*(p for r in self.ranges for p in r.procs))
        self.join()

    def join(self) -> None:
        for r in self.ranges:
            for t in r.threads:
                t.join()

    def finish(self) -> None:
        """After the engine's stream ended: wait for the readers and raise the first failure."""
        self.join()
        for r in self.ranges:
            if r.error is not None:
                raise r.error


def literal_gate(needles: tuple[bytes, ...], heads: hsgate.Heads | None) -> hsgate.Gate | None:
    """The in-process literal pass (history/hsgate.py), or None: then grep runs it."""
    return hsgate.gate(needles, heads)


@dataclass(slots=True)
class Early:
    """Readers over the list's first objects while the listing still runs.

    `start` cuts equal-byte ranges, so it needs the whole listing (1-3 s of wall on git/git, git
    and Python, before any reader ran: bench/README.md, t-pipe18). The listing calls `poll`
    after each block of rows; once EARLY_BYTES are listed that no range holds, and the last
    early range is done, the next EARLY_BYTES of them become a range of their own, read at
    once. One at a time: a core reads while git lists, and what is left when the listing ends
    is split as before. Each early range is an ordinary range, first in the list: aligned or read whole
    by the engine, its errors raised by `finish`, its processes killed by `stop`."""

    git: Git
    gate: hsgate.Gate
    report: Report | None
    ranges: list[Range] = field(default_factory=list)
    next: int = 0  # the first object no early range holds
    counted: int = 0  # objects whose bytes are in `pending`
    pending: int = 0  # bytes (as `split` weighs them) of objects `next` to `counted`: >= 0
    progress: Progress | None = None

    def poll(self, objs: Objects) -> None:
        n = len(objs)
        self.pending += sum(objs.sizes[self.counted : n]) + _PER_OBJECT * (n - self.counted)
        self.counted = n
        if self.pending < EARLY_BYTES or (self.ranges and self.ranges[-1].threads[-1].is_alive()):
            return
        # About EARLY_BYTES, not all that is pending: the listing runs ahead of any reader, and
        # a range of most of the list would leave the other readers the tail.
        stop, taken = self.next, 0
        while taken < EARLY_BYTES:
            taken += objs.sizes[stop] + _PER_OBJECT
            stop += 1
        r = Range(self.next, stop)
        self.ranges.append(r)
        self.next, self.pending = stop, self.pending - taken
        if self.progress is None and self.report is not None:
            self.progress = Progress(self.ranges, self.report)  # counts every range, early or not
        try:
            _start_gated(self.git, self.gate, objs, r, self.progress)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Kill the early ranges' processes and wait for their threads (a failed listing)."""
        Readers(Objects(), self.ranges, bytearray()).stop()


def early(git: Git, needles: tuple[bytes, ...], report: Report | None, heads: hsgate.Heads | None) -> Early | None:
    """Readers for the listing to start early, or None without Hyperscan (grep's readers wait)
    or without a core to spare: the listing (git, then Python) and `git log` take two, and on
    2 cores an early reader delayed the listing by 1.1-1.4 s for about 0.8 s of reading done
    (git/git, bench/README.md, t-pipe18)."""
    if jobs() < EARLY_CORES:
        return None
    gate = literal_gate(needles, heads)
    return Early(readers_git(git, jobs()), gate, report) if gate is not None else None


def start(
    git: Git,
    objs: Objects,
    needles: tuple[bytes, ...],
    n: int,
    report: Report | None,
    heads: hsgate.Heads | None = None,
    first: Early | None = None,
) -> Readers:
    """Start up to `n` readers over `objs`: Hyperscan on each reader's thread, else grep;
    without either, every object is a candidate. An object is a candidate if it holds one of
    `needles`, or if `heads` accepts how it starts. `first`: the ranges the listing started
    (`early`), whose gate is used; the objects after them are split."""
    gate = first.gate if first is not None else literal_gate(needles, heads)
    grep = grep_program() if gate is None else None
    started = first.ranges if first is not None else []
    ranges = [Range(a, b) for a, b in split(objs, n, first.next if first is not None else 0)]
    readers = Readers(objs, started + ranges, bytearray(len(objs)))
    if gate is None and grep is None:
        for r in ranges:
            r.found.put(END)  # not aligned: the whole range goes to the engine
        return readers
    literals = (*needles, *(heads.literals if heads is not None else ()))
    patterns = b"\n".join((MARK, *grep_needles(literals))) + b"\n"
    progress = first.progress if first is not None else None
    if progress is not None:
        progress.ranges = readers.ranges
    elif report is not None:
        progress = Progress(readers.ranges, report)
    git = readers_git(git, len(started) + len(ranges))
    try:
        for r in ranges:
            if gate is not None:
                _start_gated(git, gate, objs, r, progress)
            else:
                assert grep is not None
                grepreaders.start_range(git, grep, patterns, objs, r, progress)
    except BaseException:
        readers.stop()
        raise
    return readers


def _start_gated(git: Git, gate: hsgate.Gate, objs: Objects, r: Range, progress: Callable[[], None] | None) -> None:
    cat, feeder, errors = cat_file(git, hsgate.FORMAT, objs, r)
    reader = threading.Thread(target=_gated, args=(r, objs, gate, cat, feeder, errors, progress), daemon=True)
    reader.start()
    r.threads.append(reader)


def _gated(
    r: Range,
    objs: Objects,
    gate: hsgate.Gate,
    cat: subprocess.Popen[bytes],
    feeder: threading.Thread,
    errors: list[BaseException],
    progress: Callable[[], None] | None,
) -> None:
    """One reader's thread: Hyperscan over its cat-file stream. Never raises: a failure is
    `r.error`; a stream out of step leaves `r.aligned` False (the range goes to the engine)."""
    assert cat.stdout is not None and cat.stderr is not None

    def step(objects: int, nbytes: int) -> None:
        r.objects, r.nbytes = objects, nbytes
        if progress is not None:
            progress()

    try:
        # Straight off the descriptor, half a pipe at a time (history/pipes.py).
        stream = HalfPipeReads(cat.stdout.fileno())
        matched = hsgate.follow(stream, objs, r.first, r.stop, gate, r.found.put, step)
        if matched != r.stop - r.first:
            # Out of step (an object vanished): stop git, which may be blocked writing to us;
            # the engine reads the range whole and names what is missing.
            kill(cat)
            feeder.join()
            return
        cat_err = cat.stderr.read()
        cat_code = cat.wait()
        feeder.join()
        if cat_code != 0 or errors:
            raise ScanError(f"git cat-file: {first_line(cat_err)}")
        r.aligned = True
    except ScanError as exc:
        r.error = exc
    except BaseException as exc:  # noqa: BLE001 -- a killed stream; the caller raises its own
        r.error = ScanError(f"git cat-file: reading the object stream failed: {exc}")
    finally:
        for pipe in (cat.stdin, cat.stdout, cat.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):  # flushing into a dead process
                    pipe.close()
        r.found.put(END)
