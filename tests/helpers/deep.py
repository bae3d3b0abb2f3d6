"""Directory trees deeper than PATH_MAX: built and removed one level at a time, relative to a
directory descriptor."""

from __future__ import annotations

import os
from pathlib import Path


def remove_flat(top: Path, name: str) -> None:
    """Delete TOP/NAME however deep, without recursion (shutil.rmtree, and so pytest's cleanup of
    old temporary directories, recurses and fails on a 2,000-level tree): each subdirectory is
    moved up to TOP before its parent is removed."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        queue, n = [name], 0
        while queue:
            current = queue.pop()
            sub = os.open(current, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            try:
                for entry in os.listdir(sub):
                    if os.stat(entry, dir_fd=sub, follow_symlinks=False).st_mode & 0o170000 == 0o040000:
                        n += 1
                        os.rename(entry, f".flat-{n}", src_dir_fd=sub, dst_dir_fd=fd)
                        queue.append(f".flat-{n}")
                    else:
                        os.unlink(entry, dir_fd=sub)
            finally:
                os.close(sub)
            os.rmdir(current, dir_fd=fd)
    finally:
        os.close(fd)


def make_deep(top: Path, name: str, depth: int, file: str, content: bytes) -> None:
    """TOP/NAME/NAME/... (`depth` levels) holding `file`, built relative to each parent: the full
    path may be longer than PATH_MAX."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        out = os.open(file, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(out, content)
        os.close(out)
    finally:
        os.close(fd)
