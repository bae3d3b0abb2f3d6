"""Every `model.Record` keeps a dataclass's promise that a field holds what its parameter was
given: `__init__` names its parameters as `__slots__` names its fields, in the same order, and
each argument lands in its own field. Records are written by hand (model.Record says why), so
nothing else would notice `self._set(b, a)` swapping two fields of one type."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import keylatch
from keylatch.model import Record


def _records() -> list[type[Record]]:
    for info in pkgutil.walk_packages(keylatch.__path__, "keylatch."):
        if info.name != "keylatch.__main__":
            importlib.import_module(info.name)
    found: list[type[Record]] = []
    todo = list(Record.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


RECORDS = _records()


def test_the_records_are_found() -> None:
    names = {c.__qualname__ for c in RECORDS}
    assert {"Chunk", "Finding", "Secret", "Rule", "Policy", "Config"} <= names


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_each_argument_lands_in_its_own_field(cls: type[Record]) -> None:
    params = [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self"]
    assert all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params), cls
    assert tuple(p.name for p in params) == cls.__slots__
    values = {p.name: object() for p in params}  # one distinct value a field
    record = cls(**values)
    assert {name: getattr(record, name) for name in cls.__slots__} == values
    assert record.replace() == record and record.replace() is not record
    with pytest.raises(AttributeError):
        setattr(record, cls.__slots__[0], None)
