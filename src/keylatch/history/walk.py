"""Every key in every commit of every ref: scan each unique blob once, then attribute.

Pipeline: `git log --raw -c` (which commit put which blob at which path, merges included) runs
into a temporary file while one `git cat-file --batch` process streams the blobs through the
engine. Only the few blobs that hold a key are then traced back to commits (history/attribute.py).

For the whole history the blob stream is every object in the repository, in pack order (the
fastest read git offers: history/allobjects.py); unreachable blobs are scanned too but only
reported with `include_unreachable`. Since that stream never asks for an object the store lacks,
the log's blob ids are then checked for presence (history/damage.py): a lost or unreadable object
is named, and the walk goes on with every other one.

For a range (`A..B`, `X --not --remotes=origin`) only the blobs those commits add are read (a
missing one is damage too), and a key counts only where the commit introduced it.
"""

from __future__ import annotations

import contextlib
import functools
import subprocess
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

from keylatch.errors import ScanError
from keylatch.history import presence
from keylatch.history.allobjects import scan_all
from keylatch.history.blobscan import OBJECT_KINDS, BlobScanner, Progress, ProgressFn
from keylatch.history.cache import BlobCache, rules_digest
from keylatch.history.damage import (
    check_present,
    damage_named,
    headline,
    lost_objects,
    readable_part,
    unplaced,
    unreachable,
    unreadable_packs,
)
from keylatch.history.direct import named_damage, peel, reached, ref_listing
from keylatch.history.logcache import LogCache
from keylatch.history.model import WHOLE_HISTORY, DamagedObject, HistoryResult, UnreadBlob
from keylatch.history.rawlog import GITLINK, MESSAGE, LogDigest, digest, log_args, parse_log
from keylatch.history.tags import named_tags, tag_keys
from keylatch.rules import DEFAULT_RULES, Rule
from keylatch.sources.archives import DEFAULT_LIMITS, Limits
from keylatch.sources.gitcmd import Git, first_line, null_id
from keylatch.sources.objects import stream_objects
from keylatch.sources.reaping import reaped
from keylatch.sources.repo import NO_FETCH, RepoState, inspect, missing_blobs


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
    offer_flags: bool = True,
    archives: Limits = DEFAULT_LIMITS,
    report_unread: bool = False,
    report_damage: bool = False,
    git: Git | None = None,
    state: RepoState | None = None,
    direct: Sequence[tuple[str, str]] = (),
    commits: Collection[str] = (),
) -> HistoryResult:
    """Scan the commits `revs` selects (git rev-list arguments) and return one finding per key.

    `offer_flags`: the caller has --allow-shallow / --allow-partial, so the errors may suggest them.
    `report_unread`: the caller reports archive blobs that could not be read whole
    (HistoryResult.unread) and exits 3; without it the first is a ScanError once the walk is done
    (a caller that cannot report an incomplete scan must not look complete).
    `report_damage`: likewise for objects a damaged repository lacks (HistoryResult.damaged):
    every other object is scanned and its keys attributed; without it, one ScanError names them.

    `git`: the caller's Git for `repo` (same trust_owner), so the repository's driver names
    are listed once per command rather than once per Git (gitcmd.Git.derived); `state`: what
    the caller's `inspect(repo, git=git)` already answered, so it is not asked again.

    `direct`: (name, revision) pairs a range also publishes that may be, or tag, a blob or a tree
    (a pushed `git tag keys <blob>`): those are scanned as content and their keys placed by the
    name (history/direct.py). `revs` may then be empty: no commit is walked.

    `commits`: revisions of `revs` the caller resolved to commit ids (ci's head), so no tag
    object is looked for behind them (history/tags.py `named_tags`: one process fewer).

    Raises ScanError when the history cannot be read completely: shallow clones and partial
    clones with missing blobs unless explicitly allowed, git failures, missing objects.
    """
    from keylatch.history.attribute import attribute

    started = time.monotonic()
    if git is None:
        git = Git(repo, config=(f"safe.directory={repo.resolve()}",) if trust_owner else ())
    if state is None:
        state = inspect(repo, trust_owner, git=git)
    if state.shallow and not allow_shallow:
        raise ScanError(
            f"history is incomplete: {repo} is a shallow clone cut at {_boundary(state.shallow)}; "
            "run `git fetch --unshallow`" + (" or pass --allow-shallow" if offer_flags else "")
        )
    if state.partial:
        git = git.derived(config=NO_FETCH)
    whole = tuple(revs) == WHOLE_HISTORY
    walk = tuple(revs)
    # Dangling commits can be thousands: they go to git on stdin, not on the command line.
    extra: tuple[str, ...] = ()
    # Objects a commit needs that the repository cannot give (not a partial clone's gaps).
    lost: set[bytes] = set()
    if include_unreachable:
        walk += ("--reflog",)
        extra, fsck_lost = unreachable(git, repo)
        lost.update(fsck_lost)
    missing = missing_blobs(git, walk, extra) if state.partial and walk else frozenset()
    if missing and not allow_partial:
        raise ScanError(
            f"history is incomplete: {repo} is a partial clone and {len(missing)} blob(s) were "
            "never downloaded; keylatch does not fetch them. Fetch them "
            "(`git fetch --refetch` or a full clone)" + (" or pass --allow-partial" if offer_flags else "")
        )
    # Range scans (the hooks) neither read nor write caches: loading a big blob cache would cost
    # more than the few blobs a push adds, and a hook should not write into the git dir.
    code_digest = rules_digest(rules) if use_cache and whole else ""
    cache = BlobCache.load(state.common_dir, code_digest) if code_digest else None
    scanner = BlobScanner(rules, cache, progress, track=not whole, archives=archives)
    log_cache = None
    refs = None  # every ref, listed once for the cache's key and attribution (history/direct.py)
    if use_cache and whole and not include_unreachable:
        refs = ref_listing(git)
        log_cache = LogCache.open(state.common_dir, git, code_digest, walk, state.shallow, state.head, refs)
    # A pack git cannot read is skipped without a word: named below, so the scan is not complete;
    # a whole-history scan also reads what such a pack still holds.
    bad_packs = unreadable_packs(state.common_dir)
    with (
        tempfile.TemporaryFile() as log_out,
        tempfile.TemporaryFile() as log_err,
        readable_part(git, state.common_dir, bad_packs) if whole else contextlib.nullcontext(git) as git,
    ):
        # The log runs while the blobs stream, unless the cache may make it unnecessary.
        # No revision at all (a push of a blob tag alone): no log, as git's would default to HEAD.
        no_log = not walk and not extra
        fresh = no_log or (log_cache is not None and log_cache.fresh())
        proc = None if fresh else _start_log(git, walk, extra, log_out, log_err)
        # Whatever fails first (or an interrupt) kills the log: it must not outlive the scan.
        # Objects git log could not walk past, when the log was rebuilt (history/salvage.py).
        rebuilt: tuple[DamagedObject, ...] | None = None
        # The whole-history stream reads what the object store lists, so a lost blob is never
        # asked for: check that every blob the log names is there (a partial clone's missing
        # blobs were counted above, without fetching), as soon as the log is written.
        check = whole and not state.partial
        early = presence.start(proc, git, log_out) if proc is not None and check else None
        try:
            with reaped(proc):
                if whole:
                    scan_all(git, scanner, cache)
                if proc is not None:
                    rebuilt = _logged(
                        lambda: _finish_log(proc, log_err, repo), report_damage, git, repo, (walk, extra), log_out
                    )
        except BaseException:
            if early is not None:  # the log is killed by now: the thread ends before its file
                presence.abandon(early)
            raise
        if proc is not None and check:
            # A rebuilt log (or a check that failed on its thread) is checked here.
            found = early.result() if early is not None else None
            found = found if rebuilt is None else None
            lost.update(check_present(git, log_out) if found is None else found)
        named: tuple[bytes, ...] = ()
        reach = None
        if not whole:
            log_out.seek(0)
            stream_objects(git, _added_blobs(log_out, scanner, missing), scanner.visit, OBJECT_KINDS)
            # A tag the range names (a pushed tag) is read for its message (history/tags.py).
            named = named_tags(git, walk, commits)
            if direct:  # blobs and trees the range names: read as content (history/direct.py)
                reach = reached(git, peel(git, direct))
                blobs = dict.fromkeys(b for b, _, _ in reach.blobs if b not in missing and not scanner.is_scanned(b))
                stream_objects(git, blobs, scanner.visit, OBJECT_KINDS)
                named = tuple(dict.fromkeys((*named, *named_tags(git, [rev for _, rev in direct]))))
            stream_objects(git, [t for t in named if not scanner.is_scanned(t)], scanner.visit, OBJECT_KINDS)
        lost.update(scanner.missing.difference(missing))
        if progress is not None:  # the final count, whatever the throttling showed last
            progress(Progress(scanner.blobs, scanner.nbytes, time.monotonic() - scanner.started))
        # Tags are placed by the refs that reach them, not by the log (history/tags.py).
        tagged = {oid: scanner.found.pop(oid) for oid in scanner.tags}
        # Unread archive blobs are looked up in the log with the keyed ones, for a path to name
        # them by (attribution ignores a change whose blob holds no finding).
        # Lost objects too, for the places that need them (history/damage.py).
        keyed = frozenset(scanner.found) | frozenset(scanner.unread) | frozenset(lost)
        digested = log_cache.load(keyed) if log_cache is not None and proc is None else None
        if digested is None:
            if proc is None and not no_log:
                rebuilt = _logged(
                    functools.partial(_run_log, git, repo, (walk, extra), log_out, log_err),
                    report_damage,
                    git,
                    repo,
                    (walk, extra),
                    log_out,
                )
                if check and (now_lost := check_present(git, log_out) - lost):
                    lost.update(now_lost)
                    keyed |= now_lost
            # The paths commits added are read from the same log: a key may be in a name.
            digested = digest(log_out, keyed, scanner.needles())
            if log_cache is not None and not lost and rebuilt is None:  # an entry is for a repository found whole
                log_cache.save(keyed, digested)
        if rebuilt is not None:  # git's reads of the rest answer with what they could read
            from keylatch.history.salvage import tolerant

            git = tolerant(git)
        outcome = attribute(git, state, digested, scanner, missing, include_unreachable, whole, reach, refs)
        lost.update(scanner.missing.difference(missing))  # attribution read the parents' versions too
        findings = tag_keys(git, repo, tagged, outcome.findings, named=named, include_unreachable=include_unreachable)
        unreached = outcome.unreached
        if rebuilt is not None and whole:  # keys no readable commit places: reported, not counted
            findings = [*findings, *unplaced(scanner.found, findings)]
            unreached = 0
        unread = _unread_named(scanner.unread, digested)
        damaged: tuple[DamagedObject, ...] = lost_objects(lost, digested) if lost else ()
        if reach is not None:  # no commit names these: the names that reach them do
            damaged = named_damage(damaged, reach)
        if rebuilt:  # the rebuild names a lost tree or commit with what needs it: that one wins
            by_oid = {d.oid: d for d in (*damaged, *rebuilt)}
            damaged = tuple(by_oid[oid] for oid in sorted(by_oid))
    damaged = (*damaged, *bad_packs)
    if cache is not None:
        cache.save()
    if damaged and not report_damage:
        raise headline(repo, damaged)
    if unread and not report_unread:
        raise ScanError(unread[0].message)
    return HistoryResult(
        findings=tuple(findings),
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
        unreachable_keys=unreached,
        unread=unread,
        damaged=damaged,
    )


