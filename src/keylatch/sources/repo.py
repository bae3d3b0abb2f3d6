"""What kind of repository we were given: its git dirs, shallow boundary, partial-clone status.

Plumbing only (no GitPython): `scan_history` runs in the pre-push hook, which must stay light.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from keylatch.errors import ScanError, UsageError
from keylatch.sources.gitcmd import Git

# Every transport git knows, refused: a partial clone must never fetch a missing blob behind
# our back (git < 2.44 has no GIT_NO_LAZY_FETCH). Given with -c after HARDENING, so it wins.
NO_FETCH: tuple[str, ...] = tuple(
    f"protocol.{p}.allow=never" for p in ("file", "git", "ssh", "http", "https", "ext")
) + ("protocol.allow=never",)


@dataclass(frozen=True, slots=True)
class RepoState:
    git_dir: Path
    common_dir: Path  # where objects, refs and our cache live (shared by linked worktrees)
    bare: bool
    shallow: tuple[str, ...]  # boundary commits of a shallow clone, sorted
    partial: bool
    head: str | None  # HEAD's commit, None in an empty repository


def owner_hint(repo: Path, message: str) -> ScanError:
    return ScanError(
        f"git refuses to read {repo}: it is owned by another user (git's 'dubious ownership' check). "
        f"Run keylatch as the user who owns it, or, if you trust it, pass --trust-repo-owner "
        f"(keylatch never runs a repository's hooks or drivers). git said: {message}"
    )


_STATE = ("--absolute-git-dir", "--git-common-dir", "--is-bare-repository", "--is-shallow-repository")
# HEAD's commit in the same process: without one (an empty repository) git prints the other
# answers, then exits 1 silently (-q).
_HEAD = ("-q", "--verify", "HEAD^{commit}")
# revs.where's answers, then the git dir again to mark where they end (located).
_WHERE = ("--show-prefix", "--show-cdup", "--absolute-git-dir")


def inspect(repo: Path, trust_owner: bool = False, *, git: Git | None = None) -> RepoState:
    """`git`: the command's Git for `repo` (sharing its driver listing); None makes one."""
    if git is None:
        git = Git(repo, config=(f"safe.directory={repo.resolve()}",) if trust_owner else ())
    try:
        out = git.run("rev-parse", *_STATE, *_HEAD, ok_codes=(0, 1))
    except ScanError as exc:
        msg = str(exc)
        if "dubious ownership" in msg:
            raise owner_hint(repo, msg.removeprefix("git rev-parse: ")) from exc
        if "not a git repository" in msg:
            # The user pointed keylatch at the wrong place: a usage error (2), not a failed scan.
            raise UsageError(f"not a git repository: {repo}") from exc
        raise
    return _state(repo, git, out.decode("utf-8", "surrogateescape").splitlines())


def located(git: Git, path: Path) -> tuple[RepoState, tuple[Path, str, bool]] | None:
    """inspect(path, git=git) and revs.where(git, path) from one `rev-parse` (a command that needs
    both, ci and `baseline --history`, started two); None when git refuses or answers in a shape
    not foreseen: the caller then asks each, for its own error. --absolute-git-dir is asked
    again after --show-prefix and --show-cdup, which print one, two or no lines (a bare
    repository, a git dir, a working tree): the lines between are theirs."""
    if not path.is_dir():
        return None
    try:
        out = git.run("rev-parse", *_STATE, *_WHERE, *_HEAD, ok_codes=(0, 1))
    except ScanError:
        return None
    lines = out.decode("utf-8", "surrogateescape").splitlines()
    try:  # the prefix and cdup are relative ("sub/", "../"), never the absolute git dir
        end = lines.index(lines[0], 4) if len(lines) > 4 else -1
    except ValueError:
        end = -1
    if end < 0:
        return None
    shown, rest = lines[4:end], lines[end + 1 :]
    if len(shown) > 2 or len(rest) > 1:
        return None
    try:
        state = _state(path, git, [*lines[:4], *rest])
    except ScanError:  # raised again by the caller's own inspect, in the caller's order
        return None
    if state.bare:
        return state, (state.git_dir, "", True)
    prefix, cdup = (shown + ["", ""])[:2]
    # As revs.where: lexical, as the user spells paths (symbolic links are not followed).
    return state, (Path(os.path.normpath(os.path.abspath(path / cdup))), prefix, False)


def _state(repo: Path, git: Git, lines: list[str]) -> RepoState:
    if len(lines) not in (4, 5):
        raise ScanError(f"git rev-parse: unexpected output for {repo}")
    git_dir = Path(lines[0])
    common = Path(lines[1])
    if not common.is_absolute():
        common = (repo / common).resolve()
    shallow: tuple[str, ...] = ()
    if lines[3] == "true":
        shallow_file = common / "shallow"
        try:
            shallow = tuple(sorted(shallow_file.read_text(encoding="ascii").split()))
        except OSError as exc:
            raise ScanError(f"shallow clone, but cannot read {shallow_file}: {exc.strerror}") from exc
    head = lines[4] if len(lines) == 5 else None
    return RepoState(git_dir, common, lines[2] == "true", shallow, _partial(git), head)


def _partial(git: Git) -> bool:
    """extensions.partialclone set, or a remote.<n>.promisor true. The hardening's listing of the
    repository's config names (with includes, as git sees them) says whether either is set at
    all: only then is git asked for their values."""
    if not any(n.lower() == "extensions.partialclone" or _is_promisor(n) for n in git.config_names()):
        return False
    promisor = git.run("config", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$", ok_codes=(0, 1))
    return any(
        line.split(b" ", 1)[0].lower() == b"extensions.partialclone" or line.endswith(b" true")
        for line in promisor.splitlines()
    )


def _is_promisor(name: str) -> bool:
    section, _, rest = name.partition(".")
    return section.lower() == "remote" and rest.rpartition(".")[2].lower() == "promisor"


def missing_blobs(git: Git, revs: tuple[str, ...], extra: tuple[str, ...] = ()) -> frozenset[bytes]:
    """Objects the revisions (plus `extra` commits, given on stdin) need that are not present
    locally; `--missing=print` never fetches."""
    args = ["rev-list", "--objects", "--missing=print", "--no-object-names", *revs]
    if extra:
        args.append("--stdin")
    out = git.run(*args, "--", input="".join(f"{sha}\n" for sha in extra).encode() if extra else None)
    return frozenset(line[1:] for line in out.splitlines() if line.startswith(b"?"))


def unreachable_commits(git: Git) -> tuple[str, ...]:
    """Commits no ref reaches: dangling ones and those only a reflog remembers."""
    out = git.run("fsck", "--unreachable", "--no-reflogs", "--no-progress", "--connectivity-only")
    shas = [line.split()[2].decode("ascii") for line in out.splitlines() if line.startswith(b"unreachable commit ")]
    return tuple(sorted(shas))
