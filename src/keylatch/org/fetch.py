"""Getting a repository of the plan onto disk: `ls-remote` for its head, a bare mirror clone (or
a fetch into a kept mirror), all through the hardened runner (sources/gitcmd.py, clone.py).

Credentials come from the environment only. A clone of an https URL on a GitHub / GitLab host
(tokens.py decides which, from the URL and the environment, never from the plan) gets one
credential helper, scoped to that URL's origin and given with `-c` (after the hardening's
`credential.helper=`, so it is the only helper): a shell function that prints the *name*
`$GITHUB_TOKEN` / `$GITLAB_TOKEN` expands in git's own environment. The token is never in argv
(visible in `ps`), in a URL, in the clone's config or in the plan (tests/org/test_secrets.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from keylatch.errors import ScanError
from keylatch.org import tokens
from keylatch.org.plan import PlannedRepo
from keylatch.sources.clone import ALLOW, check_local_source
from keylatch.sources.gitcmd import Git

TOKENS = {"github": ("GITHUB_TOKEN", "x-access-token"), "gitlab": ("GITLAB_TOKEN", "oauth2")}


Extra = Mapping[str, Sequence[str]]  # kind -> API URLs the user named on the command line


def credentials(url: str, extra: Extra | None = None) -> tuple[str, ...]:
    """The `-c` settings that let git authenticate to `url` with its own host's token, or ()."""
    env, user = TOKENS.get(tokens.owner(url, os.environ, extra), ("", ""))
    if not env or not os.environ.get(env):
        return ()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number: tokens.owner found no host either
        return ()
    # hostname[:port], never the URL's user part: the helper answers for this origin alone.
    origin = f"https://{parts.hostname}" + (f":{port}" if port else "")
    helper = f'!f() {{ test "$1" = get || exit 0; echo username={user}; echo "password=${env}"; }}; f'
    return (f"credential.{origin}.helper={helper}",)


def remote_head(url: str, extra: Extra | None = None) -> tuple[str, str]:
    """(default branch, its commit) of the repository at `url`; ("", "") when it is empty."""
    check_local_source(url)
    with _scratch() as tmp:
        git = Git(tmp, config=ALLOW + credentials(url, extra))
        out = git.run("ls-remote", "--symref", "--", url, "HEAD").decode("utf-8", "replace")
    branch = head = ""
    for line in out.splitlines():
        left, _, name = line.partition("\t")
        if name != "HEAD":
            continue
        if left.startswith("ref: refs/heads/"):
            branch = left.removeprefix("ref: refs/heads/")
        elif len(left) in (40, 64):
            head = left
    return branch, head


@contextmanager
def mirror(repo: PlannedRepo, keep: Path | None) -> Iterator[Path]:
    """A bare mirror of `repo`: cloned into a temporary directory and removed afterwards, or,
    with `keep`, cloned once into `keep` and fetched (pruned) on later runs."""
    config = ALLOW + credentials(repo.clone_url)  # the URL's own host decides, not repo.auth
    check_local_source(repo.clone_url)  # a local source's FIFO would hang clone and fetch alike
    if keep is not None:
        dest = kept_mirror(keep, repo.repository)
        if (dest / "HEAD").is_file():
            # From the plan's URL, not the one the mirror was cloned from: a renamed repository moves.
            _run(Git(dest, config=config), repo, "fetch", "--prune", "--quiet", "--", repo.clone_url, "+refs/*:refs/*")
        else:
            _clone(config, repo, dest)
        yield dest
        return
    with _scratch() as tmp:
        dest = tmp / "repo.git"
        _clone(config, repo, dest)
        yield dest


def kept_mirror(keep: Path, repository: str) -> Path:
    """Where `--keep-clones DIR` keeps `repository`'s mirror: absolute, since git runs in the
    mirror's parent (a relative DIR failed every clone), and with the digest that keeps names
    apart that slug() maps alike (GitLab's `g/a__b` and `g/a/b`), which shared one mirror:
    with --jobs they fetched into it at once (as results.file_name does for result files)."""
    digest = hashlib.sha256(repository.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return keep.absolute() / f"{slug(repository)}-{digest}.git"


def slug(name: str) -> str:
    """A file name for a repository name (`group/sub/repo` -> `group__sub__repo`).

    The name is the host's (or the list file's) text: a key in it is redacted first, as in every
    other place keylatch writes, so no result file or kept mirror is named by a whole key."""
    from keylatch.report.untrusted import redact

    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in redact(name).replace("/", "__"))
    return safe.lstrip(".")[:150] or "repository"


def _clone(config: tuple[str, ...], repo: PlannedRepo, dest: Path) -> None:
    partial = dest.with_name(dest.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    _run(Git(partial.parent, config=config), repo, "clone", "--mirror", "--quiet", "--template=", "--",
         repo.clone_url, str(partial))  # fmt: skip
    os.replace(partial, dest)  # a kept mirror is whole or absent, even after a kill


def _run(git: Git, repo: PlannedRepo, *args: str) -> None:
    try:
        git.run(*args)
    except ScanError as exc:
        raise ScanError(f"cannot {args[0]} {repo.clone_url}: {str(exc).split(': ', 1)[-1]}") from exc


@contextmanager
def _scratch() -> Iterator[Path]:
    tmp = Path(tempfile.mkdtemp(prefix="keylatch-org-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
