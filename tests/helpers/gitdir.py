"""Non-regular entries planted in a repository's git directory (tests of sources/gitdir.py).

Each kind replaces one file git would open with something git would block on or read endlessly:
a FIFO nobody writes, a Unix socket, a link to /dev/zero or /dev/stdin, a link to a FIFO outside
the repository. Each location names where, relative to the git directory; `alternate:` puts it
in an object directory outside the repository that objects/info/alternates names.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

KINDS: dict[str, Callable[[Path, Path], None]] = {}


def _kind(name: str) -> Callable[[Callable[[Path, Path], None]], Callable[[Path, Path], None]]:
    def register(fn: Callable[[Path, Path], None]) -> Callable[[Path, Path], None]:
        KINDS[name] = fn
        return fn

    return register


@_kind("fifo")
def _fifo(path: Path, outside: Path) -> None:
    os.mkfifo(path)


@_kind("socket")
def _socket(path: Path, outside: Path) -> None:
    # bind() takes at most 107 bytes of path: bind the bare name from inside its directory.
    before = os.getcwd()
    os.chdir(path.parent)
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(path.name)
    finally:
        os.chdir(before)


@_kind("dev-zero")
def _dev_zero(path: Path, outside: Path) -> None:
    path.symlink_to("/dev/zero")


@_kind("dev-stdin")
def _dev_stdin(path: Path, outside: Path) -> None:
    path.symlink_to("/dev/stdin")


@_kind("link-to-outside-fifo")
def _outside_fifo(path: Path, outside: Path) -> None:
    outside.mkdir(parents=True, exist_ok=True)
    target = outside / f"fifo-{len(list(outside.iterdir()))}"
    os.mkfifo(target)
    path.symlink_to(target)


# Where, relative to the git directory (a leading `alternate:`: to an alternate object directory
# outside the repository, which objects/info/alternates then names).
LOCATIONS = (
    "HEAD",
    "packed-refs",
    "shallow",
    "refs/heads/x",
    "refs/tags/deep/er/v1",
    "logs/refs/heads/main",
    "objects/info/alternates",
    "objects/info/commit-graph",
    "objects/pack/pack-0000000000000000000000000000000000000000.idx",
    "objects/ab/cdef000000000000000000000000000000000000",
    "index",
    "worktrees/wt/HEAD",
    "modules/sub/packed-refs",
    "alternate:info/commit-graph",
    "alternate:pack/pack-1111111111111111111111111111111111111111.pack",
)


def plant(git_dir: Path, location: str, kind: str, outside: Path) -> Path:
    """Replace (or create) `location` under `git_dir` with an entry of `kind`; the path planted."""
    if location.startswith("alternate:"):
        objects = outside / "shared" / "objects"
        objects.mkdir(parents=True, exist_ok=True)
        (git_dir / "objects" / "info").mkdir(parents=True, exist_ok=True)
        (git_dir / "objects" / "info" / "alternates").write_text(f"{objects}\n")
        path = objects / location.removeprefix("alternate:")
    else:
        path = git_dir / location
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    KINDS[kind](path, outside / "elsewhere")
    return path
