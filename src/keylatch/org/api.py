"""A small JSON-over-HTTPS client for the hosting APIs: pagination, rate limits, no redirects.

Hand-written on urllib rather than PyGithub / python-gitlab (docs/org.md): keylatch needs three
list endpoints, Link-header pagination and one rate-limit rule for both hosts (wait until the
reset the API states, at most `max_wait` seconds, then fail with one line). The libraries retry
or sleep on their own terms, log requests, and would be a dependency for ~150 lines of code.

The token goes only to the API's own origin, in a header, never in a URL; a redirect is refused
(it could carry the header elsewhere). Plain http is allowed only to a loopback host (tests).
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from keylatch.errors import ScanError, UsageError
from keylatch.verify.transport import is_loopback

USER_AGENT = "keylatch-org"
_MAX_BODY = 64 << 20
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
Sleep = Callable[[float], None]


class NotFound(Exception):
    """HTTP 404: the organisation, user or group does not exist (or the token cannot see it)."""


@dataclass(frozen=True, slots=True)
class Api:
    name: str  # "GitHub" / "GitLab", for messages
    base_url: str
    auth: Mapping[str, str] = field(repr=False)  # header -> value; holds the token
    token_env: str  # where the token came from, for messages
    max_wait: float = 900.0  # the longest rate-limit wait before giving up, seconds
    timeout: float = 30.0
    sleep: Sleep = time.sleep
    clock: Callable[[], float] = time.time

    def pages(self, path: str) -> Iterator[object]:
        """Every page of a list endpoint, following `Link: <...>; rel="next"` (both hosts send it)."""
        url: str | None = self.base_url + path
        while url is not None:
            body, headers = self.get(url)
            yield body
            match = _NEXT.search(headers.get("link", ""))
            url = match.group(1) if match else None

    def get(self, url: str) -> tuple[object, dict[str, str]]:
        if _origin(url) != _origin(self.base_url):
            raise ScanError(f"{self.name} API pointed the next page at another host: {_origin(url)}")
        while True:
            status, body, headers = self._request(url)
            if status == 200:
                try:
                    return json.loads(body), headers
                except ValueError:
                    raise ScanError(f"{self.name} API answered {url} with something that is not JSON") from None
            wait = rate_limit_wait(status, headers, self.clock())
            if wait is None:
                raise self._refused(status, body)
            if wait > self.max_wait:
                raise ScanError(
                    f"{self.name} API rate limit: asked to wait {wait:.0f} s, more than --max-wait "
                    f"{self.max_wait:.0f} s; run again later or raise --max-wait"
                )
            self.sleep(max(wait, 0.0))

    def _request(self, url: str) -> tuple[int, bytes, dict[str, str]]:
        headers = {**self.auth, "User-Agent": USER_AGENT, "Accept": "application/json"}
        request = urllib.request.Request(url, headers=headers)
        opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler(_proxies(url)))
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read(_MAX_BODY), _lower(response.headers)
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read(1 << 16)
            except (OSError, http.client.HTTPException):
                body = b""
            return exc.code, body, _lower(exc.headers)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise ScanError(f"{self.name} API at {_origin(url)} did not answer: {type(reason).__name__}") from None

    def _refused(self, status: int, body: bytes) -> Exception:
        if status == 404:
            return NotFound()
        if status == 401:
            return UsageError(f"{self.name} API refused the token in ${self.token_env} (HTTP 401)")
        if 300 <= status < 400:
            return ScanError(f"{self.name} API answered with a redirect (HTTP {status}); keylatch does not follow it")
        return ScanError(f"{self.name} API answered HTTP {status}: {_message(body)}")


def rate_limit_wait(status: int, headers: Mapping[str, str], now: float) -> float | None:
    """Seconds to wait before asking again, or None when the answer is not a rate limit.

    Secondary limits (GitHub) and GitLab say `Retry-After`; GitHub's primary limit says
    `x-ratelimit-remaining: 0` with `x-ratelimit-reset` (epoch seconds); GitLab also sends
    `ratelimit-reset`. (docs.github.com "Rate limits for the REST API"; docs.gitlab.com
    "Rate limits": headers.)
    """
    if status not in (403, 429):
        return None
    retry = headers.get("retry-after")
    if retry:
        if retry.strip().isdigit():
            return float(retry)
        try:
            return parsedate_to_datetime(retry).timestamp() - now
        except (TypeError, ValueError):
            return None
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        reset = headers.get(name, "")
        remaining = headers.get(name.replace("reset", "remaining"), "0")
        if reset.isdigit() and remaining.strip() == "0":
            return float(reset) - now + 1
    return 60.0 if status == 429 else None


def check_api_url(url: str, option: str) -> str:
    """`url` if a token may be sent there: https, or http to a loopback host."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url.rstrip("/")
    if parts.scheme == "http" and is_loopback(parts.hostname or ""):
        return url.rstrip("/")
    raise UsageError(f"{option} must be an https:// URL (plain http only to a loopback address): {url}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _proxies(url: str) -> dict[str, str] | None:
    # {} disables proxies for loopback; None lets urllib read HTTPS_PROXY / NO_PROXY.
    return {} if is_loopback(urlsplit(url).hostname or "") else None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _lower(headers: object) -> dict[str, str]:
    items = getattr(headers, "items", None)
    return {str(k).lower(): str(v) for k, v in items()} if callable(items) else {}


def _message(body: bytes) -> str:
    # The API's own words, reduced to characters that cannot drive a terminal; a token is never echoed.
    try:
        doc = json.loads(body)
        text = str(doc.get("message") or doc.get("error") or "") if isinstance(doc, dict) else ""
    except ValueError:
        text = ""
    return re.sub(r"[^A-Za-z0-9 _.,:;()/-]", "", text)[:200] or "no message"
