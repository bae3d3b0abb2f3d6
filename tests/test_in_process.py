"""The suite runs the CLI in-process (tests/helpers/run.py) because an interpreter per run was most
of its CPU time. That is only sound if a user would see the same thing: each case here runs both
ways and must give the same exit code, stdout and stderr, byte for byte."""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.run import Result, RunKeylatch, caller_path, watchdog

KEY = make_key("sk-proj-", seed=4242)

CASES: dict[str, tuple[tuple[str, ...], str | bytes | None]] = {
    "help": (("--help",), None),
    "version": (("--version",), None),
    "no command": ((), None),
    "unknown command": (("stagd",), None),
    "usage error on the hook path": (("staged", "--bogus"), None),
    "keys found, text": (("scan", "src", "--no-color"), None),
    "keys found, json": (("scan", "src", "--format", "json"), None),
    "keys found, sarif": (("scan", "src", "--format", "sarif"), None),
    "standard input": (("scan", "-"), f"token = '{KEY}'\n"),
    # Bytes on stdin (tests/e2e/test_arch19_containers.py feeds archives this way in-process).
    "binary standard input": (("scan", "-"), gzip.compress(f"token = '{KEY}'\n".encode(), mtime=0)),
    "unreadable path": (("scan", "missing"), None),
    "staged": (("staged", "--no-color"), None),
    "history": (("history", ".", "--no-cache"), None),  # the first run's cache would serve the second
    "pre-push from standard input": (("pre-push", "origin", "file:///nowhere"), "PUSH"),
    "ci range that does not resolve": (("ci", "--range", "nope..HEAD"), None),
    "--debug on an error": (("--debug", "scan", "missing"), None),
    # detect-secrets keeps settings in process-wide caches and logs through its own handler.
    "detect-secrets scan": (("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector", "src"), None),
    "detect-secrets hook": (("detect-secrets", "hook", "src/staged.py"), None),
    "detect-secrets usage error": (("detect-secrets", "hook", "--bogus"), None),
    "detect-secrets plugin that cannot load": (("detect-secrets", "scan", "--plugin", "missing.py", "src"), None),
}


def untimed(r: Result) -> Result:
    """history's and scan's summary lines say how long the scan took, a detect-secrets baseline when
    it was made: the things two runs may differ in."""
    timed = re.compile(r" in [0-9.]+s(;|$)", flags=re.M)
    out = re.sub(r'"generated_at": "[^"]*"', '"generated_at": "T"', timed.sub(r" in Ns\1", r.out))
    return Result(r.code, out, timed.sub(r" in Ns\1", r.err))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("in-process")
    (root / "home").mkdir()
    repo = GitRepo.init(root / "repo", root / "home")
    repo.write("README", "hello\n")
    repo.commit("init")
    repo.write("src/settings.py", f"OPENAI_API_KEY = '{KEY}'\n")
    repo.commit("settings")
    repo.write("src/staged.py", f"TOKEN = '{KEY}'\n")
    repo.git("add", "-A")
    return repo.path


@pytest.fixture
def repo(template: Path, tmp_path: Path, home: Path) -> GitRepo:
    """A committed key and a staged one, built once per module: each test runs in its own copy."""
    copy_tree(template, tmp_path / "repo")
    return GitRepo(tmp_path / "repo", git_env(home))


@pytest.mark.parametrize("case", list(CASES))
def test_in_process_matches_a_child_process(
    case: str, repo: GitRepo, keylatch: RunKeylatch, keylatch_process: RunKeylatch
) -> None:
    argv, stdin = CASES[case]
    if stdin == "PUSH":
        stdin = f"refs/heads/main {repo.git('rev-parse', 'HEAD')} refs/heads/main {'0' * 40}\n"
    child = keylatch_process(*argv, cwd=repo.path, input=stdin)
    here = keylatch(*argv, cwd=repo.path, input=stdin)
    assert untimed(here) == untimed(child)
    assert child.code in (0, 1, 2, 3)  # and the case ran something: no traceback's exit 1


@pytest.mark.prints_secrets("compares what --show-secrets prints, both ways")
def test_show_secrets_matches_too(repo: GitRepo, keylatch: RunKeylatch, keylatch_process: RunKeylatch) -> None:
    argv = ("scan", "src", "--show-secrets", "--no-color")
    assert untimed(keylatch(*argv, cwd=repo.path)) == untimed(keylatch_process(*argv, cwd=repo.path))


def test_the_quick_caller_path_answers_as_detect_secrets_does() -> None:
    """in_process gives detect-secrets' filters tests/helpers/run.caller_path: same answers."""
    from detect_secrets.filters.util import get_caller_path

    def filter_cache() -> tuple[str, str]:
        return get_caller_path(offset=1), caller_path(offset=1)

    def caller() -> tuple[str, str]:
        return filter_cache()

    assert caller() == (f"{__name__}.caller",) * 2
    assert (get_caller_path(), caller_path()) == (
        f"{__name__}.test_the_quick_caller_path_answers_as_detect_secrets_does",
    ) * 2


# The watchdog (tests/helpers/run.py) lets a hang test run in-process: it must turn a real hang into
# a failure, leave no process behind, and be a no-op otherwise.


def test_the_watchdog_fails_a_read_of_a_fifo_nobody_writes(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(pytest.fail.Exception, match="opening a FIFO hung"):
        with watchdog(0.2, "opening a FIFO"):
            (tmp_path / "fifo").read_bytes()
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_the_watchdog_kills_the_children_and_grandchildren_of_a_hung_run(tmp_path: Path) -> None:
    """A run waiting on a child whose own children block (git clone -> upload-pack): all die."""
    pids = tmp_path / "pids"
    script = f"sleep 300 & echo $! >> {pids}; sh -c 'sleep 300' & echo $! >> {pids}; echo $$ >> {pids}; wait"
    started: list[subprocess.Popen[bytes]] = []
    with pytest.raises(pytest.fail.Exception, match="a shell hung"):
        with watchdog(0.5, "a shell"):
            started.append(subprocess.Popen(["sh", "-c", script]))
            started[0].wait()
    (shell,) = started
    for pid in map(int, pids.read_text().split()):
        deadline = time.monotonic() + 10  # SIGKILL takes effect as the process is next scheduled
        while _state(pid) not in ("gone", "Z") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state(pid) in ("gone", "Z"), pid  # a zombie is dead (an init may be slow to reap it)
    assert _state(shell.pid) == "gone"  # our own child is reaped, too
    assert shell.wait() == 0  # the watchdog reaped it: Popen only learns it is gone


def _state(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return "gone"
    return stat[stat.rindex(b")") + 2 :].split()[0].decode()


def test_the_watchdog_fails_a_run_that_swallowed_the_interruption() -> None:
    with pytest.raises(pytest.fail.Exception, match="a stubborn loop hung"):
        with watchdog(0.1, "a stubborn loop"):
            try:
                time.sleep(5)
            except BaseException:  # noqa: BLE001 -- what a careless cleanup does
                pass


def test_the_watchdog_lets_a_prompt_run_pass() -> None:
    with watchdog(30, "a prompt run"):
        done = 1 + 1
    assert done == 2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
