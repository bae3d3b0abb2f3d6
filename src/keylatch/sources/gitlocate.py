"""Where git finds a repository's git directory, found in Python without opening anything git
could block on: the one discovery both the config check (sources/includes.py) and the git
directory check (sources/gitdir.py) use.

git's discovery (setup.c) looks in each directory upward for `.git` (a directory, or a file naming
one), then at the directory itself as a bare repository, and opens `HEAD` and `commondir` of each
candidate to judge it. Those files are checked with `stat` first (a FIFO, socket, device or a
link through /proc or /dev/fd is a ScanError naming it), so finding the repository cannot wait.
"""

from __future__ import annotations

import os
import stat

from keylatch.errors import ScanError, printable

# Read by git's discovery in each candidate directory before it decides it is a repository.
_DISCOVERY = ("HEAD", "commondir")
_HEAD_LIMIT = 1 << 16  # a `.git` file or `commondir` longer than this is not one git would use
_HOPS = 40  # Linux follows at most 40 links in one lookup (MAXSYMLINKS)
PROCESS_FILES = ("/proc/", "/dev/fd/")


def find(start: str) -> tuple[str, ...] | None:
    """The git directory (and common directory) git finds from `start`, as setup.c looks: in each
    directory upward, `.git` (a directory, or a file naming one), then the directory itself as a
    bare repository. The discovery files of each candidate are checked before it is judged."""
    here = start
    while True:
        dot = os.path.join(here, ".git")
        st = _stat(dot)
        if st is not None:
            if stat.S_ISDIR(st.st_mode):
                found = candidate(dot)
                if found is not None:
                    return found
            elif stat.S_ISREG(st.st_mode):
                target = _gitfile(dot)
                # git stops at a `.git` file, repository or not (it dies on a bad one)
                return None if target is None else candidate(os.path.join(here, target)) or ()
            else:
                refuse(dot, st.st_mode, os.path.islink(dot))
        found = candidate(here)
        if found is not None:
            return found
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def candidate(path: str) -> tuple[str, ...] | None:
    """(git dir, common dir) when `path` is a repository as git's is_git_directory judges it; its
    HEAD and commondir are checked first, since git opens them to judge."""
    for name in _DISCOVERY:
        _regular_or_absent(os.path.join(path, name))
    if not os.path.lexists(os.path.join(path, "HEAD")):
        return None
    common = path
    commondir = os.path.join(path, "commondir")
    if os.path.isfile(commondir):
        with open(commondir, "rb") as fh:
            text = fh.read(_HEAD_LIMIT).decode("utf-8", "surrogateescape").strip()
        common = os.path.normpath(os.path.join(path, text))
    if os.path.isdir(os.path.join(common, "objects")) and os.path.isdir(os.path.join(common, "refs")):
        return (path, common) if common != path else (path,)
    return None


def _gitfile(path: str) -> str | None:
    with open(path, "rb") as fh:  # a regular file (checked): opening it cannot wait
        line = fh.read(_HEAD_LIMIT).decode("utf-8", "surrogateescape").strip()
    return line.removeprefix("gitdir:").strip() if line.startswith("gitdir:") else None


def process_file(path: str) -> bool:
    """Whether the link at `path` leads through /proc or /dev/fd (`/dev/stdin`): what it names is
    each process's own descriptor, a regular file for keylatch and the pipe keylatch writes for
    the git reading it (cat-file --batch), so its type here proves nothing."""
    for _ in range(_HOPS):
        try:
            target = os.readlink(path)
        except OSError:
            return False  # the end of the chain
        path = os.path.join(os.path.dirname(path), target)
        path = os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))
        if path.startswith(PROCESS_FILES) or path in ("/proc", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"):
            return True
    return True  # a chain longer than the kernel follows: git cannot open it either


def _regular_or_absent(path: str) -> None:
    st = _stat(path)
    if st is not None and (not stat.S_ISREG(st.st_mode) or (os.path.islink(path) and process_file(path))):
        refuse(path, st.st_mode, os.path.islink(path))


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def refuse(path: str, mode: int, linked: bool) -> None:
    kind = _KINDS.get(stat.S_IFMT(mode), "process's own file descriptor (/dev/stdin, /proc/self/fd)")
    via = " (through a symbolic link)" if linked else ""
    raise ScanError(
        f"{printable(path, 1024)} is a {kind}{via}, where git reads the repository's own files: git "
        "would wait on it or read it as repository data; not reading this repository"
    )


_KINDS = {
    stat.S_IFIFO: "FIFO",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
}
