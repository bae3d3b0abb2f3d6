"""Repository discovery for `keylatch history`: GitPython finds it, git decides bareness, and
every git process after that goes through the one hardened runner (sources/gitcmd.py).

GitPython's one role is finding the repository from a path, which it does in Python (reading
`.git` files and config files runs nothing). It runs no git command of ours: branch lookup and
everything else is plumbing through `Git`, so its hardening is gitcmd's. Only `keylatch history`
imports this module (GitPython costs ~110 ms to import; the hook path never pays it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from keylatch.errors import UsageError
from keylatch.sources.gitcmd import Git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.sources.repo import RepoState


@dataclass(frozen=True, slots=True)
class Found:
    root: Path  # the working tree, or the git dir of a bare repository
    bare: bool
    state: RepoState | None = None  # inspect(root)'s answer when discovery had it already


def _located(path: Path) -> tuple[Path, Path | None]:
    """GitPython's answer: the git dir, and the working tree (None for a bare repository)."""
    import git

    from keylatch.sources import includes

    includes.check(str(path))  # GitPython follows config includes too, in Python: a FIFO would hang it
    # git takes $GIT_DIR for the current directory (sources/gitcmd.py LOCATING: a hook, a script,
    # `git --git-dir`), so discovery does too. Otherwise `GIT_DIR=/other/.git keylatch history`
    # found the repository it stood in and git scanned /other: "no keys found", exit 0, for a
    # repository with a key (QA t-qa19; tests/history/test_qa19_git_dir_env.py).
    env_dir = os.environ.get("GIT_DIR")
    here = os.path.realpath(path) == os.path.realpath(os.getcwd())
    where, search = (Path(env_dir), False) if env_dir and here else (path, True)
    try:
        repo = git.Repo(where, search_parent_directories=search)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise UsageError(f"not a git repository: {where}") from exc
    try:
        tree = None if repo.bare else Path(str(repo.working_tree_dir))
        return Path(repo.git_dir), tree
    finally:
        repo.close()


def discover(path: Path, trust_owner: bool = False) -> tuple[Found, Git]:
    """The repository `path` is in, and the command's Git for its root (with safe.directory for
    the root when `trust_owner`). UsageError when `path` is in no repository."""
    git_dir, tree = _located(path)
    # GitPython reads core.bare from the config file; without one it takes a bare repository's
    # parent for its working tree. git decides from the layout, so git is asked (one rev-parse,
    # whose driver listing the returned Git shares). If git refuses, e.g. another user's
    # repository, GitPython's answer stands and the scan reports the refusal.
    probe = Git(git_dir, config=("safe.directory=*",) if trust_owner else ())
    if tree is not None and (confirmed := _worktree(probe, git_dir, tree, trust_owner)) is not None:
        return confirmed
    if tree is None or probe.run("rev-parse", "--is-bare-repository", ok_codes=(0, 128)).strip() == b"true":
        found = Found(git_dir, True)
    else:
        found = Found(tree, False)
    trusted = (f"safe.directory={found.root.resolve()}",) if trust_owner else ()
    return found, probe.derived(found.root, trusted)


def _worktree(probe: Git, git_dir: Path, tree: Path, trust_owner: bool) -> tuple[Found, Git] | None:
    """The common layout answered by inspect's own rev-parse, run in `tree`, instead of asking the
    git dir about bareness first (one git process a history run, not two): `tree/.git` is the
    git dir itself, core.bare is set, and no variable points git elsewhere (gitcmd.LOCATING:
    with one set, git in `tree` and in the git dir could read different repositories). git
    found from `tree` then reads the same core.bare as from the git dir, so "not bare, this git
    dir" is the answer the probe would give. Without core.bare git guesses, and its guess
    differs between the two places (bare from the git dir, tests/sources/test_discover_worktree.py).
    Anything else (a `.git` file, a refusal, another answer): None, and the probe asks as before."""
    from keylatch.errors import KeylatchError
    from keylatch.sources.gitcmd import LOCATING
    from keylatch.sources.repo import inspect

    if any(os.environ.get(name) for name in LOCATING):
        return None
    if not any(name.lower() == "core.bare" for name in probe.config_names()):
        return None
    dot = tree / ".git"
    if not dot.is_dir() or os.path.realpath(dot) != os.path.realpath(git_dir):
        return None
    git = probe.derived(tree, (f"safe.directory={tree.resolve()}",) if trust_owner else ())
    try:
        state = inspect(tree, trust_owner, git=git)
    except KeylatchError:
        return None
    if state.bare or os.path.realpath(state.git_dir) != os.path.realpath(git_dir):
        return None
    return Found(tree, False, state), git


def branch_ref(git: Git, name: str) -> str:
    """The full ref of branch `name` (local first, then remote-tracking); UsageError if none."""
    for ref in (f"refs/heads/{name}", f"refs/remotes/{name}", name):
        if git.returncode("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}") == 0:
            return ref
    from keylatch.sources.revs import content_hint, non_commit

    kind = non_commit(git, name)  # `git tag keys <blob>`: no branch, but content to scan
    if kind is not None:
        raise UsageError(f"--branch: {name!r} names {kind}, not a branch; {content_hint(name)}")
    raise UsageError(f"no such branch: {name}")
