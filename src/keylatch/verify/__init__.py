"""Opt-in live check of found keys (`--verify`): the only network code in keylatch.

    checks = check(findings, Options(base_url=...), context=files)   # fingerprint -> KeyCheck
    findings = annotate(findings, options, context)                   # Finding.verified set

Each distinct key (fingerprint) is asked about once, with one read-only, free request:

- OpenAI admin keys (`sk-admin-`): GET {base}/v1/organization/users?limit=1
- every other OpenAI key (project, service account, user, `sk-None-`, named): GET {base}/v1/models
  with `Authorization: Bearer <key>`
- Azure keys: GET https://<host>/openai/models with `api-key: <key>`, and only when <host> is an
  Azure OpenAI / AI services host found next to the key (verify/azure.py); otherwise no request.
- session keys and webhook secrets: no request (nothing read-only checks them).

The answer becomes a verdict (verify/classify.py); anything without a clear answer is UNKNOWN,
never "revoked". Verification adds a verdict; it never removes a finding. Where keys may be sent
and how (https, no redirects, proxies, timeouts) is in verify/transport.py; what is remembered
between runs (never the key) is in verify/cache.py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from keylatch.model import Finding, KeyCheck, Verdict
from keylatch.verify import azure
from keylatch.verify.cache import VerdictCache, entry_key
from keylatch.verify.classify import RateLimited, classify, unechoed
from keylatch.verify.context import Context, no_context
from keylatch.verify.transport import Unreachable, check_base_url, get

__all__ = ["DEFAULT_BASE_URL", "KeyCheck", "Options", "Verdict", "annotate", "check"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com"

_OPENAI_PATHS = {
    "openai-admin-key": "/v1/organization/users?limit=1",
    "openai-project-key": "/v1/models",
    "openai-service-account-key": "/v1/models",
    "openai-user-key": "/v1/models",
}
_AZURE_RULES = frozenset({"azure-openai-key", "azure-openai-classic-key", "azure-ai-services-key"})
NEEDS_ENDPOINT = "needs its endpoint: no Azure OpenAI host (*.openai.azure.com, *.cognitiveservices.azure.com, *.services.ai.azure.com) next to it"  # noqa: E501


@dataclass(frozen=True, slots=True)
class Options:
    base_url: str = DEFAULT_BASE_URL
    # Send Azure checks here instead of https://<host> (tests; the host found still decides
    # whether a request is made at all).
    azure_url: str | None = None
    timeout: float = 10.0
    workers: int = 4
    cache: Path | None = None  # None: no cache
    attempts: int = 3  # per key, for rate-limited answers
    backoff: float = 1.0  # first wait when a 429 names none; doubles
    max_wait: float = 20.0  # a longer Retry-After gives up at once


@dataclass(frozen=True, slots=True)
class _Probe:
    url: str
    header: str
    key: str = field(repr=False)
    service: str
    where: str  # host, for reasons


def check(
    findings: Iterable[Finding], options: Options = Options(), context: Context = no_context
) -> dict[str, KeyCheck]:
    """KeyCheck per fingerprint; each distinct key is asked about at most once."""
    by_key: dict[str, list[Finding]] = {}
    for f in findings:
        by_key.setdefault(f.fingerprint, []).append(f)
    result: dict[str, KeyCheck] = {}
    probes: dict[str, _Probe] = {}
    for fp, group in by_key.items():
        planned = _plan(group, options, context)
        if isinstance(planned, KeyCheck):
            result[fp] = planned
        else:
            probes[fp] = planned
    cache = VerdictCache.load(options.cache) if options.cache and probes else None
    if cache is not None:
        for fp, probe in list(probes.items()):
            hit = cache.get(entry_key(fp, probe.url))
            if hit is not None:
                result[fp] = hit
                del probes[fp]
    if probes:
        with ThreadPoolExecutor(max_workers=max(1, min(options.workers, len(probes)))) as pool:
            futures = {fp: pool.submit(_ask, probe, options) for fp, probe in probes.items()}
            for fp, future in futures.items():
                result[fp] = future.result()
                log.debug("verified sha256:%s: %s", fp[:12], result[fp].verdict.value)
                if cache is not None:
                    cache.put(entry_key(fp, probes[fp].url), result[fp])
        if cache is not None:
            cache.save()
    return result


def annotate(findings: Sequence[Finding], options: Options = Options(), context: Context = no_context) -> list[Finding]:
    """The findings, each with `verified` set; none is dropped."""
    checks = check(findings, options, context)
    return [f.replace(verified=checks[f.fingerprint]) for f in findings]


def _plan(group: Sequence[Finding], options: Options, context: Context) -> _Probe | KeyCheck:
    first = group[0]
    key = first.secret.value
    path = _OPENAI_PATHS.get(first.rule_id)
    if path is not None:
        base = check_base_url(options.base_url)
        return _Probe(base + path, "Authorization", f"Bearer {key}", "openai", urlsplit(base).netloc)
    if first.rule_id in _AZURE_RULES:
        host = azure.nearest(_texts(group, context))
        if host is None:
            return KeyCheck(Verdict.UNKNOWN, NEEDS_ENDPOINT)
        url = azure.models_url(host)
        if options.azure_url is not None:
            url = check_base_url(options.azure_url, "--verify-azure-url") + url.removeprefix(f"https://{host}")
        return _Probe(url, "api-key", key, "azure", host)
    return KeyCheck(Verdict.UNKNOWN, "not checked: no read-only request checks this kind of secret")


def _texts(group: Sequence[Finding], context: Context) -> Iterator[tuple[bytes, int]]:
    for f in group:
        yield from context(f)


def _ask(probe: _Probe, options: Options) -> KeyCheck:
    for attempt in range(options.attempts):
        try:
            answer = get(probe.url, {probe.header: probe.key}, options.timeout)
        except Unreachable as exc:
            return KeyCheck(Verdict.UNKNOWN, f"no answer from {probe.where}: {exc}")
        verdict = classify(answer, service=probe.service)
        if not isinstance(verdict, RateLimited):
            verdict = _unechoed(verdict, probe.key.removeprefix("Bearer "))
            return _at(verdict, probe) if probe.service == "azure" else verdict
        wait = verdict.after if verdict.after is not None else options.backoff * 2**attempt
        if attempt + 1 == options.attempts:
            break
        if wait > options.max_wait:
            return KeyCheck(Verdict.UNKNOWN, f"rate-limited: HTTP 429, asked to wait {wait:.0f} s")
        time.sleep(wait)
    return KeyCheck(Verdict.UNKNOWN, f"rate-limited: HTTP 429 on all {options.attempts} attempts")


def _unechoed(c: KeyCheck, key: str) -> KeyCheck:
    # What the answer said (organisation, project, an error code in the reason) never holds the key.
    org, project = unechoed(c.organization, key), unechoed(c.project, key)
    return c.replace(reason=unechoed(c.reason, key), organization=org, project=project)


def _at(c: KeyCheck, probe: _Probe) -> KeyCheck:
    return c.replace(reason=f"{probe.where}: {c.reason}")
