"""A repository's own files that git would wait on: refused before any git process reads them.

git opens the files of a repository's git directory as plain files: `HEAD` and `commondir` while
it discovers the repository (`rev-parse` included), then `packed-refs`, loose refs, `shallow`,
`objects/info/alternates`, commit-graphs, packs and loose objects. A hostile repository (a
tarball, a shared disk, a restored CI cache) can make any of them a FIFO nobody writes, a socket,
a device (`packed-refs -> /dev/zero`, `-> /dev/stdin`) or a link to one: git then blocks forever,
or reads endless or foreign bytes as repository data.

So the history commands (history, ci, baseline --history, remediate) call `check` first, with no
git process: in Python it finds the git directory git would find (checking, on the way, the files
git's own discovery opens), then walks that directory, its common directory (linked worktrees)
and every alternate object directory (recursively; they may point outside the repository), and
refuses the first entry that is neither a directory nor a regular file, or a link to one: a
ScanError (exit 3) naming it. `lstat` and `stat` never open a file, so the check cannot wait.

Not on the hook path: `git commit` and `git push` read HEAD, refs and the index before a hook
starts, so a FIFO there hangs git before keylatch runs (docs/security.md).

Cost: one `scandir` per directory and one `stat` per directory and per symbolic link; entries are
typed from the directory listing. Each directory is entered once, by (st_dev, st_ino), so link
loops end. Unreadable directories and dangling links are left to git, which reports them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping

from keylatch.errors import ScanError, printable
from keylatch.sources import includes

# Read by git's discovery in each candidate directory before it decides it is a repository.
_DISCOVERY = ("HEAD", "commondir")
# Top-level entries of a git directory that no command of keylatch's makes git open, and that
# hold sockets in ordinary repositories: hooks never run (core.hooksPath=/dev/null,
# sources/gitcmd.py), the fsmonitor daemon's socket (core.fsmonitor=false), git-annex's ssh
# control sockets in annex/ssh/ (git reads nothing under annex/).
_UNREAD = frozenset({"hooks", "fsmonitor--daemon.ipc", "annex"})
# What git looks at in an alternate object directory, which may be any directory on the machine.
_OBJECT_DIRS = frozenset({"info", "pack", *(f"{i:02x}" for i in range(256))})
_HEAD_LIMIT = 1 << 16
_HOPS = 40  # Linux follows at most 40 links in one lookup (MAXSYMLINKS)
_PROCESS_FILES = ("/proc/", "/dev/fd/")  # a `.git` file or `commondir` longer than this is not one git would use


def check(repo: str, env: Mapping[str, str] | None = None) -> None:
    """ScanError naming the first entry git could block on in the repository at or above `repo`
    (its git directory, common directory and alternate object directories), or in the
    directories $GIT_DIR, $GIT_COMMON_DIR, $GIT_OBJECT_DIRECTORY and
    $GIT_ALTERNATE_OBJECT_DIRECTORIES name. Nothing when `repo` is in no repository: git says so."""
    # Config files and their includes first, with their own message (sources/includes.py): an
    # include git would wait on may lie inside the git directory too.
    includes.check(repo)
    environ = os.environ if env is None else env
    roots: list[str] = []
    objects: list[str] = []
    if os.path.isdir(repo):
        found = _discover(os.path.abspath(repo))
        if found is not None:
            roots.extend(found)
    for name in ("GIT_DIR", "GIT_COMMON_DIR"):
        if environ.get(name):
            roots.append(os.path.abspath(environ[name]))
    if environ.get("GIT_OBJECT_DIRECTORY"):
        objects.append(os.path.abspath(environ["GIT_OBJECT_DIRECTORY"]))
    objects.extend(os.path.abspath(p) for p in environ.get("GIT_ALTERNATE_OBJECT_DIRECTORIES", "").split(":") if p)
    seen: set[tuple[int, int]] = set()
    for path in objects:
        _walk(path, seen, None, _OBJECT_DIRS)
    for root in roots:
        _walk(root, seen, _UNREAD, None)
        objects.append(os.path.join(root, "objects"))
    _alternates(objects, seen)


def _discover(start: str) -> tuple[str, ...] | None:
    """The git directory (and common directory) git finds from `start`, as setup.c looks: in each
    directory upward, `.git` (a directory, or a file naming one), then the directory itself as a
    bare repository. The discovery files of each candidate are checked before it is judged."""
    here = start
    while True:
        dot = os.path.join(here, ".git")
        st = _stat(dot)
        if st is not None:
            if stat.S_ISDIR(st.st_mode):
                found = _candidate(dot)
                if found is not None:
                    return found
            elif stat.S_ISREG(st.st_mode):
                target = _gitfile(dot)
                # git stops at a `.git` file, repository or not (it dies on a bad one)
                return None if target is None else _candidate(os.path.join(here, target)) or ()
            else:
                _refuse(dot, st.st_mode, os.path.islink(dot))
        found = _candidate(here)
        if found is not None:
            return found
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _candidate(path: str) -> tuple[str, ...] | None:
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


def _alternates(objects: list[str], seen: set[tuple[int, int]]) -> None:
    """Walk each object directory's alternates (git reads them recursively), each once."""
    done: set[str] = set()
    while objects:
        here = objects.pop()
        if here in done:
            continue
        done.add(here)
        listed = os.path.join(here, "info", "alternates")
        if not os.path.isfile(listed):  # absent; a non-regular one was refused by the walk
            continue
        with open(listed, "rb") as fh:
            text = fh.read().decode("utf-8", "surrogateescape")
        for line in text.splitlines():
            if not line or line.startswith("#"):
                continue
            path = os.path.normpath(os.path.join(here, _unquote(line) if line.startswith('"') else line))
            if os.path.isdir(path):
                _walk(path, seen, None, _OBJECT_DIRS)
                objects.append(path)


