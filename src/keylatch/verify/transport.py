"""One request, with keylatch's rules for where a key may go.

- HTTPS only, with certificate checks; plain http only to a loopback host (test servers).
- Redirects are refused: a 3xx is an answer, and the key is never re-sent to its Location.
- Proxies: the standard `HTTPS_PROXY` / `https_proxy` and `NO_PROXY` variables apply, as in
  curl (urllib reads them); through a proxy the request is a CONNECT tunnel, so the proxy sees
  the host name but not the key. Loopback URLs never go through a proxy.
- The timeout bounds the whole request, from connecting to the last byte of the answer, not
  only each read: a server (or proxy) that sends a byte now and then would otherwise hold the
  scan for hours. When it runs out the connection is cut and the verdict is unknown ("timed out").
  The body read is capped.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import ipaddress
import os
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from urllib.parse import urlsplit

from keylatch.errors import UsageError
from keylatch.verify.classify import Answer

USER_AGENT = "keylatch-verify"
_MAX_BODY = 1 << 16


class Unreachable(Exception):
    """No HTTP answer; `args[0]` says why in a few words (never the key)."""


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, option: str = "--verify-url") -> str:
    """`url` if keys may be sent there (https, or http to loopback); else a UsageError."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url.rstrip("/")
    if parts.scheme == "http" and is_loopback(host):
        return url.rstrip("/")
    raise UsageError(f"{option} must be an https:// URL (plain http only to a loopback address): {url}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class _Deadline:
    """Cuts every connection of one request when the request as a whole outlasts `seconds`.

    urllib's timeout is per socket operation; shutting the socket down from a timer is what
    wakes a read that keeps being fed one byte at a time (tests/verify/test_transport.py)."""

    def __init__(self, seconds: float) -> None:
        self.expired = threading.Event()
        self._conns: list[http.client.HTTPConnection] = []
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def watch(self, conn: http.client.HTTPConnection) -> None:
        """Before `conn` connects: its socket is cut while it connects (a proxy's CONNECT, the
        TLS handshake)."""
        with self._lock:
            self._conns.append(conn)
        if self.expired.is_set():
            self._cut()

    def hold(self, sock: socket.socket | None) -> None:
        """Once connected: the response keeps reading `sock` after urllib closes `conn`."""
        if sock is not None:
            with self._lock:
                self._socks.append(sock)
        if self.expired.is_set():
            self._cut()

    def _cut(self) -> None:
        self.expired.set()
        with self._lock:
            socks = [*self._socks, *(c.sock for c in self._conns if c.sock is not None)]
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@functools.lru_cache(maxsize=4)
def _tls(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    """The client context for `cafile` / `capath` (SSL_CERT_FILE / SSL_CERT_DIR, which OpenSSL
    reads when the CA store loads). Building one loads the whole CA store (~20 ms), so a run that
    verifies many keys builds it once: cached by those two variables, the only inputs it reads,
    and never changed after it is built (no option, no certificate is added to it later), so the
    cache holds a constant, not state that one request could leave for the next."""
    return ssl.create_default_context()


def _opener(url: str, deadline: _Deadline) -> urllib.request.OpenerDirector:
    parts = urlsplit(url)
    host = parts.hostname or ""
    # {} disables proxies; None lets urllib read HTTPS_PROXY / NO_PROXY from the environment.
    proxies: dict[str, str] | None = {} if is_loopback(host) else None
    # Only an https URL loads the CA store: plain http goes only to loopback (check_base_url) and
    # redirects are refused, so no https connection follows it (were one made, http.client would
    # build a verifying default context of its own).
    context = _tls(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")) if parts.scheme == "https" else None

    # Connections that the deadline can cut, from their first byte (a proxy's CONNECT, the TLS
    # handshake) to the answer's last.
    class Plain(http.client.HTTPConnection):
        def connect(self) -> None:
            deadline.watch(self)
            super().connect()
            deadline.hold(self.sock)

    class Secure(http.client.HTTPSConnection):
        def connect(self) -> None:
            deadline.watch(self)
            super().connect()
            deadline.hold(self.sock)

    class PlainHandler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Plain, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Secure, req, context=context)

    return urllib.request.build_opener(
        _NoRedirect, urllib.request.ProxyHandler(proxies), PlainHandler(), SecureHandler(context=context)
    )


def get(url: str, headers: Mapping[str, str], timeout: float, method: str = "GET", max_body: int = _MAX_BODY) -> Answer:
    """One request (GET unless `method` says, e.g. DELETE for `keylatch revoke`). Any HTTP status
    is an Answer; no answer at all raises Unreachable. At most `max_body` bytes of the body are
    kept (64 KiB: a verdict needs only the error's code; the Admin API's pages need more)."""
    check_base_url(url)  # the last guard: nothing reaches the network that the policy refuses
    request = urllib.request.Request(url, headers={**headers, "User-Agent": USER_AGENT}, method=method)
    with _Deadline(timeout) as deadline:
        try:
            answer = _ask(_opener(url, deadline), request, timeout, max_body)
        except Unreachable:
            if deadline.expired.is_set():
                raise Unreachable("timed out") from None
            raise
        if deadline.expired.is_set():  # cut short: whatever arrived is not the answer
            raise Unreachable("timed out")
        return answer


def _ask(
    opener: urllib.request.OpenerDirector, request: urllib.request.Request, timeout: float, max_body: int
) -> Answer:
    try:
        with opener.open(request, timeout=timeout) as response:
            return Answer(response.status, response.read(max_body), _lower(response.headers))
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(max_body)
        except (OSError, http.client.HTTPException):
            body = b""
        return Answer(exc.code, body, _lower(exc.headers))
    except urllib.error.URLError as exc:
        raise Unreachable(_why(exc.reason)) from None
    except (OSError, http.client.HTTPException) as exc:
        raise Unreachable(_why(exc)) from None


def _lower(headers: object) -> dict[str, str]:
    items = getattr(headers, "items", None)
    return {str(k).lower(): str(v) for k, v in items()} if callable(items) else {}


def _why(reason: object) -> str:
    if isinstance(reason, socket.gaierror):
        return "DNS lookup failed"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return "TLS certificate not trusted"
    if isinstance(reason, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, ConnectionError):
        return "connection lost"
    if isinstance(reason, http.client.HTTPException):
        return f"bad HTTP answer ({type(reason).__name__})"
    return f"no answer ({type(reason).__name__})"
