"""Test modules share code through tests/helpers/ (and conftest's fixtures), never by importing
one another: a test module imported by another runs its module-level code twice, is collected
under two names, and cannot be moved or renamed without breaking tests that are not about it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _module(root: Path, path: Path) -> str:
    return ".".join(("tests", *path.relative_to(root).with_suffix("").parts)).removesuffix(".__init__")


def _imports(root: Path, path: Path) -> Iterator[tuple[int, str]]:
    module = _module(root, path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            if node.module is None or node.level:
                yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            else:
                yield node.lineno, base


def _allowed(importer: str, imported: str) -> bool:
    if not (imported == "tests" or imported.startswith("tests.")):
        return True
    if imported == "tests.helpers" or imported.startswith("tests.helpers."):
        return True
    # conftest is pytest's; only tests of the suite's own machinery (test_leak_check) read it.
    return imported == "tests.conftest" and not importer.startswith("tests.helpers.")


def _violations(root: Path = TESTS) -> list[str]:
    """`tests/PATH:LINE: imports MODULE` for each import of a test module, ROOT standing for tests/."""
    return [
        f"tests/{path.relative_to(root).as_posix()}:{line}: imports {name}"
        for path in sorted(root.rglob("*.py"))
        for line, name in _imports(root, path)
        if not _allowed(_module(root, path), name)
    ]


def test_test_modules_import_only_helpers_and_conftest() -> None:
    assert _violations() == []


def test_the_check_sees_an_import_between_test_modules(tmp_path: Path) -> None:
    # The check must be able to fail: the old `from tests.sources.test_history import day` form.
    (tmp_path / "sources").mkdir()
    (tmp_path / "helpers").mkdir()
    (tmp_path / "sources" / "test_a.py").write_text(
        "from tests.sources.test_history import day\n"
        "from . import test_files\n"
        "from tests.helpers.gitrepo import GitRepo\n"
    )
    (tmp_path / "helpers" / "run.py").write_text("from tests.conftest import SRC\nimport tests.helpers.gitrepo\n")
    (tmp_path / "test_b.py").write_text("from tests.conftest import PLANTED\nimport os\n")
    assert _violations(tmp_path) == [
        "tests/helpers/run.py:1: imports tests.conftest",
        "tests/sources/test_a.py:1: imports tests.sources.test_history",
        "tests/sources/test_a.py:2: imports tests.sources.test_files",
    ]
