"""Interrupting `keylatch history` mid-scan: it stops within seconds, leaves no git, grep or
temporary file behind, no half-written cache, and a rerun finds what it should.

The signal lands mid-scan by construction, not by volume: the child named by the cell (a
reader's `cat-file`, or the first `git`) is a wrapper that stops itself (SIGSTOP) before it
becomes the real program, so the scan cannot finish before the signal is sent; the child is
continued right after. With 15,000 small blobs (~6 MB) the pipes are full at that moment when a
reader is the stopped one: keylatch's feeder blocked on `cat-file`, the state in which, before
the fix, SIGINT hung for ever (the main thread joined the blocked feeder, grep blocked on us)
and SIGTERM left git running. (It was a 150 MB repository and a race against the scan; the
same proof now costs a tenth of the CPU.)
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from keylatch.sources import cachekey
from tests.helpers.gitrepo import git_env
from tests.helpers.run import SRC, default_signals, in_process

pytestmark = pytest.mark.e2e

BLOBS = 15_000
KEYS = (make_key("sk-proj-", seed=91), make_key("sk-proj-", seed=92))


@dataclass(frozen=True)
class Big:
    path: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Big:
    """A bare repository of 15,000 distinct ~400-byte blobs over 150 commits, two keys in it.

    Blob count, not size, fills the pipes: each blob is a request line to `cat-file` and a marker
    line from `grep` (history/grepfilter.py), and 15,000 of each are far more than a pipe holds."""
    root = tmp_path_factory.mktemp("interrupts")
    home = root / "home"
    home.mkdir()
    env = git_env(home)
    repo = root / "big.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], env=env, check=True)
    rng = random.Random(7)
    lines = [rng.randbytes(32).hex().encode() + b"\n" for _ in range(3_000)]
    proc = subprocess.Popen(["git", "-C", str(repo), "fast-import", "--quiet"], stdin=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    w = proc.stdin.write
    per = 100
    for c in range(BLOBS // per):
        w(b"commit refs/heads/main\ncommitter A <a@example.test> %d +0000\ndata 2\nc\n" % (1_700_000_000 + c))
        for f in range(per):
            start = rng.randrange(len(lines) - 6)
            body = b"blob %d %d\n" % (c, f) + b"".join(lines[start : start + 6])
            if (c, f) in ((10, 3), (120, 7)):
                body += f"OPENAI_API_KEY={KEYS[c > 100]}\n".encode()
            w(b"M 100644 inline d%d/f%d.txt\ndata %d\n" % (f % 10, f, len(body)) + body + b"\n")
    proc.stdin.close()
    assert proc.wait() == 0
    return Big(repo, env)


def copy_of(big: Big, tmp_path: Path) -> Path:
    """A private copy (hard links), so each test starts with no keylatch cache."""
    dst = tmp_path / "copy.git"
    subprocess.run(["git", "clone", "-q", "--mirror", str(big.path), str(dst)], env=big.env, check=True)
    return dst


def children(pid: int) -> dict[int, str]:
    """Live child processes of `pid`: process id -> start time (to tell a reused id apart)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            out[int(entry.name)] = fields[19]
    return out


def still_running(procs: dict[int, str]) -> list[str]:
    left = []
    for pid, started in procs.items():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[19] == started and fields[0] != "Z":
            left.append(cmd[:120])
    return left


def running_in(repo: Path) -> list[str]:
    """Live processes whose command line names `repo` (every git child gets `-C <repo>`)."""
    out = []
    for entry in Path("/proc").iterdir():
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(repo) in cmd and state != "Z":
            out.append(cmd[:120])
    return out


@dataclass
class Run:
    proc: subprocess.Popen[bytes]
    tmpdir: Path
    seen: dict[int, str]


StartHistory = Callable[..., Run]


def stopper(where: Path, program: str, when: str = "") -> Path:
    """A directory holding `program`: a wrapper that stops itself the first time it runs with
    `when` in its arguments (mkdir is atomic), then execs the real one with the same process id,
    arguments and descriptors."""
    real = shutil.which(program)
    assert real is not None, program
    where.mkdir()
    wrapper = where / program
    stop = f"mkdir '{where}/stopped' 2>/dev/null && kill -s STOP $$"
    wrapper.write_text(f"#!/bin/sh\ncase \"$*\" in *'{when}'*) {stop};; esac\nexec '{real}' \"$@\"\n")
    wrapper.chmod(0o755)
    return where


