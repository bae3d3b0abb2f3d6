"""A hostile hosting API cannot keep `org plan` listing for ever: a cycle of next links, an endless
tail of pages, too many pages, endless rate limits and a trickling body each end in one line and
exit 3 (tests/org/test_plan.py has the well-behaved API)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from keylatch.errors import ScanError
from keylatch.org.api import Api
from tests.helpers.fakehost import FakeHost, Seen, serve
from tests.helpers.run import RunKeylatch


@dataclass
class Hostile(FakeHost):
    """Every request answered by `how`: next links to pages that never end, or back to the first."""

    how: str = "cycle"

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], object]:
        self.seen.append(Seen(path, headers))
        page = int(parse_qs(urlsplit(path).query).get("page", ["1"])[0])
        base = path.split("?")[0] + "?per_page=100"
        if self.how == "limited":
            return 429, {"Retry-After": "1"}, {"message": "slow down"}
        entries: list[object] = [] if self.how == "empty" else [_repo(page)]
        nxt = {"cycle": 1 if page == 2 else page + 1, "loop": page}.get(self.how, page + 1)
        link = f'<{self.url}{base}&page={nxt}>; rel="next"'
        # "cycle" comes back to page 1 spelled as read first (no page=): both are the same page.
        if self.how == "cycle" and nxt == 1:
            link = f'<{self.url}{base}>; rel="next"'
        return 200, {"Link": link}, entries


def _repo(n: int) -> dict[str, object]:
    return {"full_name": f"acme/r{n}", "clone_url": f"file:///nonexistent/r{n}.git", "default_branch": "main"}


@pytest.mark.parametrize(
    ("how", "said"),
    [
        ("cycle", "goes back to a page already read (a cycle)"),
        ("loop", "goes back to a page already read (a cycle)"),
        ("empty", "an empty page links to a next one (an endless listing)"),
        ("limited", "API rate limit: asked to wait 1 s after 1 s of waits, more than --max-wait 2 s"),
    ],
)
def test_a_hostile_listing_ends_in_one_line(keylatch: RunKeylatch, how: str, said: str) -> None:
    host = Hostile("github", orgs={"acme"}, how=how)
    with serve(host):
        argv = ("org", "plan", "--github", "acme", "--api-url", host.api_url)
        res = keylatch(*argv, *(("--max-wait", "1.5") if how == "limited" else ()))
    assert res.code == 3, res.err
    assert res.out == "" and len(res.err.strip().splitlines()) == 1
    assert said in res.err
    assert len(host.seen) <= 3


def test_an_endless_listing_stops_at_the_page_limit() -> None:
    host = Hostile("github", orgs={"acme"}, how="endless")
    with serve(host):
        api = Api("GitHub", host.api_url, {}, "GITHUB_TOKEN", max_pages=25)
        with pytest.raises(ScanError, match="more than 25 pages of repositories; stopped there"):
            for _ in api.pages("/orgs/acme/repos?per_page=100"):
                pass
    assert len(host.seen) == 25


def test_a_trickling_page_is_stopped_at_its_deadline() -> None:
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[")
            while not stop.wait(0.05):
                try:
                    conn.sendall(b" ")
                except OSError:
                    return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    api = Api("GitHub", url, {}, "GITHUB_TOKEN", timeout=5, deadline=0.5)
    started = time.monotonic()
    try:
        with pytest.raises(ScanError, match=r"a page took longer than 0 s|a page took longer than 1 s"):
            next(iter(api.pages("/orgs/acme/repos")))
    finally:
        stop.set()
        listener.close()
        thread.join(5)
    assert time.monotonic() - started < 5  # stopped by the deadline, not by the per-read timeout
