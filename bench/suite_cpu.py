"""The test suite's CPU per test and per module, children included (git, hooks, pre-commit).

A pytest plugin, loaded by name; it changes nothing about the run:

    python3 -m pytest -q -p no:cacheprovider -p bench.suite_cpu

At the end it prints the modules costing most CPU (user + system of pytest itself and of every
child process it waited for, which is where git and the hook processes are counted) and writes
one line per test to $SUITE_CPU_TSV if set (nodeid, user, sys, children user, children sys,
wall). A session fixture's cost lands on the first test that uses it. CPU, not wall: the
machine is shared, and wall time mostly measures the neighbours.
"""

from __future__ import annotations

import collections
import os
from collections.abc import Generator

import pytest

_TIMES = pytest.StashKey[list[tuple[str, float, float, float, float, float]]]()
TOP = 30


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_TIMES] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    t0 = os.times()
    try:
        return (yield)
    finally:
        t1 = os.times()
        item.config.stash[_TIMES].append(
            (
                item.nodeid,
                t1.user - t0.user,
                t1.system - t0.system,
                t1.children_user - t0.children_user,
                t1.children_system - t0.children_system,
                t1.elapsed - t0.elapsed,
            )
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    rows = config.stash[_TIMES]
    path = os.environ.get("SUITE_CPU_TSV")
    if path:
        with open(path, "w", encoding="utf-8") as f:
            for nodeid, *numbers in rows:
                f.write("\t".join([nodeid, *(f"{n:.3f}" for n in numbers)]) + "\n")
    modules: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0])
    for nodeid, user, system, c_user, c_system, _ in rows:
        m = modules[nodeid.split("::")[0]]
        m[0] += user + system + c_user + c_system
        m[1] += c_user + c_system
        m[2] += 1
    total = sum(m[0] for m in modules.values())
    write = terminalreporter.write_line
    write(f"suite_cpu: {total:.1f} s CPU in tests (children included), {len(rows)} tests")
    write(f"{'CPU s':>7} {'children':>8} {'tests':>5}  module")
    for name, (cpu, children, n) in sorted(modules.items(), key=lambda kv: -kv[1][0])[:TOP]:
        write(f"{cpu:7.1f} {children:8.1f} {int(n):5d}  {name}")
