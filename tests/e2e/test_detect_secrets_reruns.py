"""`keylatch detect-secrets` run twice in one process (tests, a program embedding keylatch) judges
the second run by its own settings: detect-secrets keeps its filters' compiled patterns, the
baseline's name and other settings in per-process caches, and a run that left them behind made
the next one exclude what only the first run's command line or baseline excluded."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

# A stock detector's finding (KeywordDetector), not a key: keylatch never overrides its filters.
LINE = 'db_password = "Zq8vTn3kW1xR"\n'

# (what the first run brings, excluding the line above; the same exclusion in the second run,
# matching nothing there): the second run also without any.
FIRST = {
    "exclude-lines": (("--exclude-lines", "db_password"), ("--exclude-lines", "no_such_name")),
    "exclude-files": (("--exclude-files", "settings"), ("--exclude-files", "no_such_file")),
    "exclude-secrets": (("--exclude-secrets", "Zq8v"), ("--exclude-secrets", "no_such_secret")),
}


def found(out: str, action: str) -> bool:
    """Whether the run reported the line: the hook's text, or scan's baseline results."""
    if action == "hook":
        return "Secret Keyword" in out
    return any(s["type"] == "Secret Keyword" for s in json.loads(out)["results"].get("settings.py", []))


@pytest.mark.parametrize("other", [False, True], ids=["none", "other-pattern"])
@pytest.mark.parametrize("first", sorted(FIRST))
@pytest.mark.parametrize("action", ["hook", "scan"])
def test_a_second_run_in_the_same_process_is_judged_by_its_own_settings(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], first: str, action: str, other: bool
) -> None:
    repo = make_repo()
    repo.write("settings.py", LINE)
    repo.git("add", "-A")
    args = ("hook",) if action == "hook" else ("scan",)
    excluding, matching_nothing = FIRST[first]
    excluded = keylatch("detect-secrets", *args, *excluding, "settings.py", cwd=repo.path)
    assert not found(excluded.out, action), excluded.out
    again = keylatch("detect-secrets", *args, *(matching_nothing if other else ()), "settings.py", cwd=repo.path)
    assert found(again.out, action), (again.code, again.out, again.err)
    if action == "hook":
        assert (excluded.code, again.code) == (0, 1), (excluded.out, again.out)
