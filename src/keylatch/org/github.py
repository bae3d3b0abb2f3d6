"""GitHub: every repository of an organisation, or of a user when no organisation has the name.

REST v3 (docs.github.com "List organization repositories", "List repositories for a user"):
100 per page, `Link` pagination. The token, if any, is `$GITHUB_TOKEN`, sent as a Bearer header.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from keylatch.errors import ScanError, UsageError
from keylatch.org.api import Api, NotFound
from keylatch.org.plan import Listed, size, text

DEFAULT_URL = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def list_repositories(api: Api, owner: str) -> Iterator[Listed]:
    name = quote(owner, safe="")
    for path in (f"/orgs/{name}/repos?per_page=100&type=all", f"/users/{name}/repos?per_page=100&type=owner"):
        try:
            for page in api.pages(path):
                yield from _repos(page)
            return
        except NotFound:
            continue
    raise UsageError(f"no GitHub organisation or user named {owner!r} (or ${TOKEN_ENV} cannot see it)")


def _repos(page: object) -> Iterator[Listed]:
    if not isinstance(page, list):
        raise ScanError("GitHub API: a repository list page is not a list")
    for item in page:
        if not isinstance(item, dict):
            raise ScanError("GitHub API: a repository entry is not an object")
        # Only a JSON true leaves a repository out: `"archived": "false"` was truthy, and a hostile
        # or odd answer would drop a repository from the plan silently.
        yield Listed(
            repository=text(item, "full_name"),
            clone_url=text(item, "clone_url"),
            default_branch=text(item, "default_branch"),
            size=size(item.get("size")),
            archived=item.get("archived") is True,
            fork=item.get("fork") is True,
            auth="github",
        )
