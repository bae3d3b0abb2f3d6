"""`keylatch org scan` throughput: repositories per minute for --jobs 1 and --jobs 2, against the
floor of `git clone --mirror` of the same repositories (one after another), in the same run.

    PYTHONPATH=src python3 bench/org_bench.py [--repos 200] [--commits 5] [--work DIR]

Each repository is small (a few commits of a few files; every tenth holds a synthetic key), so the
numbers show the per-repository overhead: clone, walker start-up, result file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from keylatch.rules.synthetic import make_key  # noqa: E402

ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}
SRC = Path(__file__).resolve().parents[1] / "src"


def build(root: Path, repos: int, commits: int) -> list[Path]:
    paths = []
    for r in range(repos):
        path = root / f"repo{r:04d}.git"
        subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True, env=ENV)
        lines = []
        for c in range(1, commits + 1):
            when = 1_600_000_000 + r * 1000 + c * 60
            lines.append(f"commit refs/heads/main\nauthor B <b@example.test> {when} +0000\n"
                         f"committer B <b@example.test> {when} +0000\ndata 7\nchange\n")  # fmt: skip
            for f in range(3):
                body = f"def f{f}():\n    return {r * c + f}\n" * 20
                if r % 10 == 0 and c == commits and f == 0:
                    body += f"OPENAI_API_KEY = '{make_key('sk-proj-', seed=r)}'\n"
                lines.append(f"M 100644 inline src/m{f}.py\ndata {len(body.encode())}\n{body}\n")
        subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input="".join(lines).encode(),
                       check=True, env=ENV)  # fmt: skip
        paths.append(path)
    return paths


def floor(paths: list[Path], work: Path) -> float:
    started = time.monotonic()
    for p in paths:
        dest = work / "floor.git"
        subprocess.run(["git", "clone", "--mirror", "--quiet", p.as_uri(), str(dest)], check=True, env=ENV)
        shutil.rmtree(dest)
    return time.monotonic() - started


def keylatch(*args: str) -> float:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "keylatch", *args], env={**ENV, "PYTHONPATH": str(SRC)},
                          capture_output=True, text=True, check=False)  # fmt: skip
    if proc.returncode not in (0, 1):
        raise SystemExit(f"keylatch {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--commits", type=int, default=5)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="keylatch-org-bench-"))
    try:
        paths = build(work / "hosted", args.repos, args.commits)
        listing = work / "repos.txt"
        listing.write_text("".join(p.as_uri() + "\n" for p in paths))
        plan = work / "plan.jsonl"
        plan_s = keylatch("org", "plan", "--repos", str(listing), "--output", str(plan))
        rows = [("git clone --mirror (floor)", floor(paths, work))]
        for jobs in (1, 2):
            rows.append(
                (
                    f"keylatch org scan --jobs {jobs}",
                    keylatch("org", "scan", str(plan), "--out", str(work / f"out{jobs}"), "--jobs", str(jobs)),
                )
            )
        rows.append(
            ("keylatch org scan rerun (all done)", keylatch("org", "scan", str(plan), "--out", str(work / "out2")))
        )
        print(f"{args.repos} repositories, {args.commits} commits each; plan (ls-remote each) {plan_s:.1f} s")
        base = rows[0][1]
        for name, seconds in rows:
            print(
                f"{name:38s} {seconds:7.1f} s  {args.repos / seconds * 60:8.0f} repos/min  {seconds / base:5.2f}x floor"
            )
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
