"""ruff check and ruff format are part of the suite, so an unformatted or lint-failing file fails CI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREES = ("src", "tests", "bench")


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    # `python -m ruff`: the ruff of this interpreter's environment (the `test` extra pins it).
    return subprocess.run([sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_check_passes() -> None:
    proc = _ruff("check", "--no-cache", *TREES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean() -> None:
    proc = _ruff("format", "--check", "--no-cache", *TREES)
    assert proc.returncode == 0, proc.stdout + proc.stderr
