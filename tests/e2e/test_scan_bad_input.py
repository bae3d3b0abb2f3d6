"""`keylatch scan` of everything that is not a plain file in a plain directory.

Each case runs the real CLI (`keylatch.cli.main`, in this process: tests/helpers/run.py) under a
watchdog, so a hang fails the test instead of stalling the suite, and asserts what the user sees:
the exit code, one `keylatch: error:` line (never a traceback) or the key found, and that the run
ended. Two kinds run as a child process, because the process is what they are about: the 200 MB
line (its peak memory) and process substitution (bash hands the child a /dev/fd path).

| input                                | exit | why                                              |
| ------------------------------------ | ---- | ------------------------------------------------ |
| FIFO named on the command line       | 1/0  | read to its end in blocks, like `-`              |
| FIFO nobody writes to                | 3    | never waited on: the content could not be read   |
| process substitution `<(cat f)`      | 1/0  | a pipe: read like a FIFO                         |
| character / block device, socket     | 2    | not a file or directory: nothing to scan         |
| a path below a link loop             | 2    | names nothing (like a missing path)              |
| symbolic link (loop, broken, any)    | 1/0  | its target text is its content (as git commits)  |
| unreadable file or directory         | 3    | exists but cannot be read: never "clean"         |
| FIFO, socket, device in a tree       | —    | skipped unopened and counted in the summary      |
| 2,000-level directory tree           | 1    | walked iteratively, opened relative to parent    |
| 200 MB line, sparse file             | 1    | read in blocks: memory bounded by the block size |
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.deep import make_deep, remove_flat
from tests.helpers.gitrepo import git_env
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC, in_process, watchdog

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=81)
TIMEOUT = 120  # a child process's; generous for a loaded 2-core machine: a hang still fails
HANG = 30  # seconds for an in-process run; each takes well under one, a hang never ends


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str
    max_rss_kb: int = 0


def env(home: Path) -> dict[str, str]:
    return {**git_env(home), "PYTHONPATH": str(SRC)}


def scan(*args: str, cwd: Path, home: Path) -> Ran:
    """`keylatch scan ARGS` in this process, under a watchdog."""
    with watchdog(HANG, f"keylatch scan {' '.join(args)}"):
        r = in_process(("scan", *args), cwd, env(home), None)
    return checked(Ran(r.code, r.out, r.err))


def scan_in_child(*args: str, cwd: Path, home: Path) -> Ran:
    """`keylatch scan ARGS` in a subprocess; with its peak RSS (measured by a wrapper process)."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:])\n"
        "sys.stderr.write('maxrss=%d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.exit(r.returncode)\n"
    )
    argv = [sys.executable, "-c", wrapper, sys.executable, "-m", "keylatch", "scan", *args]
    proc = subprocess.run(argv, cwd=cwd, env=env(home), capture_output=True, text=True, timeout=TIMEOUT, check=False)
    err, _, rss = proc.stderr.rpartition("maxrss=")
    return checked(Ran(proc.returncode, proc.stdout, err, int(rss)))


def checked(r: Ran) -> Ran:
    assert "Traceback" not in r.err
    assert_redacted(r.out, r.err, keys=[KEY])
    return r


