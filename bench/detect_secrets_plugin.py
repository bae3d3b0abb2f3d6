"""CPU cost of keylatch's detect-secrets plugin: stock scan vs stock + --plugin vs the recipe.

    python3 bench/detect_secrets_plugin.py [LINES]

Prints child-process user+system CPU seconds (the machine may be shared: wall time is noisy).
"""

from __future__ import annotations

import os
import random
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
sys.path.insert(0, str(SRC))

from keylatch.engine import scan_text  # noqa: E402 -- after the sys.path line above
from keylatch.rules.synthetic import make_key  # noqa: E402


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main(n: int) -> None:
    rng = random.Random(1)
    lines = []
    for i in range(n):
        r = rng.random()
        if r < 0.001:
            lines.append(f'API_KEY = "{make_key("sk-proj-", i)}"')
        elif r < 0.3:
            lines.append(f"def f{i}(x):  # azure openai helper")
        else:
            lines.append(f'    value_{i} = compute(x, {i}) + "some text here {i}"')
    plugin = str(SRC / "keylatch" / "detect_secrets_plugin.py")
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    runs = {
        "detect-secrets scan (stock, OpenAIDetector off)": ["detect-secrets", "scan",
                                                            "--disable-plugin", "OpenAIDetector"],
        "detect-secrets scan --plugin keylatch": ["detect-secrets", "scan", "--plugin", plugin],
        "keylatch detect-secrets scan (recipe)": [sys.executable, "-m", "keylatch", "detect-secrets", "scan",
                                                  "--disable-plugin", "OpenAIDetector"],
        "keylatch scan": [sys.executable, "-m", "keylatch", "scan"],
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "big.py"
        target.write_text("\n".join(lines) + "\n")
        print(f"{n} lines, {target.stat().st_size // 1024} KiB")
        for name, cmd in runs.items():
            best = float("inf")
            for _ in range(3):
                before = cpu()
                # detect-secrets skips files outside its working directory: run it there.
                proc = subprocess.run([*cmd, target.name], cwd=tmp, env=env, capture_output=True, check=False)
                assert not scan_text(proc.stdout.decode()), "a full key was printed"
                best = min(best, cpu() - before)
            print(f"  {best:6.2f} s CPU  {name}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
