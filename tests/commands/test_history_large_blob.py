"""`keylatch history` on a repository with a large blob that ends in keys: allow comments and
SARIF columns are still read from the blob, and keylatch's memory does not grow with it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from keylatch.commands.output import lines_of
from keylatch.model import Finding, Location, Secret, Severity
from keylatch.report import render
from keylatch.rules.synthetic import make_key
from keylatch.sources.gitcmd import Git
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import SRC

MakeRepo = Callable[..., GitRepo]

BLOB_MB = 64
# keylatch's own peak RSS when nothing is large (interpreter, rules, the walk's 8 MiB blocks and
# a pipe); measured at 50-70 MB. Reading the blob whole, as before, peaked above BLOB_MB + this.
BASE_MB = 90

# Runs keylatch in a child and prints the child's own peak RSS (KiB on Linux): the git processes
# it starts are not counted, as issue 14 asks about keylatch's own memory.
_MEASURED = """
import resource, sys
from keylatch.cli import main
code = main(sys.argv[1:])
sys.stdout.flush()
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code)
"""
# ...started from a small interpreter, not from pytest: Linux counts the memory a process had
# before exec in its peak RSS, and a child started from pytest (vfork) begins with pytest's
# (which passes 100 MB late in a run). The small parent only passes on the exit status.
_FROM_A_SMALL_PARENT = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_history_of_a_large_blob_honours_its_allow_comment_and_gives_sarif_columns_in_bounded_memory(
    make_repo: MakeRepo,
) -> None:
    allowed, reported = make_key("sk-proj-", seed=71), make_key("sk-proj-", seed=72)
    repo = make_repo()
    filler = b"".join(b"line %07d of generated data, nothing secret here\n" % i for i in range(20_000))
    with open(repo.path / "data.txt", "wb") as f:
        for _ in range((BLOB_MB << 20) // len(filler)):
            f.write(filler)
        f.write(b"# pragma: allowlist nextline secret\n")
        f.write(f"OPENAI_API_KEY={allowed}\n".encode())
        # \u00e9 is two bytes in UTF-8 and one UTF-16 unit: the SARIF column counts the latter.
        f.write(f'caf\u00e9 = "{reported}"'.encode())  # no final newline
    size = (repo.path / "data.txt").stat().st_size
    repo.commit("add data")

    env = {**repo.env, "PYTHONPATH": str(SRC)}
    measured = [sys.executable, "-c", _MEASURED, "history", "--format", "sarif", str(repo.path)]
    proc = subprocess.run(
        [sys.executable, "-c", _FROM_A_SMALL_PARENT, *measured],
        capture_output=True, text=True, env=env, cwd=repo.path, check=False,
    )  # fmt: skip
    *_, peak_kib = proc.stderr.strip().splitlines()

    assert proc.returncode == 1, proc.stderr
    (result,) = json.loads(proc.stdout)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "data.txt"
    assert location["region"]["startLine"] == 20_000 * ((BLOB_MB << 20) // len(filler)) + 3
    # history's places carry no span (commands/scanning.places), so its SARIF has no columns
    # yet; the line it reads again for them, from the blob, gives the right one to a finding
    # that has its span (as scan's do).
    commit, blob = repo.git("rev-parse", "HEAD"), repo.git("rev-parse", "HEAD:data.txt")
    at = Location("data.txt", location["region"]["startLine"], len('caf\u00e9 = "'.encode()) + 1, commit, blob)
    finding = Finding("openai-project-key", Severity.HIGH, Secret(reported), at, span=(0, len(reported)))
    line_of = lines_of([finding], [Git(repo.path)])
    assert line_of(finding) == f'caf\u00e9 = "{reported}"'.encode()
    (region,) = [r["locations"][0]["physicalLocation"]["region"] for r in _sarif([finding], line_of)]
    assert region["startColumn"] == len('caf\u00e9 = "') + 1
    assert allowed not in proc.stdout + proc.stderr and reported not in proc.stdout + proc.stderr
    assert int(peak_kib) < (BASE_MB << 10) + (size >> 10) // 4, f"{peak_kib} KiB for a {size >> 20} MiB blob"


def _sarif(findings: list[Finding], line_of: Callable[[Finding], bytes | None]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = json.loads(render("sarif", findings, line_of=line_of))["runs"][0]["results"]
    return results
