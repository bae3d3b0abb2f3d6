"""Engine throughput on clean and key-bearing data, against a literal-find floor in the same run.

    python3 bench/engine_bench.py [--mb 64] [--against OTHER/src] [--runs 7]

Reports MB/s for: the floor (one `bytes.find` of the marker), `engine.scan_chunk` with every
default rule, and a naive per-line `re.search` loop (what a line-oriented scanner does), so the
ratios say what the keyword prefilter buys. `--against` times the engine of another checkout
(e.g. main's `src`) on the same clean text in the same run, taking turns with this one, in CPU
seconds of a child process each (the machine is shared), and prints the ratio.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from keylatch.engine import scan_chunk
from keylatch.model import Chunk
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import MARKER, make_key


def corpus(mb: int, keys: int) -> bytes:
    rng = random.Random(1)
    words = [b"def", b"return", b"import", b"client", b"openai", b"api_key", b"self", b"value", b"= 1", b"#"]
    lines = []
    size = 0
    while size < mb << 20:
        line = b" ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
        lines.append(line)
        size += len(line) + 1
    for i in range(keys):
        lines[rng.randrange(len(lines))] = f"OPENAI_API_KEY={make_key('sk-proj-', i)}".encode()
    return b"\n".join(lines)


def _naive(line_re: re.Pattern[str], data: bytes) -> list[re.Match[str] | None]:
    return [line_re.search(ln) for ln in data.decode("latin-1").splitlines()]


def best_of(fn: Callable[[], object], runs: int = 5) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


_CHILD = """
import sys, time
sys.path.insert(0, {bench!r})
from engine_bench import corpus
from keylatch.engine import scan_chunk
from keylatch.model import Chunk
data = corpus({mb}, 0)
scan_chunk(Chunk(data[:1 << 20], "warm"))
t = time.process_time()
scan_chunk(Chunk(data, "bench"))
print(time.process_time() - t)
"""


def _child_cpu(src: str, mb: int) -> float:
    code = _CHILD.format(bench=os.path.dirname(os.path.abspath(__file__)), mb=mb)
    env = {**os.environ, "PYTHONPATH": src}
    return float(
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True, text=True).stdout
    )


def against(other: str, mb: int, runs: int) -> None:
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
    mine, theirs = [], []
    for _ in range(runs):  # taking turns, so load that comes and goes hits both alike
        mine.append(_child_cpu(here, mb))
        theirs.append(_child_cpu(other, mb))
    a, b = statistics.median(mine), statistics.median(theirs)
    print(f"clean text, {mb} MB, median CPU of {runs} turns each, {len(os.sched_getaffinity(0))} cores usable")
    print(f"  this checkout  {here}: {a:.3f} s ({mb * 1.048576 / a:.0f} MB/s)")
    print(f"  other          {other}: {b:.3f} s ({mb * 1.048576 / b:.0f} MB/s)")
    print(f"  ratio this/other {a / b:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=64)
    ap.add_argument("--against", help="another checkout's src directory, timed on the same clean text")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    if args.against:
        against(args.against, args.mb, args.runs)
        return
    line_re = re.compile(r"sk-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}")
    for keys in (0, 100):
        data = corpus(args.mb, keys)
        mb = len(data) / 1e6
        floor, _ = best_of(functools.partial(data.find, MARKER.encode()))
        engine, _ = best_of(functools.partial(scan_chunk, Chunk(data, "bench"), DEFAULT_RULES))
        naive, _ = best_of(functools.partial(_naive, line_re, data), 3)
        found = len(scan_chunk(Chunk(data, "bench")))
        print(f"{mb:.0f} MB, {keys} keys planted, {found} found")
        print(f"  floor  bytes.find      {mb / floor:8.0f} MB/s")
        print(f"  engine scan_chunk      {mb / engine:8.0f} MB/s  ({engine / floor:.1f}x floor)")
        print(f"  naive per-line regex   {mb / naive:8.0f} MB/s  ({naive / engine:.1f}x slower than engine)")


if __name__ == "__main__":
    main()