def one_error_line(r: Ran, code: int, text: str) -> None:
    assert (r.code, r.out) == (code, ""), r
    assert r.err.startswith("keylatch: error: ") and r.err.count("\n") == 1, r.err
    assert text in r.err, r.err


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[Path]:
    """A FIFO with a process blocked opening it for writing, waiting to write a line with KEY."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    proc = subprocess.Popen(["sh", "-c", f'printf "k = %s\\n" "$1" > "{fifo}"', "sh", KEY])
    yield fifo
    proc.kill() if proc.poll() is None else None
    proc.wait(timeout=10)


def test_a_fifo_named_on_the_command_line_is_read(writer: Path, tmp_path: Path, home: Path) -> None:
    r = scan("fifo", cwd=tmp_path, home=home)
    assert r.code == 1, r
    assert r.out.startswith("fifo:1:5: high openai-project-key sk-proj-")


def test_a_fifo_nobody_writes_to_fails_instead_of_waiting(tmp_path: Path, home: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    r = scan("fifo", cwd=tmp_path, home=home)
    one_error_line(r, 3, "cannot read fifo: no process is writing to this FIFO")


@pytest.mark.parametrize(
    ("content", "code"), [(f"k = {KEY}\n", 1), ("nothing\n", 0), ("", 0)], ids=["key", "clean", "empty"]
)
def test_process_substitution_is_read(tmp_path: Path, home: Path, content: str, code: int) -> None:
    (tmp_path / "f").write_text(content)
    proc = subprocess.run(
        ["bash", "-c", f'exec "{sys.executable}" -m keylatch scan <(cat f)'],
        cwd=tmp_path, env=env(home), capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    r = checked(Ran(proc.returncode, proc.stdout, proc.stderr))
    assert r.code == code, r
    if code:
        assert r.out.startswith("/dev/fd/") and ":1:5: high openai-project-key" in r.out.splitlines()[0]
    else:
        assert r.out == "keylatch: no keys found\n"


def special_paths(tmp_path: Path) -> dict[str, tuple[str, int, str]]:
    """name -> (path to scan, exit code, part of the message)."""
    (tmp_path / "loop-a").symlink_to("loop-b")
    (tmp_path / "loop-b").symlink_to("loop-a")
    (tmp_path / "self").symlink_to("self")
    (tmp_path / "dangling").symlink_to("gone")
    (tmp_path / "via-link").symlink_to("/dev/zero")
    (tmp_path / "file").write_text("x")
    return {
        "/dev/null": ("/dev/null", 2, "not a file or directory: /dev/null (character device)"),
        "/dev/zero": ("/dev/zero", 2, "not a file or directory: /dev/zero (character device)"),
        "link to /dev/zero": ("via-link", 2, "not a file or directory: via-link (character device)"),
        "missing": ("missing", 2, "no such file or directory: missing"),
        "below a loop": ("loop-a/x", 2, "symbolic link loop: loop-a/x"),
        "below a file": ("file/x", 2, "no such file or directory: file/x"),
    }


CASES = (
    "/dev/null", "/dev/zero", "link to /dev/zero", "missing", "below a loop", "below a file",
)  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_a_path_that_names_nothing_scannable_is_a_usage_error(tmp_path: Path, home: Path, case: str) -> None:
    path, code, message = special_paths(tmp_path)[case]
    one_error_line(scan(path, cwd=tmp_path, home=home), code, message)


def test_a_socket_named_on_the_command_line_is_a_usage_error(tmp_path: Path, home: Path) -> None:
    with bound_socket(tmp_path / "sock"):
        one_error_line(scan("sock", cwd=tmp_path, home=home), 2, "not a file or directory: sock (socket)")


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_file_whose_read_fails_fails_closed(tmp_path: Path, home: Path) -> None:
    # /proc/self/mem opens as a regular file but reading offset 0 fails, even for root.
    one_error_line(scan("/proc/self/mem", cwd=tmp_path, home=home), 3, "cannot read /proc/self/mem: ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every directory")
def test_an_unreadable_directory_fails_closed(tmp_path: Path, home: Path) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "k.txt").write_text(KEY)
    (tmp_path / "locked").chmod(0)
    try:
        # Named, and the scan goes on past it (tests/e2e/test_unreadable_entries.py): exit 3.
        r = scan(".", cwd=tmp_path, home=home)
        assert r.code == 3 and r.err.startswith("keylatch: error: cannot read locked: Permission denied\n"), r
        assert "1 entry could not be read (exit 3)" in r.out
    finally:
        (tmp_path / "locked").chmod(0o755)


class bound_socket:
    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.path = path

    def __enter__(self) -> None:
        self.sock.bind(str(self.path))

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def test_non_regular_entries_in_a_tree_are_skipped_unopened_and_counted(tmp_path: Path, home: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "app.py").write_text(f'k = "{KEY}"\n')
    os.mkfifo(tree / "fifo")  # opening it would block for ever: nobody writes
    os.mkfifo(tree / "sub" / "fifo2")
    (tree / "zero").symlink_to("/dev/zero")
    (tree / "loop").symlink_to("loop")
    (tree / "up").symlink_to("..")  # links: their text is scanned (tests/e2e/test_scan_symlink_text.py)
    skipped = 3
    try:  # a real device node (/dev/zero's numbers), where the container allows mknod
        os.mknod(tree / "zero-device", 0o666 | stat.S_IFCHR, os.makedev(1, 5))
        skipped += 1
    except OSError:
        pass
    with bound_socket(tree / "sock"):
        r = scan("tree", cwd=tmp_path, home=home)
        clean = scan("tree", "--exclude", "app.py", "--exclude", "sock", cwd=tmp_path, home=home)
        as_json = scan("tree", "--format", "json", cwd=tmp_path, home=home)
    assert r.code == 1, r
    assert r.out.startswith("tree/sub/app.py:1:6: high openai-project-key")
    assert r.out.splitlines()[1:] == [f"keylatch: 1 key found in 1 file; skipped {skipped} non-regular entries"]
    assert clean.out == f"keylatch: no keys found; skipped {skipped - 1} non-regular entries\n"
    assert as_json.code == 1 and as_json.out.startswith("{")  # stdout is the report only
    # The summary on stderr says what was read and what was not, whatever the format.
    for run in (r, as_json):
        assert run.err.startswith("keylatch: scanned 4 files (0.0 MB) in "), run.err
        assert run.err.endswith(
            f"s; skipped {skipped} entries that are not regular files (FIFOs, sockets, devices: not opened)\n"
        )


def test_a_directory_tree_2000_levels_deep_is_scanned(tmp_path: Path, home: Path) -> None:
    depth = 2000
    make_deep(tmp_path, "deep-dir", depth, "k.env", f"OPENAI_API_KEY={KEY}\n".encode())
    try:
        r = scan("deep-dir", cwd=tmp_path, home=home)
    finally:
        remove_flat(tmp_path, "deep-dir")
    assert r.code == 1, r
    assert r.out.startswith("deep-dir/" * depth + "k.env:1:16: high openai-project-key")


def test_a_200_mb_line_is_read_in_bounded_memory(tmp_path: Path, home: Path) -> None:
    size = 200 << 20
    with (tmp_path / "one-line.txt").open("wb") as fh:
        block = b"a" * (1 << 20)
        for _ in range(size >> 20):
            fh.write(block)
        fh.write(f" k={KEY}".encode())
    try:
        r = scan_in_child("one-line.txt", cwd=tmp_path, home=home)
    finally:
        (tmp_path / "one-line.txt").unlink()  # pytest keeps the last runs' temporary directories
    assert r.code == 1, r
    assert r.out.startswith("one-line.txt:1:") and "openai-project-key" in r.out
    assert r.max_rss_kb * 1024 < size, f"peak RSS {r.max_rss_kb} KB for a {size >> 20} MB file"


def test_a_sparse_file_is_scanned_to_its_end(tmp_path: Path, home: Path) -> None:
    size = 96 << 20
    with (tmp_path / "sparse.img").open("wb") as fh:
        fh.truncate(size)
        fh.seek(size - 200)
        fh.write(f"\nk={KEY}\n".encode())
    assert os.stat(tmp_path / "sparse.img").st_blocks * 512 < size  # really sparse
    r = scan("sparse.img", cwd=tmp_path, home=home)
    assert r.code == 1, r
    assert r.out.startswith("sparse.img:2:3: high openai-project-key")


def test_a_symlink_named_on_the_command_line_is_followed_but_not_links_inside(tmp_path: Path, home: Path) -> None:
    # Both links' text ("real", ".") is scanned too: tests/e2e/test_scan_symlink_text.py.
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "k.env").write_text(f"OPENAI_API_KEY={KEY}\n")
    (tmp_path / "real" / "again").symlink_to(".")
    (tmp_path / "link").symlink_to("real")
    r = scan("link", cwd=tmp_path, home=home)
    assert r.code == 1, r
    assert r.out.splitlines()[1:] == ["keylatch: 1 key found in 1 file"]
    assert r.err.startswith("keylatch: scanned 3 files ")
    assert r.out.startswith("link/k.env:1:16: high openai-project-key")
