"""Shorthands for history scans: commit dates, the one finding, and where it was seen.

Typed structurally so they do not tie the tests to the module that defines history's records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class _Location(Protocol):
    @property
    def commit(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def line(self) -> int: ...


class _Located(Protocol):
    @property
    def locations(self) -> Sequence[_Location]: ...


F = TypeVar("F")
F_co = TypeVar("F_co", covariant=True)


class _Result(Protocol[F_co]):
    @property
    def findings(self) -> Sequence[F_co]: ...


def day(n: int) -> str:
    return f"2024-01-{n:02d}T12:00:00Z"


def only(result: _Result[F]) -> F:
    assert len(result.findings) == 1, result.findings
    return result.findings[0]


def where(k: _Located) -> list[tuple[str, str, int]]:
    return [(o.commit, o.path, o.line) for o in k.locations]