@pytest.fixture
def start(tmp_path: Path, big: Big) -> Iterator[StartHistory]:
    runs: list[Run] = []

    def start_history(*args: str, stop: str, when: str = "") -> Run:
        """`keylatch history`, whose first `stop` child with `when` in its arguments stops itself."""
        tmpdir = tmp_path / "tmp"
        tmpdir.mkdir(exist_ok=True)
        path = f"{stopper(tmp_path / 'stopper', stop, when)}{os.pathsep}{big.env['PATH']}"
        env = dict(big.env, PYTHONPATH=str(SRC), TMPDIR=str(tmpdir), PATH=path)
        proc = subprocess.Popen(
            [sys.executable, "-m", "keylatch", "history", *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            # As a user's shell starts it: with SIGINT at its default, even when this suite runs
            # as a background job (which ignores SIGINT, and keylatch rightly keeps it ignored).
            preexec_fn=default_signals,
        )  # fmt: skip
        run = Run(proc, tmpdir, {})
        runs.append(run)
        return run

    yield start_history
    for run in runs:  # a failed assertion must not leave a scan running, or a child stopped
        continue_all(run)
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()
        for pipe in (run.proc.stdout, run.proc.stderr):
            if pipe is not None:
                pipe.close()


def state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def wait_for_stopped_child(run: Run, needle: str, timeout: float = 60.0) -> int:
    """Until a child whose command line holds `needle` has stopped itself; collects every child
    seen. While it is stopped the scan cannot finish: keylatch waits for its output or its exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert run.proc.poll() is None, "the scan finished before it could be interrupted"
        kids = children(run.proc.pid)
        run.seen.update(kids)
        for pid in kids:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if needle in cmd and state(pid) == "T":
                return pid
        time.sleep(0.01)
    raise AssertionError(f"no stopped {needle!r} child within {timeout} s")


def continue_all(run: Run) -> None:
    for pid, started in run.seen.items():
        if still_running({pid: started}):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def cache_files_valid(repo: Path, env: dict[str, str]) -> None:
    from keylatch.history.cache import history_dir

    cache = history_dir(repo, env)
    if not cache.exists():
        return
    for f in cache.iterdir():
        assert not f.name.startswith("."), f"temporary cache file left: {f.name}"
        if f.suffix == ".bin":  # a MAC (sources/cachekey.py), then whole 20-byte ids
            assert (f.stat().st_size - cachekey.MAC_SIZE) % 20 == 0
        else:
            json.loads(f.read_text())


def findings(repo: Path, env: dict[str, str]) -> set[str]:
    """The rerun's findings: in this process (tests/helpers/run.py), since only the interrupted
    run's process boundary is what these tests are about."""
    res = in_process(["history", "--format", "json", str(repo)], None, env, None)
    assert res.code == 1, res.err
    doc = json.loads(res.out)
    return {f["fingerprint"] for f in doc["findings"]}


# A reader's cat-file (history/readers.py) stopped: its pipes full, the feeder blocked on it.
READER = "--batch=%(objectname) %(objectsize)"


@pytest.mark.parametrize("when", [READER, ""], ids=["during-readers", "first-child"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_scan_and_cleans_up(
    start: StartHistory,
    big: Big,
    tmp_path: Path,
    sig: signal.Signals,
    when: str,
) -> None:
    repo = copy_of(big, tmp_path)
    run = start(str(repo), stop="git", when=when)
    stopped = wait_for_stopped_child(run, when or "git")

    sent = time.monotonic()
    run.proc.send_signal(sig)  # while the scan is held mid-way
    with contextlib.suppress(ProcessLookupError):  # keylatch may have killed it already
        os.kill(stopped, signal.SIGCONT)
    try:
        code = run.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running 20 s after {sig.name}")
    latency = time.monotonic() - sent
    assert run.proc.stderr is not None
    err = run.proc.stderr.read().decode()

    assert code == 130, err
    assert latency < 3, f"{sig.name} took {latency:.1f} s"
    assert err.startswith("keylatch: interrupted") and "Traceback" not in err
    assert still_running(run.seen) == []
    assert running_in(repo) == []  # children started after the last look, too
    assert list(run.tmpdir.iterdir()) == []
    cache_files_valid(repo, big.env)
    # The rerun (from whatever the interrupted run left) is complete and correct.
    keys = findings(repo, big.env)
    cache_files_valid(repo, big.env)
    assert len(keys) == len(KEYS)
    assert findings(repo, big.env) == keys  # and again, from the caches the rerun wrote


def test_stdout_closed_by_the_reader_ends_cleanly(big: Big, tmp_path: Path) -> None:
    """`keylatch history | head -1`, with head already gone: no traceback, no child left."""
    repo = copy_of(big, tmp_path)
    r, w = os.pipe()
    os.close(r)
    env = dict(big.env, PYTHONPATH=str(SRC), TMPDIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "keylatch", "history", str(repo)],
        env=env, stdout=w, stderr=subprocess.PIPE, timeout=120, check=False,
    )  # fmt: skip
    os.close(w)
    err = proc.stderr.decode()
    assert proc.returncode == 3, err  # the report was not delivered: not a verdict
    assert "Traceback" not in err and "Exception ignored" not in err and "BrokenPipe" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.git"]


def test_a_forked_child_dies_of_sigterm_as_if_keylatch_had_no_handler(tmp_path: Path) -> None:
    """detect-secrets' multiprocessing pool forks workers that inherit keylatch's handlers, then
    terminates them with SIGTERM and joins them. A worker that unwound as KeyboardInterrupt
    instead of dying hung `keylatch detect-secrets scan` for ever (seen in the suite)."""
    probe = (
        "import os, signal, sys, time\n"
        "from keylatch import cli\n"
        "cli._catch_signals()\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    try:\n"
        "        time.sleep(30)\n"
        "    except BaseException:\n"
        "        os._exit(7)\n"
        "    os._exit(0)\n"
        "time.sleep(0.3)\n"
        "os.kill(pid, signal.SIGTERM)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "print(os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=20)
    assert out.stdout.strip() == "True", out.stderr
