#!/usr/bin/env python3
"""Benchmark the pre-commit hook: `keylatch staged` on a commit of 10 modified files in a
repository whose index holds 4,500 files (git/git's size; `--index` to change it).

Measured in the same run, on the same staged commit:
  git diff --cached          the floor (git alone reading what is staged)
  python -c pass             a bare interpreter of the same Python
  keylatch staged            the whole hook process, as pre-commit runs it
  gitleaks git --pre-commit --staged   when gitleaks is on PATH

keylatch runs from an isolated virtual environment (no site-packages, like the one pre-commit
builds) with byte-compiled sources, as `pip install` leaves them. The script also checks with
`python -X importtime` that the hook path imports none of GitPython, detect_secrets or requests,
and prints the most expensive imports, and counts the git processes a clean commit starts
(strace, when installed). The target (issue 14) is the ratio of `keylatch staged` to `python -c
pass`, both timed in this run: at most 4x. With taskset installed, both are timed again pinned
to one core (what a one-CPU CI runner sees).

    python3 bench/hook_bench.py [--runs 41] [--files 10] [--index 4500] [--keep DIR]
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
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("git", "detect_secrets", "requests")
HOOK = "import sys; del sys.path[0]; from keylatch.cli import main; sys.exit(main())"


def _env(home: Path, pythonpath: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PYTHON"))}
    gitconfig = home / ".gitconfig"
    gitconfig.write_text("[user]\n\tname = Bench\n\temail = bench@example.test\n[init]\n\tdefaultBranch = main\n")
    env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1", LC_ALL="C")
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def _source_file(rng: random.Random, n: int) -> str:
    """An ordinary Python module of about 4 KiB: names, strings, comments, no keys."""
    words = ["request", "client", "config", "value", "result", "session", "token_count", "model", "retry"]
    lines = [f'"""Module {n}: generated for the hook benchmark."""', "", "import os", ""]
    while sum(len(x) + 1 for x in lines) < 4096:
        a, b = rng.sample(words, 2)
        lines += [
            f"def {a}_{b}_{len(lines)}(x, y=None):",
            f"    # combine {a} and {b}",
            f"    return {{'{a}': x, '{b}': y, 'env': os.environ.get('{a.upper()}_{len(lines)}')}}",
            "",
        ]
    return "\n".join(lines) + "\n"


def build_repo(path: Path, env: dict[str, str], files: int, changed: int, key: str = "") -> None:
    """`files` ordinary modules in 10 x 45 directories (git/git's 4,500-entry index by default),
    committed, then `changed` of them modified and staged."""
    rng = random.Random(7)
    subprocess.run(["git", "init", "-q", str(path)], env=env, check=True)
    texts = [_source_file(rng, i) for i in range(50)]  # 50 distinct bodies: objects stay few
    for i in range(files):
        f = path / f"pkg{i % 10}" / f"sub{i % 45}" / f"mod{i}.py"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(f"# {i}\n" + texts[i % 50])
    subprocess.run(["git", "add", "-A"], cwd=path, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", "base"], cwd=path, env=env, check=True)
    for i in range(changed):
        f = path / f"pkg{i % 10}" / f"sub{i % 45}" / f"mod{i}.py"
        f.write_text(f.read_text() + f"\nCHANGED_{i} = {i}\n")
    if key:  # the slow path: rules, config and baseline are loaded and the message is built
        f = path / "pkg0" / "sub0" / "mod0.py"
        f.write_text(f.read_text() + f'OPENAI_API_KEY = "{key}"\n')
    subprocess.run(["git", "add", "-A"], cwd=path, env=env, check=True)


def make_venv(where: Path) -> Path:
    venv.EnvBuilder(with_pip=False, symlinks=True).create(where)
    return where / "bin" / "python"


def install_sources(dest: Path, python: Path, src: Path = ROOT / "src") -> Path:
    shutil.copytree(src / "keylatch", dest / "keylatch")
    # pip byte-compiles on install; without this every run would recompile.
    subprocess.run([str(python), "-m", "compileall", "-q", str(dest)], check=True, stdout=subprocess.DEVNULL)
    return dest


def timed(argv: list[str], cwd: Path, env: dict[str, str], expect: int = 0) -> tuple[float, float]:
    """Wall and CPU seconds (user+sys of the process and its children) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != expect:
        raise SystemExit(f"{argv[0]} exited {proc.returncode}: {proc.stderr.decode()[:300]}")
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


Row = tuple[str, list[str], dict[str, str], int, Path]  # label, argv, env, expected exit, cwd


def medians(rows: list[Row], runs: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU ms per row. Rows take turns run by run, so a shared machine's load
    changes hit them all alike; CPU time is the steadier number there, wall what a user waits."""
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label, *_ in rows}
    for i in range(runs + 2):
        for label, argv, env, expect, cwd in rows:
            sample = timed(argv, cwd, env, expect)
            if i >= 2:  # warm-up runs fill the page cache
                samples[label].append(sample)
    return {
        label: (statistics.median(w for w, _ in xs) * 1000, statistics.median(c for _, c in xs) * 1000)
        for label, xs in samples.items()
    }


def imported_modules(python: Path, cwd: Path, env: dict[str, str]) -> list[tuple[int, str]]:
    proc = subprocess.run(
        [str(python), "-X", "importtime", "-c", HOOK, "staged"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    out = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "imported package" not in line:
            _, cumulative, name = line[len("import time:") :].split("|")
            out.append((int(cumulative), name.strip()))
    return out


def git_processes(python: Path, cwd: Path, env: dict[str, str]) -> list[str]:
    """The git subcommands one clean `keylatch staged` starts (strace -f), in order."""
    if not shutil.which("strace"):
        return []
    proc = subprocess.run(
        ["strace", "-f", "-v", "-qq", "-s", "64", "-e", "trace=execve", "-e", "signal=none",
         str(python), "-c", HOOK, "staged"],
        cwd=cwd, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    out = []
    for line in proc.stderr.splitlines():
        if "execve(" not in line or "ENOENT" in line or "/git" not in line.split(",", 1)[0]:
            continue
        args = [a.strip(' "') for a in line.split("[", 2)[-1].split("]", 1)[0].split(", ")]
        words = [a for i, a in enumerate(args) if i and a != "-c" and args[i - 1] != "-c" and not a.startswith("-")]
        out.append(words[0] if words else "?")
    return out


def pinned(rows: list[Row]) -> list[Row]:
    """The same rows run on one core (taskset -c 0)."""
    return [
        (f"{label} [1 core]", ["taskset", "-c", "0", *argv], env, expect, cwd) for label, argv, env, expect, cwd in rows
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=41)
    ap.add_argument("--files", type=int, default=10, help="modified files in the staged commit")
    ap.add_argument("--index", type=int, default=4500, help="files in the repository (its index)")
    ap.add_argument("--keep", type=Path, help="build in DIR and keep it")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the keylatch sources to time (another checkout's)")
    args = ap.parse_args()
    tmp = args.keep or Path(tempfile.mkdtemp(prefix="keylatch-hook-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        home = tmp / "home"
        home.mkdir(exist_ok=True)
        repo = tmp / "repo"
        env = _env(home)
        keyed = tmp / "repo-key"
        if not repo.exists():
            build_repo(repo, env, args.index, args.files)
            sys.path.insert(0, str(ROOT / "src"))
            from keylatch.rules.synthetic import make_key

            build_repo(keyed, env, args.index, args.files, key=make_key("sk-proj-", seed=1))
        python = make_venv(tmp / "venv") if not (tmp / "venv").exists() else tmp / "venv" / "bin" / "python"
        site = tmp / "site"
        if site.exists():
            shutil.rmtree(site)
        hook_env = _env(home, install_sources(site, python, args.src))

        mods = imported_modules(python, repo, hook_env)
        names = {m for _, m in mods}
        bad = sorted(n for n in names if n.split(".")[0] in FORBIDDEN)
        rows = [
            ("git diff --cached (floor)", ["git", "diff", "--cached"], env, 0, repo),
            ("python -c pass", [str(python), "-c", "pass"], hook_env, 0, repo),
            # What the design needs before keylatch runs a line: an argparse CLI, frozen
            # dataclass records and subprocess for git.
            (
                "python: import argparse,dataclasses,subprocess",
                [str(python), "-c", "import argparse, dataclasses, subprocess"],
                hook_env,
                0,
                repo,
            ),
            ("keylatch staged", [str(python), "-c", HOOK, "staged"], hook_env, 0, repo),
            ("keylatch staged, one key staged (exit 1)", [str(python), "-c", HOOK, "staged"], hook_env, 1, keyed),
        ]
        if shutil.which("gitleaks"):
            rows.append(
                (
                    "gitleaks git --pre-commit --staged",
                    ["gitleaks", "git", "--pre-commit", "--staged", "--no-banner"],
                    env,
                    0,
                    repo,
                )
            )
        if shutil.which("taskset"):
            rows += pinned([r for r in rows if r[0] in ("python -c pass", "keylatch staged")])
        results = medians(rows, args.runs)
        floor = results["git diff --cached (floor)"][0]
        bare = results["python -c pass"][0]
        print(
            f"hook benchmark: {args.files} modified files staged, {args.index}-file index, "
            f"{args.runs} runs each, medians"
        )
        print(f"python {sys.version.split()[0]} ({python}), {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        print(f"  {'':46} {'wall':>7}      {'vs floor':>8}  {'vs python':>9}  {'cpu':>7}")
        for label, (ms, cpu_ms) in results.items():
            print(f"  {label:46} {ms:7.1f} ms  {ms / floor:7.1f}x  {ms / bare:8.2f}x  {cpu_ms:7.1f} ms")
        kl = results["keylatch staged"][0]
        print(f"  keylatch beyond a bare interpreter: {kl - bare:.1f} ms wall")
        cpu_ratio = results["keylatch staged"][1] / results["python -c pass"][1]
        print(f"  target (issue 14): keylatch staged / python -c pass = {kl / bare:.2f}x wall (at most 4x), "
              f"{cpu_ratio:.2f}x CPU")  # fmt: skip
        if "keylatch staged [1 core]" in results:
            one, one_bare = results["keylatch staged [1 core]"][0], results["python -c pass [1 core]"][0]
            print(f"  pinned to one core (taskset -c 0): {one:.1f} ms / {one_bare:.1f} ms = {one / one_bare:.2f}x")
        spawned = git_processes(python, repo, hook_env)
        if spawned:
            print(f"  git processes of a clean commit: {len(spawned)} ({', '.join(spawned)})")
        print(f"  imports on the hook path: {len(names)} modules; forbidden: {', '.join(bad) or 'none'}")
        top = sorted(((c, n) for c, n in mods if n.startswith("keylatch") or "." not in n), reverse=True)[:8]
        print("  most expensive imports (cumulative): " + ", ".join(f"{n} {c / 1000:.1f} ms" for c, n in top))
        return 1 if bad else 0
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
