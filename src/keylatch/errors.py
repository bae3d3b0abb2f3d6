"""Exit codes and the exception tree. Every error carries the exit code it maps to."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    CLEAN = 0
    LEAKS = 1
    USAGE = 2
    SCAN_FAILED = 3
    INTERRUPTED = 130


class KeylatchError(Exception):
    exit_code: ExitCode = ExitCode.SCAN_FAILED


class UsageError(KeylatchError):
    """Bad arguments or configuration: exit 2."""

    exit_code = ExitCode.USAGE


class ScanError(KeylatchError):
    """The scan could not complete; the result must not be reported as clean: exit 3."""

    exit_code = ExitCode.SCAN_FAILED


def printable(text: str, limit: int = 0) -> str:
    """`text` fit for a one-line message: cut to `limit` characters (0: whole) with `...`, and
    every control or other unprintable character escaped (`\\x1b`), so a hostile file name or
    config value can neither flood the terminal nor drive it."""
    cut = limit and len(text) > limit
    if cut:
        text = text[:limit]
    if not text.isprintable():
        text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text + "..." if cut else text
