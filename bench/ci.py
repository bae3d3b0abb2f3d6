"""Time `keylatch ci --range` against `git log -p` over the same commits (not a test).

    python3 bench/ci.py REPO [N ...]      # ranges HEAD~N..HEAD, default 5 100 1000

`git log -p --no-ext-diff --no-textconv` is the floor a diff-based scanner pays; keylatch reads
only the blobs the range adds. Each run uses --no-baseline and a fresh blob cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[:4]} failed: {err.strip()}")
    return time.perf_counter() - start, err


def main(repo: Path, sizes: list[int]) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("GITHUB_ACTIONS", None)
    env.pop("GITLAB_CI", None)
    git_dir = Path(subprocess.run(["git", "-C", str(repo), "rev-parse", "--absolute-git-dir"],
                                  capture_output=True, text=True, check=True).stdout.strip())  # fmt: skip
    print(f"{'range':>14} {'commits':>8} {'keylatch ci':>12} {'git log -p':>11}")
    for n in sizes:
        rng = f"HEAD~{n}..HEAD"
        for cache in git_dir.glob("keylatch*"):
            shutil.rmtree(cache) if cache.is_dir() else cache.unlink()
        k, err = timed([sys.executable, "-m", "keylatch", "ci", "--no-baseline", "--range", rng], repo, env)
        commits = err.split("scanning ", 1)[1].split(" ", 1)[0] if "scanning " in err else "?"
        g, _ = timed(["git", "log", "-p", "--no-ext-diff", "--no-textconv", rng], repo, env)
        print(f"{rng:>14} {commits:>8} {k:>11.2f}s {g:>10.2f}s")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    main(Path(sys.argv[1]), [int(a) for a in sys.argv[2:]] or [5, 100, 1000])