def _walk(root: str, seen: set[tuple[int, int]], skip: frozenset[str] | None, only: frozenset[str] | None) -> None:
    """Every entry under `root` (following links) a directory or a regular file, or ScanError.
    `skip`/`only`: names at the top level to leave out / to look at alone."""
    for entry, linked in _entries(root, seen, skip, only):
        mode = os.stat(entry).st_mode if linked else os.lstat(entry).st_mode
        _refuse(entry, mode, linked)


def _entries(
    root: str, seen: set[tuple[int, int]], skip: frozenset[str] | None, only: frozenset[str] | None
) -> Iterator[tuple[str, bool]]:
    """The entries under `root` that are neither directories nor regular files (after links),
    with whether each is reached through a link. Iterative: a deep tree is no recursion."""
    stack = [root]
    top = True
    while stack:
        here = stack.pop()
        try:
            st = os.stat(here)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(here) as listing:
                entries = list(listing)
        except OSError:
            continue  # unreadable: git reports it when it needs it
        for entry in entries:
            if top and ((skip is not None and entry.name in skip) or (only is not None and entry.name not in only)):
                continue
            if entry.is_symlink():
                try:
                    mode = os.stat(entry.path).st_mode
                except OSError:
                    continue  # dangling or a loop: git finds nothing there (or fails)
                if stat.S_ISDIR(mode):
                    stack.append(entry.path)
                elif not stat.S_ISREG(mode) or _process_file(entry.path):
                    yield entry.path, True
            elif entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif not entry.is_file(follow_symlinks=False):
                yield entry.path, False
        top = False


def _process_file(path: str) -> bool:
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
        if path.startswith(_PROCESS_FILES) or path in ("/proc", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr"):
            return True
    return True  # a chain longer than the kernel follows: git cannot open it either


def _regular_or_absent(path: str) -> None:
    st = _stat(path)
    if st is not None and (not stat.S_ISREG(st.st_mode) or (os.path.islink(path) and _process_file(path))):
        _refuse(path, st.st_mode, os.path.islink(path))


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def _refuse(path: str, mode: int, linked: bool) -> None:
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


def _unquote(line: str) -> str:
    """git's C-style quoting of an alternates line ("...", backslash escapes, octal bytes)."""
    body = line[1:].rpartition('"')[0] if line.count('"') > 1 else line[1:]
    out = bytearray()
    raw = body.encode("utf-8", "surrogateescape")
    i = 0
    escapes = {ord("n"): 10, ord("t"): 9, ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("r"): 13, ord("v"): 11}
    while i < len(raw):
        c = raw[i]
        if c == ord("\\") and i + 1 < len(raw):
            nxt = raw[i + 1]
            digits = raw[i + 1 : i + 4]
            if len(digits) == 3 and all(48 <= b <= 55 for b in digits):
                out.append(int(digits, 8) & 0xFF)
                i += 4
                continue
            out.append(escapes.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return out.decode("utf-8", "surrogateescape")
