"""Every key in every commit of every ref: scan each unique blob once, then attribute.

Pipeline: `git log --raw -c` (which commit put which blob at which path, merges included) runs
into a temporary file while one `git cat-file --batch` process streams the blobs through the
engine. Only the few blobs that hold a key are then traced back to commits (sources/attribute.py).

For the whole history the blob stream is every object in the repository, in pack order (the
fastest read git offers); unreachable blobs are scanned too but only reported with
`include_unreachable`. For a range (`A..B`, `X --not --remotes=origin`) only the blobs those
commits add are read, and a key counts only where the commit introduced it.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from keylatch.errors import ScanError
from keylatch.model import Secret, Severity
from keylatch.rules import DEFAULT_RULES, Rule
from keylatch.sources.blobs import LFS_POINTER, absent, read_objects
from keylatch.sources.cache import BlobCache, rules_digest
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.grepfilter import Objects, candidates
from keylatch.sources.logcache import LogCache
from keylatch.sources.rawlog import GITLINK, ZERO, blob_ids, digest, log_args, parse_log
from keylatch.sources.reaping import reaped
from keylatch.sources.repostate import (
    NO_FETCH,
    inspect,
    missing_blobs,
    unreachable_commits,
)
from keylatch.sources.scanner import BlobScanner, Progress, ProgressFn, needles

WHOLE_HISTORY: tuple[str, ...] = ("--all",)
OBJECT_KINDS = (b"blob", b"commit")
BLOB_NEEDED = "blob that its commits need"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    author_name: str
    author_email: str
    date: str  # author date, strict ISO-8601
    summary: str


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A place where a commit introduced the key: that commit's version of `path`, 1-based."""

    commit: str
    path: str
    line: int
    column: int
    author_name: str = ""
    author_email: str = ""
    blob: str = ""


@dataclass(frozen=True, slots=True)
class KeyFinding:
    rule_id: str
    severity: Severity
    secret: Secret
    introduced: CommitInfo  # the earliest commit (committer time) that introduced the key
    last_seen: CommitInfo  # the newest commit known to contain it
    locations: tuple[Occurrence, ...]  # sorted by path, line, column, commit
    in_head: bool
    refs: tuple[str, ...]  # refs from which an introducing commit is reachable
    encoding: str = ""  # "base64" when found inside a base64 value
    # True when the earliest introduction is a shallow clone's boundary commit: the key may be
    # older, and that commit is not known to be its author.
    at_shallow_boundary: bool = False

    @property
    def fingerprint(self) -> str:
        return self.secret.fingerprint


@dataclass(frozen=True, slots=True)
class HistoryResult:
    findings: tuple[KeyFinding, ...]
    commits: int  # commits walked
    blobs: int  # blobs read and scanned in this run
    bytes: int  # bytes of those blobs
    seconds: float
    cached_blobs: int = 0  # blobs skipped because an earlier scan found them clean
    missing_blobs: int = 0  # not present locally (partial clone, --allow-partial)
    gitlinks: int = 0  # submodule commits referenced, not scanned (their objects live elsewhere)
    lfs_pointers: int = 0  # LFS pointer files: the pointer was scanned, the content lives elsewhere
    shallow_boundary: tuple[str, ...] = ()  # history before these commits is missing
    unreachable_included: bool = False

    @property
    def complete(self) -> bool:
        return not (self.missing_blobs or self.shallow_boundary)


