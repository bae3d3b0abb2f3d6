"""`org scan`: each repository of a plan (or of one shard) cloned, walked and recorded.

At most `jobs` repositories are on disk at once (each clone is removed when its result is written,
unless kept), so disk use is bounded by the `jobs` largest repositories. Results go through
results.py: one atomic file per repository and head, so a rerun skips what is done.
"""

from __future__ import annotations

import logging
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


@dataclass(frozen=True, slots=True)
class Summary:
    scanned: int
    skipped: int  # already had a result
    failed: tuple[RepoResult, ...]  # failed or incomplete
    keys: int  # keys found in the repositories scanned in this run or skipped


def scan_one(repo: PlannedRepo, keep: Path | None) -> RepoResult:
    """The result for one repository; a clone or scan failure becomes a `failed` record, archive
    blobs the walk could not read an `incomplete` one that keeps the keys found in the rest."""
    from keylatch.history import scan_history
    from keylatch.sources.repo import inspect

    try:
        with mirror(repo, keep) as path:
            head = inspect(path).head or ""
            found = scan_history(path, use_cache=keep is not None, report_unread=True)
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
    try:
        # Submitted `jobs` at a time, so an interrupt leaves no queue behind the running ones.
        pending: dict[Future[RepoResult], PlannedRepo] = {}
        queue = iter(todo)
        while True:
            while len(pending) < max(1, jobs):
                queued = next(queue, None)
                if queued is None:
                    break
                pending[pool.submit(scan_one, queued, keep)] = queued
            if not pending:
                break
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                finish(pending.pop(future), future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    failed.sort(key=lambda r: r.repository)
    return Summary(len(todo), skipped, tuple(failed), keys)
