"""Run code as a hook does: in a repository's work tree, with its hermetic environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from keylatch.sources.gitcmd import Git
from tests.helpers.gitrepo import GitRepo


@contextmanager
def inside(repo: GitRepo) -> Iterator[Git]:
    """Run as a hook does: in the work tree, with the repository's (hermetic) environment."""
    old_cwd, old_env = os.getcwd(), dict(os.environ)
    os.chdir(repo.path)
    os.environ.clear()
    os.environ.update(repo.env)
    try:
        yield Git(None)
    finally:
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)