def scan_history(
    repo: Path,
    revs: Sequence[str] = WHOLE_HISTORY,
    *,
    rules: Sequence[Rule] = DEFAULT_RULES,
    include_unreachable: bool = False,
    use_cache: bool = True,
    allow_shallow: bool = False,
    allow_partial: bool = False,
    trust_owner: bool = False,
    progress: ProgressFn | None = None,
) -> HistoryResult:
    """Scan the commits `revs` selects (git rev-list arguments) and return one finding per key.

    Raises ScanError when the history cannot be read completely: shallow clones and partial
    clones with missing blobs unless explicitly allowed, git failures, missing objects.
    """
    from keylatch.sources.attribute import attribute

    started = time.monotonic()
    state = inspect(repo, trust_owner)
    if state.shallow and not allow_shallow:
        raise ScanError(
            f"history is incomplete: {repo} is a shallow clone cut at {_boundary(state.shallow)}; "
            "run `git fetch --unshallow` or pass --allow-shallow"
        )
    config = (f"safe.directory={repo.resolve()}",) if trust_owner else ()
    git = Git(repo, config=config + (NO_FETCH if state.partial else ()))
    whole = tuple(revs) == WHOLE_HISTORY
    walk = tuple(revs)
    # Dangling commits can be thousands: they go to git on stdin, not on the command line.
    extra: tuple[str, ...] = ()
    if include_unreachable:
        walk += ("--reflog",)
        extra = unreachable_commits(git)
    missing = missing_blobs(git, walk, extra) if state.partial else frozenset()
    if missing and not allow_partial:
        raise ScanError(
            f"history is incomplete: {repo} is a partial clone and {len(missing)} blob(s) were "
            "never downloaded; keylatch does not fetch them. Fetch them "
            "(`git fetch --refetch` or a full clone) or pass --allow-partial"
        )
    # Range scans (the hooks) neither read nor write caches: loading a big blob cache would cost
    # more than the few blobs a push adds, and a hook should not write into the git dir.
    cache = BlobCache.load(state.common_dir, rules) if use_cache and whole else None
    scanner = BlobScanner(rules, cache, progress, track=not whole)
    log_cache = None
    if use_cache and whole and not include_unreachable:
        log_cache = LogCache.open(state.common_dir, git, rules_digest(rules), walk, state.shallow)
    with tempfile.TemporaryFile() as log_out, tempfile.TemporaryFile() as log_err:
        # The log runs while the blobs stream, unless the cache may make it unnecessary.
        proc = None if log_cache is not None and log_cache.fresh() else _start_log(git, walk, extra, log_out, log_err)
        # Whatever fails first (or an interrupt) kills the log: it must not outlive the scan.
        with reaped(proc):
            if whole:
                _scan_all(git, scanner, cache)
            if proc is not None:
                _finish_log(proc, log_err)
        # The whole-history stream reads what the object store lists, so a lost blob is never
        # asked for: check that every blob the log names is there (a partial clone's missing
        # blobs were counted above, without fetching).
        check = whole and not state.partial
        if proc is not None and check:
            _check_present(git, repo, log_out)
        if not whole:
            log_out.seek(0)
            read_objects(git, _added_blobs(log_out, scanner, missing), scanner.visit, OBJECT_KINDS)
        _no_missing(repo, scanner, missing)
        if progress is not None:  # the final count, whatever the throttling showed last
            progress(Progress(scanner.blobs, scanner.nbytes, time.monotonic() - scanner.started))
        keyed = frozenset(scanner.found)
        digested = log_cache.load(keyed) if log_cache is not None and proc is None else None
        if digested is None:
            if proc is None:
                _run_log(git, walk, extra, log_out, log_err)
                if check:
                    _check_present(git, repo, log_out)
            digested = digest(log_out, keyed)
            if log_cache is not None:
                log_cache.save(keyed, digested)
        outcome = attribute(git, state, digested, scanner, missing, include_unreachable, whole)
        _no_missing(repo, scanner, missing)  # attribution read the parents' versions too
    if cache is not None:
        cache.save()
    return HistoryResult(
        findings=outcome.findings,
        commits=outcome.commits,
        blobs=scanner.blobs,
        bytes=scanner.nbytes,
        seconds=time.monotonic() - started,
        cached_blobs=scanner.cached,
        missing_blobs=len(missing),
        gitlinks=outcome.gitlinks,
        lfs_pointers=scanner.lfs_pointers,
        shallow_boundary=state.shallow,
        unreachable_included=include_unreachable,
    )


def _start_log(
    git: Git, walk: Sequence[str], extra: Sequence[str], out: IO[bytes], err: IO[bytes]
) -> subprocess.Popen[bytes]:
    if not extra:
        return git.popen(*log_args(walk), stdout=out, stderr=err)
    proc = git.popen(*log_args([*walk, "--stdin"]), stdin=subprocess.PIPE, stdout=out, stderr=err)
    assert proc.stdin is not None
    with proc.stdin:  # git's output goes to a file, so this cannot block on a full pipe
        proc.stdin.write("".join(f"{sha}\n" for sha in extra).encode())
    return proc


def _finish_log(proc: subprocess.Popen[bytes], err: IO[bytes]) -> None:
    if proc.wait() != 0:
        err.seek(0)
        raise damage_named(f"git log: {first_line(err.read())}")


def _run_log(git: Git, walk: Sequence[str], extra: Sequence[str], out: IO[bytes], err: IO[bytes]) -> None:
    proc = _start_log(git, walk, extra, out, err)
    with reaped(proc):
        _finish_log(proc, err)


def _check_present(git: Git, repo: Path, log_out: IO[bytes]) -> None:
    log_out.seek(0)
    count, first = absent(git, blob_ids(log_out))
    if count:
        raise _damaged(repo, count, BLOB_NEEDED, "missing or unreadable", first)


