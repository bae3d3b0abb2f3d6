"""How many cores this process may run on: what the parallel readers of `scan` (sources/files.py)
and `history` (history/readers.py) size themselves by."""

from __future__ import annotations

import os


def usable() -> int:
    """The cores this process may use (a taskset or a container's cpuset counts, not the
    machine's), at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)
