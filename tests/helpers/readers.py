"""History's readers under test: an object listing of given sizes, and a spy on each start."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keylatch.history import readers
from keylatch.history.grepfilter import Objects
from keylatch.history.hsgate import Heads
from keylatch.history.ranges import Report
from keylatch.sources.gitcmd import Git


def objects(sizes: list[int]) -> Objects:
    """A listing of blobs of these sizes, with made-up ids."""
    objs = Objects()
    for i, size in enumerate(sizes):
        objs.add(b"%040x" % i, size, commit=False)
    return objs


def on_start(monkeypatch: pytest.MonkeyPatch, note: Callable[[int, readers.Early | None], None]) -> None:
    """`note(n, first)` before each `readers.start` of this test: how many readers a scan asked
    for, and the early ranges it handed them."""
    start = readers.start

    def spy(
        git: Git,
        objs: Objects,
        needles: tuple[bytes, ...],
        n: int,
        report: Report | None,
        heads: Heads | None = None,
        first: readers.Early | None = None,
    ) -> readers.Readers:
        note(n, first)
        return start(git, objs, needles, n, report, heads, first)

    monkeypatch.setattr(readers, "start", spy)
