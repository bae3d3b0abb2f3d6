"""What a commit is about to record: index entries -> Chunks.

The pre-commit stage scans the index, not the working tree, so that `git add -p`, `commit -a`
and `commit <paths>` are judged on what will actually be committed. Git itself reads
GIT_INDEX_FILE from the environment (gitcmd passes it through), which is how `git commit <paths>`
hands hooks its temporary index. Git hands hooks a *relative* GIT_INDEX_FILE (`.git/index`) and
runs them at the top of the work tree, so hooks must use `Git(None)` (the current directory);
`Git(path)` adds `-C path`, which would resolve that relative name against another directory.

Fast path (a clean commit): one `diff-index` and one `cat-file --batch`, nothing else. HEAD's
versions are read only when a finding needs the "already committed" note.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence

from keylatch.errors import ScanError, UsageError
from keylatch.sources.gitcmd import Git, null_id
from keylatch.sources.objects import BlobReader as BlobReader  # commands/staged.py starts it early
from keylatch.sources.objects import read_objects

# keylatch.model (and hashlib with it) is imported only once a keyword is present: a clean
# commit is judged on raw bytes by keylatch.prefilter. (path, data, blob id or None) tuples
# carry the content until then.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.model import Chunk
    from keylatch.sources.archives import Limits

Content = tuple[str, bytes, "str | None"]

_GITLINK = "160000"  # a submodule commit, not content


# Records of the hook path: typing.NamedTuple for the type checker, the same fields built with
# collections.namedtuple at run time. Not dataclasses (inspect, ast, dis: ~10 ms, see gitcmd.Git),
# and not typing either (~2.6 ms of a clean commit's imports, bench/hook_bench.py).
if TYPE_CHECKING:
    from typing import NamedTuple

    class StagedFile(NamedTuple):
        """One path as the index holds it. `head_blob` is HEAD's blob at this path when known."""

        path: str
        blob: str
        head_blob: str | None = None

    class Staged(NamedTuple):
        """What to scan: index entries, plus the cases that have no index entry to read."""

        files: tuple[StagedFile, ...]
        # Given paths git does not track (scanned from disk: there is nothing else to scan).
        untracked: tuple[str, ...] = ()
        # Staged deletions: nothing of theirs is committed.
        deleted: tuple[str, ...] = ()
        # Paths in a merge conflict. git commits none until they are resolved and added, so their
        # working-tree files (the resolution in progress) are scanned instead.
        unmerged: tuple[str, ...] = ()
        # False on the first commit of a repository. staged_paths leaves it True (a process on
        # every run): call checked_head() before relying on it.
        has_head: bool = True
        # Paths are relative to the current directory (given paths) rather than to the top.
        cwd_relative: bool = False
        # Where the top-relative `unmerged` paths are on disk from here ("" : they are cwd-relative).
        top: str = ""
        # Submodule entries (gitlinks) the commit adds: no content, but their names are pushed
        # in the tree, so a key in one is a leak (commands/staged.py judges the names).
        gitlinks: tuple[str, ...] = ()

else:
    from collections import namedtuple

    StagedFile = namedtuple("StagedFile", "path blob head_blob", defaults=(None,))
    Staged = namedtuple(
        "Staged",
        "files untracked deleted unmerged has_head cwd_relative top gitlinks",
        defaults=((), (), (), True, False, "", ()),
    )


def _literal(path: str) -> str:
    # Hook arguments are file names, not patterns: `[a].py` must not match `a.py`.
    return f":(literal){path}"


def split_z(out: bytes) -> list[str]:
    return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]


def _parse_raw(out: bytes) -> Iterator[tuple[str, str, str, str, str]]:
    """`diff-index --raw -z --no-renames` -> (status, path, new_mode, new_blob, old_blob)."""
    fields = split_z(out)
    for meta, path in zip(fields[0::2], fields[1::2], strict=True):
        _old_mode, new_mode, old_blob, new_blob, status = meta.lstrip(":").split(" ")
        yield status[:1], path, new_mode, new_blob, old_blob


def _from_index(git: Git, pathspecs: Sequence[str]) -> tuple[list[StagedFile], list[str], set[str], list[str]]:
    """Every index entry under `pathspecs`: files, unmerged paths, matched names, gitlinks.

    Names are relative to the current directory, like the paths a user gives (`:/` gives all
    entries, relative to the top).
    """
    full = ("--full-name",) if list(pathspecs) == [":/"] else ()
    out = git.run("ls-files", "-s", "-z", *full, "--", *pathspecs)
    files: list[StagedFile] = []
    unmerged: list[str] = []
    seen: set[str] = set()
    gitlinks: list[str] = []
    for rec in split_z(out):
        meta, path = rec.split("\t", 1)
        mode, blob, stage = meta.split(" ")
        seen.add(path)
        if stage != "0":
            if path not in unmerged:
                unmerged.append(path)
        elif mode != _GITLINK:
            files.append(StagedFile(path, blob))
        else:
            gitlinks.append(path)
    return files, unmerged, seen, gitlinks


