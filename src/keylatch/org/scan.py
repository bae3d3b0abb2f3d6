"""`org scan`: each repository of a plan (or of one shard) cloned, walked and recorded.

At most `jobs` repositories are on disk at once (each clone is removed when its result is written,
unless kept), so disk use is bounded by the `jobs` largest repositories. Results go through
results.py: one atomic file per repository and head, so a rerun skips what is done.

Ctrl-C (or SIGTERM, which cli.py turns into the same KeyboardInterrupt) stops at once: the git
processes the workers are waiting on are killed, so each worker unwinds (its clone directory
removed) within moments, no record is written for an interrupted repository, and the command
exits 130. A worker thread cannot be killed, only its git; it is given GRACE seconds.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from keylatch.errors import KeylatchError
from keylatch.org import results
from keylatch.org.fetch import mirror
from keylatch.org.plan import PlannedRepo
from keylatch.org.results import RepoResult

log = logging.getLogger(__name__)

Report = Callable[[PlannedRepo, RepoResult | None], None]
GRACE = 10.0  # seconds the workers get to unwind after an interrupt
STALE = 600.0  # a temporary file in the results directory older than this was left by a killed run


@dataclass(frozen=True, slots=True)
class Summary:
    scanned: int
    skipped: int  # already had a result
    failed: tuple[RepoResult, ...]  # failed or incomplete
    keys: int  # keys found in the repositories scanned in this run or skipped


def scan_one(repo: PlannedRepo, keep: Path | None, stop: threading.Event | None = None) -> RepoResult:
    """The result for one repository; a clone or scan failure becomes a `failed` record, archive
    blobs the walk could not read or objects a damaged repository lacks an `incomplete` one that
    keeps the keys found in the rest."""
    from keylatch.history import scan_history
    from keylatch.sources.repo import inspect

    try:
        with mirror(repo, keep) as path:
            if stop is not None and stop.is_set():  # interrupted while cloning: no walk, no record
                raise KeyboardInterrupt
            head = inspect(path).head or ""
            found = scan_history(path, use_cache=keep is not None, report_unread=True, report_damage=True)
            return results.from_history(repo, head, found)
    except KeylatchError as exc:
        return results.failure(repo, str(exc))
    except OSError as exc:  # the disk, not the repository: still never "clean"
        return results.failure(repo, f"{type(exc).__name__}: {exc.strerror or exc}")


def scan_plan(
    repos: Sequence[PlannedRepo],
    out: Path,
    jobs: int = 1,
    keep: Path | None = None,
    report: Report | None = None,
) -> Summary:
    out.mkdir(parents=True, exist_ok=True)
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    _remove_stale(out)
    todo = []
    keys = skipped = 0
    for repo in repos:
        if results.done(out, repo):
            skipped += 1
            keys += len(results.load(out / results.file_name(repo)).keys)
            if report is not None:
                report(repo, None)
        else:
            todo.append(repo)
    failed: list[RepoResult] = []

    def finish(repo: PlannedRepo, result: RepoResult) -> None:
        nonlocal keys
        results.write(out, repo, result)
        keys += len(result.keys)
        if result.failed:
            failed.append(result)
        if report is not None:
            report(repo, result)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="keylatch-org")
    stop = threading.Event()
    # Submitted `jobs` at a time, so an interrupt leaves no queue behind the running ones.
    pending: dict[Future[RepoResult], PlannedRepo] = {}
    try:
        queue = iter(todo)
        while True:
            while len(pending) < max(1, jobs):
                queued = next(queue, None)
                if queued is None:
                    break
                pending[pool.submit(scan_one, queued, keep, stop)] = queued
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                finish(pending.pop(future), future.result())
    except BaseException:
        # Interrupted (or failed writing a result): nothing more is recorded; the running
        # repositories are stopped through their git processes rather than waited for.
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        _stop_workers(list(pending))
        raise
    pool.shutdown(wait=True)
    failed.sort(key=lambda r: r.repository)
    return Summary(len(todo), skipped, tuple(failed), keys)


def _stop_workers(running: Sequence[Future[RepoResult]]) -> None:
    """Kill this process's git children until the workers waiting on them have unwound (their
    clone directories removed by their own `finally`), at most GRACE seconds."""
    deadline = time.monotonic() + GRACE
    while time.monotonic() < deadline:
        _kill_children()
        if all(f.done() for f in running):
            return
        time.sleep(0.05)
    log.warning("%d repository scan(s) did not stop within %.0f s", sum(not f.done() for f in running), GRACE)


def _kill_children() -> None:
    """SIGKILL every descendant of this process (Linux /proc; elsewhere nothing: the workers
    then finish their repositories). Descendants too, not only children: git clone's
    `git-remote-http` holds the pipes its parent's reader waits on."""
    parents: dict[str, str] = {}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                stat = fh.read().decode("ascii", "replace")
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so after the last ")".
            parents[pid] = stat[stat.rindex(")") + 2 :].split()[1]
        except (OSError, ValueError, IndexError):
            continue  # gone already, or not ours to read
    ours = {str(os.getpid())}
    grown = True
    while grown:  # each pass adds the next generation; a tree is as deep as git nests, a few
        more = {p for p, parent in parents.items() if parent in ours} - ours
        grown = bool(more)
        ours |= more
    for pid in ours - {str(os.getpid())}:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except OSError:
            continue


def _remove_stale(out: Path) -> None:
    """Temporary files a killed run left in the results directory (`.tmp-*`, never read as
    results): removed once they are older than STALE, so a live writer's are left alone."""
    now = time.time()
    for path in out.glob(".tmp-*"):
        try:
            if now - path.stat().st_mtime > STALE:
                path.unlink()
        except OSError:
            continue
