"""Repositories and revisions the user names -> what git holds, under one rule for errors.

The rule (README, "Exit codes"): something the user named that does not exist or is not what
the command needs (a path, a repository, a revision, a branch, a config file) is a UsageError,
exit 2. Something that exists but cannot be read completely (a damaged object, a shallow or
partial clone that lacks what the range needs, a git failure) is a ScanError, exit 3.

    top = where(git, Path("."))         # UsageError: no such directory / not a git repository
    sha = commit(git, "v1.2", "--range")  # UsageError: names nothing; ScanError: a shallow clone lacks it
    raise not_a_repo(exc, Path.cwd())   # git's "not a git repository" failure, as the usage error it is

On the hook path (`keylatch staged` imports this only when git failed): stdlib only at import.
"""

from __future__ import annotations

import os
import re

from keylatch.errors import KeylatchError, ScanError, UsageError
from keylatch.sources.gitcmd import Git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

# An object id, full or abbreviated: in a shallow or partial clone one may name history that
# exists upstream but was never fetched.
_OBJECT_ID = re.compile(r"[0-9a-fA-F]{7,64}")
# A revision and the ancestry steps after it (`HEAD~1`, `main^2~3`): in a shallow clone they may
# walk past its boundary into history it never fetched, as `--range HEAD~1..HEAD` does in a
# `fetch-depth: 1` checkout (tests/e2e/test_qa18_shallow_ancestry.py).
_ANCESTRY = re.compile(r"(?P<start>.+?)(?:[~^][0-9]*)+")


def not_a_repo(exc: ScanError, where: object) -> KeylatchError:
    """git's "not a git repository" failure as the UsageError it is; any other failure unchanged."""
    if "not a git repository" in str(exc):
        return UsageError(f"not a git repository: {where}")
    return exc


def where(git: Git, path: Path) -> tuple[Path, str, bool]:
    """(top, prefix, bare): the working tree's top directory (a bare repository's git dir),
    `path` relative to it as git spells it (`sub/dir/` or ""), and whether the repository is bare."""
    from pathlib import Path

    if not path.exists():
        raise UsageError(f"no such file or directory: {path}")
    if not path.is_dir():
        raise UsageError(f"not a directory: {path}")
    try:
        out = git.run("rev-parse", "--is-bare-repository", "--absolute-git-dir", "--show-prefix", "--show-cdup")
    except ScanError as exc:
        raise not_a_repo(exc, path) from exc
    lines = out.decode("utf-8", "surrogateescape").split("\n")
    bare, git_dir = lines[0] == "true", lines[1]
    if bare:
        return Path(git_dir), "", True
    prefix, cdup = (lines[2], lines[3]) if len(lines) >= 4 else ("", "")
    # Lexical, as the user spells paths: symbolic links in the working tree are not followed.
    return Path(os.path.normpath(os.path.abspath(path / cdup))), prefix, False


def is_commit(git: Git, rev: str) -> bool:
    return git.returncode("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}") == 0


def commit_ids(git: Git, revs: Iterable[str]) -> dict[str, str | None]:
    """The commit each of `revs` names, in one process: a range's two ends (ci, history) were one
    `rev-parse --verify` each. `cat-file --batch-check` resolves a name as `rev-parse` does (the
    same lookup, `^{commit}` peeling included). None: git answered that the name names no
    commit (`is_commit` would say False), for `commit` or the caller's own lookup to explain with
    the message it always gave. Left out: names that cannot be one request line or look like
    options, and every name when git fails (an unreadable repository says why elsewhere)."""
    asked = list(dict.fromkeys(r for r in revs if r and "\n" not in r and "\r" not in r and not r.startswith("-")))
    if not asked:
        return {}
    request = "".join(f"{r}^{{commit}}\n" for r in asked).encode("utf-8", "surrogateescape")
    try:
        out = git.run("cat-file", "--batch-check=%(objectname) %(objecttype)", input=request, ok_codes=(0,))
    except ScanError:
        return {}
    rows = out.decode("ascii", "replace").split("\n")
    if len(rows) != len(asked) + 1 or rows[-1]:  # one answer per request line, or none believed
        return {}
    found: dict[str, str | None] = {}
    for rev, row in zip(asked, rows, strict=False):
        sha, _, kind = row.partition(" ")
        found[rev] = sha if kind == "commit" and _FULL_ID.fullmatch(sha) else None
    return found


def commit(
    git: Git, rev: str, what: str, *, shallow: bool | None = None, fix: str = "run `git fetch --unshallow`"
) -> str:
    """The commit id `rev` names. `what` names the option in messages (`--range`).

    A name that resolves to nothing, or to something that is not a commit, is the user's
    mistake (UsageError), except an object id in a shallow or partial clone: that may be history
    the clone never fetched (ScanError, whose message ends with `fix`). `shallow` is None to ask git.
    """
    if rev.startswith("-"):
        raise UsageError(f"{what}: not a revision: {rev!r}")
    # Exit 1: `rev` names no commit. Anything else (dubious ownership, ...) raises with git's message.
    out = git.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", ok_codes=(0, 1))
    sha = out.decode("ascii", "replace").strip()
    if sha:
        return sha
    kind = non_commit(git, rev)
    if kind is not None:  # before the shallow advice: a blob id here is no missing commit
        raise UsageError(f"{what}: {rev!r} names {kind}, not a commit; {content_hint(rev)}")
    if _OBJECT_ID.fullmatch(rev) and (_incomplete(git) if shallow is None else shallow):
        raise ScanError(f"{what}: commit {rev[:12]} is not in this clone (the clone is shallow or partial); {fix}")
    steps = _ANCESTRY.fullmatch(rev)
    if steps is not None and is_commit(git, steps["start"]) and (_is_shallow(git) if shallow is None else shallow):
        raise ScanError(f"{what}: {rev!r} goes past the history this shallow clone holds; {fix}")
    if git.returncode("rev-parse", "--verify", "--quiet", "--end-of-options", rev) == 0:
        raise UsageError(f"{what}: {rev!r} is not a commit")
    raise UsageError(f"{what}: {rev!r} is not a commit in this repository")


