"""An https git host on 127.0.0.1 that asks every client for credentials and writes down what it
was offered: the witness for "a host token only ever goes to its own host" (tests/org/test_tokens.py).

Every request gets 401 with `WWW-Authenticate: Basic`, as a private repository on GitHub or GitLab
answers; git then asks its credential helpers and, if one answers, retries with the token in an
`Authorization: Basic` header. The certificate is self-signed for 127.0.0.1; git trusts it through
GIT_SSL_CAINFO (in `env`), so nothing else about TLS is relaxed.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.helpers.localserver import running, self_signed


@dataclass
class TlsGitHost:
    url: str  # https://127.0.0.1:<port>
    env: dict[str, str]  # what a git client needs to trust the certificate
    offered: list[str] = field(default_factory=list)  # each Authorization header, decoded
    requests: int = 0


@contextmanager
def serve_tls_git(tmp: Path) -> Iterator[TlsGitHost]:
    ctx, cert = self_signed(tmp)
    host = TlsGitHost("", {"GIT_SSL_CAINFO": str(cert)})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            host.requests += 1
            given = self.headers.get("Authorization", "")
            if given:
                scheme, _, value = given.partition(" ")
                host.offered.append(base64.b64decode(value).decode() if scheme == "Basic" else given)
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="private"')
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    with running(server) as port:
        host.url = f"https://127.0.0.1:{port}"
        yield host
