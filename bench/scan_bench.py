"""`keylatch scan` of a large tree against one `grep -rF -l MARKER` pass over it, same run.

    PYTHONPATH=src python3 bench/scan_bench.py [TREE] [--runs 9] [-x GLOB ...] [--no-taskset]
        [--compare OTHER/src] [--no-bytecode-cache]

Without TREE, a deterministic tree of source-like text is generated (about 50 MB over 4,000
files, a few of them large, none with a key). Prints the core count and load average, then
the median wall and CPU (user+sys, children included) of: `grep -rF -l T3BlbkFJ TREE` (the
floor: one literal pass over every byte, in C, one process), a bare interpreter, `keylatch
scan` of an empty directory (start-up), and `keylatch scan TREE`; the ratio is scan / grep.
Rows take turns run by run, so the shared machine's load hits them alike. With `taskset`, the
same rows again pinned to one core: what a one-core CI runner gets.

`-x GLOB` is passed to `keylatch scan` (git's own tree holds test archives that are corrupt on
purpose, so a scan of it exits 3 unless they are excluded; bench/README.md has the command).
`--compare OTHER/src` adds the start-up and scan rows of another checkout (main, for a before
row), taking turns with the rest, so both are measured against the same floors in one run.

Sources are byte-compiled, as `pip install` leaves them (bench/hook_bench.py does the same): the
bytecode goes to a temporary PYTHONPYCACHEPREFIX, filled by the first, discarded, turn, so no
checkout is written to; PYTHONDONTWRITEBYTECODE (set in some shells and CI images) would
otherwise make every run compile keylatch's modules again (~15-20 ms). `--no-bytecode-cache`
keeps the environment as it is.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MARKER = "T3BlbkFJ"
WORDS = (
    "def", "return", "import", "client", "self", "value", "static", "int", "char", "struct",
    "if", "else", "for", "while", "const", "buffer", "len", "error", "#include", "{", "}", "=",
)  # fmt: skip


def build_tree(root: Path, files: int = 4000, mb: int = 50) -> None:
    """`files` files in ~40 directories two levels deep, `mb` MB in all; the 20 largest hold a
    third of the bytes (a tree's few large files), the rest are 1-30 KB."""
    rng = random.Random(14)
    lines = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 12))) + "\n" for _ in range(5000)]
    pool = "".join(lines).encode()
    big_total = (mb << 20) // 3
    small_total = (mb << 20) - big_total
    sizes = [rng.randint(1, 30) for _ in range(files - 20)]
    scale = small_total / sum(sizes)
    sizes = [max(64, int(s * scale)) for s in sizes] + [big_total // 20] * 20
    rng.shuffle(sizes)
    for i, size in enumerate(sizes):
        d = root / f"d{i % 8}" / f"s{i % 41}"
        d.mkdir(parents=True, exist_ok=True)
        start = rng.randrange(len(pool) // 2)
        reps = size // (len(pool) - start) + 1
        body = (pool[start:] * reps)[:size]
        (d / f"f{i}.c").write_bytes(body)


def timed(argv: list[str], env: dict[str, str], cwd: Path, ok: tuple[int, ...]) -> tuple[float, float]:
    """Wall and CPU seconds (user+sys of the process and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        raise SystemExit(f"{' '.join(argv[:4])} exited {proc.returncode}: {proc.stderr.decode()[:300]}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


Row = tuple[str, list[str], tuple[int, ...]]  # label, argv, accepted exit codes


def medians(rows: list[Row], env: dict[str, str], cwd: Path, runs: int) -> dict[str, tuple[float, float]]:
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in rows}
    for i in range(runs + 1):
        for label, argv, ok in rows:
            sample = timed(argv, env, cwd, ok)
            if i:  # the first turn fills the page cache
                samples[label].append(sample)
    return {
        label: (statistics.median(w for w, _ in xs), statistics.median(c for _, c in xs))
        for label, xs in samples.items()
    }


def report(title: str, rows: list[Row], env: dict[str, str], cwd: Path, runs: int) -> None:
    result = medians(rows, env, cwd, runs)
    floor_wall, floor_cpu = result[rows[0][0]]
    print(f"\n{title} (median of {runs}; wall, CPU user+sys; x grep)")
    for label, _, _ in rows:
        wall, cpu = result[label]
        ratios = f"{wall / floor_wall:5.2f}x {cpu / floor_cpu:5.2f}x"
        print(f"  {label:<34} {wall * 1000:8.1f} ms {cpu * 1000:8.1f} ms  {ratios}")


def tree_size(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            p = os.path.join(dirpath, name)
            if os.path.isfile(p) and not os.path.islink(p):
                files += 1
                size += os.path.getsize(p)
    return files, size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tree", nargs="?", type=Path, help="tree to scan (default: a generated one)")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("-x", "--exclude", action="append", default=[], metavar="GLOB", help="passed to keylatch scan")
    ap.add_argument("--no-taskset", action="store_true", help="skip the one-core rows")
    ap.add_argument("--compare", type=Path, metavar="SRC", help="another checkout's src: its rows too")
    ap.add_argument("--no-bytecode-cache", action="store_true", help="leave PYTHONDONTWRITEBYTECODE as it is")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="scan-bench-") as tmp:
        work = Path(tmp)
        tree = args.tree.resolve() if args.tree else work / "tree"
        if args.tree is None:
            build_tree(tree)
        empty = work / "empty"
        empty.mkdir()
        files, size = tree_size(tree)
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
        # The runs start in an empty directory: PYTHONPATH=src must still name this checkout.
        paths = env.get("PYTHONPATH", "").split(os.pathsep)
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in paths if p)
        if not args.no_bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        excludes = [a for g in args.exclude for a in ("-x", g)]
        # Each keylatch row names its checkout through `env`, so a compared row costs the same exec.
        scan = ["env", f"PYTHONPATH={env['PYTHONPATH']}", sys.executable, "-m", "keylatch", "scan", "--no-baseline"]
        rows: list[Row] = [
            (f"grep -rF -l {MARKER} (floor)", ["grep", "-rF", "-l", MARKER, str(tree)], (0, 1)),
            ("python3 -c pass", [sys.executable, "-c", "pass"], (0,)),
            ("keylatch scan EMPTY-DIR (start-up)", [*scan, str(empty)], (0,)),
            ("keylatch scan TREE", [*scan, *excludes, str(tree)], (0, 1)),
        ]
        if args.compare is not None:
            other = ["env", f"PYTHONPATH={args.compare.resolve()}", *scan[2:]]
            rows += [
                ("  compared: start-up", [*other, str(empty)], (0,)),
                ("  compared: scan TREE", [*other, *excludes, str(tree)], (0, 1)),
            ]
        print(f"cores: {os.cpu_count()} (usable: {len(os.sched_getaffinity(0))}); load average at start:", end="")
        print(" {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print(f"tree: {tree if args.tree else 'generated'}, {files} files, {size / 1e6:.1f} MB")
        cached = "not cached (PYTHONDONTWRITEBYTECODE as set)" if args.no_bytecode_cache else "cached, as installed"
        print(f"bytecode: {cached}" + (f"; compared: {args.compare}" if args.compare else ""))
        # cwd: an empty directory, so no configuration file is discovered.
        report("all cores", rows, env, empty, args.runs)
        if not args.no_taskset and shutil.which("taskset"):
            pinned = [(label, ["taskset", "-c", "0", *argv], ok) for label, argv, ok in rows]
            report("one core (taskset -c 0)", pinned, env, empty, args.runs)
        print("load average at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