def _unread_named(unread: Mapping[bytes, str], digested: LogDigest) -> tuple[UnreadBlob, ...]:
    """Each unread archive blob with the first path (by name, then commit) a commit of the log
    put it at; none for a blob no scanned commit holds (dangling, or reached by a tag only)."""
    where: dict[bytes, tuple[bytes, bytes]] = {}
    for _, commit, ch in digested.changes:
        if ch.new in unread and ch.mode != MESSAGE:
            here = (ch.path, commit.sha)
            where[ch.new] = min(where.get(ch.new, here), here)
    out = []
    for oid in sorted(unread):
        path, sha = where.get(oid, (b"", b""))
        out.append(
            UnreadBlob(oid.decode("ascii"), unread[oid], path.decode("utf-8", "backslashreplace"), sha.decode("ascii"))
        )
    return tuple(sorted(out, key=lambda u: (u.path == "", u.path, u.blob)))


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


def _finish_log(proc: subprocess.Popen[bytes], err: IO[bytes], repo: Path) -> None:
    if proc.wait() != 0:
        err.seek(0)
        said = err.read()
        raise damage_named(repo, f"git log: {first_line(said)}", said)


def _logged(
    run: Callable[[], None],
    report_damage: bool,
    git: Git,
    repo: Path,
    revs: tuple[Sequence[str], Sequence[str]],
    out: IO[bytes],
) -> tuple[DamagedObject, ...] | None:
    """`run` the log; when git cannot walk the history and the caller reports damage, the log
    is rebuilt from what can be read and the objects that cannot are returned (salvage.py)."""
    try:
        run()
    except ScanError as failure:
        if not report_damage or not str(failure).startswith(f"repository {repo} is damaged"):
            raise
        from keylatch.history.salvage import rebuild_log

        return rebuild_log(git, repo, *revs, out, failure)
    return None


def _run_log(git: Git, repo: Path, revs: tuple[Sequence[str], Sequence[str]], out: IO[bytes], err: IO[bytes]) -> None:
    proc = _start_log(git, *revs, out, err)
    with reaped(proc):
        _finish_log(proc, err, repo)


def _boundary(shallow: tuple[str, ...]) -> str:
    more = f" (and {len(shallow) - 1} more)" if len(shallow) > 1 else ""
    return f"{shallow[0][:12]}{more}"


def cache_hit(scanner: BlobScanner, oid: bytes) -> bool:
    return scanner.cache is not None and oid in scanner.cache


def _added_blobs(log_out: IO[bytes], scanner: BlobScanner, missing: frozenset[bytes]) -> Iterator[bytes]:
    seen: set[bytes] = set()
    for commit in parse_log(log_out):
        if not scanner.is_scanned(commit.sha):
            yield commit.sha  # for its message
        for ch in commit.changes:
            oid = ch.new
            if null_id(oid) or ch.mode == GITLINK or oid in seen or oid in missing:
                continue
            seen.add(oid)
            if cache_hit(scanner, oid):
                scanner.cached += 1
            elif not scanner.is_scanned(oid):
                yield oid
