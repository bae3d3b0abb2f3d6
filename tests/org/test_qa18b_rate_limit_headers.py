"""`org plan` against an API whose rate-limit headers are not numbers: one line and exit 3.

`Retry-After: ²` (a Latin-1 byte, which str.isdigit takes for a digit) ended in "unexpected
ValueError" before; now an unreadable wait is no stated wait, and the answer is an error.
"""

from __future__ import annotations

import pytest

from tests.helpers.fakehost import FakeHost, serve
from tests.helpers.run import RunKeylatch

HEADERS = [
    {"Retry-After": "\xb2"},
    {"Retry-After": "\xb9\xb3"},
    {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "\xb2"},
    {"RateLimit-Remaining": "0", "RateLimit-Reset": "1\xb2"},
]


@pytest.mark.parametrize("status", [403, 429])
@pytest.mark.parametrize("headers", HEADERS, ids=["retry-after", "retry-after-2", "x-reset", "gitlab-reset"])
@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_a_wait_that_is_no_number_is_one_line_and_exit_3(
    keylatch: RunKeylatch, kind: str, headers: dict[str, str], status: int
) -> None:
    host = FakeHost(kind, orgs={"acme"})
    host.limits = [(status, headers)] * 3
    with serve(host):
        res = keylatch("org", "plan", f"--{kind}", "acme", "--api-url", host.api_url, "--max-wait", "5")
    assert res.code == 3, res.err
    (line,) = res.err.strip().splitlines()
    assert line.startswith("keylatch: error: ") and "unexpected" not in line and "API" in line
