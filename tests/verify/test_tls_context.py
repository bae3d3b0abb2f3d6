"""The CA store is loaded once per run and only for https (verify/transport.py `_tls`): loading
it costs ~20 ms a request, and plain http (loopback only) never uses it. What the cache must
not cost: a certificate check. Each https request still verifies, and a changed SSL_CERT_FILE
(the CA store OpenSSL reads) is honoured, not answered from an older store."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from keylatch.engine import scan_text
from keylatch.model import Finding, Verdict
from keylatch.rules.synthetic import make_key
from keylatch.verify import Options, check, transport
from tests.helpers.localserver import listening, self_signed, tls_handshake
from tests.helpers.openai_emulator import Emulator

KEYS = tuple(make_key("sk-proj-", seed) for seed in (61, 62, 63))


def _findings() -> list[Finding]:
    return list(scan_text("".join(f"K{i}={k}\n" for i, k in enumerate(KEYS))))


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """One entry per CA store keylatch loads, counted from an empty cache."""
    transport._tls.cache_clear()
    seen: list[int] = []
    real = ssl.create_default_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        seen.append(1)
        return real()

    monkeypatch.setattr(ssl, "create_default_context", counting)
    yield seen
    transport._tls.cache_clear()


def test_plain_http_to_loopback_loads_no_ca_store(loads: list[int], api: Emulator) -> None:
    found = _findings()
    got = check(found, Options(base_url=api.url, workers=1))
    assert {c.verdict for c in got.values()} == {Verdict.REVOKED} and len(api.seen()) == len(KEYS)
    assert loads == []


def test_https_loads_the_ca_store_once_and_checks_every_certificate(
    loads: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_ctx, cert = self_signed(tmp_path)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    found = _findings()
    with listening(tls_handshake(server_ctx)) as port:
        url, refused = f"https://127.0.0.1:{port}", f"no answer from 127.0.0.1:{port}: TLS certificate not trusted"
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        untrusted = check(found, Options(base_url=url, workers=1, attempts=1, timeout=5))
        # Every key's request checked the certificate, and refused it: one store for all three.
        assert {c.reason for c in untrusted.values()} == {
            f"no answer from 127.0.0.1:{port}: TLS certificate not trusted"
        }
        assert len(loads) == 1

        # Told to trust this certificate, the run loads that store: the handshake passes and the
        # server's hang-up is the reason, not the certificate.
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        trusted = check(found, Options(base_url=url, workers=1, attempts=1, timeout=5))
        reasons = {c.reason for c in trusted.values()}
        assert all(c.verdict is Verdict.UNKNOWN for c in trusted.values()) and len(reasons) == 1
        assert "certificate" not in reasons.pop()
        assert len(loads) == 2

        # And back: the first store again, from the cache, still refusing.
        monkeypatch.delenv("SSL_CERT_FILE")
        again = check(found, Options(base_url=url, workers=1, attempts=1, timeout=5))
        assert {c.reason for c in again.values()} == {refused}
        assert len(loads) == 2
