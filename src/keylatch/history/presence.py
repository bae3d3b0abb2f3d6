"""The presence check (history/damage.py: check_present) as soon as `git log` has written the
log, on a thread of its own while the readers go on, instead of after the last object.

On git/git the log ends about a third of the way through the object stream, and the check
(214k ids through one `cat-file --batch-check`, and the raw log parsed for them) was 0.5 s of
CPU and 0.7 s of wall time in the serial tail of every whole-history scan (bench/README.md,
t-hist18). The thread only reads the log when git exited 0: a failed log is rebuilt
(history/salvage.py) and checked after, by the caller, as before.
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass, field
from typing import IO

from keylatch.history.damage import check_present
from keylatch.sources.gitcmd import Git


@dataclass(slots=True)
class EarlyCheck:
    """One scan's check, local to it. `lost` is None until the check has run (and stays None
    when the log failed or the check raised: the caller then runs it itself)."""

    thread: threading.Thread | None = None
    lost: frozenset[bytes] | None = None
    abandoned: threading.Event = field(default_factory=threading.Event)

    def result(self) -> frozenset[bytes] | None:
        """Wait for the thread; the ids the repository lacks, or None: check it yourself."""
        if self.thread is not None:
            self.thread.join()
        return self.lost


def start(proc: subprocess.Popen[bytes], git: Git, log_out: IO[bytes]) -> EarlyCheck:
    """Check the blobs `proc`'s log names once it exits 0. The caller must call `result()` (or
    `abandon()`) before it touches `log_out` again or closes it."""
    early = EarlyCheck()

    def run() -> None:
        if proc.wait() != 0 or early.abandoned.is_set():
            return
        try:
            early.lost = check_present(git, log_out)
        except Exception:  # noqa: BLE001 -- the caller checks again and raises its own error
            early.lost = None

    early.thread = threading.Thread(target=run, name="presence", daemon=True)
    early.thread.start()
    return early


def abandon(early: EarlyCheck) -> None:
    """The scan failed or was interrupted: no check starts now, and one running ends (its
    `cat-file` is short: the ids are in a file, none are read) before the log file closes."""
    early.abandoned.set()
    early.result()
