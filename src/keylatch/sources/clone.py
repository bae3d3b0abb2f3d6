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


def check_local_source(url: str) -> None:
    """A clone or fetch of a file:// URL, or of a local path, reads the source's git directory
    (its refs, packed-refs, alternates) as a scan would: a FIFO there would hang git, so the
    source is checked as a scanned repository is (sources/gitdir.py; exit 3, one line)."""
    if url[:7].lower() == "file://":
        from urllib.parse import unquote, urlsplit

        path = unquote(urlsplit(url).path)
    elif not _URL.match(url) and (url.startswith(("/", ".")) or Path(url).exists()):
        path = url
    else:
        return
    from keylatch.sources import gitdir

    gitdir.check(path)


@contextmanager
def mirror(url: str) -> Iterator[Path]:
    """Yield the path of a bare mirror of `url`; the directory is removed afterwards."""
    check_local_source(url)
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