def _no_missing(repo: Path, scanner: BlobScanner, expected: frozenset[bytes]) -> None:
    """Blobs asked for by id that git could not give: missing, or unreadable (corrupt)."""
    lost = scanner.missing - expected
    if lost:
        raise _damaged(repo, len(lost), BLOB_NEEDED, "missing or unreadable", min(lost))


def _damaged(repo: Path, count: int, what: str, state: str, first: bytes | None) -> ScanError:
    """`what` is a noun phrase whose first word takes the plural: "blob that its commits need"."""
    noun, _, rest = what.partition(" ")
    noun += "" if count == 1 else "s"
    verb = "is" if count == 1 else "are"
    first_id = first.decode("ascii", "replace") if first else "?"
    return ScanError(
        f"repository {repo} is damaged: {count} {noun}{' ' + rest if rest else ''} {verb} {state} "
        f"(first: {first_id}); `git fsck` lists every damaged object"
    )


# git's words for an object it needs and cannot read (git 2.39 .. 2.47).
_DAMAGE = (
    (r"unable to read tree \(?([0-9a-f]{40,64})", "tree"),
    (r"[Cc]ould not read ([0-9a-f]{40,64})", "commit"),
    (r"bad object (refs/\S+)", "the object of ref"),
)


def damage_named(message: str) -> ScanError:
    """git's first error line, reworded when it says an object is missing: that is damage,
    not a git failure, and `git fsck` is where to look next."""
    import re

    for pattern, kind in _DAMAGE:
        m = re.search(pattern, message)
        if m is not None:
            return ScanError(
                f"the repository is damaged: {kind} {m.group(1)} is missing or unreadable ({message}); "
                "`git fsck` lists every damaged object"
            )
    return ScanError(message)


def _boundary(shallow: tuple[str, ...]) -> str:
    more = f" (and {len(shallow) - 1} more)" if len(shallow) > 1 else ""
    return f"{shallow[0][:12]}{more}"


def _scan_all(git: Git, scanner: BlobScanner, cache: BlobCache | None) -> None:
    """Every blob and commit object in the repository, in pack order, minus those the cache
    knows are clean (a commit object is read for its message)."""
    todo = Objects()
    unreadable: list[bytes] = []
    with git.popen(
        "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectname) %(objectsize)", "--unordered"
    ) as proc:  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:
            parts = line.split()
            if len(parts) != 3:
                # The object store lists it, but git cannot read its header: a corrupt object.
                if parts[1:] != [b"missing"]:
                    raise ScanError(f"git cat-file: unexpected output {line[:80]!r}")
                unreadable.append(parts[0])
                continue
            kind, oid, size = parts
            if kind not in OBJECT_KINDS:
                continue
            if cache is not None and oid in cache:
                scanner.cached += kind == b"blob"
            else:
                todo.add(oid, int(size), kind == b"commit")
        err = proc.stderr.read()
    if proc.returncode != 0:
        raise ScanError(f"git cat-file: {first_line(err)}")
    if unreadable:
        raise _damaged(git.repo or Path("."), len(unreadable), "object", "unreadable", min(unreadable))
    progress = scanner.progress

    def report(blobs: int, nbytes: int) -> None:
        if progress is not None:
            progress(Progress(blobs, nbytes, time.monotonic() - scanner.started))

    hits = candidates(git, todo, (*needles(scanner.rules), LFS_POINTER), report)
    if hits is None:
        log.debug("grep prefilter unavailable or out of step: scanning every object in Python")
        read_objects(git, (todo.oid(i) for i in range(len(todo))), scanner.visit, OBJECT_KINDS)
        return
    # Only objects holding a needle are read again and given to the engine.
    read_objects(git, [todo.oid(i) for i in sorted(hits)], scanner.visit, OBJECT_KINDS)
    for i in range(len(todo)):
        if i in hits:
            continue
        if not todo.commits[i]:
            scanner.blobs += 1
            scanner.nbytes += todo.sizes[i]
        if cache is not None:
            cache.add_packed(todo.packed(i))


def cache_hit(scanner: BlobScanner, oid: bytes) -> bool:
    return scanner.cache is not None and oid in scanner.cache


def _added_blobs(log_out: IO[bytes], scanner: BlobScanner, missing: frozenset[bytes]) -> Iterator[bytes]:
    seen: set[bytes] = set()
    for commit in parse_log(log_out):
        if not scanner.is_scanned(commit.sha):
            yield commit.sha  # for its message
        for ch in commit.changes:
            oid = ch.new
            if oid == ZERO or ch.mode == GITLINK or oid in seen or oid in missing:
                continue
            seen.add(oid)
            if cache_hit(scanner, oid):
                scanner.cached += 1
            elif not scanner.is_scanned(oid):
                yield oid
