"""Time `keylatch history` against the floor of reading every object once, in the same run.

    python3 bench/history_bench.py REPO [--runs 1] [--keep-copy]

REPO is copied first (`git clone --mirror`, hard links) so the scanned-blob cache is written to
the copy, never to REPO. Reported, for the same machine and moment:
  floor   git cat-file --batch-all-objects --batch --unordered > /dev/null
  cold    keylatch history (empty cache)           ratio = cold / floor   (target <= 1.5)
  warm    keylatch history again (cache filled)    ratio = warm / cold    (target < 0.10)
  rss     peak RSS of keylatch's own process (git and grep excluded; target < 150 MB)
  MB/s    blob bytes scanned / cold seconds
Build a large deterministic repository with bench/build_history_repo.py.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
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
print("RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    e.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C")
    return e


def floor(repo: Path) -> float:
    t = time.monotonic()
    subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch", "--unordered"],
        stdout=subprocess.DEVNULL, check=True, env=env(),
    )  # fmt: skip
    return time.monotonic() - t


def keylatch(repo: Path, *args: str) -> tuple[float, int, dict[str, object]]:
    t = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(SRC), str(repo), *args],
        capture_output=True, text=True, env=env(), check=False,
    )  # fmt: skip
    wall = time.monotonic() - t
    if proc.returncode not in (0, 1):
        raise SystemExit(f"keylatch failed ({proc.returncode}): {proc.stderr.strip()}")
    rss = int(proc.stderr.rsplit("RSS_KB", 1)[1].split()[0])
    return wall, rss, json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", type=Path)
    ap.add_argument("--runs", type=int, default=1, help="repeat and keep the best of each measurement")
    ap.add_argument("--keep-copy", action="store_true")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="keylatch-bench-"))
    try:
        copy = tmp / "repo.git"
        subprocess.run(["git", "clone", "-q", "--mirror", str(a.repo), str(copy)], check=True, env=env())
        commits = subprocess.run(
            ["git", "-C", str(copy), "rev-list", "--all", "--count"],
            capture_output=True,
            text=True,
            env=env(),
            check=True,  # fmt: skip
        ).stdout.strip()
        floor(copy)  # warm the page cache so both sides read from memory
        best: dict[str, float] = {}
        rss = 0
        doc: dict[str, object] = {}
        for _ in range(a.runs):
            for name in ("clean-blobs",):
                for f in (copy / "keylatch").glob(f"{name}-*.bin") if (copy / "keylatch").exists() else ():
                    f.unlink()
            best["floor"] = min(best.get("floor", 1e9), floor(copy))
            cold, rss_cold, doc = keylatch(copy)
            warm, rss_warm, _ = keylatch(copy)
            best["cold"] = min(best.get("cold", 1e9), cold)
            best["warm"] = min(best.get("warm", 1e9), warm)
            rss = max(rss, rss_cold, rss_warm)
        stats = doc["stats"]
        assert isinstance(stats, dict)
        mb = stats["bytes"] / 1e6
        print(f"repository: {a.repo} ({commits} commits, {stats['blobs']} blobs, {mb:.0f} MB of blobs)")
        print(f"keys found: {len(doc['findings'])}  (load average {os.getloadavg()[0]:.1f})")  # type: ignore[arg-type]
        print(f"floor (cat-file --batch-all-objects --batch):  {best['floor']:.2f} s")
        cold, warm, flo = best["cold"], best["warm"], best["floor"]
        ratio = f"{cold / flo:.2f}x floor, {mb / cold:.0f} MB/s"
        print(f"keylatch history, cold cache:                  {cold:.2f} s  = {ratio}")
        print(f"keylatch history, warm cache:                  {warm:.2f} s  = {warm / cold:.1%} of cold")
        print(f"peak RSS of keylatch's own process:            {rss / 1024:.0f} MB")
        if a.keep_copy:
            print(f"copy kept at {copy}")
    finally:
        if not a.keep_copy:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
