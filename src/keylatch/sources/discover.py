"""Repository discovery and ref lookup with GitPython, hardened like every other git call.

Only `keylatch history` imports this module (GitPython costs ~110 ms to import; the hook path
never pays it). GitPython's git calls get the same -c overrides and environment (with the repository's own
driver names neutralised) as sources/gitcmd.py, so a hostile repository's hooks, fsmonitor or
drivers never run. GitPython reads config files itself in Python; that runs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from keylatch.errors import UsageError
from keylatch.sources.gitcmd import HARDENING, Git, hardened_env

if TYPE_CHECKING:
    import git


@dataclass(frozen=True, slots=True)
class Found:
    root: Path  # the working tree, or the git dir of a bare repository
    bare: bool


def _hardened(repo: git.Repo) -> git.Repo:
    configs = [HARDENING[i + 1] for i, a in enumerate(HARDENING) if a == "-c"]
    repo.git.set_persistent_git_options(c=configs, no_replace_objects=True)
    # GitPython runs git in the working tree (or the git dir of a bare repository): list the
    # program settings of the repository git will see there.
    repo.git.update_environment(**hardened_env(repo=Path(repo.working_dir)))
    return repo


def open_repo(path: Path) -> git.Repo:
    import git

    from keylatch.sources import includes

    includes.check(str(path))  # GitPython follows config includes too, in Python: a FIFO would hang it
    try:
        return _hardened(git.Repo(path, search_parent_directories=True))
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise UsageError(f"not a git repository: {path}") from exc


def _bare_to_git(git_dir: Path) -> bool:
    """GitPython reads core.bare from the config file; without one it takes a bare repository's
    parent for its working tree. git decides from the layout. (If git refuses, e.g. another
    user's repository, GitPython's answer stands and the scan reports the refusal.)"""
    return Git(git_dir).run("rev-parse", "--is-bare-repository", ok_codes=(0, 128)).strip() == b"true"


def discover(path: Path) -> Found:
    repo = open_repo(path)
    try:
        if repo.bare or _bare_to_git(Path(repo.git_dir)):
            return Found(Path(repo.git_dir), True)
        return Found(Path(str(repo.working_tree_dir)), False)
    finally:
        repo.close()


def branch_ref(path: Path, name: str) -> str:
    """The full ref of branch `name` (local first, then remote-tracking); UsageError if none."""
    import git

    repo = open_repo(path)
    try:
        for ref in (f"refs/heads/{name}", f"refs/remotes/{name}", name):
            try:
                repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
            except git.GitCommandError:
                continue
            return ref
    finally:
        repo.close()
    raise UsageError(f"no such branch: {name}")
