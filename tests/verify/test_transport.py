"""--verify when the network fails, for real: each failure is produced by a real socket on
127.0.0.1 (or a name that cannot resolve, RFC 6761 `.invalid`), never by mapping an exception by
hand. Each gives the verdict `unknown` with its reason, and the key still fails the run (exit 1),
even with `--fail-on-verdict live`: a scanner that could not check must not call a key harmless.
No test here reaches the internet."""

from __future__ import annotations

import json
import socket
import ssl
import time
from pathlib import Path

import pytest

from keylatch.engine import scan_text
from keylatch.model import Verdict
from keylatch.rules.synthetic import make_key
from keylatch.verify import Options, check
from tests.helpers.localserver import listening, tls_handshake
from tests.helpers.localserver import self_signed as self_signed_context
from tests.helpers.openai_emulator import Emulator, emulator, scenario
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", 41)
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def leak(tmp_path: Path) -> Path:
    (tmp_path / "k.env").write_text(f"K={KEY}\n")
    return tmp_path


def verify(
    keylatch: RunKeylatch, where: Path, url: str, *more: str, env: dict[str, str] | None = None
) -> tuple[int, str]:
    env = env or {}
    # Whatever the machine running the suite has set, the test decides the proxies. An empty
    # variable counts as unset, except that an empty lower-case one hides its upper-case twin
    # (urllib, as curl: lower case wins), so only the names the test does not set are emptied.
    given = {name.upper() for name in env}
    unset = {v: "" for name in PROXY_VARIABLES if name not in given for v in (name, name.lower())}
    r = keylatch("scan", "k.env", "--verify", "--verify-url", url, "--no-verify-cache", "-f", "json", *more,
                 cwd=where, env={**unset, **env})  # fmt: skip
    assert KEY not in r.out + r.err
    (f,) = json.loads(r.out)["findings"]
    v = f["verification"]
    assert v["verdict"] == "unknown" or r.code == 1
    return r.code, f"{v['verdict']}: {v['reason']}"


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server context with a certificate for 127.0.0.1 that no CA signed."""
    return self_signed_context(tmp_path_factory.mktemp("tls"))[0]


def test_an_untrusted_certificate_is_unknown(leak: Path, keylatch: RunKeylatch, self_signed: ssl.SSLContext) -> None:
    with listening(tls_handshake(self_signed)) as port:
        code, said = verify(keylatch, leak, f"https://127.0.0.1:{port}", "--fail-on-verdict", "live")
    assert code == 1 and said == f"unknown: no answer from 127.0.0.1:{port}: TLS certificate not trusted"


def test_https_to_a_plain_http_server_is_unknown(leak: Path, keylatch: RunKeylatch, api: Emulator) -> None:
    code, said = verify(keylatch, leak, api.url.replace("http://", "https://"), "--fail-on-verdict", "live")
    assert code == 1 and said.startswith("unknown: no answer from 127.0.0.1:") and "TLS handshake failed" in said
    assert api.seen() == []  # the key never went over plain http


def test_a_name_that_cannot_resolve_is_unknown(leak: Path, keylatch: RunKeylatch) -> None:
    # RFC 6761: `.invalid` never resolves; resolvers answer at once without asking anyone.
    started = time.monotonic()
    code, said = verify(keylatch, leak, "https://api.openai.invalid", "--fail-on-verdict", "live")
    assert code == 1 and said == "unknown: no answer from api.openai.invalid: DNS lookup failed"
    assert time.monotonic() - started < 30  # fails fast; a hang would show here, not in a timeout


def test_a_redirect_is_refused_end_to_end(leak: Path, keylatch: RunKeylatch, api: Emulator) -> None:
    with emulator() as elsewhere:
        api.answer(KEY, scenario("redirect", location=elsewhere.url + "/v1/models"))
        code, said = verify(keylatch, leak, api.url, "--fail-on-verdict", "live")
        assert code == 1 and said.startswith("unknown: ") and "redirect refused" in said
        assert elsewhere.seen() == [] and len(api.seen()) == 1


@pytest.mark.parametrize("accepts", [False, True], ids=["never-accepts", "accepts-never-answers"])
def test_a_server_that_never_answers_times_out(accepts: bool) -> None:
    (f,) = scan_text(f"K={KEY}\n")
    # Listening but never accepting: the kernel completes the handshake from its backlog.
    with listening((lambda conn: None) if accepts else None) as port:
        got = check([f], Options(base_url=f"http://127.0.0.1:{port}", timeout=0.5))[f.fingerprint]
    assert got.verdict is Verdict.UNKNOWN and got.reason == f"no answer from 127.0.0.1:{port}: timed out"


def test_a_server_that_trickles_is_cut_off(leak: Path) -> None:
    """A server that sends a byte every little while never trips a per-read timeout; the whole
    answer is bounded too, or one slow host would hold the scan for hours."""
    (f,) = scan_text(f"K={KEY}\n")

    def trickle(conn: socket.socket) -> None:
        try:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(200):
                conn.sendall(b"x")
                time.sleep(0.1)
        except OSError:
            pass

    with listening(trickle) as port:
        started = time.monotonic()
        got = check([f], Options(base_url=f"http://127.0.0.1:{port}", timeout=0.5))[f.fingerprint]
        took = time.monotonic() - started
    assert got.verdict is Verdict.UNKNOWN and "timed out" in got.reason
    assert took < 5  # 20 s if only each read were bounded


# --- proxies ------------------------------------------------------------------------------------


def test_https_proxy_is_used_and_sees_only_the_host(leak: Path, keylatch: RunKeylatch) -> None:
    with emulator() as proxy:
        code, said = verify(keylatch, leak, "https://api.openai.invalid", env={"HTTPS_PROXY": proxy.url})
        (tunnel,) = proxy.seen()
    # The name is resolved by the proxy, not here: no DNS failure, the proxy's refusal instead.
    assert (tunnel.method, tunnel.path) == ("CONNECT", "api.openai.invalid:443")
    assert KEY not in json.dumps(tunnel.headers)
    assert code == 1 and said.startswith("unknown: no answer from api.openai.invalid")


@pytest.mark.parametrize("no_proxy", ["api.openai.invalid", ".openai.invalid", "*", "example.test,openai.invalid"])
def test_no_proxy_bypasses_the_proxy(leak: Path, keylatch: RunKeylatch, no_proxy: str) -> None:
    with emulator() as proxy:
        env = {"HTTPS_PROXY": proxy.url, "NO_PROXY": no_proxy}
        code, said = verify(keylatch, leak, "https://api.openai.invalid", env=env)
        assert proxy.seen() == []
    assert code == 1 and said == "unknown: no answer from api.openai.invalid: DNS lookup failed"


def test_lower_case_proxy_variables_count_too(leak: Path, keylatch: RunKeylatch) -> None:
    with emulator() as proxy:
        verify(keylatch, leak, "https://api.openai.invalid", env={"https_proxy": proxy.url})
        assert [r.method for r in proxy.seen()] == ["CONNECT"]
