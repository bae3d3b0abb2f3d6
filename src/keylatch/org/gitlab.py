"""GitLab: every project of a group and of all its subgroups.

REST v4 (docs.gitlab.com "List a group's projects": `include_subgroups=true`, 100 per page,
`Link` pagination). The token, if any, is `$GITLAB_TOKEN`, sent as `PRIVATE-TOKEN`.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from keylatch.errors import ScanError, UsageError
from keylatch.org.api import Api, NotFound
from keylatch.org.plan import Listed, size, text

DEFAULT_URL = "https://gitlab.com/api/v4"
TOKEN_ENV = "GITLAB_TOKEN"


def auth_header(token: str) -> dict[str, str]:
    return {"PRIVATE-TOKEN": token} if token else {}


def list_repositories(api: Api, group: str) -> Iterator[Listed]:
    path = (
        f"/groups/{quote(group, safe='')}/projects"
        "?include_subgroups=true&per_page=100&order_by=id&sort=asc&statistics=true"
    )
    try:
        for page in api.pages(path):
            yield from _projects(page)
    except NotFound:
        raise UsageError(f"no GitLab group named {group!r} (or ${TOKEN_ENV} cannot see it)") from None


def _projects(page: object) -> Iterator[Listed]:
    if not isinstance(page, list):
        raise ScanError("GitLab API: a project list page is not a list")
    for item in page:
        if not isinstance(item, dict):
            raise ScanError("GitLab API: a project entry is not an object")
        stats = item.get("statistics")
        # Only a JSON true (a fork: an object) leaves a project out, as in github.py.
        yield Listed(
            repository=text(item, "path_with_namespace"),
            clone_url=text(item, "http_url_to_repo"),
            default_branch=text(item, "default_branch"),
            size=size(stats.get("repository_size")) // 1024 if isinstance(stats, dict) else 0,
            archived=item.get("archived") is True,
            fork=isinstance(item.get("forked_from_project"), dict),
            auth="gitlab",
        )
