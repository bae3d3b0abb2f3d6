"""Files and directories on disk -> Chunks.

Nothing is skipped but explicit excludes: no .gitignore, no binary detection (the keyword
prefilter makes binary files cheap). The one exception is `.git/objects`, whose zlib-compressed
content cannot hold a readable key; `keylatch history` scans those objects properly.
Symlinks are not followed, so a link cannot lead the walk out of the tree or into a loop.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from keylatch.errors import ScanError, UsageError
from keylatch.model import Chunk

# Large files are read in blocks; consecutive blocks overlap by more than the longest match
# (an encoded value is followed at most 64 KiB, see encoded._B64_SPAN_LIMIT).
BLOCK = 32 << 20
OVERLAP = 160 << 10


def _excluded(rel: str, excludes: Sequence[str]) -> bool:
    parts = rel.split("/")
    return any(
        fnmatch.fnmatchcase(rel, pat) or any(fnmatch.fnmatchcase(p, pat) for p in parts) for pat in excludes
    )


def iter_files(paths: Sequence[Path], excludes: Sequence[str] = ()) -> Iterator[Path]:
    """Every regular file under `paths`, sorted per directory so output is stable."""
    for root in paths:
        if not root.exists() and not root.is_symlink():
            raise UsageError(f"no such file or directory: {root}")
        if root.is_file():
            yield root
            continue
        if not root.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(root, onerror=_raise):
            base = Path(dirpath)
            rel_dir = base.relative_to(root).as_posix()
            keep = []
            for d in sorted(dirnames):
                rel = d if rel_dir == "." else f"{rel_dir}/{d}"
                if (base / d).is_symlink() or _excluded(rel, excludes):
                    continue
                if d == "objects" and base.name == ".git":
                    continue
                keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                path = base / name
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                if path.is_symlink() or _excluded(rel, excludes):
                    continue
                yield path


def _raise(exc: OSError) -> None:
    raise ScanError(f"cannot read {exc.filename}: {exc.strerror}")


def display_path(path: Path) -> str:
    """Paths as users typed them, with `/` separators (baselines and reports store this form)."""
    return path.as_posix().removeprefix("./")


def read_chunks(path: Path) -> Iterator[Chunk]:
    name = display_path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(BLOCK)
            line = 1
            while True:
                yield Chunk(data, name, first_line=line)
                more = fh.read(BLOCK - OVERLAP)
                if not more:
                    return
                keep = data[-OVERLAP:]
                line += data.count(b"\n", 0, len(data) - len(keep))
                data = keep + more
    except OSError as exc:
        raise ScanError(f"cannot read {name}: {exc.strerror or exc}") from exc


STDIN = Path("-")


def file_chunks(paths: Sequence[Path], excludes: Sequence[str] = ()) -> Iterator[Chunk]:
    """Chunks of every file under `paths`; `-` is standard input (`git diff | keylatch scan -`)."""
    for root in paths:
        if root == STDIN:
            yield from _stdin_chunks()
        else:
            for path in iter_files([root], excludes):
                yield from read_chunks(path)


def _stdin_chunks() -> Iterator[Chunk]:
    import sys

    try:
        data = sys.stdin.buffer.read()
    except (OSError, AttributeError, ValueError) as exc:
        raise ScanError(f"cannot read standard input: {exc}") from exc
    yield Chunk(data, "<stdin>")
