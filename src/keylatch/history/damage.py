"""A damaged repository is a scan that cannot complete: how the history walk notices, and says so.

Damage is an object a commit needs that the repository cannot give: a deleted loose object, a
pack rebuilt without it, `.promisor` packs kept after the partial-clone config was removed (git
then no longer treats the gaps as fetchable), a corrupt object. A partial clone's missing blobs
are not damage: repostate.missing_blobs counts those, and --allow-partial decides.

Each case is one line naming what is missing (how many blobs and the first, or which tree or
commit) and pointing at `git fsck`, which lists them all (tests/e2e/test_damaged_matrix.py).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import IO

from keylatch.errors import ScanError
from keylatch.history.rawlog import blob_ids
from keylatch.sources.gitcmd import Git
from keylatch.sources.objects import absent

BLOB_NEEDED = "blob that its commits need"
_FSCK = "`git fsck` lists every damaged object"
# git's words for an object it needs and cannot read (git 2.39 .. 2.47), and what to call it.
_GIT_SAYS = (
    (r"unable to read tree \(?([0-9a-f]{40,64})", "tree"),
    (r"[Cc]ould not read ([0-9a-f]{40,64})", "commit"),
    (r"bad object (refs/\S+)", "the object of ref"),
    (r"bad object ([0-9a-f]{40,64})", "object"),  # a tag nested in a tag (history/tags.py)
)


def check_present(git: Git, repo: Path, log_out: IO[bytes]) -> None:
    """Every blob the raw log names must be in the repository.

    The whole-history walk reads what the object store lists (`--batch-all-objects`), so a blob
    that is gone is never asked for and nothing else would notice. The log is already on disk
    for attribution; checking its ids costs one index lookup each in one `cat-file`.
    """
    log_out.seek(0)
    count, first = absent(git, blob_ids(log_out))
    if count:
        raise damaged(repo, count, BLOB_NEEDED, "missing or unreadable", first)


def no_missing(repo: Path, missing: Collection[bytes], expected: Collection[bytes]) -> None:
    """Blobs asked for by id that git could not give (missing or corrupt), beyond those a
    partial clone is known to lack."""
    lost = set(missing).difference(expected)
    if lost:
        raise damaged(repo, len(lost), BLOB_NEEDED, "missing or unreadable", min(lost))


def damaged(repo: Path, count: int, what: str, state: str, first: bytes | None) -> ScanError:
    """`what` is a noun phrase whose first word takes the plural: "blob that its commits need"."""
    noun, _, rest = what.partition(" ")
    noun += "" if count == 1 else "s"
    verb = "is" if count == 1 else "are"
    first_id = first.decode("ascii", "replace") if first else "?"
    return ScanError(
        f"repository {repo} is damaged: {count} {noun}{' ' + rest if rest else ''} {verb} {state} "
        f"(first: {first_id}); {_FSCK}"
    )


def damage_named(repo: Path, message: str) -> ScanError:
    """A git failure (`git log: <first stderr line>`), reworded when git says an object it needs
    is missing: that is damage, not a git problem, and `git fsck` is where to look next."""
    import re  # only on this failure path

    for pattern, kind in _GIT_SAYS:
        m = re.search(pattern, message)
        if m is not None:
            return ScanError(
                f"repository {repo} is damaged: {kind} {m.group(1)} is missing or unreadable ({message}); {_FSCK}"
            )
    return ScanError(message)
