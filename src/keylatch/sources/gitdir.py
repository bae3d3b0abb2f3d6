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

from keylatch.sources import gitlocate, includes

# Top-level entries of a git directory that no command of keylatch's makes git open, and that
# hold sockets in ordinary repositories: hooks never run (core.hooksPath=/dev/null,
# sources/gitcmd.py), the fsmonitor daemon's socket (core.fsmonitor=false), git-annex's ssh
# control sockets in annex/ssh/ (git reads nothing under annex/).
_UNREAD = frozenset({"hooks", "fsmonitor--daemon.ipc", "annex"})
# What git looks at in an alternate object directory, which may be any directory on the machine.
_OBJECT_DIRS = frozenset({"info", "pack", *(f"{i:02x}" for i in range(256))})


def check(repo: str, env: Mapping[str, str] | None = None) -> None:
    """ScanError naming the first entry git could block on in the repository at or above `repo`
    (its git directory, common directory and alternate object directories), or in the
    directories $GIT_DIR, $GIT_COMMON_DIR, $GIT_OBJECT_DIRECTORY and
    $GIT_ALTERNATE_OBJECT_DIRECTORIES name. Nothing when `repo` is in no repository: git says so."""
    # Config files and their includes first, with their own message (sources/includes.py): an
    # include git would wait on may lie inside the git directory too.
    found = gitlocate.find(os.path.abspath(repo))
    includes.check_dirs(found)
    environ = os.environ if env is None else env
    roots: list[str] = []
    objects: list[str] = []
    if found and os.path.isdir(repo):
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
        gitlocate.refuse(entry, mode, linked)


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
                elif not stat.S_ISREG(mode) or gitlocate.process_file(entry.path):
                    yield entry.path, True
            elif entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif not entry.is_file(follow_symlinks=False):
                yield entry.path, False
        top = False


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
