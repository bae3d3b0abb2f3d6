"""history/presence.py: the presence check runs while the readers go on, and still names every
blob a commit needs that the repository lacks: one a plain commit added, one only a merge
names (a conflict resolution, a clean merge of two edits: no other commit has that blob), and
when the log has to be rebuilt (a lost tree) the check runs after the rebuild, as before."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from typing import IO

import pytest

from keylatch.history import WHOLE_HISTORY, presence, scan_history
from keylatch.history.rawlog import log_args
from keylatch.sources.gitcmd import Git
from tests.helpers.damaged import drop_loose
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]


def _merged(repo: GitRepo, resolve: bool) -> str:
    """A merge whose `f.txt` no parent has; returns that blob's id."""
    repo.write("f.txt", "a\nb\nc\nd\ne\n")
    repo.commit("base", date="2024-01-01T12:00:00Z")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("f.txt", "a\nb\nc\nd\nE\n")
    repo.commit("side", date="2024-01-02T12:00:00Z")
    repo.git("checkout", "-q", "-")
    repo.write("f.txt", "A\nb\nc\nd\ne\n")
    repo.commit("main", date="2024-01-03T12:00:00Z")
    repo.git("merge", "-q", "--no-ff", "--no-commit", "side")
    if resolve:  # an evil merge: content neither side wrote
        repo.write("f.txt", "A\nb\nresolved\nd\nE\n")
        repo.git("add", "f.txt")
    repo.commit("merge", date="2024-01-04T12:00:00Z", add=False)
    return repo.git("rev-parse", "HEAD:f.txt")


def _plain(repo: GitRepo) -> str:
    repo.write("a.txt", "hello\n")
    repo.commit("one", date="2024-01-01T12:00:00Z")
    repo.write("b.txt", "lost\n")
    repo.commit("two", date="2024-01-02T12:00:00Z")
    return repo.git("rev-parse", "HEAD:b.txt")


LOST = {
    "plain commit": _plain,
    "clean merge of two edits": lambda r: _merged(r, resolve=False),
    "merge resolution": lambda r: _merged(r, resolve=True),
}


@pytest.mark.parametrize("build", LOST.values(), ids=LOST.keys())
def test_a_lost_blob_is_named_wherever_a_commit_needs_it(make_repo: MakeRepo, build: Callable[[GitRepo], str]) -> None:
    repo = make_repo()
    lost = build(repo)
    assert lost not in repo.git("log", "--raw", "--no-merges", "--no-abbrev", "--all") or build is _plain
    drop_loose(repo, lost)
    result = scan_history(repo.path, WHOLE_HISTORY, report_damage=True, use_cache=False)
    assert [d.oid for d in result.damaged] == [lost]
    assert result.damaged[0].places[0][0] == ("f.txt" if build is not _plain else "b.txt")


def test_a_lost_tree_rebuilds_the_log_and_still_names_the_blob(make_repo: MakeRepo) -> None:
    repo = make_repo()
    lost = _plain(repo)
    repo.write("d/x.txt", "x\n")
    repo.commit("three", date="2024-01-03T12:00:00Z")
    tree = repo.git("rev-parse", "HEAD:d")
    drop_loose(repo, lost)
    drop_loose(repo, tree)
    result = scan_history(repo.path, WHOLE_HISTORY, report_damage=True, use_cache=False)
    assert {d.oid for d in result.damaged} == {lost, tree}


def _log(repo: GitRepo, *revs: str) -> tuple[subprocess.Popen[bytes], IO[bytes], Git]:
    git = Git(repo.path)
    out = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by the test
    return git.popen(*log_args(revs), stdout=out, stderr=subprocess.DEVNULL), out, git


def test_the_thread_checks_what_the_log_names(make_repo: MakeRepo) -> None:
    repo = make_repo()
    lost = _merged(repo, resolve=True)
    drop_loose(repo, lost)
    proc, out, git = _log(repo, "--all")
    with out:
        assert presence.start(proc, git, out).result() == frozenset({lost.encode()})


def test_a_failed_log_leaves_the_check_to_the_caller(make_repo: MakeRepo) -> None:
    repo = make_repo()
    _plain(repo)
    proc, out, git = _log(repo, "no-such-ref")
    with out:
        early = presence.start(proc, git, out)
        assert early.result() is None
        assert proc.returncode != 0


def test_abandon_ends_the_thread_once_the_log_is_killed(make_repo: MakeRepo) -> None:
    repo = make_repo()
    _plain(repo)
    git = Git(repo.path)
    with tempfile.TemporaryFile() as out:
        # A log that cannot end by itself: it waits for revisions on stdin.
        proc = git.popen(*log_args(["--stdin"]), stdin=subprocess.PIPE, stdout=out, stderr=subprocess.DEVNULL)
        early = presence.start(proc, git, out)
        proc.kill()
        presence.abandon(early)
        assert early.thread is not None and not early.thread.is_alive()
        assert early.lost is None
        assert proc.stdin is not None
        proc.stdin.close()
