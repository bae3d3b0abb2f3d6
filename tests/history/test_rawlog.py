"""The raw-log digest: the `find` fast path and the full parse agree, whatever the paths hold."""

from __future__ import annotations

import tempfile
from collections.abc import Callable

import pytest

from keylatch.history.rawlog import _digest_found, _digest_parsed, log_args
from keylatch.sources.gitcmd import Git
from tests.helpers.gitrepo import GitRepo
from tests.helpers.history import day

MakeRepo = Callable[..., GitRepo]


def test_fast_and_full_digest_agree(make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    import mmap

    from keylatch.history import rawlog

    # One-page windows, so that entries and commit headers straddle window boundaries.
    monkeypatch.setattr(rawlog, "_WINDOW", mmap.PAGESIZE)
    sub = make_repo("sub")
    sub.commit("s")
    repo = make_repo()
    repo.write("a.txt", "a\n")
    for i in range(120):
        repo.write(f"filler/{i:03d}.txt", f"{i}\n")
    repo.commit("init", date=day(1))
    repo.git("checkout", "-q", "-b", "side")
    weird = "x\x01y \u00e9.txt"  # a path holding our header byte and a space
    repo.write(weird, "side\n")
    repo.commit("side", date=day(2))
    repo.git("checkout", "-q", "main")
    repo.write("a.txt", "main\n")
    repo.commit("main", date=day(3))
    repo.git("merge", "-q", "--no-edit", "side")
    repo.write("a.txt", "resolved by hand\n")
    repo.commit("touch up", date=day(4))
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", f"file://{sub.path}", "sub")
    repo.commit("sub", date=day(5))
    blobs = {
        repo.git("rev-parse", f"HEAD:{weird}").encode(),
        repo.git("rev-parse", "HEAD:a.txt").encode(),
        repo.git("rev-parse", "HEAD~1:a.txt").encode(),
        repo.git("rev-parse", "HEAD~1").encode(),  # a commit: its message counts as a change
    }
    with tempfile.TemporaryFile() as fh:
        fh.write(Git(repo.path).run(*log_args(["--all"])))
        fh.seek(0)
        full = _digest_parsed(fh, blobs)
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            fast = _digest_found(mm, blobs)
            size = len(mm)

    assert size > 3 * mmap.PAGESIZE
    assert (fast.commits, fast.gitlinks) == (full.commits, full.gitlinks) == (6, 1)
    assert [c[1:] for c in fast.changes] == [c[1:] for c in full.changes]
    assert {ch.path for _, _, ch in full.changes} == {weird.encode(), b"a.txt", b"(commit message)"}
