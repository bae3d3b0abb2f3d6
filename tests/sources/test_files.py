from __future__ import annotations

from pathlib import Path

import pytest

from keylatch.errors import ScanError, UsageError
from keylatch.sources.files import BLOCK, OVERLAP, iter_files, read_chunks


def test_walk_skips_git_objects_and_symlinks(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("z")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / ".git" / "objects" / "ab").mkdir(parents=True)
    (tmp_path / ".git" / "objects" / "ab" / "cd").write_bytes(b"x")
    (tmp_path / ".git" / "config").write_text("[core]\n")
    (tmp_path / "link").symlink_to(tmp_path / "a.txt")
    (tmp_path / "loop").symlink_to(tmp_path)
    rel = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]
    assert sorted(rel) == [".git/config", "a.txt", "b/z.txt"]
    assert rel == [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path])]  # stable


def test_excludes_match_paths_and_names(tmp_path: Path) -> None:
    for rel in ("keep.txt", "vendor/x.txt", "src/gen/y.min.js", "src/z.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    rel = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path], ["vendor", "*.min.js"])]
    assert rel == ["keep.txt", "src/z.py"]


def test_missing_path_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or directory"):
        list(iter_files([tmp_path / "nope"]))


def test_reading_a_directory_as_a_file_is_a_scan_error(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="cannot read"):
        list(read_chunks(tmp_path))


def test_large_files_are_read_in_overlapping_blocks_with_correct_line_numbers(tmp_path: Path) -> None:
    line = b"y" * 99 + b"\n"
    data = line * (BLOCK // len(line) + 5000)
    (tmp_path / "big").write_bytes(data)
    chunks = list(read_chunks(tmp_path / "big"))
    assert len(chunks) == 2
    second = chunks[1]
    start = BLOCK - OVERLAP
    assert second.data == data[start : start + len(second.data)]
    assert second.first_line == data.count(b"\n", 0, start) + 1
