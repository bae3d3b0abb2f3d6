"""JSON nested deeper than Python's json can decode, wherever keylatch reads JSON it did not write
in this run: an error body of the verify endpoint, an Admin API answer, a report given to
`revoke` or `remediate`, the verdict cache. Each was `unexpected RecursionError` (exit 3); now
each reads as what it is: no known answer (the key is reported, verdict unknown), an Admin API
that answered nonsense (exit 3, named), a file that is no report (exit 2), a cache to start afresh.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key
from tests.helpers.localserver import running
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1801)
ADMIN = make_key("sk-admin-", seed=1802)
DEEP = "[" * 70_000  # past json's recursion limit (and inside verify's 64 KiB error-body cut)


class _Deep(BaseHTTPRequestHandler):
    status = 401

    def do_GET(self) -> None:
        body = DEEP.encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _DeepOk(_Deep):
    status = 200


@pytest.fixture(params=[_Deep, _DeepOk], ids=["error", "ok"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    handler: type[_Deep] = request.param
    with running(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as port:
        yield f"http://127.0.0.1:{port}", handler.status


@pytest.fixture
def leak(tmp_path: Path) -> Path:
    (tmp_path / "k.env").write_text(f"OPENAI_API_KEY={KEY}\n")
    return tmp_path


def test_a_verify_answer_nested_too_deep_is_unknown(server: tuple[str, int], leak: Path, keylatch: RunKeylatch) -> None:
    url, status = server
    r = keylatch("scan", "k.env", "--verify", "--verify-url", url, "--no-verify-cache", "-f", "json", cwd=leak)
    assert r.code == 1, r.err
    (finding,) = json.loads(r.out)["findings"]
    assert finding["secret"] == scan_text(KEY)[0].secret.redacted
    # A 200 is the key at work whatever its body; an error body nested too deep is no known answer.
    assert finding["verification"]["verdict"] == ("live" if status == 200 else "unknown")
    assert "RecursionError" not in r.err


def test_an_admin_api_answer_nested_too_deep_is_named(
    server: tuple[str, int], leak: Path, keylatch: RunKeylatch
) -> None:
    url, status = server
    r = keylatch("revoke", "k.env", "--admin-url", url, cwd=leak, env={"OPENAI_ADMIN_KEY": ADMIN})
    assert r.code == 3, r.err
    (line,) = [x for x in r.err.splitlines() if x.startswith("keylatch: error:")]
    assert "Admin API: GET /v1/organization/projects" in line
    assert ("not JSON" if status == 200 else "HTTP 401") in line


@pytest.mark.parametrize("shape", ["array", "in findings"])
@pytest.mark.parametrize("command", ["revoke", "remediate"])
def test_a_report_nested_too_deep_is_not_a_report(
    command: str, shape: str, tmp_path: Path, keylatch: RunKeylatch
) -> None:
    text = DEEP if shape == "array" else '{"tool": {"name": "keylatch"}, "findings": ' + DEEP
    (tmp_path / "leaks.json").write_text(text)
    env = {"OPENAI_ADMIN_KEY": ADMIN} if command == "revoke" else {}
    r = keylatch(command, "leaks.json", cwd=tmp_path, env=env)
    assert (r.code, r.err) == (2, "keylatch: error: cannot read leaks.json as a JSON report: nested too deeply\n")


def test_a_verdict_cache_nested_too_deep_is_started_afresh(leak: Path, keylatch: RunKeylatch) -> None:
    cache = leak / "cache"
    (cache / "keylatch").mkdir(parents=True)
    (cache / "keylatch" / "verdicts.json").write_text(DEEP)
    os.chmod(cache / "keylatch" / "verdicts.json", 0o600)
    with running(ThreadingHTTPServer(("127.0.0.1", 0), _Deep)) as port:
        r = keylatch(
            "scan", "k.env", "--verify", "--verify-url", f"http://127.0.0.1:{port}", "-f", "json",
            cwd=leak, env={"XDG_CACHE_HOME": str(cache)},
        )  # fmt: skip
    assert r.code == 1, r.err
    assert json.loads(r.out)["findings"][0]["verification"]["verdict"] == "unknown"
