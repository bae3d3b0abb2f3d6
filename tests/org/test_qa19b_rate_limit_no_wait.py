"""`org plan` against rate-limit answers that ask for no wait: a reset already past, `Retry-After: 0`,
a `Retry-After` date in the past. They were asked again at once, for ever (11,201 requests in
20 s, never exiting); now each waits at least a second, counted against `--max-wait`, so a host
that keeps answering so ends in one line and exit 3, and one such answer is waited out."""

from __future__ import annotations

import time

import pytest

from tests.helpers.fakehost import FakeHost, HostedRepo, serve
from tests.helpers.run import RunKeylatch

PAST = int(time.time()) - 3600
NO_WAIT = {
    "primary-reset-past": (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(PAST)}),
    "retry-after-0-403": (403, {"Retry-After": "0"}),
    "retry-after-0-429": (429, {"Retry-After": "0"}),
    "retry-after-past-date": (429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
    "gitlab-reset-past": (429, {"RateLimit-Remaining": "0", "RateLimit-Reset": str(PAST)}),
}
# More than a listing needs: without a least wait they were all used up at once, then the list came.
MANY = 40


def _host(kind: str, limit: tuple[int, dict[str, str]], times: int) -> FakeHost:
    repos = [HostedRepo("acme/a", "file:///nonexistent/a.git")]
    return FakeHost(kind, repos, orgs={"acme"}, limits=[limit] * times)


@pytest.mark.parametrize("kind", ["github", "gitlab"])
@pytest.mark.parametrize("answer", NO_WAIT.values(), ids=NO_WAIT.keys())
def test_answers_asking_for_no_wait_count_against_max_wait(
    keylatch: RunKeylatch, kind: str, answer: tuple[int, dict[str, str]]
) -> None:
    host = _host(kind, answer, MANY)
    with serve(host):
        res = keylatch("org", "plan", f"--{kind}", "acme", "--api-url", host.api_url, "--max-wait", "1")
    assert res.code == 3, res.err
    (line,) = res.err.strip().splitlines()
    assert "API rate limit: asked to wait 1 s after 1 s of waits, more than --max-wait 1 s" in line
    assert res.out == ""
    assert len(host.seen) == 2


@pytest.mark.parametrize("answer", NO_WAIT.values(), ids=NO_WAIT.keys())
def test_one_answer_asking_for_no_wait_is_waited_out(keylatch: RunKeylatch, answer: tuple[int, dict[str, str]]) -> None:
    host = _host("github", answer, 1)
    with serve(host):
        res = keylatch("org", "plan", "--github", "acme", "--api-url", host.api_url, "--max-wait", "1")
    assert res.code == 0, res.err
    assert '"repository":"acme/a"' in res.out
