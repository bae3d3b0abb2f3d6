"""A local stand-in for the OpenAI API, its Admin API and an Azure OpenAI endpoint.

A real `http.server` on 127.0.0.1 in a thread. It records every request (method, path,
headers) and answers with the bodies and headers the real services send, so keylatch is tested
against the wire format and not against its own assumptions. Sources of the bodies:

- 401 invalid_api_key, 401 no_organization, 429 insufficient_quota, 403 unsupported region:
  copied from answers quoted in public issue threads (openai-python users, OpenHands #2562,
  home-assistant #120072, chatanywhere #229); the key in "Incorrect API key provided" is masked
  the way the API masks it.
- 401 "Missing scopes": OpenAI community threads quoting the API (restricted and admin keys).
- 401 "IP not authorized": the wording of platform.openai.com/docs/guides/error-codes; the
  error code of that answer is not documented, so it is null here and keylatch must not need it.
- Azure 401: the body Azure OpenAI returns (microsoft/semantic-kernel #10337, BotSharp #386).
- Admin API lists and deletes: the shapes of the API reference (list: object, data, first_id,
  last_id, has_more; cursor `after`; delete: {object: "...deleted", id, deleted: true}).

Behaviour per key is set with `answer(key, scenario)`; unknown keys get 401 invalid_api_key.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

ORG = "org-EmulatedOrg000000000000"
PROJECT = "proj_Emulated00000000000000"

_SCOPES = (
    "You have insufficient permissions for this operation. Missing scopes: api.model.read. Check that you "
    "have the correct role in your organization (Reader, Writer, Owner) and project (Viewer, Member, Owner), "
    "and if you're using a restricted API key, that it has the necessary scopes."
)
_NO_ORG = (
    "You must be a member of an organization to use the API. Please contact us through our help center at "
    "help.openai.com."
)
_QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more information on "
    "this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
)
_AZURE_401 = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)


def _err(message: str, kind: str, code: str | None) -> dict[str, object]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def masked(key: str) -> str:
    """How the API shows a key in "Incorrect API key provided": head, stars, last four."""
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names

    @property
    def key(self) -> str:
        auth = self.headers.get("authorization", "")
        return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else self.headers.get("api-key", "")


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def scenario(name: str, key: str = "", **kw: str) -> Reply:
    """A canned answer, as the real service gives it."""
    ids = {"openai-organization": ORG, "openai-project": PROJECT, "x-request-id": "req_emulated"}
    models = {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "created": 1721172741,
                                          "owned_by": "system"}]}  # fmt: skip
    if name == "live":
        return Reply(200, models, ids)
    if name == "admin-live":
        return Reply(200, {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}, ids)
    if name == "revoked":
        message = (
            f"Incorrect API key provided: {masked(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
        )
        return Reply(401, _err(message, "invalid_request_error", "invalid_api_key"))
    if name == "restricted":
        return Reply(int(kw.get("status", "401")), _err(_SCOPES, "invalid_request_error", None), ids)
    if name == "restricted-admin":  # admin endpoints have answered with a bare string
        return Reply(401, {"error": _SCOPES.replace("api.model.read", "api.management.read")})
    if name == "ip":
        return Reply(401, _err("IP not authorized", "invalid_request_error", None))
    if name == "no-org":
        return Reply(401, _err(_NO_ORG, "invalid_request_error", "no_organization"))
    if name == "no-credit":
        return Reply(429, _err(_QUOTA, "insufficient_quota", "insufficient_quota"), ids)
    if name == "rate-limited":
        message = "Rate limit reached for requests. Please try again later."
        return Reply(429, _err(message, "requests", "rate_limit_exceeded"), dict(kw))
    if name == "region":
        body = {"error": {"code": "unsupported_country_region_territory",
                          "message": "Country, region, or territory not supported", "param": None,
                          "type": "request_forbidden"}}  # fmt: skip
        return Reply(403, body)
    if name == "server-error":
        message = "The server had an error while processing your request. Sorry about that!"
        return Reply(int(kw.get("status", "500")), _err(message, "server_error", None))
    if name == "redirect":
        return Reply(302, None, {"Location": kw["location"]})
    if name == "slow":
        return Reply(200, models, ids, delay=float(kw.get("delay", "3")))
    if name == "azure-live":
        return Reply(200, {"data": [{"id": "gpt-4o", "object": "model", "status": "succeeded"}], "object": "list"},
                     {"apim-request-id": "emulated"})  # fmt: skip
    if name == "azure-denied":
        return Reply(401, {"error": {"code": "401", "message": _AZURE_401}}, {"apim-request-id": "emulated"})
    raise ValueError(f"no scenario {name}")


def redact(key: str, style: str = "prefix") -> str:
    """A `redacted_value` as the Admin API might show it. The reference's example is
    "sk-abc...def"; the dashboard shows the prefix and the last four. Tests try each style."""
    kind = key[: key.index("-", 3) + 1] if key.count("-") >= 2 else "sk-"
    if style == "prefix":
        return f"{kind}...{key[-4:]}"
    if style == "head":
        return f"{key[:6]}...{key[-4:]}"
    if style == "stars":
        return f"{key[:10]}{'*' * 20}{key[-4:]}"
    raise ValueError(style)


def user(name: str, email: str) -> dict[str, object]:
    who = {"object": "organization.project.user", "id": f"user_{name.lower()}", "name": name, "email": email,
           "role": "owner", "added_at": 1704067200}  # fmt: skip
    return {"type": "user", "user": who}


def service_account(name: str) -> dict[str, object]:
    return {"type": "service_account", "service_account": {"object": "organization.project.service_account",
            "id": f"svc_acct_{name}", "name": name, "role": "member", "created_at": 1704067200}}  # fmt: skip


def api_key(id: str, key: str, created_at: int, *, name: str = "", owner: dict[str, object] | None = None,
            style: str = "prefix", admin: bool = False) -> dict[str, object]:  # fmt: skip
    """A listed key. Only its redacted form is derived from `key`: the value is never listed."""
    return {
        "object": "organization.admin_api_key" if admin else "organization.project.api_key",
        "id": id,
        "name": name or id,
        "redacted_value": redact(key, style),
        "created_at": created_at,
        "last_used_at": created_at + 3600,
        "owner": owner or user("Alice", "alice@example.test"),
    }


@dataclass
class Org:
    """The organisation the Admin API shows to `admin_key`."""

    admin_key: str
    projects: list[dict[str, object]] = field(default_factory=list)
    keys: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # project id -> keys
    admin_keys: list[dict[str, object]] = field(default_factory=list)
    page_size: int = 2  # the server's own page limit: small, so pagination is exercised
    deleted: list[str] = field(default_factory=list)

    def project(self, pid: str, name: str, *keys: dict[str, object]) -> None:
        self.projects.append({"object": "organization.project", "id": pid, "name": name,
                              "created_at": 1704067200, "archived_at": None, "status": "active"})  # fmt: skip
        self.keys[pid] = list(keys)


class Emulator:
    """Start with `with emulator() as api:`; `api.url` is its base URL."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._answers: dict[str, list[Reply]] = {}
        self.org: Org | None = None
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, key: str, *replies: Reply | str) -> None:
        """Answer requests made with `key` with these replies in turn (the last one repeats)."""
        self._answers[key] = [scenario(r, key) if isinstance(r, str) else r for r in replies]

    def seen(self, key: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if key is None or r.key == key]

    def _reply(self, req: Request) -> Reply:
        with self._lock:
            self.requests.append(req)
            if self.org is not None and urlsplit(req.path).path.startswith("/v1/organization/"):
                return self._admin(req, self.org)
            queue = self._answers.get(req.key)
            if not queue:
                return scenario("revoked", req.key)
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _admin(self, req: Request, org: Org) -> Reply:
        if req.key != org.admin_key:
            return scenario("revoked", req.key)
        parts = urlsplit(req.path)
        path = parts.path.removeprefix("/v1/organization/").split("/")
        query = parse_qs(parts.query)
        if req.method == "GET" and path == ["projects"]:
            return _page(org.projects, query, org.page_size)
        if req.method == "GET" and len(path) == 3 and path[0] == "projects" and path[2] == "api_keys":
            if path[1] not in org.keys:
                return Reply(404, _err(f"No such project: {path[1]}", "invalid_request_error", None))
            return _page(org.keys[path[1]], query, org.page_size)
        if req.method == "GET" and path == ["admin_api_keys"]:
            return _page(org.admin_keys, query, org.page_size)
        if req.method == "DELETE":
            if len(path) == 4 and path[0] == "projects" and path[2] == "api_keys":
                pool, kind = org.keys.get(path[1], []), "organization.project.api_key.deleted"
            elif len(path) == 2 and path[0] == "admin_api_keys":
                pool, kind = org.admin_keys, "organization.admin_api_key.deleted"
            else:
                pool, kind = [], ""
            for item in pool:
                if item["id"] == path[-1]:
                    pool.remove(item)
                    org.deleted.append(path[-1])
                    return Reply(200, {"object": kind, "id": path[-1], "deleted": True})
            return Reply(404, _err(f"No such API key: {path[-1]}", "invalid_request_error", None))
        return Reply(404, _err("Not found", "invalid_request_error", None))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = emulator._reply(Request(self.command, self.path, headers))
                if reply.delay:
                    time.sleep(reply.delay)
                data = b"" if reply.body is None else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = do_DELETE = do_POST = _serve  # noqa: N815 (http.server API)

            def do_CONNECT(self) -> None:  # noqa: N802
                # Playing an HTTPS proxy: record the tunnel asked for, then refuse it.
                headers = {k.lower(): v for k, v in self.headers.items()}
                with emulator._lock:
                    emulator.requests.append(Request("CONNECT", self.path, headers))
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def query(self, req: Request) -> dict[str, list[str]]:
        return parse_qs(urlsplit(req.path).query)


def _page(items: list[dict[str, object]], query: dict[str, list[str]], page_size: int) -> Reply:
    """One page of a list, cursor `after`, as the Admin API pages."""
    limit = min(int(query.get("limit", ["20"])[0]), page_size)
    after = query.get("after", [""])[0]
    ids = [str(i["id"]) for i in items]
    start = ids.index(after) + 1 if after in ids else 0
    data = items[start : start + limit]
    body = {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None, "has_more": start + limit < len(items)}  # fmt: skip
    return Reply(200, body)


@contextmanager
def emulator() -> Iterator[Emulator]:
    api = Emulator()
    thread = threading.Thread(target=api.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        api.server.shutdown()
        api.server.server_close()
