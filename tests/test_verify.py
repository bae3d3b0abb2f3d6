"""verify.check against a real HTTP server on 127.0.0.1 that plays the OpenAI API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key
from keylatch.verify import Verdict, check
from tests.conftest import RunKeylatch

LIVE = make_key("sk-proj-", 1)
BROKE = make_key("sk-svcacct-", 2)
ADMIN = make_key("sk-admin-", 3)
FLAKY = make_key("sk-", 4)


class FakeOpenAI(BaseHTTPRequestHandler):
    seen: list[tuple[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        auth = self.headers.get("Authorization", "")
        type(self).seen.append((self.path, auth))
        key = auth.removeprefix("Bearer ")
        if key == LIVE and self.path == "/v1/models":
            self._send(200, {"data": []})
        elif key == ADMIN and self.path.startswith("/v1/organization/users"):
            self._send(200, {"data": []})
        elif key == BROKE:
            self._send(429, {"error": {"code": "insufficient_quota"}})
        elif key == FLAKY:
            self._send(503, {"error": {"message": "overloaded"}})
        else:
            self._send(401, {"error": {"code": "invalid_api_key"}})

    def _send(self, code: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    FakeOpenAI.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fp(key: str) -> str:
    (finding,) = scan_text(key)
    return finding.fingerprint


def test_verdicts_follow_the_api_answer(api: str) -> None:
    dead = make_key("sk-proj-", 9)
    findings = scan_text(f"{LIVE}\n{BROKE}\n{ADMIN}\n{FLAKY}\n{dead}\n{LIVE}\n")
    result = check(findings, base_url=api)
    assert {k: v.verdict for k, v in result.items()} == {
        fp(LIVE): Verdict.VALID,
        fp(BROKE): Verdict.VALID,  # 429 insufficient_quota: authenticated
        fp(ADMIN): Verdict.VALID,
        fp(FLAKY): Verdict.UNKNOWN,
        fp(dead): Verdict.INVALID,
    }
    # Each distinct key is sent once, to the probe path of its kind.
    assert sorted(FakeOpenAI.seen) == sorted(
        [("/v1/models", f"Bearer {k}") for k in (LIVE, BROKE, FLAKY, dead)]
        + [("/v1/organization/users?limit=1", f"Bearer {ADMIN}")]
    )


def test_no_answer_is_unknown_not_invalid() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: connection refused
    result = check(scan_text(LIVE), base_url=f"http://127.0.0.1:{port}", timeout=2)
    assert result[fp(LIVE)].verdict is Verdict.UNKNOWN
    assert LIVE not in result[fp(LIVE)].detail


def test_formats_that_need_an_endpoint_are_unknown_without_a_request(api: str) -> None:
    azure = make_key("azure", 1)
    result = check(scan_text(azure), base_url=api)
    assert result[fp(azure)].verdict is Verdict.UNKNOWN
    assert FakeOpenAI.seen == []


def test_redirects_are_refused_so_the_key_is_not_resent(api: str) -> None:
    class Redirect(FakeOpenAI):
        def do_GET(self) -> None:  # noqa: N802
            type(self).seen.append((self.path, self.headers.get("Authorization", "")))
            self.send_response(302)
            self.send_header("Location", api + "/elsewhere")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        FakeOpenAI.seen = []
        result = check(scan_text(LIVE), base_url=f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    assert result[fp(LIVE)].verdict is Verdict.UNKNOWN
    assert [p for p, _ in FakeOpenAI.seen] == ["/v1/models"]



def test_scan_verify_reports_the_verdict_per_key(api: str, tmp_path: Path, keylatch: RunKeylatch) -> None:
    dead = make_key("sk-proj-", 9)
    (tmp_path / ".env").write_text(f"A={LIVE}\nB={dead}\n")
    result = keylatch("scan", ".", "--verify", "--verify-url", api, "-f", "json", cwd=tmp_path)
    assert result.code == 1
    verdicts = [(f["line"], f["verified"]) for f in json.loads(result.out)["findings"]]
    assert verdicts == [(1, "valid"), (2, "invalid")]
    text = keylatch("scan", ".", "--verify", "--verify-url", api, cwd=tmp_path).out
    assert ".env:1:3: high openai-project-key" in text and text.splitlines()[0].endswith("verified:valid")


def test_scan_without_verify_sends_nothing(api: str, tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "k.txt").write_text(LIVE)
    result = keylatch("scan", "k.txt", cwd=tmp_path)
    assert result.code == 1 and FakeOpenAI.seen == []
