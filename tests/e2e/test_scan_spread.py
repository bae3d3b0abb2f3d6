"""`keylatch scan` with its files read on every core says what it says on one core, byte for
byte (findings, order, summary, exit code), and an interrupt still exits 130 with nothing left."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.run import SRC, default_signals

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(len(getattr(os, "sched_getaffinity", lambda _: {0})(0)) < 2, reason="needs two cores"),
]


def _tree(root: Path, files: int, size: int) -> list[str]:
    """`files` files in 12 directories, a key in every 37th, an allow-commented one, a rule
    literal without a key in every 41st, FIFOs."""
    keys = []
    line = b"static int value = compute(buffer, len); /* ordinary text */\n"
    body = line * (size // len(line) + 1)
    for i in range(files):
        d = root / f"d{i % 12}"
        d.mkdir(parents=True, exist_ok=True)
        data = body[: size - 80]
        if i % 37 == 3:
            key = make_key("sk-proj-", seed=i)
            keys.append(key)
            pragma = b"  # keylatch: allow" if i % 111 == 3 else b""
            data += f'OPENAI_API_KEY="{key}"'.encode() + pragma + b"\n"
        elif i % 41 == 5:  # a rule literal and no key: judged by a worker's engine, or here
            data += b"AZURE_OPENAI_ENDPOINT=https://x.openai.azure.com  # sess-\n"
        (d / f"f{i}.py").write_bytes(data)
        if i % 500 == 7:
            os.mkfifo(d / f"f{i}.fifo")
    return keys


def _scan(tree: Path, cwd: Path, one_core: bool, *extra: str) -> tuple[int, str, str]:
    first = min(os.sched_getaffinity(0))
    proc = subprocess.run(
        [sys.executable, "-m", "keylatch", "scan", "--no-baseline", *extra, str(tree)],
        cwd=cwd, env={**os.environ, "PYTHONPATH": str(SRC)}, capture_output=True, text=True, check=False,
        preexec_fn=(lambda: os.sched_setaffinity(0, {first})) if one_core else None,
    )  # fmt: skip
    # The summary's seconds are the only thing that may differ.
    return proc.returncode, proc.stdout, re.sub(r" in [0-9.]+s", " in Ts", proc.stderr)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_all_cores_report_what_one_core_reports(tmp_path: Path, fmt: str) -> None:
    tree = tmp_path / "tree"
    keys = _tree(tree, 600, 4000)
    (tree / "d5" / "big.txt").write_bytes(b"x" * (1 << 20) + f"\nkey={keys[2]}\n".encode())
    many = _scan(tree, tmp_path, False, "--format", fmt)
    one = _scan(tree, tmp_path, True, "--format", fmt)
    assert many == one
    code, out, err = many
    assert code == 1
    assert "keylatch: scanned 601 files" in err and "skipped 2 entries" in err
    assert all(k not in out + err for k in keys)
    assert out.count("sk-proj-") >= len(keys) - 2  # every key but the allowed ones, redacted


def test_a_corrupt_archive_fails_the_same_way_on_every_core(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    _tree(tree, 300, 2000)
    (tree / "d3" / "f100.zip").write_bytes(b"PK\x03\x04" + b"\0" * 64)
    (tree / "d9" / "f200.zip").write_bytes(b"PK\x03\x04" + b"\0" * 64)
    many = _scan(tree, tmp_path, one_core=False)
    assert many == _scan(tree, tmp_path, one_core=True)
    # Both named, in walk order (the scan goes on past the first: tests/e2e/test_unreadable_entries.py).
    assert many[0] == 3 and many[2].index("d3/f100.zip") < many[2].index("d9/f200.zip")


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the scan's forked workers)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.isdigit() and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~100 MB: still reading when the signal comes. Written once (about 0.6 s CPU), read by each
    signal's scan."""
    tree = tmp_path_factory.mktemp("big") / "tree"
    _tree(tree, 6000, 16000)
    return tree


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="watches processes in /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_while_the_readers_run_exits_130(tmp_path: Path, big_tree: Path, sig: signal.Signals) -> None:
    """The workers (sources/forks.py) are running when the signal comes: the scan exits 130
    and leaves none of them behind."""
    tree = big_tree
    proc = subprocess.Popen(
        [sys.executable, "-m", "keylatch", "scan", "--no-baseline", str(tree)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=default_signals,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (workers := _children(proc.pid)):  # forked: the walk is under way
            assert proc.poll() is None, "the scan finished before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.002)
        proc.send_signal(sig)
        code = proc.wait(timeout=20)
        _, err = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 130, err
    assert err.decode().startswith("keylatch: interrupted") and b"Traceback" not in err
    assert not [pid for pid in workers if _alive(pid)]