def _head_exists(git: Git) -> bool:
    return git.returncode("rev-parse", "--verify", "--quiet", "HEAD^{commit}") == 0


def staged_changes(git: Git) -> Staged:
    """The files a commit would add or change relative to HEAD (all of them on a first commit)."""
    try:
        out = git.run("diff-index", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev", "HEAD", "--")
    except ScanError:
        if _head_exists(git):
            raise
        # No HEAD: the first commit (or an orphan branch). Everything in the index is new; a
        # failure here (not a repository at all) is the error to report.
        every, conflicted, _, links = _from_index(git, (":/",))
        top = _toplevel(git) if conflicted else ""
        return Staged(tuple(every), unmerged=tuple(conflicted), has_head=False, top=top, gitlinks=tuple(links))
    files: list[StagedFile] = []
    deleted: list[str] = []
    unmerged: list[str] = []
    gitlinks: list[str] = []
    for status, path, new_mode, new_blob, old_blob in _parse_raw(out):
        if status == "D":
            deleted.append(path)
        elif status == "U":
            unmerged.append(path)
        elif new_mode != _GITLINK:
            known = None if null_id(old_blob) else old_blob
            files.append(StagedFile(path, new_blob, head_blob=known))
        elif null_id(old_blob):  # a new submodule entry: a new name in the tree
            gitlinks.append(path)
    # Unmerged paths stay top-relative, as every other path reported; read from disk at `top`.
    top = _toplevel(git) if unmerged else ""
    return Staged(tuple(files), deleted=tuple(deleted), unmerged=tuple(unmerged), top=top, gitlinks=tuple(gitlinks))


# Above this many paths (`pre-commit run --all-files` passes thousands) git's pathspec matching
# is quadratic; listing the index once and matching names here is linear.
_MANY_PATHS = 64


def _covering(names: set[str]) -> set[str]:
    """Every name plus every directory above it: what a given path may equal to match."""
    out = set(names)
    for n in names:
        i = n.rfind("/")
        while i > 0 and n[:i] not in out:
            out.add(n[:i])
            i = n.rfind("/", 0, i)
    return out


def staged_paths(git: Git, paths: Sequence[str]) -> Staged:
    """The index content of exactly `paths` (files or directories), e.g. from `pre-commit run --files`.

    A path with no index entry is scanned from disk if it exists (it is what the user asked for),
    reported as deleted if HEAD has it, and is otherwise an error: never zero bytes silently.
    """
    norms = [os.path.normpath(p).replace(os.sep, "/") for p in paths]
    inside = all(not (n == ".." or n.startswith(("../", "/"))) for n in norms)
    if len(paths) > _MANY_PATHS and inside:
        every, unmerged, names, links = _from_index(git, ())
        wanted = set(norms)
        below = tuple(n.rstrip("/") + "/" for n in wanted if n != ".")
        if "." in wanted:
            files, seen = every, names
        else:
            files = [f for f in every if f.path in wanted or (below and f.path.startswith(below))]
            seen = {n for n in names if n in wanted or (below and n.startswith(below))}
        unmerged = [u for u in unmerged if u in seen]
        gitlinks = [g for g in links if g in seen]
    else:
        files, unmerged, seen, gitlinks = _from_index(git, [_literal(p) for p in paths])
    covered = _covering(seen)
    untracked: list[str] = []
    deleted: list[str] = []
    missing: list[str] = []
    for p, norm in zip(paths, norms, strict=True):
        if norm in covered or norm == ".":
            continue
        if os.path.isfile(p) or os.path.islink(p):  # a link, even dangling: git would commit its text
            untracked.append(p)
        else:
            missing.append(p)
    if missing:
        in_head = _in_head(git, missing)
        for p in missing:
            if p not in in_head:
                # A path the user (or pre-commit) named that exists nowhere: a usage error, exit 2.
                raise UsageError(f"{p}: not in the index, in HEAD or on disk: nothing to scan")
            deleted.append(p)
    return Staged(
        tuple(files), tuple(untracked), tuple(deleted), tuple(unmerged), cwd_relative=True, gitlinks=tuple(gitlinks)
    )


def checked_head(git: Git, staged: Staged) -> Staged:
    """`staged` with `has_head` asked of git when staged_paths made it (a key was found: HEAD's
    versions are read next, and the advice differs on a first commit)."""
    return staged._replace(has_head=_head_exists(git)) if staged.cwd_relative else staged


def _in_head(git: Git, paths: Sequence[str]) -> set[str]:
    if not _head_exists(git):
        return set()
    out = git.run("ls-tree", "-r", "-z", "--name-only", "HEAD", "--", *paths)
    names = set(split_z(out))
    return {p for p in paths if any(n == p or n.startswith(p.rstrip("/") + "/") for n in names)}


def staged_blobs(git: Git, staged: Staged, reader: BlobReader | None = None) -> dict[str, bytes]:
    """Blob id -> content for every staged file; an unreadable blob is a ScanError."""
    blobs = read_objects(git, (f.blob for f in staged.files), reader)
    out: dict[str, bytes] = {}
    for f in staged.files:
        data = blobs.get(f.blob)
        if data is None:
            raise ScanError(f"{f.path}: staged blob {f.blob[:12]} cannot be read")
        out[f.blob] = data
    return out


def staged_contents(staged: Staged, blobs: Mapping[str, bytes]) -> list[Content]:
    """What is committed: the staged blobs, plus given untracked files and unresolved merge
    conflicts, read from disk (what the user asked about, and what will be added)."""
    out: list[Content] = [(f.path, blobs[f.blob], f.blob) for f in staged.files]
    out += [(p.replace(os.sep, "/"), _read_file(p), None) for p in staged.untracked]
    on_disk = [(p, os.path.join(staged.top, p) if staged.top else p) for p in staged.unmerged]
    out += [
        (p.replace(os.sep, "/"), _read_file(full), None)
        for p, full in on_disk
        if os.path.isfile(full) or os.path.islink(full)
    ]
    return out


def has_archives(contents: Iterable[Content]) -> bool:
    """Whether any content is an archive (magic bytes only: zipfile and friends load only then)."""
    from keylatch.sources.magic import is_archive

    # A zip with bytes in front (an installer) is known by its end record, as unpacked() opens it.
    return any(is_archive(data, data, len(data)) for _, data, _ in contents)


def unpacked(contents: Iterable[Content], limits: Limits, unread: list[tuple[str, str]] | None = None) -> list[Content]:
    """`contents` with each archive replaced by its members (`path!member`, no blob id: the
    member is no blob). An archive that cannot be read whole (sources/archives.py) keeps the
    members read before the failure and adds (path, reason) to `unread`: the other files are
    still scanned, and the hook exits 3. Without `unread`, it is a ScanError."""
    import io

    from keylatch.sources.archives import is_archive, members

    out: list[Content] = []
    for path, data, blob in contents:
        if not (limits.depth and is_archive(data, data, len(data))):
            out.append((path, data, blob))
            continue
        try:
            for label, read in members(io.BytesIO(data), path, limits):
                out.append((label, b"".join(iter(lambda r=read: r(1 << 20), b"")), None))  # type: ignore[misc]
        except ScanError as exc:
            if unread is None:
                raise
            unread.append((path, str(exc)))
    return out


def chunks(contents: Iterable[Content]) -> list[Chunk]:
    from keylatch.model import Chunk

    return [Chunk(data, path, blob=blob) for path, data, blob in contents]


def _read_file(path: str) -> bytes:
    """What `git add` would store for `path`: a symbolic link's target text (never followed),
    else the file's bytes."""
    try:
        if os.path.islink(path):
            return os.readlink(os.fsencode(path))
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise ScanError(f"cannot read {path}: {exc.strerror or exc}") from exc


def worktree_changes(git: Git, staged: Staged, blobs: Mapping[str, bytes]) -> list[Content]:
    """Working-tree versions of the staged files that differ from what is staged (`git add -p`
    left part of the file out): keys here are not being committed. A file that is gone from
    disk has no unstaged key to warn about; files the commit does not touch are not read."""
    staged_blob = {f.path: f.blob for f in staged.files}
    top = "." if staged.cwd_relative else _toplevel(git)
    out: list[Content] = []
    for path in staged_blob:
        full = os.path.join(top, path)
        if not os.path.isfile(full) or os.path.islink(full):
            continue
        try:
            with open(full, "rb") as fh:
                data = fh.read()
        except OSError:
            continue  # only a warning source; the staged content was scanned
        if path in staged_blob and blobs.get(staged_blob[path]) == data:
            continue
        out.append((path, data, None))
    return out


def _toplevel(git: Git) -> str:
    return top_and_prefix(git)[0]


def top_and_prefix(git: Git) -> tuple[str, str]:
    """The top of the working tree, and the current directory relative to it (`sub/dir/` or "")."""
    # Hooks run at the top of the work tree; asking git costs a process on every commit.
    if git.repo is None and "GIT_WORK_TREE" not in os.environ and os.path.exists(".git"):
        return ".", ""
    out = git.run("rev-parse", "--show-toplevel", "--show-prefix").decode("utf-8", "surrogateescape")
    top, prefix = [*out.split("\n"), ""][:2]
    return top, prefix
