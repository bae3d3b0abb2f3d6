"""Work done on scanned data, counted without a clock.

`Counting(data)` is a bytes object that adds up how many of its bytes every search, slice and
conversion reads. A scan whose work grows faster than its input (a whole-chunk decode per
finding, an unbounded search back per hit, a per-byte walk per marker) shows as a ratio here,
the same on any machine and under any load. The times live in bench/complexity_bench.py.
"""

from __future__ import annotations

from typing import Any, SupportsIndex


class Counting(bytes):
    """bytes that count the bytes read (`read`) and the operations (`calls`) made on them."""

    read: int
    calls: int

    def __new__(cls, data: bytes) -> Counting:
        self = super().__new__(cls, data)
        self.read = 0
        self.calls = 0
        return self

    def _add(self, n: int) -> None:
        self.read += max(0, n)
        self.calls += 1

    def _span(self, start: SupportsIndex | None, end: SupportsIndex | None) -> tuple[int, int]:
        s, e, _ = slice(start, end).indices(len(self))
        return s, e

    # Searches count what they scan: up to the hit, or the whole range.
    def find(self, sub: Any, start: SupportsIndex | None = None, end: SupportsIndex | None = None) -> int:
        s, e = self._span(start, end)
        r = super().find(sub, start, end)
        self._add(r + _len(sub) - s if r >= 0 else e - s)
        return r

    def rfind(self, sub: Any, start: SupportsIndex | None = None, end: SupportsIndex | None = None) -> int:
        s, e = self._span(start, end)
        r = super().rfind(sub, start, end)
        self._add(e - r if r >= 0 else e - s)
        return r

    def count(self, sub: Any, start: SupportsIndex | None = None, end: SupportsIndex | None = None) -> int:
        s, e = self._span(start, end)
        self._add(e - s)
        return super().count(sub, start, end)

    def __contains__(self, sub: Any) -> bool:
        r = super().find(sub)
        self._add(r + _len(sub) if r >= 0 else len(self))
        return r >= 0

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            s, e, step = key.indices(len(self))
            self._add(len(range(s, e, step)))
        else:
            self._add(1)
        return super().__getitem__(key)

    # Conversions read everything.
    def decode(self, *args: Any, **kwargs: Any) -> str:
        self._add(len(self))
        return super().decode(*args, **kwargs)

    def translate(self, *args: Any, **kwargs: Any) -> bytes:
        self._add(len(self))
        return super().translate(*args, **kwargs)

    def lower(self) -> bytes:
        self._add(len(self))
        return super().lower()

    def split(self, *args: Any, **kwargs: Any) -> list[bytes]:
        self._add(len(self))
        return super().split(*args, **kwargs)

    def replace(self, *args: Any, **kwargs: Any) -> bytes:
        self._add(len(self))
        return super().replace(*args, **kwargs)


def _len(sub: Any) -> int:
    return 1 if isinstance(sub, int) else len(sub)
