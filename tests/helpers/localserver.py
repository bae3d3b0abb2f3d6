"""Local servers for network tests: a certificate for 127.0.0.1 that no CA signed, and an HTTP
server run on a thread for the length of a `with` block. No test reaches the internet."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path


def self_signed(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 with a fresh self-signed certificate, and the certificate's
    path (what a client must be told to trust)."""
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx, cert


@contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[int]:
    """`server` answering on a daemon thread until the block ends; yields its port."""
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def listening(serve: Callable[[socket.socket], None] | None) -> Iterator[int]:
    """A TCP server on 127.0.0.1: `serve` gets each accepted connection; None never accepts."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    conns: list[socket.socket] = []

    def loop() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conns.append(conn)
            if serve is not None:
                threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True) if serve is not None else None
    if thread is not None:
        thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        if thread is not None:
            thread.join()
        for c in conns:
            c.close()
        server.close()


def tls_handshake(ctx: ssl.SSLContext) -> Callable[[socket.socket], None]:
    """A `listening` server's answer: the TLS handshake with `ctx`, then a hang-up without an
    answer (a client that refuses the certificate ends it sooner)."""

    def serve(conn: socket.socket) -> None:
        try:
            with ctx.wrap_socket(conn, server_side=True) as tls:
                tls.settimeout(2)
                tls.recv(1024)
        except (OSError, ssl.SSLError):
            pass

    return serve
