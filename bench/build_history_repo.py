"""Build a large deterministic repository for bench/history_bench.py, with `git fast-import`.

    python3 bench/build_history_repo.py OUT.git --commits 20000 --files 400 [--huge-mb 300]

Same arguments, same repository (same object ids): content comes from a seeded RNG and dates
are fixed. It has branches, merges, a few synthetic keys (added, some later removed) and,
with --huge-mb, one blob of that size to show memory stays bounded.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from keylatch.rules.synthetic import make_key  # noqa: E402

WORDS = [w.encode() for w in "def class return import self value data index config name test error".split()]


def text(rng: random.Random, lines: int) -> bytes:
    return b"".join(b" ".join(rng.choices(WORDS, k=rng.randint(3, 12))) + b"\n" for _ in range(lines))


def build(out: Path, commits: int, files: int, huge_mb: int, seed: int) -> None:
    rng = random.Random(seed)
    subprocess.run(["git", "init", "-q", "--bare", str(out)], check=True)
    proc = subprocess.Popen(["git", "-C", str(out), "fast-import", "--quiet"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    w = proc.stdin.write
    keys_at = {commits * i // 7: i for i in range(1, 7)}  # six keys, spread over the history
    mark = 0
    tips = {"main": 0, "dev": 0}
    for n in range(1, commits + 1):
        branch = "dev" if n % 5 == 0 else "main"
        w(f"commit refs/heads/{branch}\nmark :{n}\n".encode())
        w(f"author Bench <bench@example.test> {1_600_000_000 + n * 60} +0000\n".encode())
        w(f"committer Bench <bench@example.test> {1_600_000_000 + n * 60} +0000\n".encode())
        msg = f"change {n}\n".encode()
        w(b"data %d\n%s" % (len(msg), msg))
        if tips[branch]:
            w(f"from :{tips[branch]}\n".encode())
        if branch == "main" and tips["dev"] and n % 50 == 1:
            w(f"merge :{tips['dev']}\n".encode())
        for _ in range(rng.randint(1, 4)):
            body = text(rng, rng.randint(20, 400))
            path = f"src/m{rng.randrange(files // 20)}/f{rng.randrange(files)}.py"
            w(f"M 100644 inline {path}\n".encode() + b"data %d\n" % len(body) + body)
        if n in keys_at:
            i = keys_at[n]
            body = f"# settings\nOPENAI_API_KEY = '{make_key('sk-proj-', seed=1000 + i)}'\n".encode()
            w(f"M 100644 inline config/keys{i}.py\n".encode() + b"data %d\n" % len(body) + body)
        if n in {k + commits // 20 for k in keys_at if keys_at[k] % 2}:
            i = keys_at[n - commits // 20]
            w(f"D config/keys{i}.py\n".encode())
        if huge_mb and n == commits // 2:
            # Ends with a key, so the engine (not just the prefilter) has to stream all of it.
            line = b"0123456789abcdef" * 6 + b"\n"
            count = huge_mb * (1 << 20) // len(line)
            tail = f"OPENAI_API_KEY={make_key('sk-proj-', seed=999)}\n".encode()
            w(b"M 100644 inline data/huge.txt\ndata %d\n" % (count * len(line) + len(tail)))
            for _ in range(count // 1024):
                w(line * 1024)
            w(line * (count % 1024) + tail)
        w(b"\n")
        tips[branch] = n
        mark = n
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(out), "gc", "-q"], check=True)
    print(f"built {out}: {mark} commits")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--files", type=int, default=400)
    ap.add_argument("--huge-mb", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    build(a.out, a.commits, a.files, a.huge_mb, a.seed)


if __name__ == "__main__":
    main()
