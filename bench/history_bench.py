"""Time `keylatch history` against the floor of reading every object once, in the same run.

    python3 bench/history_bench.py REPO [--runs 1] [--keep-copy] [--no-pinned] [--gate MB] [--stream]

REPO is copied first (`git clone --mirror`, hard links), and the scanned-blob cache goes to a
private XDG_CACHE_HOME emptied before each cold run. Reported, for the same machine and moment
(each number the best of --runs, wall and CPU time; CPU = user + system of the process and
every child it waited for):
  floor   git cat-file --batch-all-objects --batch --unordered > /dev/null
  cold    keylatch history (empty cache)           ratio = cold / floor   (target <= 1.0)
  warm    keylatch history again (cache filled)    ratio = warm / cold    (target < 0.10)
  pinned  floor and cold again under `taskset -c 0` (one core: one reader), if taskset exists
  rss     peak RSS of keylatch's own process (git and grep excluded; target < 150 MB), and the
          peak total of its git and grep children (proportional set size, sampled every 0.1 s:
          the pack file they all map is shared, not counted once per process)
  MB/s    blob bytes scanned / cold seconds
  --gate MB  where keylatch's own CPU goes, on the first MB of blobs in pack order: the rate of
          the literal pass over them (Hyperscan, rules.needles()), the objects it hands to the
          engine (by the needles they hold; "only" = no other needle) and the engine's CPU on them
  --stream   what the readers' transport costs: one `cat-file --batch` over the blob, commit and
          tag ids in pack order (the objects the readers read) into /dev/null, then into a 1 MiB
          pipe read by Python (`readinto` a 1 MiB buffer, as history/hsgate.py) without and with
          `--buffer`, then with --src's history/pipes.py reader (half a pipe per read), alternated
          --runs times; CPU of git and of the reading process, context switches of both
The core count, and the load average before and after, say how busy the machine was.
Build a large deterministic repository with bench/build_history_repo.py.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
# Runs keylatch in a child and reports that child's own peak RSS: RUSAGE_SELF excludes git.
_CHILD = """
import resource, sys, io, contextlib
sys.path.insert(0, sys.argv[1])
from keylatch.cli import main
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    code = main(["history", sys.argv[2], "--format", "json", *sys.argv[3:]])
print(buf.getvalue())
me = resource.getrusage(resource.RUSAGE_SELF)
print("RSS_KB", me.ru_maxrss, "CPU_S", me.ru_utime + me.ru_stime, file=sys.stderr)
sys.exit(code)
"""
# The --gate child: the literal pass and the engine of the checkout under test, on a blob sample.
_GATE = """
import collections, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
import hyperscan
from keylatch.engine import scan_chunk
from keylatch.model import Chunk
from keylatch.history.hsgate import gate
from keylatch.rules import needles
repo, limit = sys.argv[2], int(sys.argv[3]) << 20
listing = subprocess.run(["git", "-C", repo, "cat-file", "--batch-all-objects", "--unordered",
    "--batch-check=%(objecttype) %(objectname) %(objectsize)"], capture_output=True, check=True).stdout
ids, total = [], 0
for line in listing.splitlines():
    kind, oid, size = line.split()
    if kind == b"blob" and total < limit:
        ids.append(oid)
        total += int(size)
out = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input=b"\\n".join(ids) + b"\\n",
    capture_output=True, check=True).stdout
blobs, pos = [], 0
while pos < len(out):
    nl = out.index(b"\\n", pos)
    size = int(out[pos:nl].split()[2])
    blobs.append(out[nl + 1 : nl + 1 + size])
    pos = nl + size + 2
needle_set = needles()
db = gate(needle_set).database  # the readers' own database (`ek_` where a key may start, since t-hist17b)
t = time.process_time()
for b in blobs:  # halting at the first needle, as the readers do (history/hsgate.py)
    try:
        db.scan(b, match_event_handler=lambda *a: True)
    except hyperscan.ScanTerminated:
        pass
