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
