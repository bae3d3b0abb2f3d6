"""One reader's range of the object list, and the `cat-file` that reads it (history/readers.py
runs them; history/grepreaders.py is the reader where Hyperscan is missing)."""

from __future__ import annotations

import queue
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from keylatch.errors import ScanError
from keylatch.history.grepfilter import Objects
from keylatch.sources.gitcmd import Git
from keylatch.sources.objects import feed, widen

END = -1  # a range's queue ends with this, after its last candidate
REQUEST_BLOCK = 4096  # ids per write to a reader's cat-file
# git keeps inflated delta bases in a cache per process (core.deltaBaseCacheLimit, 96 MiB by
# default); a base evicted is inflated again for the next delta that needs it. Over git/git's
# 262k blobs in pack order, 256 MiB per reader (two readers) took 1.8-3.6 s less CPU of the
# readers' git than the default, for about 430 MB more of their memory (bench/README.md, round
# 19); more than ~512 MiB in all bought little. The budget is shared by the readers, never
# below git's default per reader, and given on the command line, so a repository's own config
# can neither shrink it (slower) nor blow it up (memory).
DELTA_CACHE_TOTAL = 512 << 20
DELTA_CACHE_FLOOR = 96 << 20  # git's default
Report = Callable[[int, int], None]


@dataclass(slots=True)
class Range:
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


def requests(objs: Objects, first: int, stop: int) -> Iterator[bytes]:
    """The ids of objects `first` to `stop`, a block of lines at a time (feed ends each with a
    newline): hex and newlines made in C, where a Python statement per id cost a second of the
    GIL on git/git's 466k objects."""
    for a in range(first, stop, REQUEST_BLOCK):
        b = min(stop, a + REQUEST_BLOCK)
        yield objs.ids[objs.width * a : objs.width * b].hex("\n", objs.width).encode("ascii")


@dataclass(slots=True)
class Progress:
    """Sums the readers' counts; called from their threads, one at a time."""

    ranges: list[Range]
    report: Report
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> None:
        with self.lock:
            self.report(sum(r.objects for r in self.ranges), sum(r.nbytes for r in self.ranges))


def readers_git(git: Git, readers: int) -> Git:
    """`git` for `readers` cat-files at once, each with its share of DELTA_CACHE_TOTAL."""
    share = max(DELTA_CACHE_FLOOR, DELTA_CACHE_TOTAL // max(readers, 1))
    return git.derived(config=(f"core.deltaBaseCacheLimit={share}",))


def cat_file(
    git: Git, fmt: str, objs: Objects, r: Range
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
    ids = requests(objs, r.first, r.stop)
    feeder = threading.Thread(target=feed, args=(cat.stdin, ids, errors), daemon=True)
    feeder.start()
    r.threads.append(feeder)
    return cat, feeder, errors
