"""From a source (GitHub owner, GitLab group, list file) to the sorted plan.

Listing, then filters, then one `git ls-remote` per repository for its default branch and head
(a few at a time): git answers with the same credentials a clone will use, costs no API quota,
and works for a list of plain URLs alike. A repository whose head cannot be read is still
planned (head ""), so `org scan` records why it fails instead of the plan dropping it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from keylatch.errors import ScanError, UsageError
from keylatch.org import github, gitlab
from keylatch.org.api import Api, check_api_url
from keylatch.org.fetch import Extra, remote_head
from keylatch.org.plan import Filters, Listed, PlannedRepo, ordered
from keylatch.org.tokens import owner
from keylatch.report.untrusted import redact

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Source:
    kind: str  # "github", "gitlab" or "repos"
    name: str  # owner or group
    list_file: Path | None = None
    api_url: str | None = None
    max_wait: float = 900.0


def api_url(source: Source, env: Mapping[str, str]) -> str:
    host = github if source.kind == "github" else gitlab
    default = env.get("GITHUB_API_URL") if source.kind == "github" else env.get("CI_API_V4_URL")
    return check_api_url(source.api_url or default or host.DEFAULT_URL, "--api-url")


def listed(source: Source, env: Mapping[str, str]) -> Iterable[Listed]:
    if source.kind == "repos":
        from keylatch.org.listfile import read_list

        assert source.list_file is not None
        return list(read_list(source.list_file))
    host = github if source.kind == "github" else gitlab
    url = api_url(source, env)
    token = env.get(host.TOKEN_ENV, "")
    name = "GitHub" if source.kind == "github" else "GitLab"
    api = Api(name, url, host.auth_header(token), host.TOKEN_ENV, max_wait=source.max_wait)
    return list(host.list_repositories(api, source.name))


def make_plan(source: Source, filters: Filters, env: Mapping[str, str], jobs: int = 8) -> tuple[PlannedRepo, ...]:
    if source.max_wait < 0:
        raise UsageError("--max-wait cannot be negative")
    listing = list(listed(source, env))
    _check_plannable(source, listing, filters)
    kept = [r for r in listing if filters.keep(r)]
    # The API host the user named is one the token may go to (GitHub Enterprise, self-hosted
    # GitLab); a clone URL the API lists on any other host gets no token (tokens.py).
    extra: Extra = {source.kind: (api_url(source, env),)} if source.kind != "repos" else {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return ordered(pool.map(lambda r: _planned(r, env, extra), kept))


def _check_plannable(source: Source, listing: Iterable[Listed], filters: Filters) -> None:
    """Every entry the filters keep has a name and a clone URL, or the plan fails naming those
    without: they were left out silently, and "everything listed is scanned or exit 3" broke.
    An unnamed entry counts whatever the filters say (a glob cannot judge a missing name)."""
    bad = [r for r in listing if not (r.repository and r.clone_url) and (not r.repository or filters.keep(r))]
    if bad:
        host = "GitHub" if source.kind == "github" else "GitLab"
        named = ", ".join(repr(r.repository or r.clone_url or "(no name, no URL)") for r in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ScanError(
            f"{host} API listed {len(bad)} repositories without a name or a clone URL, which cannot be "
            f"planned or scanned: {named}{more}; nothing was planned"
        )


def _planned(repo: Listed, env: Mapping[str, str], extra: Extra) -> PlannedRepo:
    try:
        branch, head = remote_head(repo.clone_url, extra)
    except ScanError as exc:
        log.warning("%s: cannot read its head (the scan will retry): %s", repo.repository, exc)
        branch = head = ""
    # `auth` is a note for people; org scan decides again from the URL (tokens.py).
    https = repo.clone_url.lower().startswith("https://")
    auth = owner(repo.clone_url, env, extra) if https else repo.auth
    # The name is only shown and named after (result files, kept mirrors, reports), never cloned
    # from: a key in it is redacted here, once, so the plan and all that follows hold none.
    name = redact(repo.repository)
    return PlannedRepo(name, repo.clone_url, repo.default_branch or branch, head, repo.size, auth)
