"""Ctrl-C (SIGINT) or SIGTERM stops `org scan` at once, even while every worker waits on a clone
that never ends: exit 130, no git process left behind, no clone directory left, no record written
for the interrupted repositories; temporary files a killed run left are never read as results."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.gitrepo import git_env
from tests.helpers.run import SRC, RunKeylatch, default_signals


@pytest.fixture
def silent_host() -> Iterator[str]:
    """A git host on 127.0.0.1 that accepts every connection and never answers: a hung clone."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


def _children(pid: int) -> list[int]:
    out = []
    for p in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{p}/stat").read_text()
        except OSError:
            continue
        if p.isdigit() and stat[stat.rindex(")") + 2 :].split()[1] == str(pid):
            out.append(int(p))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the git children")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_stops_hung_clones_at_once(tmp_path: Path, home: Path, silent_host: str, signum: int) -> None:
    plan = tmp_path / "plan.jsonl"
    plan.write_text("".join(json.dumps({"repository": f"acme/r{i}", "clone_url": f"{silent_host}/acme/r{i}.git",
                                        "default_branch": "main", "head": "", "size": 1, "auth": ""}) + "\n"
                            for i in range(3)))  # fmt: skip
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = git_env(home) | {"PYTHONPATH": str(SRC), "TMPDIR": str(scratch)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "keylatch", "org", "scan", str(plan), "--out", str(tmp_path / "out"), "--jobs", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(list(scratch.glob("keylatch-org-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # both workers are cloning
    time.sleep(0.5)
    git = _children(proc.pid)
    assert git, "the clones should be running"
    started = time.monotonic()
    proc.send_signal(signum)  # to keylatch alone, as a CI runner cancelling a job does
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("org scan did not stop after the interrupt") from None
    assert proc.returncode == 130, err
    assert time.monotonic() - started < GRACE_BOUND
    assert "Traceback" not in err
    assert [p for p in git if Path(f"/proc/{p}").exists() and "zombie" not in _state(p)] == []
    assert list(scratch.iterdir()) == []  # every clone directory removed
    assert list((tmp_path / "out").glob("*.result.json")) == []  # no record for an interrupted repository


GRACE_BOUND = 10  # seconds: the workers' git is killed, not waited for


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "zombie"


def test_temporary_files_of_a_killed_run_are_ignored_then_removed(keylatch: RunKeylatch, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    old = out / ".tmp-dead.partial"
    old.write_text('{"format": "keylatch-org-result/1", "status": "ok"')  # cut short by a kill
    fresh = out / ".tmp-live.partial"  # another shard's, being written now: left alone
    fresh.write_text("{")
    past = time.time() - 3600
    os.utime(old, (past, past))
    (tmp_path / "plan.jsonl").write_text("")
    res = keylatch("org", "scan", str(tmp_path / "plan.jsonl"), "--out", str(out))
    assert res.code == 0, res
    assert not old.exists() and fresh.exists()
    merged = keylatch("org", "merge", str(out))
    assert merged.code == 0 and "Traceback" not in merged.err
