"""A repository whose own configuration carries an `allow-lines` pattern that backtracks on its
key lines: every command reports every key, and the pattern costs one time limit per run.

The configuration comes with the scanned repository (`scan .`, `staged`, `history .`; `ci` reads
the base commit's). Each key line ends in text on which `(a|aa)+$` backtracks catastrophically, so
each search hits the 0.25 s limit (about 0.6 s in practice). Before, every key line paid it again:
40 key lines took 35 s, a file of 10,000 would take hours. The warning is counted rather than the
run timed: one warning means one timeout.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e

PATTERN = "(a|aa)+$"
KEYS = [make_key("sk-proj-", seed=1700 + i) for i in range(8)]
CONFIG = f"allow-lines:\n  - '{PATTERN}'\n  - 'EXAMPLE_ONLY'\n"


def key_file() -> str:
    return "".join(f"K{i} = '{k}'  # {'a' * 40}!\n" for i, k in enumerate(KEYS))


def scan(kl: RunKeylatch, repo: GitRepo, base: str) -> Result:
    return kl("scan", ".", "--no-color", cwd=repo.path)


def staged(kl: RunKeylatch, repo: GitRepo, base: str) -> Result:
    repo.write("more.py", key_file())
    repo.git("add", "more.py")
    return kl("staged", "--no-color", cwd=repo.path)


def history(kl: RunKeylatch, repo: GitRepo, base: str) -> Result:
    return kl("history", ".", "--no-color", cwd=repo.path)


def ci(kl: RunKeylatch, repo: GitRepo, base: str) -> Result:
    return kl("ci", "--range", f"{base}..HEAD", "--no-color", cwd=repo.path)


COMMANDS: dict[str, Callable[[RunKeylatch, GitRepo, str], Result]] = {
    "scan": scan,
    "staged": staged,
    "history": history,
    "ci": ci,
}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_key_is_reported_and_the_pattern_times_out_once(
    command: str, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    repo = make_repo()
    repo.write(".keylatch.yaml", CONFIG)
    repo.write("README", "hello\n")
    base = repo.commit("config")  # ci judges the range with the base's configuration
    repo.write("keys.py", key_file())
    repo.commit("keys")

    result = COMMANDS[command](keylatch, repo, base)

    assert result.code == 1, result.err
    for key in KEYS:
        assert scan_text(key)[0].secret.redacted in result.out + result.err, command
    timeouts = [line for line in result.err.splitlines() if "timed out" in line]
    assert len(timeouts) == 1, result.err
    assert "not applied for the rest of this run" in timeouts[0]
