"""The import-linter contracts in pyproject.toml: data flows one way through the layers, sources never
match, and no two sibling modules import each other."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_contract_is_kept() -> None:
    config = (ROOT / "pyproject.toml").read_text()
    contracts = config.count("[[tool.importlinter.contracts]]")
    assert set(re.findall(r'^type = "(\w+)"', config, re.M)) >= {"layers", "forbidden", "acyclic_siblings"}
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    proc = subprocess.run(
        [exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": str(Path(sys.executable).parent)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert f"{contracts} kept, 0 broken" in proc.stdout
