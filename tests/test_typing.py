"""mypy --strict is part of the suite, so a type error fails CI like any other bug: in src/, and in
the tests and benchmarks, whose calls into keylatch it checks against the real signatures."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# mypy's own incremental cache, outside the checkout and one per checkout (two worktrees would
# evict each other's entries): a fresh machine checks everything (~8 s CPU), a rerun only what
# changed and what depends on it (~0.3 s). Read at import, before the autouse fixture points
# XDG_CACHE_HOME at each test's own directory.
_USER_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
CACHE = _USER_CACHE / "keylatch-tests" / f"mypy-{hashlib.sha256(str(ROOT).encode()).hexdigest()[:16]}"


def test_mypy_strict_passes_on_src_tests_and_bench() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(CACHE), "src/keylatch", "tests", "bench"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
