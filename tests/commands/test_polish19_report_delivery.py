"""A report that cannot be written where --output names, under one rule with a standard output
that cannot take it (tests/commands/test_qa19_stdout_fails.py): the scan ran, its report was
not delivered, exit 3, one line. `-o /dev/full` and an --output in a directory that does not
exist were exit 2, while `> /dev/full` was 3; `org plan -o` was already 3."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=1974)

# Where --output points, made under the repository's parent.
SINKS: dict[str, Callable[[Path], Path]] = {
    "dev-full": lambda d: Path(os.devnull.replace("null", "full")),
    "no-such-directory": lambda d: d / "absent" / "report.out",
    "a-directory": lambda d: d,
}
COMMANDS = {
    "scan": ("scan", "."),
    "scan-sarif": ("scan", "--format", "sarif", "."),
    "history": ("history",),
    "history-json": ("history", "--format", "json"),
    "ci-range": ("ci", "--range", "ROOT..HEAD", "--format", "github"),
    "org-plan": ("org", "plan", "--repos", "LISTING"),
}


@pytest.mark.parametrize("sink", sorted(SINKS))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_report_that_cannot_be_written_to_its_file_is_one_line_exit_3(
    command: str, sink: str, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = make_repo()
    repo.write("README", "clean\n")
    root = repo.commit("readme")
    repo.write("settings.py", f'OPENAI_API_KEY = "{KEY}"\n')
    repo.commit("settings")
    listing = tmp_path / "repos.txt"
    listing.write_text(f"{repo.path}\n")
    argv = [a.replace("ROOT", root).replace("LISTING", str(listing)) for a in COMMANDS[command]]
    target = SINKS[sink](tmp_path)
    r = keylatch(*argv, "--output", str(target), cwd=repo.path)
    assert r.code == 3, r.out + r.err
    (line,) = [x for x in r.err.splitlines() if x.startswith("keylatch: error:")]
    assert line.startswith(f"keylatch: error: cannot write the report to {target}: "), line
    assert r.err.endswith(line + "\n") and r.out == "" and KEY not in r.err
