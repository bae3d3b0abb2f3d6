"""A repository given as a URL is cloned as a mirror into a temporary directory, then removed.

The clone goes through the hardened runner like every git call: no hooks, no templates from
the system (an empty --template), no credential prompts (GIT_TERMINAL_PROMPT=0). It is the one
git call that may use the network: it re-allows the transports a URL of ours can name (never
`ext::`), and runs in the new empty directory, so no repository's config is in play.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from keylatch.errors import ScanError
from keylatch.sources.gitcmd import Git

# Given after the hardening's protocol.*.allow=never, so they win; `ext` stays refused.
ALLOW: tuple[str, ...] = tuple(f"protocol.{p}.allow=always" for p in ("file", "git", "ssh", "http", "https"))

_URL = re.compile(r"^(?:https?|ssh|git|file)://", re.IGNORECASE)


def is_url(target: str) -> bool:
    return bool(_URL.match(target))


@contextmanager
def mirror(url: str) -> Iterator[Path]:
    """Yield the path of a bare mirror of `url`; the directory is removed afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="keylatch-clone-"))
    try:
        dest = tmp / "repo.git"
        try:
            Git(tmp, config=ALLOW).run("clone", "--mirror", "--quiet", "--template=", "--", url, str(dest))
        except ScanError as exc:
            raise ScanError(f"cannot clone {url}: {str(exc).removeprefix('git clone: ')}") from exc
        yield dest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
