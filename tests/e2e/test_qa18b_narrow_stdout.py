"""A stdout that cannot encode the scanned repository's text still gets the whole report.

Under LC_ALL=C without Python's UTF-8 mode, PYTHONIOENCODING=ascii or a Latin-1 terminal, a
path `wörld€.env`, an author `Jörg` or a commit message `Grüße` ended every command that printed
it in "unexpected UnicodeEncodeError", exit 3, and the keys found were never shown. Now such
characters are written escaped (`\\xf6`), as stderr already wrote them, and the exit code is 1.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch
from tests.helpers.sinks import NARROW, narrow, stdout_of_main

KEY = make_key("sk-proj-", seed=31)
NAME = "wörld€ł.env"  # ö: Latin-1; € and ł: not

COMMANDS: dict[str, tuple[str, ...]] = {
    "scan-text": ("scan", "."),
    "scan-github": ("scan", ".", "-f", "github"),
    "history-text": ("history",),
    "staged": ("staged",),
    "ci-range": ("ci", "--range", "HEAD~1..HEAD"),
}


def _repo(make_repo: Callable[..., GitRepo], command: str) -> GitRepo:
    repo = make_repo()
    repo.write("README", "nothing here\n")
    repo.commit("first")
    repo.write(NAME, f"OPENAI_API_KEY={KEY}\n")
    repo.git("add", "-A")
    repo.git("-c", "user.name=Jörg Ærø", "commit", "-q", "-m", "Grüße, € and ł")
    if command == "staged":
        repo.git("reset", "-q", "--soft", "HEAD~1")  # the key file staged, not committed
    return repo


def _assert_whole_report(code: int, out: str, err: str) -> None:
    assert code == 1, err
    assert "UnicodeEncodeError" not in err and "unexpected" not in err
    shown = out + err
    assert "w\\xf6rld" in shown or "wörld" in shown or "w\\udcc3\\udcb6rld" in shown, shown
    assert KEY[:12] in shown and KEY not in shown


@pytest.mark.parametrize("stream", sorted(NARROW))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_report_reaches_a_stdout_that_cannot_encode_it(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, stream: str, command: str
) -> None:
    # In this process, with the sys.stdout Python builds under the stream's environment
    # (tests/helpers/sinks.py); the interpreter's own startup is the test below.
    repo = _repo(make_repo, command)
    written = io.BytesIO()
    with narrow(stream, written) as stdout, stdout_of_main(stdout):
        r = keylatch(*COMMANDS[command], cwd=repo.path, env=NARROW[stream][0])
        stdout.flush()
        out = written.getvalue().decode("ascii")  # what reached it is all ASCII, or it failed
    _assert_whole_report(r.code, out, r.err)


@pytest.mark.parametrize("stream", sorted(NARROW))
def test_a_child_under_a_narrow_locale_prints_the_whole_report(
    make_repo: Callable[..., GitRepo], keylatch_process: RunKeylatch, stream: str
) -> None:
    repo = _repo(make_repo, "history-text")
    r = keylatch_process(*COMMANDS["history-text"], cwd=repo.path, env=NARROW[stream][0])
    _assert_whole_report(r.code, r.out, r.err)
