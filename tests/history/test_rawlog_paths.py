"""The added paths that hold a needle (history/rawlog.py `added_paths`, keys written in names):
each is placed at the commit that added it, and the log is read a bounded number of times
whatever the number of such names in one commit (no search back to the header per name)."""

from __future__ import annotations

import mmap
import tempfile
from collections.abc import Callable

from keylatch.history.rawlog import added_paths, log_args
from keylatch.sources.gitcmd import Git
from tests.helpers.gitrepo import GitRepo
from tests.helpers.history import day

MakeRepo = Callable[..., GitRepo]
NEEDLES = (b"zure",)


class _Counted(mmap.mmap):
    """An mmap that adds up the bytes its backward searches read (from the end of the range to
    the match, or to the range's start)."""

    spanned = 0

    def rfind(self, sub: bytes, start: int | None = None, end: int | None = None) -> int:  # type: ignore[override]
        lo, hi = start or 0, len(self) if end is None else end
        at = super().rfind(sub, lo, hi)
        type(self).spanned += max(0, hi - (at if at >= 0 else lo))
        return at


def test_names_in_one_big_commit_are_placed_by_their_commit_in_one_sweep(make_repo: MakeRepo) -> None:
    repo = make_repo()
    for i in range(600):
        repo.write(f"first/azure-{i:04d}.txt", "x\n")
    repo.commit("first", date=day(1))
    first = repo.git("rev-parse", "HEAD").strip()
    for i in range(400):
        repo.write(f"second/azure-{i:04d}.txt", "y\n")
    repo.write("second/plain.txt", "z\n")
    repo.commit("second", date=day(2))
    second = repo.git("rev-parse", "HEAD").strip()

    with tempfile.TemporaryFile() as fh:
        fh.write(Git(repo.path).run(*log_args(["--all"])))
        fh.flush()
        _Counted.spanned = 0
        with _Counted(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            size = len(mm)
            found = added_paths(mm, NEEDLES)

    placed = {path.decode(): commit.sha.decode() for _, commit, path in found}
    assert len(placed) == 1000
    assert {c for p, c in placed.items() if p.startswith("first/")} == {first}
    assert {c for p, c in placed.items() if p.startswith("second/")} == {second}
    # Searched back to each name's own NUL and its change line, and to the commit once per sweep:
    # a few times the log in all (one search back to the header per name spanned ~400x the log).
    assert _Counted.spanned < 4 * size, (_Counted.spanned, size)
