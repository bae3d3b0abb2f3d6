"""Running the `keylatch` CLI for a test: in this process (`keylatch.cli.main`), or as a child
process when the process boundary is what the test is about. Both return what a user sees."""

from __future__ import annotations

import gc
import io
import logging
import os
import signal
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


# Runs and hooks use this checkout's code, whatever is installed (PYTHONPATH=SRC).
SRC = Path(__file__).resolve().parents[2] / "src"

RunKeylatch = Callable[..., Result]


def in_subprocess(argv: Sequence[str], cwd: Path | None, env: Mapping[str, str], input: str | bytes | None) -> Result:
    """`python -m keylatch argv` in a child process, `input` on its stdin: text, or bytes for
    binary input (an archive on `scan -`), whose output is then decoded as text mode would."""
    command = [sys.executable, "-m", "keylatch", *argv]
    if isinstance(input, bytes):
        raw = subprocess.run(command, cwd=cwd, env=dict(env), input=input, capture_output=True, check=False)
        return Result(raw.returncode, _text(raw.stdout), _text(raw.stderr))
    proc = subprocess.run(command, cwd=cwd, env=dict(env), input=input, capture_output=True, text=True, check=False)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def in_process(argv: Sequence[str], cwd: Path | None, env: Mapping[str, str], input: str | bytes | None) -> Result:
    """`keylatch.cli.main(argv)` with what a child process would have had: exactly `env` as its
    environment (git and keylatch's own children inherit it), `cwd`, `input` on stdin, and pipes
    for stdout and stderr. What it returns is what `in_subprocess` would (tests/test_in_process.py
    compares the two). `input` may be bytes: binary input on `scan -`.

    Python in the C locale that git_env sets writes stdout with surrogateescape and stderr with
    backslashreplace; the parent's text mode then decodes UTF-8 and folds \\r\\n and \\r to \\n."""
    from keylatch import cli
    from keylatch.commands.detect_secrets import environ

    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="surrogateescape", line_buffering=True)
    stderr = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", line_buffering=True)
    data = input.encode() if isinstance(input, str) else input or b""
    with environ(env), _cwd(cwd), _stdin(data) as stdin, _streams(stdin, stdout, stderr):
        with _own_logging(), _library_logs(), _as_at_exit(), _quick_caller_path():
            try:
                code = cli.main(list(argv))
            except SystemExit as exc:  # argparse: --help, --version, usage errors
                code = _exit_status(exc.code, stderr)
            except Exception:  # noqa: BLE001  -- as the interpreter would: a traceback and exit 1
                traceback.print_exc(file=stderr)
                code = 1
        stdout.flush()
        stderr.flush()
    return Result(code, _text(out.getvalue()), _text(err.getvalue()))


def _exit_status(code: object, stderr: io.TextIOWrapper) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=stderr)
    return 1


def _text(data: bytes) -> str:
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


@contextmanager
def _cwd(cwd: Path | None) -> Iterator[None]:
    saved = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved)


@contextmanager
def _stdin(data: bytes) -> Iterator[io.TextIOWrapper]:
    """`data` on file descriptor 0 itself (`scan -` reads the descriptor), and sys.stdin over it."""
    with tempfile.TemporaryFile() as feed:
        feed.write(data)
        feed.seek(0)
        saved = os.dup(0)
        os.dup2(feed.fileno(), 0)
        try:
            yield io.TextIOWrapper(io.FileIO(0, closefd=False), encoding="utf-8", errors="surrogateescape")
        finally:
            os.dup2(saved, 0)
            os.close(saved)


@contextmanager
def _as_at_exit() -> Iterator[None]:
    """Drop what the run left behind with ResourceWarning ignored, as a child process's exit would
    (Python's default filters ignore it): a git child not waited for, a pipe not closed. Under
    filterwarnings=error they would fail this test, or an unrelated later one at a collection.
    The run's frames are gone once main() returns; a young-generation pass catches their cycles."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            yield
        finally:
            gc.collect(0)


@contextmanager
def _streams(stdin: io.TextIOWrapper, stdout: io.TextIOWrapper, stderr: io.TextIOWrapper) -> Iterator[None]:
    # sys.__stdout__ too: cli reads the terminal width from it, and a child's stdout is a pipe.
    saved = (sys.stdin, sys.stdout, sys.stderr, sys.__stdout__)
    # sys.argv too: `keylatch detect-secrets` renames argv[0] for detect-secrets' usage lines.
    argv = sys.argv[:]
    # typeshed declares sys.__stdout__ Final: it is, for programs; a test stands in for the process.
    sys.stdin, sys.stdout, sys.stderr, sys.__stdout__ = stdin, stdout, stderr, stdout  # type: ignore[misc]
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.__stdout__ = saved  # type: ignore[misc]
        sys.argv[:] = argv


@contextmanager
def _library_logs() -> Iterator[None]:
    """detect-secrets gives its logger a handler on the sys.stderr of the moment it is first
    imported: in a child process, that process's stderr. Here it is this run's stderr, and
    afterwards the interpreter's, not the pipe of whichever run imported it first."""
    handlers = [h for h in logging.getLogger("detect-secrets").handlers if isinstance(h, logging.StreamHandler)]
    for handler in handlers:
        handler.setStream(sys.stderr)
    try:
        yield
    finally:
        for after in logging.getLogger("detect-secrets").handlers:
            if isinstance(after, logging.StreamHandler) and sys.__stderr__ is not None:
                after.setStream(sys.__stderr__)


