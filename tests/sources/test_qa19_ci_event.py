"""GITHUB_EVENT_PATH naming something that is not a small JSON file (QA t-qa19).

Before the fix `keylatch ci` read the event payload whole, whatever it was: /dev/zero grew until
the kernel killed keylatch (exit 137, no message), a FIFO nobody writes blocked the job forever.
Every unreadable payload is now one line naming it, exit 2, as a missing or non-JSON one already
was (sources/ci_range.py load_event).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from keylatch.sources.ci_range import MAX_EVENT_BYTES
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch, watchdog

KEY = make_key("sk-proj-", seed=1902)


def _fifo(d: Path) -> Path:
    os.mkfifo(d / "event.json")
    return d / "event.json"


def _oversized(d: Path) -> Path:
    with (d / "event.json").open("wb") as f:  # sparse: no disk, no time
        f.truncate(MAX_EVENT_BYTES + 1)
    return d / "event.json"


def _link_to_zero(d: Path) -> Path:
    (d / "event.json").symlink_to(os.devnull.replace("null", "zero"))
    return d / "event.json"


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        (d / name).write_bytes(data)
        return d / name

    return make


# name -> the payload GITHUB_EVENT_PATH names, built in a directory of its own.
PAYLOADS: dict[str, Callable[[Path], Path]] = {
    "dev-zero": lambda d: Path("/dev/zero"),
    "link-to-dev-zero": _link_to_zero,
    "fifo": _fifo,
    "directory": lambda d: d,
    "missing": lambda d: d / "absent.json",
    "oversized": _oversized,
    "not-utf8": _write("event.json", b'{"before": "\xff"}'),
    "not-json": _write("event.json", b"push"),
    "json-list": _write("event.json", b"[]"),
}


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_an_unreadable_event_payload_is_one_line_exit_2(
    payload: str, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = make_repo()
    repo.write("settings.py", f'OPENAI_API_KEY = "{KEY}"\n')
    sha = repo.commit("add settings")
    where = tmp_path / "payload"
    where.mkdir()
    path = PAYLOADS[payload](where)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(path), "GITHUB_SHA": sha}
    with watchdog(30, f"keylatch ci with a {payload} payload"):
        r = keylatch("ci", cwd=repo.path, env=env)
    assert r.code == 2, r.err
    (line,) = r.err.splitlines()
    assert line.startswith("keylatch: error: ") and str(path) in line, line
    assert "payload" in line and r.out == ""
