"""What a `keylatch` run returns to a test, and where this checkout's sources are."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


# Runs and hooks use this checkout's code, whatever is installed (PYTHONPATH=SRC).
SRC = Path(__file__).resolve().parents[2] / "src"

RunKeylatch = Callable[..., Result]