@contextmanager
def _own_logging() -> Iterator[None]:
    """cli configures the root logger as the only one to do so in a fresh process: give it an
    unconfigured one (pytest's capture handlers set aside), and take back what it added."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    try:
        yield
    finally:
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers = handlers
        root.setLevel(level)


def caller_path(offset: int = 0) -> str:
    """detect_secrets.filters.util.get_caller_path without inspect.stack(): the `module.function`
    of the frame `offset` above its caller, as that function returns (tests/test_in_process.py
    compares the two). inspect.stack() reads the source of every frame on the stack and scans
    sys.modules for each: under pytest (a deep stack, thousands of modules) ~20 ms a call, and
    detect-secrets makes a few per run (it clears its filters' caches each time). A keylatch
    process has a short stack and few modules, so it never paid this."""
    frame = sys._getframe(1 + offset)
    return f"{frame.f_globals['__name__']}.{frame.f_code.co_name}"


_CALLERS = ("detect_secrets.filters.common", "detect_secrets.filters.regex")


@contextmanager
def _quick_caller_path() -> Iterator[None]:
    """detect-secrets' filters use `caller_path` during the run (once detect-secrets is imported:
    the session's first detect-secrets run imports it and pays the slow way once)."""
    saved = [(m, m.get_caller_path) for m in map(sys.modules.get, _CALLERS) if m is not None]
    for module, _ in saved:
        setattr(module, "get_caller_path", caller_path)  # noqa: B010  -- a module attribute, not typed
    try:
        yield
    finally:
        for module, original in saved:
            setattr(module, "get_caller_path", original)  # noqa: B010


class Hung(BaseException):
    """Raised in the main thread by `watchdog` when a run outlives its time. A BaseException, as
    KeyboardInterrupt is, so no `except Exception` in keylatch turns a hang into an exit code:
    it unwinds the run (sources/reaping.py kills the git children it knows) and fails the test."""


@contextmanager
def watchdog(seconds: float, what: str) -> Iterator[None]:
    """Fail the test, instead of hanging the suite, if the block (an in-process run that must not
    wait on a FIFO, a socket or a device) takes longer than `seconds`.

    SIGALRM's handler kills every process the block started (a git blocked on a FIFO, its own
    children: a clone's upload-pack), then raises `Hung` in the main thread; under PEP 475 a
    raising handler interrupts the blocking open(), read() or wait() it arrived in. It fires again
    every second after, in case a cleanup swallowed it, and a block that returns after a swallowed
    one still fails. tests/test_in_process.py proves it fails fast on a real hang."""
    import pytest

    before = _descendants()
    previous = signal.getsignal(signal.SIGALRM)
    killed: list[int] = []
    fired: list[bool] = []

    def expired(signum: int, frame: object) -> None:
        # Kill first, then unwind: the run's own cleanup kills its direct children as Hung passes,
        # which would orphan their children out of our reach.
        fired.append(True)
        killed.extend(_kill_new(before))
        raise Hung(what)

    signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    except Hung:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _reap(killed)
    if fired:
        pytest.fail(f"{what} hung (stopped after {seconds:g} s)", pytrace=False)


def _descendants() -> dict[int, int]:
    """pid -> parent pid of every live process below this one, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue  # gone meanwhile
        # pid (comm) state ppid ...: comm may hold spaces and parentheses; it ends at the last ')'.
        parents[int(entry.name)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
    mine: dict[int, int] = {}
    frontier = [os.getpid()]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in mine:
                mine[pid] = ppid
                frontier.append(pid)
    return mine


def _kill_new(before: Mapping[int, int]) -> list[int]:
    """SIGKILL every descendant that was not there `before`, all at once (no grandchild is
    orphaned by its parent's death first); the ones that were this process's own children."""
    new = {pid: ppid for pid, ppid in _descendants().items() if pid not in before}
    for pid in new:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return [pid for pid, ppid in new.items() if ppid == os.getpid()]


def _reap(children: Sequence[int]) -> None:
    for pid in children:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass  # its Popen reaped it meanwhile


def default_signals() -> None:
    """A child's `preexec_fn`: SIGINT and SIGTERM back to their defaults. A shell's background job
    (`cmd &`, nohup) starts pytest with SIGINT ignored, the child inherits that, and keylatch
    keeps an ignored signal ignored, as it should: a test that signals a child must not depend
    on how pytest was started."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
