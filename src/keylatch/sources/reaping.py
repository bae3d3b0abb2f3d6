"""Child processes never outlive the scan that started them.

A scan that fails or is interrupted (Ctrl-C; SIGTERM, which cli.py turns into the same
KeyboardInterrupt) must not leave `git log` writing into a deleted temporary file or `git
cat-file` blocked on a full pipe. `Popen.__exit__` does not do this: on KeyboardInterrupt it
waits a quarter of a second and returns, leaving the child running; on other errors it waits for
a child that may be blocked writing to us. So every long-lived child is killed here, before any
thread that feeds it is joined (tests/e2e/test_interrupts.py).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator


def kill(*procs: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL each child still running, then reap them all (a killed child exits at once)."""
    live = [p for p in procs if p is not None]
    for p in live:
        if p.poll() is None:
            p.kill()
    for p in live:
        p.wait()


@contextlib.contextmanager
def reaped(*procs: subprocess.Popen[bytes] | None) -> Iterator[None]:
    """Kill `procs` if the block raises anything, KeyboardInterrupt and SystemExit included."""
    try:
        yield
    except BaseException:
        kill(*procs)
        raise
