"""Which commit put which blob at which path: `git log --raw` read as plumbing.

`git log -p` misses content that exists only in a merge (a conflict resolution) and in stashes:
it shows no diff for merges. We ask for `-c` (combined) raw output instead, which lists, for a
merge, exactly the paths whose content differs from every parent, i.e. what the merge itself
introduced. `--root` lists the whole tree of root commits (and of shallow boundary commits, which
git shows as roots). `-z` keeps every path byte-exact (no quoting of non-UTF-8 names).

The log is written by git to a temporary file while the blobs are being scanned, then parsed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from keylatch.errors import ScanError

ZERO = b"0" * 40
GITLINK = b"160000"
# %x01 marks a commit header; what follows -z output cannot be confused with it because paths
# are read positionally (the token after a change line is always a path).
LOG_FORMAT = "--format=%x01%H %ct %P"


def log_args(revs: Sequence[str]) -> list[str]:
    return [
        "log", "--raw", "-c", "--root", "--no-abbrev", "--no-renames", "-z",
        "--no-ext-diff", "--no-textconv", "--ignore-submodules=none", LOG_FORMAT,
        *revs, "--",
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Change:
    """One path of one commit whose content differs from every parent's."""

    path: bytes
    mode: bytes  # the new mode; 160000 is a submodule (gitlink)
    new: bytes  # blob id after the commit (ZERO when deleted)
    olds: tuple[bytes, ...]  # one per parent (ZERO where the parent had no such file)


@dataclass(frozen=True, slots=True)
class CommitChanges:
    sha: bytes
    time: int  # committer time, to order introductions
    parents: tuple[bytes, ...]
    changes: tuple[Change, ...]


def _tokens(fh: IO[bytes], block: int = 1 << 20) -> Iterator[bytes]:
    rest = b""
    while True:
        data = fh.read(block)
        if not data:
            if rest:
                yield rest
            return
        parts = (rest + data).split(b"\0")
        rest = parts.pop()
        yield from parts


def _change(meta: bytes, path: bytes) -> Change:
    n = len(meta) - len(meta.lstrip(b":"))
    fields = meta[n:].split(b" ")
    if len(fields) != 2 * n + 3:
        raise ScanError(f"git log: unexpected raw line {meta[:80]!r}")
    shas = fields[n + 1 : 2 * n + 2]
    return Change(path=path, mode=fields[n], new=shas[-1], olds=tuple(shas[:-1]))


def parse_log(fh: IO[bytes]) -> Iterator[CommitChanges]:
    head: list[bytes] | None = None
    changes: list[Change] = []
    tokens = _tokens(fh)
    for tok in tokens:
        tok = tok.lstrip(b"\n")
        if not tok:
            continue
        if tok.startswith(b"\x01"):
            if head is not None:
                yield _commit(head, changes)
            head, changes = tok[1:].split(b" "), []
        elif tok.startswith(b":"):
            path = next(tokens, None)
            if path is None or head is None:
                raise ScanError("git log: raw output ended early")
            changes.append(_change(tok, path))
        else:
            raise ScanError(f"git log: unexpected output {tok[:80]!r}")
    if head is not None:
        yield _commit(head, changes)


def _commit(head: list[bytes], changes: list[Change]) -> CommitChanges:
    if len(head) < 2:
        raise ScanError("git log: unexpected commit header")
    parents = tuple(p for p in head[2:] if p)
    return CommitChanges(head[0], int(head[1]), parents, tuple(changes))
