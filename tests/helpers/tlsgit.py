"""An https git host on 127.0.0.1 that asks every client for credentials and writes down what it
was offered: the witness for "a host token only ever goes to its own host" (tests/org/test_tokens.py).

Every request gets 401 with `WWW-Authenticate: Basic`, as a private repository on GitHub or GitLab
answers; git then asks its credential helpers and, if one answers, retries with the token in an
`Authorization: Basic` header. The certificate is self-signed for 127.0.0.1; git trusts it through
GIT_SSL_CAINFO (in `env`), so nothing else about TLS is relaxed.
"""

from __future__ import annotations

import base64
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class TlsGitHost:
    url: str  # https://127.0.0.1:<port>
    env: dict[str, str]  # what a git client needs to trust the certificate
    offered: list[str] = field(default_factory=list)  # each Authorization header, decoded
    requests: int = 0


@contextmanager
def serve_tls_git(tmp: Path) -> Iterator[TlsGitHost]:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    host = TlsGitHost("", {"GIT_SSL_CAINFO": str(tmp / "cert.pem")})

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
    server.daemon_threads = True
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    host.url = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()
