"""The clean-blob cache's name covers every module that decides what is a key."""

from __future__ import annotations

from pathlib import Path

import pytest

import keylatch.rules
from keylatch.history.cache import rules_digest
from keylatch.rules import DEFAULT_RULES


def test_the_digest_reads_every_module_of_the_rules_package(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[Path] = []
    original = Path.read_bytes

    def recording(self: Path) -> bytes:
        read.append(self.resolve())
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", recording)
    rules_digest(DEFAULT_RULES)
    assert keylatch.rules.__file__
    package = sorted(p.resolve() for p in Path(keylatch.rules.__file__).parent.glob("*.py"))
    assert len(package) > 5
    assert set(package) <= set(read)


def test_the_digest_depends_on_the_rules() -> None:
    assert rules_digest(DEFAULT_RULES) == rules_digest(DEFAULT_RULES)
    assert rules_digest(DEFAULT_RULES) != rules_digest(DEFAULT_RULES[:-1])
