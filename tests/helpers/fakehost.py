"""Local stand-ins for the GitHub REST API and the GitLab REST API (v4): list endpoints only.

A real `http.server` on 127.0.0.1 in a thread. Answers follow the documented wire format:
GitHub `GET /orgs/{org}/repos`, `GET /users/{user}/repos` (full_name, clone_url, default_branch,
size in KiB, archived, fork); GitLab `GET /api/v4/groups/{id}/projects` with
`include_subgroups` (path_with_namespace, http_url_to_repo, default_branch, archived,
forked_from_project, statistics.repository_size in bytes). Both paginate with a `Link` header
(rel="next"), here with a small page so a few repositories take several pages. Rate limits are
queued answers: GitHub's primary limit (403, x-ratelimit-remaining 0, x-ratelimit-reset) and
secondary limit (403 or 429 with Retry-After), GitLab's 429 with Retry-After / RateLimit-Reset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.helpers.localserver import running


@dataclass(frozen=True)
class HostedRepo:
    name: str  # owner/name (GitHub) or group/sub/name (GitLab)
    clone_url: str
    archived: bool = False
    fork: bool = False
    default_branch: str = "main"
    size_kib: int = 3


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class FakeHost:
    kind: str  # "github" or "gitlab"
    repos: list[HostedRepo] = field(default_factory=list)
    orgs: set[str] = field(default_factory=set)  # GitHub organisations / GitLab groups that exist
    users: set[str] = field(default_factory=set)  # GitHub users
    token: str = ""  # when set, any other token (or none) gets 401
    page_size: int = 2
    limits: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # answered first, in turn
    seen: list[Seen] = field(default_factory=list)
    url: str = ""

    @property
    def api_url(self) -> str:
        return self.url + ("/api/v4" if self.kind == "gitlab" else "")

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], object]:
        self.seen.append(Seen(path, headers))
        if self.limits:
            status, extra = self.limits.pop(0)
            return status, extra, {"message": "API rate limit exceeded"}
        given = headers.get("authorization", "").removeprefix("Bearer ") or headers.get("private-token", "")
        if self.token and given != self.token:
            return 401, {}, {"message": "Bad credentials"}
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        items = self._list(unquote(parts.path), query)
        if items is None:
            return 404, {}, {"message": "Not Found"}
        page = int(query.get("page", ["1"])[0])
        start = (page - 1) * self.page_size
        headers_out = {}
        if start + self.page_size < len(items):
            q = {k: v[0] for k, v in query.items()} | {"page": str(page + 1)}
            nxt = parts.path + "?" + "&".join(f"{k}={v}" for k, v in q.items())
            headers_out["Link"] = f'<{self.url}{nxt}>; rel="next", <{self.url}{parts.path}?page=1>; rel="first"'
        return 200, headers_out, items[start : start + self.page_size]

    def _list(self, path: str, query: dict[str, list[str]]) -> list[dict[str, object]] | None:
        segs = path.strip("/").split("/")
        if self.kind == "github" and len(segs) == 3 and segs[0] in ("orgs", "users") and segs[2] == "repos":
            if segs[1] not in (self.orgs if segs[0] == "orgs" else self.users):
                return None
            return [self._github(r) for r in self.repos if r.name.split("/")[0] == segs[1]]
        if self.kind == "gitlab" and path.startswith("/api/v4/groups/") and path.endswith("/projects"):
            group = path.removeprefix("/api/v4/groups/").removesuffix("/projects")
            if group not in self.orgs:
                return None
            deep = query.get("include_subgroups") == ["true"]
            return [self._gitlab(r) for r in self.repos if _within(r.name, group, deep)]
        return None

    def _github(self, r: HostedRepo) -> dict[str, object]:
        return {"full_name": r.name, "clone_url": r.clone_url, "default_branch": r.default_branch,
                "size": r.size_kib, "archived": r.archived, "fork": r.fork, "private": False}  # fmt: skip

    def _gitlab(self, r: HostedRepo) -> dict[str, object]:
        doc: dict[str, object] = {
            "path_with_namespace": r.name, "http_url_to_repo": r.clone_url, "default_branch": r.default_branch,
            "archived": r.archived, "statistics": {"repository_size": r.size_kib * 1024},
        }  # fmt: skip
        if r.fork:
            doc["forked_from_project"] = {"id": 1}
        return doc


def _within(name: str, group: str, deep: bool) -> bool:
    namespace = name.rsplit("/", 1)[0]
    return namespace == group or (deep and namespace.startswith(group + "/"))


@contextmanager
def serve(host: FakeHost) -> Iterator[FakeHost]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            status, headers, body = host.answer(self.path, {k.lower(): v for k, v in self.headers.items()})
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with running(ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as port:
        host.url = f"http://127.0.0.1:{port}"
        yield host
