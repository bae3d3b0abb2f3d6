"""A small JSON-over-HTTPS client for the hosting APIs: pagination, rate limits, no redirects.

Hand-written on urllib rather than PyGithub / python-gitlab (docs/org.md): keylatch needs three
list endpoints, Link-header pagination and one rate-limit rule for both hosts (wait until the
reset the API states, at most `max_wait` seconds, then fail with one line). The libraries retry
or sleep on their own terms, log requests, and would be a dependency for ~150 lines of code.

The token goes only to the API's own origin, in a header, never in a URL; a redirect is refused
(it could carry the header elsewhere). Plain http is allowed only to a loopback host (tests).

A listing is bounded whatever the API answers: a body at most 64 MiB, read within `deadline`
seconds; at most `max_pages` pages and 1 GiB in all; a next link that goes back to a page already
read (a cycle) or that follows a page with no entries (an endless tail) stops it; rate-limit waits
add up to at most `max_wait` for the whole listing. Each ends in one line and exit 3.
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
_MAX_TOTAL = 1 << 30
_CHUNK = 1 << 16
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
# The least a rate-limited answer waits: one that asks for no wait (a reset already past,
# `Retry-After: 0`) was asked again at once, for ever (thousands of requests a second, never
# counting against --max-wait). GitHub's docs add 1 s to the reset for clock skew too.
_MIN_WAIT = 1.0
Sleep = Callable[[float], None]


class NotFound(Exception):
    """HTTP 404: the organisation, user or group does not exist (or the token cannot see it)."""


@dataclass(frozen=True, slots=True)
class Api:
    name: str  # "GitHub" / "GitLab", for messages
    base_url: str
    auth: Mapping[str, str] = field(repr=False)  # header -> value; holds the token
    token_env: str  # where the token came from, for messages
    max_wait: float = 900.0  # the longest rate-limit wait, in all, before giving up, seconds
    timeout: float = 30.0  # per socket operation
    deadline: float = 300.0  # per page, however slowly the body trickles in
    max_pages: int = 10_000  # 100 entries a page: a million repositories
    sleep: Sleep = time.sleep
    clock: Callable[[], float] = time.time

    def pages(self, path: str) -> Iterator[object]:
        """Every page of a list endpoint, following `Link: <...>; rel="next"` (both hosts send it)."""
        url: str | None = self.base_url + path
        read: set[str] = set()
        size = 0
        waited = 0.0
        while url is not None:
            if url in read:
                raise ScanError(f"{self.name} API: the next page link goes back to a page already read (a cycle)")
            if len(read) >= self.max_pages:
                raise ScanError(f"{self.name} API: more than {self.max_pages} pages of repositories; stopped there")
            read.add(url)
            body, headers, length, waited = self.get(url, waited)
            size += length
            if size > _MAX_TOTAL:
                raise ScanError(f"{self.name} API: the listing is larger than {_MAX_TOTAL >> 20} MiB; stopped there")
            yield body
            match = _NEXT.search(headers.get("link", ""))
            url = match.group(1) if match else None
            if url is not None and body == []:
                raise ScanError(f"{self.name} API: an empty page links to a next one (an endless listing)")

    def get(self, url: str, waited: float = 0.0) -> tuple[object, dict[str, str], int, float]:
        """The JSON at `url`, its headers, its size, and the rate-limit wait so far (`waited` + this one's)."""
        if _origin(url) != _origin(self.base_url):
            raise ScanError(f"{self.name} API pointed the next page at another host: {_origin(url)}")
        while True:
            status, body, headers = self._request(url)
            if status == 200:
                try:
                    return json.loads(body), headers, len(body), waited
                except ValueError:
                    raise ScanError(f"{self.name} API answered {url} with something that is not JSON") from None
            wait = rate_limit_wait(status, headers, self.clock())
            if wait is None:
                raise self._refused(status, body)
            wait = max(wait, _MIN_WAIT)
            if wait > self.max_wait - waited:
                said = f"asked to wait {wait:.0f} s" + (f" after {waited:.0f} s of waits" if waited else "")
                raise ScanError(
                    f"{self.name} API rate limit: {said}, more than --max-wait "
                    f"{self.max_wait:.0f} s; run again later or raise --max-wait"
                )
            waited += wait
            self.sleep(wait)

    def _request(self, url: str) -> tuple[int, bytes, dict[str, str]]:
        headers = {**self.auth, "User-Agent": USER_AGENT, "Accept": "application/json"}
        request = urllib.request.Request(url, headers=headers)
        opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler(_proxies(url)))
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return response.status, self._body(response, url), _lower(response.headers)
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read(1 << 16)
            except (OSError, http.client.HTTPException):
                body = b""
            return exc.code, body, _lower(exc.headers)
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise ScanError(f"{self.name} API at {_origin(url)} did not answer: {type(reason).__name__}") from None

    def _body(self, response: http.client.HTTPResponse, url: str) -> bytes:
        # read1: one socket read at a time, so a body that trickles in is stopped at the deadline
        # (the timeout alone is per read, and would let it go on for ever).
        end = self.clock() + self.deadline
        parts: list[bytes] = []
        size = 0
        while size < _MAX_BODY:
            part = response.read1(min(_CHUNK, _MAX_BODY - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
            if self.clock() > end:
                raise ScanError(f"{self.name} API at {_origin(url)}: a page took longer than {self.deadline:.0f} s")
        return b"".join(parts)

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
        # ASCII digits only: str.isdigit also takes `²` (a Latin-1 header byte), which float refuses.
        if _digits(retry.strip()):
            return float(retry)
        try:
            return parsedate_to_datetime(retry).timestamp() - now
        except (TypeError, ValueError):
            return None
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        reset = headers.get(name, "")
        remaining = headers.get(name.replace("reset", "remaining"), "0")
        if _digits(reset) and remaining.strip() == "0":
            return float(reset) - now + 1
    return 60.0 if status == 429 else None


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


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
