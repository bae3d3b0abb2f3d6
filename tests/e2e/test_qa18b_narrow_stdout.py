"""A stdout that cannot encode the scanned repository's text still gets the whole report.

Under LC_ALL=C without Python's UTF-8 mode, PYTHONIOENCODING=ascii or a Latin-1 terminal, a
path `wörld€.env`, an author `Jörg` or a commit message `Grüße` ended every command that printed
it in "unexpected UnicodeEncodeError", exit 3, and the keys found were never shown. Now such
characters are written escaped (`\\xf6`), as stderr already wrote them, and the exit code is 1.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=31)
NAME = "wörld€ł.env"  # ö: Latin-1; € and ł: not

STREAMS = {
    "C-locale-no-utf8-mode": {"LC_ALL": "C", "PYTHONUTF8": "0"},
    "ascii": {"PYTHONIOENCODING": "ascii"},
}
COMMANDS: dict[str, tuple[str, ...]] = {
    "scan-text": ("scan", "."),
    "scan-github": ("scan", ".", "-f", "github"),
    "history-text": ("history",),
    "staged": ("staged",),
    "ci-range": ("ci", "--range", "HEAD~1..HEAD"),
}


@pytest.mark.parametrize("stream", sorted(STREAMS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_report_reaches_a_stdout_that_cannot_encode_it(
    make_repo: Callable[..., GitRepo], keylatch_process: RunKeylatch, stream: str, command: str
) -> None:
    repo = make_repo()
    repo.write("README", "nothing here\n")
    repo.commit("first")
    repo.write(NAME, f"OPENAI_API_KEY={KEY}\n")
    repo.git("add", "-A")
    repo.git("-c", "user.name=Jörg Ærø", "commit", "-q", "-m", "Grüße, € and ł")
    if command == "staged":
        repo.git("reset", "-q", "--soft", "HEAD~1")  # the key file staged, not committed
    r = keylatch_process(*COMMANDS[command], cwd=repo.path, env=STREAMS[stream])
    assert r.code == 1, r.err
    assert "UnicodeEncodeError" not in r.err and "unexpected" not in r.err
    shown = r.out + r.err
    assert "w\\xf6rld" in shown or "wörld" in shown or "w\\udcc3\\udcb6rld" in shown, shown
    assert KEY[:12] in shown and KEY not in shown