scan_s = time.process_time() - t
held = []
for b in blobs:  # every needle each blob holds (the database reports each needle once)
    ids: set[int] = set()
    db.scan(b, match_event_handler=lambda i, *a: ids.add(i))
    held.append([needle_set[i] for i in sorted(ids)])
cands = [b for b, h in zip(blobs, held) if h]
nbytes = sum(map(len, blobs))
print(f"gate sample: {len(blobs)} blobs, {nbytes / 1e6:.0f} MB; {len(needle_set)} needles; "
      f"literal pass {scan_s:.2f} s CPU = {nbytes / scan_s / 1e9:.2f} GB/s")
print(f"  handed to the engine: {len(cands)} blobs, {sum(map(len, cands)) / 1e6:.1f} MB")
count, size, only, only_size = (collections.Counter() for _ in range(4))
for b, h in zip(blobs, held):
    for n in h:
        count[n] += 1
        size[n] += len(b)
    if len(h) == 1:
        only[h[0]] += 1
        only_size[h[0]] += len(b)
for n, c in count.most_common(8):
    alone = f"the only needle in {only[n]} ({only_size[n] / 1e6:.1f} MB)"
    print(f"    {n!r:14} in {c} blobs ({size[n] / 1e6:.1f} MB), {alone}")
t = time.process_time()
for b in cands:
    scan_chunk(Chunk(b, "x"))
engine_s = time.process_time() - t
rate = sum(map(len, cands)) / max(engine_s, 1e-9) / 1e6
print(f"  engine on them: {engine_s:.2f} s CPU ({rate:.0f} MB/s) = {engine_s / scan_s:.1f}x the literal pass")
"""


def env(cache: Path | None = None) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    e.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C")
    if cache is not None:
        e["XDG_CACHE_HOME"] = str(cache)
    return e


def cpu_of_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def floor(repo: Path, pin: tuple[str, ...] = ()) -> tuple[float, float]:
    """Wall and CPU seconds of one cat-file pass over every object."""
    t, c = time.monotonic(), cpu_of_children()
    subprocess.run(
        [*pin, "git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch", "--unordered"],
        stdout=subprocess.DEVNULL, check=True, env=env(),
    )  # fmt: skip
    return time.monotonic() - t, cpu_of_children() - c


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
            except OSError:
                continue
            out += kids
            todo += kids
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class ChildMemory:
    """Peak total proportional set size of a process's descendants (git, grep), sampled."""

    def __init__(self, pid: int) -> None:
        self.peak_kb = 0
        self.most = 0  # most descendants seen at once
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(pid,), daemon=True)
        self._thread.start()

    def _sample(self, pid: int) -> None:
        while not self._stop.wait(0.1):
            kids = _descendants(pid)
            self.most = max(self.most, len(kids))
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(k) for k in kids))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    own_cpu: float  # keylatch's own process (cpu less its children's)
    rss_kb: int  # keylatch's own peak
    children_kb: int  # peak total of its git and grep children
    children: int  # most children at once
    doc: dict[str, object]
    code: int  # keylatch's exit code


def keylatch(src: Path, repo: Path, cache: Path, *args: str, pin: tuple[str, ...] = ()) -> Run:
    t, c = time.monotonic(), cpu_of_children()
    proc = subprocess.Popen(
        [*pin, sys.executable, "-c", _CHILD, str(src), str(repo), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(cache),
    )  # fmt: skip
    mem = ChildMemory(proc.pid)
    out, err = proc.communicate()
    mem.stop()
    wall, cpu = time.monotonic() - t, cpu_of_children() - c
    # 3 with a report: the scan ran to the end but could not read something whole (git/git holds
    # three archive blobs that cannot be unpacked): still a timing of the whole scan.
    if proc.returncode not in (0, 1, 3) or not out.strip():
        raise SystemExit(f"keylatch failed ({proc.returncode}): {err.strip()}")
    rss, _, own = err.rsplit("RSS_KB", 1)[1].split()[:3]
    return Run(wall, cpu, float(own), int(rss), mem.peak_kb, mem.most, json.loads(out), proc.returncode)


def _best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.wall)


