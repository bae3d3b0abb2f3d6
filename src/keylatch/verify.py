"""Opt-in live check of found keys (`--verify`). The only module that talks to the network.

A key is checked once (by fingerprint) with one read-only request: OpenAI API keys list models,
admin keys list one organisation user. The answer is VALID (the service accepted it), INVALID (it
said 401: revoked or never real) or UNKNOWN (anything else: no network, timeout, 5xx, a format we
cannot check without more data). UNKNOWN is still reported: a scanner that could not check must
not call a key harmless. Redirects are refused so the key is never re-sent to another host.
"""

from __future__ import annotations

import enum
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from keylatch.model import Finding

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com"
_USER_AGENT = "keylatch-verify"


class Verdict(str, enum.Enum):
    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Verification:
    verdict: Verdict
    detail: str  # why, in a few words; never contains the key


# Rule id -> API path whose GET proves the key works without changing anything.
_PROBES: Mapping[str, str] = {
    "openai-project-key": "/v1/models",
    "openai-service-account-key": "/v1/models",
    "openai-user-key": "/v1/models",
    "openai-admin-key": "/v1/organization/users?limit=1",
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _probe(key: str, url: str, timeout: float) -> Verification:
    request = urllib.request.Request(
        url, headers={"Authorization": f"Bearer {key}", "User-Agent": _USER_AGENT}, method="GET"
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return Verification(Verdict.VALID, f"HTTP {response.status}")
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            return Verification(Verdict.INVALID, "HTTP 401: rejected")
        if exc.code == 429 and _quota_error(exc):
            # The key authenticated; the account is out of credit. Still a live key.
            return Verification(Verdict.VALID, "HTTP 429: authenticated, quota exhausted")
        return Verification(Verdict.UNKNOWN, f"HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Verification(Verdict.UNKNOWN, f"no answer: {type(reason).__name__}")


def _quota_error(exc: urllib.error.HTTPError) -> bool:
    try:
        body = json.loads(exc.read(4096) or b"{}")
    except (ValueError, OSError):
        return False
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and error.get("code") == "insufficient_quota"


def annotate(findings: Iterable[Finding], *, base_url: str = DEFAULT_BASE_URL, timeout: float = 10.0) -> list[Finding]:
    """The findings with `verified` set; each distinct key is checked once."""
    found = list(findings)
    result = check(found, base_url=base_url, timeout=timeout)
    return [replace(f, verified=result[f.fingerprint].verdict.value) for f in found]


def check(
    findings: Iterable[Finding],
    *,
    base_url: str = DEFAULT_BASE_URL,
    timeout: float = 10.0,
    workers: int = 4,
) -> dict[str, Verification]:
    """Verification per fingerprint, each distinct key checked once."""
    todo: dict[str, tuple[str, str]] = {}
    result: dict[str, Verification] = {}
    for f in findings:
        path = _PROBES.get(f.rule_id)
        if path is None:
            result[f.fingerprint] = Verification(Verdict.UNKNOWN, "not checkable without its endpoint")
        elif f.fingerprint not in todo:
            todo[f.fingerprint] = (f.secret.value, base_url.rstrip("/") + path)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {fp: pool.submit(_probe, key, url, timeout) for fp, (key, url) in todo.items()}
        for fp, future in futures.items():
            result[fp] = future.result()
            log.debug("verified %s: %s", fp[:12], result[fp].verdict.value)
    return result