_KINDS = {b"blob": "a blob", b"tree": "a tree"}


def non_commit(git: Git, rev: str) -> str | None:
    """What `rev` names when it is, or tags, a blob or a tree ("a blob", "a tag of a tree"); None
    for anything else (nothing, a commit, an object git cannot read). Only on a failure path:
    one `cat-file --batch-check` of `rev` and of it peeled."""
    if "\n" in rev or rev.startswith("-"):
        return None
    request = f"{rev}\n{rev}^{{}}\n".encode("utf-8", "surrogateescape")
    kinds = git.run("cat-file", "--batch-check=%(objecttype)", input=request, ok_codes=(0, 128)).split()
    if len(kinds) != 2 or kinds[1] not in _KINDS:
        return None  # `<rev> missing`, a commit, or git refused: the caller's usual message
    return _KINDS[kinds[1]] if kinds[0] != b"tag" else f"a tag of {_KINDS[kinds[1]]}"


def content_hint(rev: str) -> str:
    """Where a blob or a tree a user named is scanned: as content, by `history --range X`."""
    import shlex

    return f"`keylatch history --range {shlex.quote(rev)}` scans it as content"


# git's words for an object it cannot read (git 2.39 .. 2.47): a damaged repository (exit 3),
# never a usage error. history/damage.py names the object from the same messages.
_DAMAGE = re.compile(
    r"could not read|unable to read|unable to unpack|bad object|non-monotonic index|is too small|"
    r"is corrupt|inflate|does not match index|premature end|failed to traverse|cannot be accessed",
    re.IGNORECASE,
)
_FULL_ID = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")


def ancestry(rev: str) -> bool:
    """Whether `rev` ends in ancestry steps (`HEAD~3`, `main^`): a revision, never a date."""
    return _ANCESTRY.fullmatch(rev) is not None


def damage_said(message: str) -> bool:
    """Whether git's message says that an object it needs cannot be read."""
    return _DAMAGE.search(message) is not None


def unreadable(git: Git, rev: str, head: str) -> bool:
    """Whether `rev`, a full object id that names no readable commit, is one the repository
    needs and cannot read (damage: exit 3, its readable commits still scanned) rather than one
    it never had (a typo, or history a shallow clone never fetched: today's exit 2 or fetch
    advice). Damage: git complains reading it (a corrupt loose object, an unreadable pack
    index), or the history of `head` stops at it (a lost commit). Only on a failure path: the
    walk of `head` costs one `rev-list` (a shallow clone's boundary hides unfetched parents)."""
    if not _FULL_ID.fullmatch(rev):
        return False
    proc = git.popen("cat-file", "-t", rev)
    _, err = proc.communicate()
    if proc.returncode != 0 and damage_said(err.decode("utf-8", "replace")):
        return True
    proc = git.popen("rev-list", "--parents", "--end-of-options", head)
    out, err = proc.communicate()
    if proc.returncode == 0:
        return False
    oid = rev.lower().encode("ascii")
    return oid in err or any(oid in line.split()[1:] for line in out.splitlines())


def _incomplete(git: Git) -> bool:
    """A shallow or partial clone: an object id missing from it may exist upstream."""
    partial = git.run("config", "--get", "extensions.partialclone", ok_codes=(0, 1)).strip() != b""
    return _is_shallow(git) or partial


def _is_shallow(git: Git) -> bool:
    return git.run("rev-parse", "--is-shallow-repository").strip() == b"true"


def split_range(text: str, what: str) -> tuple[str, ...]:
    """The revisions of `A..B`, `A...B` (an empty side means HEAD, as in git) or a single `REV`."""
    if text.startswith("-"):
        raise UsageError(f"{what}: not a range: {text!r}")
    for sep in ("...", ".."):
        left, found, right = text.partition(sep)
        if found:
            if right.startswith(".") or (not left and not right):
                raise UsageError(f"{what} must look like A..B, not {text!r}")
            return left or "HEAD", right or "HEAD"
    return (text,)


# What `--since` may be besides a revision: an ISO 8601 date or time (2024-01-31,
# 2024-01-31T12:00:00Z, 2024-01-31 12:00+02:00) or git's relative form ("2 weeks ago",
# "2.weeks.ago"). Both mean the same to git's approxidate as to a reader.
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?)?(?:Z|[+-]\d{2}:?\d{2})?")
_RELATIVE = re.compile(r"\d+[. ](?:second|minute|hour|day|week|month|year)s?[. ]ago")


def date(text: str) -> str | None:
    """`text` when git's `--since=` would read it as the date a reader means, else None."""
    import datetime as dt

    if _RELATIVE.fullmatch(text):
        return text
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    try:
        dt.date.fromisoformat(m.group(1))
    except ValueError:  # 2024-02-30
        return None
    # git's approxidate gives a bare date the current time of day; a reader means its start.
    return f"{text} 00:00:00" if text == m.group(1) else text
