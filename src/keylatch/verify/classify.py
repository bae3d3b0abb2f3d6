"""An API answer (status, body, headers) -> a KeyCheck, or "rate-limited, ask again". No I/O.

The table (issue 10) errs towards "live" or "unknown", never towards "revoked": only an explicit
`invalid_api_key` says a key is dead. Messages are matched on the API's documented wording
(platform.openai.com/docs/guides/error-codes); reasons are keylatch's own words, never the
server's text, because the server echoes part of the key ("Incorrect API key provided: sk-ab***").
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass

from keylatch.model import KeyCheck, Verdict

# What a reason may quote from an answer: scope names, error codes, organisation/project ids.
_SAFE = re.compile(r"[^A-Za-z0-9_.:,\- ]")
_SCOPES = re.compile(r"missing scopes?:\s*([A-Za-z0-9_.]+(?:,\s*[A-Za-z0-9_.]+)*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RateLimited:
    """A 429 that is not about credit: try again after `after` seconds (None: not said)."""

    after: float | None


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    headers: Mapping[str, str]  # lower-case names


def safe(text: str, limit: int = 80) -> str:
    """`text` reduced to characters that cannot carry a control sequence."""
    return _SAFE.sub("", text)[:limit]


# A run of the key sent this long, quoted back in an answer, is the key echoed: the API itself
# shows at most its first 8 and last 4 characters ("Incorrect API key provided: sk-ab***wxyz").
# 12 is below the shortest key (a 32-hex Azure key) and above every public prefix (`sk-svcacct-`).
_ECHO = 12
_ECHOED = "[the key, echoed]"


def unechoed(text: str, key: str) -> str:
    """`text` quoted from an answer to a request that carried `key`, with every run of the key of
    _ECHO characters or more cut out: a server (or a proxy) that repeats the key in a header or an
    error code would otherwise have it printed in the report and written to the verdict cache."""
    if len(key) < _ECHO or len(text) < _ECHO:
        return text
    hits = [i for i in range(len(key) - _ECHO + 1) if key[i : i + _ECHO] in text]
    for i in hits:
        text = text.replace(key[i : i + _ECHO], _ECHOED)
    return re.sub(f"(?:{re.escape(_ECHOED)}[A-Za-z0-9_-]{{0,{_ECHO - 1}}})+", _ECHOED, text) if hits else text


def error_fields(body: bytes) -> tuple[str, str, str]:
    """(code, type, message) of an OpenAI-style error body; empty strings when absent."""
    try:
        doc = json.loads(body[: 1 << 16].decode("utf-8", "replace"))
    except (ValueError, RecursionError):  # 64 KiB of `[` is too deep for json: not an error body
        return "", "", body[:2000].decode("utf-8", "replace")
    err = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(err, str):  # admin endpoints have answered {"error": "You have insufficient ..."}
        return "", "", err
    if not isinstance(err, dict):
        return "", "", ""
    return str(err.get("code") or ""), str(err.get("type") or ""), str(err.get("message") or "")


def classify(answer: Answer, *, service: str = "openai") -> KeyCheck | RateLimited:
    status = answer.status
    code, kind, message = error_fields(answer.body) if status >= 300 else ("", "", "")
    text = message.lower()
    org = safe(answer.headers.get("openai-organization", ""), 64)
    project = safe(answer.headers.get("openai-project", ""), 64)

    def check(verdict: Verdict, reason: str) -> KeyCheck:
        return KeyCheck(verdict, reason, org, project)

    if 200 <= status < 300:
        return check(Verdict.LIVE, f"HTTP {status}: the {_name(service)} accepted it")
    if 300 <= status < 400:
        return check(Verdict.UNKNOWN, f"HTTP {status}: redirect refused (the key is never re-sent)")
    if status == 429:
        if code == "insufficient_quota" or kind == "insufficient_quota":
            return check(Verdict.LIVE_NO_CREDIT, "HTTP 429 insufficient_quota: authenticated, out of credit")
        return RateLimited(retry_after(answer.headers))
    if status >= 500:
        return check(Verdict.UNKNOWN, f"HTTP {status}: server error")
    if status not in (401, 403):
        return check(Verdict.UNKNOWN, f"HTTP {status}{_code(code)}: not an answer about the key")
    if service == "azure":
        return check(*_azure(status))
    if code == "invalid_api_key" or "incorrect api key provided" in text:
        return check(Verdict.REVOKED, f"HTTP {status} invalid_api_key: revoked or never valid")
    if "missing scope" in text or "insufficient permissions" in text:
        m = _SCOPES.search(message)
        scopes = f" (missing {safe(m.group(1).strip().rstrip('.'), 60)})" if m else ""
        return check(Verdict.LIVE_RESTRICTED, f"HTTP {status}: authenticated, restricted{scopes}")
    if "ip not authorized" in text or "allowlist" in text or "allow list" in text or "ip_not" in code:
        return check(Verdict.LIVE_IP_RESTRICTED, f"HTTP {status}: refused from this IP by an allow-list")
    if code == "no_organization" or "member of an organization" in text:
        return check(Verdict.INACTIVE_OWNER, f"HTTP {status}: its owner is in no organisation (still purge it)")
    if code == "unsupported_country_region_territory" or "not supported" in text and "country" in text:
        return check(Verdict.UNKNOWN, f"HTTP {status}: the API refuses this country or region; key not checked")
    return check(Verdict.UNKNOWN, f"HTTP {status}{_code(code)}: not a known answer")


def _azure(status: int) -> tuple[Verdict, str]:
    if status == 401:
        # Azure says "invalid subscription key or wrong API endpoint": the endpoint found next to
        # the key may belong to another resource, so this does not prove the key dead.
        return Verdict.UNKNOWN, "HTTP 401: not accepted by this endpoint (revoked, or another resource's key)"
    return Verdict.UNKNOWN, f"HTTP {status}: refused by the resource (network rules?); key not checked"


def _name(service: str) -> str:
    return "Azure OpenAI resource" if service == "azure" else "API"


def _code(code: str) -> str:
    return f" {safe(code, 40)}" if code else ""


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait: OpenAI's `retry-after-ms`, else `Retry-After` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms", "").strip()
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
