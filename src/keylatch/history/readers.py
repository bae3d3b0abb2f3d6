"""Several object readers over a partitioned object list, with the engine alongside.

The whole-history literal prefilter runs once per core: the object list, in pack order, is cut
into contiguous ranges of about equal bytes (contiguous, so each git keeps its delta-base cache
warm), and each range runs through its own `git cat-file --batch`, scanned by Hyperscan on the
range's own thread (history/hsgate.py, which releases the GIL), or, without Hyperscan, piped
through `grep -abo -F` (history/grepfilter.py). Each object with a hit goes, in list order, to
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
import os
import queue
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from keylatch.errors import ScanError
from keylatch.history import hsgate
from keylatch.history.grepfilter import MARK, Objects, grep_needles, grep_program
from keylatch.history.pipes import HalfPipeReads
from keylatch.sources import cores
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.objects import PIPE_SIZE, feed, widen
from keylatch.sources.reaping import kill

log = logging.getLogger(__name__)
_FORMAT = "--batch=%(objectname) %(objectsize) " + MARK.decode()  # as grepfilter's
_END = -1  # a range's queue ends with this, after its last candidate
_POLL = 0.1  # seconds between checks for an abandoned stream while waiting for a candidate
# Bytes a range is charged per object besides its content: the id lookup and the header.
_PER_OBJECT = 256
_REQUEST_BLOCK = 4096  # ids per write to a reader's cat-file
Report = Callable[[int, int], None]


def jobs() -> int:
    """Readers to run: one per core this process may use (sources/cores.py)."""
    return cores.usable()


def split(sizes: Objects, n: int) -> list[tuple[int, int]]:
    """`n` contiguous index ranges of about equal bytes (fewer when objects are few): each object
    goes to the range its middle byte falls in."""
    total = sum(sizes.sizes) + _PER_OBJECT * len(sizes)
    bounds = [0]
    acc = 0
    for i, size in enumerate(sizes.sizes):
        weight = size + _PER_OBJECT
        if len(bounds) < n and i > bounds[-1] and (2 * acc + weight) * n >= 2 * total * len(bounds):
            bounds.append(i)
        acc += weight
    bounds.append(len(sizes))
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if a < b]


@dataclass(slots=True)
class _Range:
    """One reader: objects `first` to `stop` (exclusive) of the list. Written by its thread."""

    first: int
    stop: int
    found: queue.SimpleQueue[int] = field(default_factory=queue.SimpleQueue)
    aligned: bool = False  # every predicted marker was seen: the candidates are exact
    error: ScanError | None = None
    objects: int = 0  # progress: objects and bytes through grep so far
    nbytes: int = 0
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)


@dataclass(slots=True)
class Readers:
    """The running readers of one scan; `candidates()` yields what the engine must read."""

    objs: Objects
    ranges: list[_Range]
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
                if i == _END:
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

    def _next(self, r: _Range) -> int | None:
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


def start(
    git: Git,
    objs: Objects,
    needles: tuple[bytes, ...],
    n: int,
    report: Report | None,
    heads: hsgate.Heads | None = None,
) -> Readers:
    """Start up to `n` readers over `objs`: Hyperscan on each reader's thread, else grep;
    without either, every object is a candidate. An object is a candidate if it holds one of
    `needles`, or if `heads` accepts how it starts."""
    gate = literal_gate(needles, heads)
    grep = grep_program() if gate is None else None
    ranges = [_Range(a, b) for a, b in split(objs, n)]
    readers = Readers(objs, ranges, bytearray(len(objs)))
    if gate is None and grep is None:
        for r in ranges:
            r.found.put(_END)  # not aligned: the whole range goes to the engine
        return readers
    literals = (*needles, *(heads.literals if heads is not None else ()))
    patterns = b"\n".join((MARK, *grep_needles(literals))) + b"\n"
    progress = _Progress(ranges, report) if report is not None else None
    try:
        for r in ranges:
            if gate is not None:
                _start_gated(git, gate, objs, r, progress)
            else:
                assert grep is not None
                _start_range(git, grep, patterns, objs, r, progress)
    except BaseException:
        readers.stop()
        raise
    return readers


def _requests(objs: Objects, first: int, stop: int) -> Iterator[bytes]:
    """The ids of objects `first` to `stop`, a block of lines at a time (feed ends each with a
    newline): hex and newlines made in C, where a Python statement per id cost a second of the
    GIL on git/git's 466k objects."""
    for a in range(first, stop, _REQUEST_BLOCK):
        b = min(stop, a + _REQUEST_BLOCK)
        yield objs.ids[objs.width * a : objs.width * b].hex("\n", objs.width).encode("ascii")


@dataclass(slots=True)
class _Progress:
    """Sums the readers' counts; called from their threads, one at a time."""

    ranges: list[_Range]
    report: Report
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> None:
        with self.lock:
            self.report(sum(r.objects for r in self.ranges), sum(r.nbytes for r in self.ranges))


