"""Config files git would wait on: refused before any git process reads the repository.

git reads a repository's config, and every file it includes (`include.path`, `includeIf.*.path`,
included files' own includes), before doing anything else, and no option turns includes off
for a command. A hostile repository (a tarball, a shared disk, a restored CI cache) can point
one at a FIFO nobody writes, a terminal, or `/dev/stdin`: git then waits forever, or reads the
input keylatch gives it (`log --stdin`, `cat-file --batch`) as configuration and scans nothing.

So gitcmd checks, once per Git instance and with no git process: the repository's config files
and every include they name (relative to the including file; `~/` is $HOME) must be regular
files or absent (git skips a missing include). `stat` follows links and never opens the file,
so the check itself cannot wait. Anything else is a ScanError (exit 3) naming the file.

Plain string handling, no `re`: this runs on the pre-commit hook path.
"""

from __future__ import annotations

import os
import stat

from keylatch.errors import ScanError, printable
from keylatch.sources import gitlocate

_DEPTH = 10  # git's own limit on nested includes
_READ_LIMIT = 1 << 24  # a config file larger than this is read only in part for includes


def check(repo: str | None) -> None:
    """ScanError if a config file of the repository at `repo` (None: the current directory, or
    $GIT_DIR) or anything it includes is not a regular file."""
    env = os.environ.get("GIT_DIR")
    if repo is None and env:
        check_dirs(gitlocate.candidate(os.path.abspath(env)))
    else:
        check_dirs(gitlocate.find(os.path.abspath(repo or ".")))


def check_dirs(found: tuple[str, ...] | None) -> None:
    """`check` for the git directory (and common directory) discovery found (sources/gitlocate.py);
    nothing when it found no repository: git says so itself."""
    if not found:
        return
    gitdir, common = found[0], found[-1]
    seen: set[str] = set()
    for name in (os.path.join(common, "config"), os.path.join(gitdir, "config.worktree")):
        _check_file(name, name, 0, seen)


def _check_file(path: str, named: str, depth: int, seen: set[str]) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # absent (or unreadable: git reports that itself)
    if not stat.S_ISREG(mode) or _descriptor(path):
        raise ScanError(
            f"git config include {printable(named, 200)} is not a regular file (a FIFO, device or stdin "
            "would make git wait, or read keylatch's input as config); not reading this repository"
        )
    real = os.path.realpath(path)
    if real in seen or depth > _DEPTH:
        return
    seen.add(real)
    try:
        with open(path, "rb") as fh:
            data = fh.read(_READ_LIMIT)
    except OSError:
        return
    if b"include" not in data.lower():
        return
    base = os.path.dirname(path)
    for value in _include_paths(data.decode("utf-8", "surrogateescape")):
        target = os.path.expanduser(value) if value.startswith("~") else value
        _check_file(os.path.join(base, target), value, depth + 1, seen)


def _descriptor(path: str) -> bool:
    """Whether `path` names a process's own descriptor (`/dev/stdin`, `/proc/self/fd/0`, a link
    to one): its type here is keylatch's stdin, a regular file when keylatch's input is one, but
    git opens its own stdin there, which keylatch writes (cat-file --batch, log --stdin)."""
    absolute = os.path.abspath(path)
    where = os.path.join(os.path.realpath(os.path.dirname(absolute)), os.path.basename(absolute))
    return where.startswith(gitlocate.PROCESS_FILES) or (os.path.islink(path) and gitlocate.process_file(path))


def _include_paths(text: str) -> list[str]:
    """The `path` values of `[include]` and `[includeIf "..."]` sections. Lenient: a line this
    misreads can only add a path to check, never hide one git would read as an include."""
    out = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            head, _, line = line[1:].partition("]")
            section = head.strip().lower()
            line = line.strip()
        if not section.startswith("include") or not line:
            continue
        key, eq, value = line.partition("=")
        if key.strip().lower() != "path" or not eq:
            continue
        value = value.strip()
        if value.startswith('"'):
            value = value[1:].partition('"')[0]
        else:
            value = value.split("#", 1)[0].split(";", 1)[0].strip()
        if value:
            out.append(value)
    return out
