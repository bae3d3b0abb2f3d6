"""The clean-blob cache's name covers every module that decides what is a key, or what a blob's
text is: an edit to any of them starts the cache from scratch, so an older build's "clean" cannot
stand for a newer build's reading. A process that computes the digest again reads only the
modules written since (history/cache.py `_content_digest`): the stamps Python's bytecode cache
trusts, the inode and the ctime."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import keylatch
from keylatch.history.cache import package_digest, rules_digest
from keylatch.rules import DEFAULT_RULES

PACKAGE = Path(keylatch.__file__).resolve().parent


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of the package's modules: edited here, never in the checkout. A fresh copy is
    unknown to the process's memo (new inodes), as the package is to a new process."""
    copy = tmp_path / "keylatch"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return copy


def _recorded(monkeypatch: pytest.MonkeyPatch, root: Path) -> tuple[bytes, list[Path]]:
    read: list[Path] = []
    original = Path.read_bytes

    def recording(self: Path) -> bytes:
        read.append(self.resolve())
        return original(self)

    with monkeypatch.context() as m:
        m.setattr(Path, "read_bytes", recording)
        digest = package_digest(root)
    return digest, read


def test_the_digest_reads_every_module_of_the_package(monkeypatch: pytest.MonkeyPatch, package: Path) -> None:
    _, read = _recorded(monkeypatch, package)
    modules = sorted(p.resolve() for p in package.rglob("*.py"))
    assert len(modules) > 100
    # Among them the ones a list of chosen modules had left out, which decide what is read.
    assert {package / "sources" / "magic.py", package / "history" / "blobscan.py"} <= set(modules)
    assert sorted(read) == modules


def _append(path: Path) -> None:
    with path.open("ab") as fh:
        fh.write(b"\n# edited\n")


def _same_size_later(path: Path) -> None:
    """One byte changed in place, the length kept, the mtime a second later."""
    data = bytearray(path.read_bytes())
    data[-1:] = b" " if data[-1:] != b" " else b"\n"
    stat = path.stat()
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def _replaced_same_stamps(path: Path) -> None:
    """Written beside and renamed over it (an editor's save, pip's install), with the length and
    the mtime of the old file: only the inode tells."""
    data = bytearray(path.read_bytes())
    data[-1:] = b" " if data[-1:] != b" " else b"\n"
    stat = path.stat()
    new = path.with_name(path.name + ".new")
    new.write_bytes(bytes(data))
    os.utime(new, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(new, path)


EDITS = {"appended": _append, "same size, later": _same_size_later, "replaced, same stamps": _replaced_same_stamps}


@pytest.mark.parametrize("edit", sorted(EDITS))
@pytest.mark.parametrize(
    "module", ["rules/openai.py", "engine/decoders.py", "sources/magic.py", "history/blobscan.py", "encoded.py"]
)
def test_an_edit_to_any_module_changes_the_digest(
    monkeypatch: pytest.MonkeyPatch, package: Path, module: str, edit: str
) -> None:
    before, _ = _recorded(monkeypatch, package)
    EDITS[edit](package / module)
    after, read = _recorded(monkeypatch, package)
    assert before != after
    # Within one process, only the edited module is read again.
    assert read == [(package / module).resolve()]


def test_an_unchanged_package_is_not_read_again(monkeypatch: pytest.MonkeyPatch, package: Path) -> None:
    first, _ = _recorded(monkeypatch, package)
    again, read = _recorded(monkeypatch, package)
    assert (again, read) == (first, [])


def test_a_new_module_changes_the_digest(monkeypatch: pytest.MonkeyPatch, package: Path) -> None:
    before, _ = _recorded(monkeypatch, package)
    (package / "history" / "added.py").write_text("X = 1\n")
    after, read = _recorded(monkeypatch, package)
    assert before != after and read == [(package / "history" / "added.py").resolve()]


def test_the_digest_depends_on_the_rules_and_on_the_package() -> None:
    assert rules_digest(DEFAULT_RULES) == rules_digest(DEFAULT_RULES)
    assert rules_digest(DEFAULT_RULES) != rules_digest(DEFAULT_RULES[:-1])
    assert package_digest(PACKAGE) == package_digest(PACKAGE)


def test_the_rules_digest_covers_the_package_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    before = rules_digest(DEFAULT_RULES)
    monkeypatch.setattr("keylatch.history.cache.package_digest", lambda root: b"another build")
    assert rules_digest(DEFAULT_RULES) != before