def _cat_file(
    git: Git, fmt: str, objs: Objects, r: _Range
) -> tuple[subprocess.Popen[bytes], threading.Thread, list[BaseException]]:
    """The range's `cat-file` with a wide pipe, fed its object ids by a thread (the feeder's
    errors land in the list the reader checks)."""
    # --buffer: a range's ids are all fed up front and its output is read as a stream, so no
    # answer has to arrive before the next request. Without it git makes three write(2)s per
    # object (header, content, newline; 466k objects on git/git), each waking the reader for
    # a few bytes: 1.3-1.9 s more CPU between git and the readers over git/git's 7.9 GB
    # (bench/README.md, t-hist18). The engine's cat-file (trickled ids) must not buffer.
    cat = git.popen("cat-file", fmt, "--buffer", stdin=subprocess.PIPE)
    r.procs.append(cat)
    assert cat.stdin is not None and cat.stdout is not None
    widen(cat.stdout)
    errors: list[BaseException] = []
    ids = _requests(objs, r.first, r.stop)
    feeder = threading.Thread(target=feed, args=(cat.stdin, ids, errors), daemon=True)
    feeder.start()
    r.threads.append(feeder)
    return cat, feeder, errors


def _start_range(
    git: Git, grep: str, patterns: bytes, objs: Objects, r: _Range, progress: Callable[[], None] | None
) -> None:
    cat, feeder, errors = _cat_file(git, _FORMAT, objs, r)
    assert cat.stdout is not None
    # The patterns reach grep through a pipe (they hold NUL bytes; no file a kill could leave).
    pat_r, pat_w = os.pipe()
    try:
        with open(pat_w, "wb") as w:
            w.write(patterns)  # a few hundred bytes: fits the pipe buffer, never blocks
        # LC_ALL=C: bytes, not characters; nothing else from the environment.
        env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", os.defpath)}
        proc = subprocess.Popen(
            [grep, "-a", "-b", "-o", "-F", "-f", f"/dev/fd/{pat_r}"], pass_fds=(pat_r,),
            stdin=cat.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=PIPE_SIZE,
        )  # fmt: skip
    finally:
        os.close(pat_r)
        cat.stdout.close()  # grep owns the read end now
    r.procs.append(proc)
    reader = threading.Thread(target=_read, args=(r, objs, (cat, proc, feeder), errors, progress), daemon=True)
    reader.start()
    r.threads.append(reader)


def _start_gated(git: Git, gate: hsgate.Gate, objs: Objects, r: _Range, progress: Callable[[], None] | None) -> None:
    cat, feeder, errors = _cat_file(git, hsgate.FORMAT, objs, r)
    reader = threading.Thread(target=_gated, args=(r, objs, gate, cat, feeder, errors, progress), daemon=True)
    reader.start()
    r.threads.append(reader)


def _gated(
    r: _Range,
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
        r.found.put(_END)


Pipeline = tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], threading.Thread]  # cat-file, grep, feeder


def _read(
    r: _Range, objs: Objects, pipeline: Pipeline, errors: list[BaseException], progress: Callable[[], None] | None
) -> None:
    """Follow grep's offsets: each marker where predicted closes an object; each other match
    makes the object it falls in a candidate. Never raises: a failure is `r.error`."""
    cat, proc, _ = pipeline
    try:
        _follow(r, objs, pipeline, errors, progress)
    except ScanError as exc:
        r.error = exc
    except BaseException as exc:  # noqa: BLE001 -- a killed stream; the caller raises its own
        r.error = ScanError(f"git cat-file: reading the object stream failed: {exc}")
    finally:
        for pipe in (cat.stdin, cat.stderr, proc.stdout, proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):  # flushing into a dead process
                    pipe.close()
        r.found.put(_END)


def _follow(
    r: _Range, objs: Objects, pipeline: Pipeline, errors: list[BaseException], progress: Callable[[], None] | None
) -> None:
    cat, proc, feeder = pipeline
    assert proc.stdout is not None and proc.stderr is not None and cat.stderr is not None
    count = r.stop - r.first
    width = len(objs.oid(r.first)) + 1  # the id and the space after it
    sizes = objs.sizes
    matched = 0  # objects whose marker showed up where predicted, in order
    start = 0  # offset of object `matched` in the stream: its header starts there
    size = sizes[r.first]
    mark = width + len(str(size)) + 1  # where its marker must be
    last = -1  # the last candidate handed on (grep's offsets only grow)
    for line in proc.stdout:
        pos_text, _, match = line.rstrip(b"\n").partition(b":")
        pos = int(pos_text)
        if match == MARK:
            # A marker inside an object's content is not predicted and simply skipped; a
            # predicted one that never shows up stops `matched` for good.
            if matched < count and pos == mark:
                matched += 1
                start = mark + len(MARK) + 1 + size + 1
                if matched < count:
                    size = sizes[r.first + matched]
                    mark = start + width + len(str(size)) + 1
                if progress is not None and matched % 2048 == 0:
                    r.objects, r.nbytes = matched, start
                    progress()
            continue
        # Inside object `matched - 1`, or in the header of object `matched` (not marked yet).
        i = matched if matched < count and pos >= start else matched - 1
        if i > last:
            last = i
            r.found.put(r.first + i)
    r.objects, r.nbytes = matched, start
    grep_err = proc.stderr.read()
    code = proc.wait()
    cat_err = cat.stderr.read()
    cat_code = cat.wait()
    feeder.join()  # done, or failing on the closed pipe
    if code not in (0, 1):
        # grep failed (and git may have died of the closed pipe): the range is scanned in Python.
        log.debug("grep failed (%s): %s", code, first_line(grep_err))
        return
    if cat_code != 0 or errors:
        raise ScanError(f"git cat-file: {first_line(cat_err)}")
    r.aligned = matched == count
