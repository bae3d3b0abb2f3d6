"""The clean-blob cache's name covers every module that decides what is a key, or what a blob's
text is: an edit to any of them starts the cache from scratch, so an older build's "clean" cannot
stand for a newer build's reading."""

from __future__ import annotations

from pathlib import Path

import pytest

import keylatch
from keylatch.history.cache import rules_digest
from keylatch.rules import DEFAULT_RULES

PACKAGE = Path(keylatch.__file__).resolve().parent


def _recorded(monkeypatch: pytest.MonkeyPatch, edited: Path | None = None) -> tuple[str, list[Path]]:
    read: list[Path] = []
    original = Path.read_bytes

    def recording(self: Path) -> bytes:
        read.append(self.resolve())
        data = original(self)
        return data + b"\n# edited\n" if edited is not None and self.resolve() == edited else data

    with monkeypatch.context() as m:
        m.setattr(Path, "read_bytes", recording)
        digest = rules_digest(DEFAULT_RULES)
    return digest, read


def test_the_digest_reads_every_module_of_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    _, read = _recorded(monkeypatch)
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 100
    # Among them the ones a list of chosen modules had left out, which decide what is read.
    assert {PACKAGE / "sources" / "magic.py", PACKAGE / "history" / "blobscan.py"} <= set(modules)
    assert set(modules) <= set(read)


@pytest.mark.parametrize(
    "module", ["rules/openai.py", "engine/decoders.py", "sources/magic.py", "history/blobscan.py", "encoded.py"]
)
def test_an_edit_to_any_module_changes_the_digest(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    before, _ = _recorded(monkeypatch)
    after, _ = _recorded(monkeypatch, edited=PACKAGE / module)
    assert before != after


def test_the_digest_depends_on_the_rules() -> None:
    assert rules_digest(DEFAULT_RULES) == rules_digest(DEFAULT_RULES)
    assert rules_digest(DEFAULT_RULES) != rules_digest(DEFAULT_RULES[:-1])