def _stream(repo: Path, ids: Path, how: str, src: Path) -> tuple[float, float, int]:
    """CPU seconds of git and of this process, and context switches of both, for one pass of the
    readers' objects."""
    import fcntl
    import mmap

    args = ["git", "-C", str(repo), "cat-file", "--batch", *(() if how == "pipe" else ("--buffer",))]
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    with ids.open("rb") as stdin:
        if how == "null":
            subprocess.run(args, stdin=stdin, stdout=subprocess.DEVNULL, check=True, env=env())
        else:
            proc = subprocess.Popen(args, stdin=stdin, stdout=subprocess.PIPE, env=env())
            assert isinstance(proc.stdout, io.BufferedReader)  # Popen's default buffering
            with contextlib.suppress(OSError):
                fcntl.fcntl(proc.stdout.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
            stream: io.BufferedIOBase = proc.stdout
            if how == "half":  # the checkout's own reader (history/pipes.py), if it has one
                sys.path.insert(0, str(src))
                from keylatch.history.pipes import HalfPipeReads  # type: ignore[import-not-found,unused-ignore]

                stream = HalfPipeReads(proc.stdout.fileno())
            view = memoryview(mmap.mmap(-1, 1 << 20))
            while stream.readinto(view):
                pass
            proc.wait()
    now, kids_now = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    switches = sum(r.ru_nvcsw + r.ru_nivcsw for r in (now, kids_now)) - sum(
        r.ru_nvcsw + r.ru_nivcsw for r in (own, kids)
    )
    git = kids_now.ru_utime + kids_now.ru_stime - kids.ru_utime - kids.ru_stime
    return git, now.ru_utime + now.ru_stime - own.ru_utime - own.ru_stime, switches


def stream(repo: Path, runs: int, tmp: Path, src: Path) -> None:
    ids = tmp / "ids"
    listing = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--unordered",
         "--batch-check=%(objecttype) %(objectname)"],
        capture_output=True, check=True, env=env(),
    ).stdout  # fmt: skip
    kept = [line.split(b" ")[1] for line in listing.splitlines() if not line.startswith(b"tree")]
    ids.write_bytes(b"".join(oid + b"\n" for oid in kept))
    print(f"stream: {len(kept)} objects (blobs, commits, tags) in pack order; load {os.getloadavg()[0]:.1f}")
    hows = ("null", "pipe", "buffer", "half")
    labels = {
        "null": "> /dev/null",
        "pipe": "| readinto",
        "buffer": "--buffer | readinto",
        "half": "--buffer | half pipe",
    }
    for _ in range(runs):
        for how in hows:
            git, own, switches = _stream(repo, ids, how, src)
            print(
                f"  cat-file --batch {labels[how]:22} git {git:6.2f} s CPU, reader {own:5.2f} s, "
                f"total {git + own:6.2f} s, {switches:8d} context switches; load {os.getloadavg()[0]:.1f}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", type=Path)
    ap.add_argument("--runs", type=int, default=1, help="repeat and keep the best of each measurement")
    ap.add_argument("--keep-copy", action="store_true")
    ap.add_argument("--no-pinned", action="store_true", help="skip the taskset (one core) runs")
    ap.add_argument("--src", type=Path, default=SRC, help="the keylatch sources to time (another checkout's src)")
    ap.add_argument("--gate", type=int, metavar="MB", help="only: the literal pass and the engine on MB of blobs")
    ap.add_argument("--stream", action="store_true", help="only: what the readers' pipe costs (see above)")
    a = ap.parse_args()
    taskset = None if a.no_pinned else shutil.which("taskset")
    pin = (taskset, "-c", str(min(os.sched_getaffinity(0)))) if taskset else ()
    tmp = Path(tempfile.mkdtemp(prefix="keylatch-bench-"))
    load_before = os.getloadavg()
    try:
        copy = tmp / "repo.git"
        cache = tmp / "cache"
        subprocess.run(["git", "clone", "-q", "--mirror", str(a.repo), str(copy)], check=True, env=env())
        if a.gate:
            subprocess.run([sys.executable, "-c", _GATE, str(a.src), str(copy), str(a.gate)], check=True, env=env())
            return
        if a.stream:
            stream(copy, a.runs, tmp, a.src)
            return
        commits = subprocess.run(
            ["git", "-C", str(copy), "rev-list", "--all", "--count"],
            capture_output=True, text=True, env=env(), check=True,
        ).stdout.strip()  # fmt: skip
        floor(copy)  # warm the page cache so both sides read from memory
        floors: list[tuple[float, float]] = []
        colds: list[Run] = []
        warms: list[Run] = []
        pinned: list[tuple[tuple[float, float], Run]] = []
        for _ in range(a.runs):
            shutil.rmtree(cache, ignore_errors=True)
            floors.append(floor(copy))
            colds.append(keylatch(a.src, copy, cache))
            warms.append(keylatch(a.src, copy, cache))
            if pin:
                shutil.rmtree(cache, ignore_errors=True)
                pinned.append((floor(copy, pin), keylatch(a.src, copy, cache, pin=pin)))
        load_after = os.getloadavg()
        cold, warm = _best(colds), _best(warms)
        flo = min(floors)
        stats = cold.doc["stats"]
        assert isinstance(stats, dict)
        mb = stats["bytes"] / 1e6
        findings = cold.doc["findings"]
        assert isinstance(findings, list)
        cores = len(os.sched_getaffinity(0))
        print(f"repository: {a.repo} ({commits} commits, {stats['blobs']} blobs, {mb:.0f} MB of blobs)")
        print(f"keys found: {len(findings)}; exit code {cold.code}")
        print(
            f"cores: {cores} (os.cpu_count {os.cpu_count()}); load average "
            f"{load_before[0]:.1f} before, {load_after[0]:.1f} after; best of {a.runs}"
        )
        print(f"floor (cat-file --batch-all-objects --batch):  {flo[0]:.2f} s, {flo[1]:.2f} s CPU")
        ratio = f"{cold.wall / flo[0]:.2f}x floor, {mb / cold.wall:.0f} MB/s"
        print(f"keylatch history, cold cache:                  {cold.wall:.2f} s  = {ratio}")
        print(
            f"  CPU, keylatch and its children:              {cold.cpu:.2f} s  = {cold.cpu / flo[1]:.2f}x floor's CPU"
            f" (keylatch's own process {cold.own_cpu:.2f} s, its git children {cold.cpu - cold.own_cpu:.2f} s)"
        )
        print(
            f"keylatch history, warm cache:                  {warm.wall:.2f} s  = {warm.wall / cold.wall:.1%} of cold"
        )
        if pinned:
            (pwall, pcpu), prun = min(pinned, key=lambda p: p[1].wall)
            print(
                f"pinned to one core (taskset): floor {pwall:.2f} s ({pcpu:.2f} s CPU), cold {prun.wall:.2f} s "
                f"= {prun.wall / pwall:.2f}x floor ({prun.cpu:.2f} s CPU)"
            )
        rss = max(r.rss_kb for r in (*colds, *warms, *(p[1] for p in pinned)))
        kids = max(colds, key=lambda r: r.children_kb)
        print(f"peak RSS of keylatch's own process:            {rss / 1024:.0f} MB")
        most = f"{kids.children_kb / 1024:.0f} MB PSS ({kids.children} processes at most at once)"
        print(f"peak total of its git and grep children:       {most}")
        if a.keep_copy:
            print(f"copy kept at {copy}")
    finally:
        if not a.keep_copy:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
