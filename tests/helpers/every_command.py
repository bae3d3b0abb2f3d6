"""The four commands that share the engine and its needles (scan, staged, history, ci) run over
the same files, for tests that a spelling is found by each of them, not by `scan_text` alone."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch


def run_every_command(keylatch: RunKeylatch, repo: GitRepo, files: Mapping[str, str]) -> dict[str, Result]:
    """`files` staged (scan of the tree, then staged), then committed on a base commit (history,
    and ci over base..HEAD); each run's JSON report by command."""
    repo.write("README.md", "hello\n")
    base = repo.commit("base")
    for path, text in files.items():
        repo.write(path, text)
    repo.git("add", "-A")
    runs = {"scan": keylatch("scan", ".", "--format", "json", cwd=repo.path)}
    runs["staged"] = keylatch("staged", "--format", "json", cwd=repo.path)
    repo.commit("keys")
    runs["history"] = keylatch("history", ".", "--format", "json", cwd=repo.path)
    runs["ci"] = keylatch("ci", "--range", f"{base}..HEAD", "--format", "json", cwd=repo.path)
    return runs


def assert_each_found_exactly(runs: Mapping[str, Result], keys: Iterable[str]) -> None:
    """Every command exits 1 reporting exactly `keys` (by fingerprint), and prints none whole."""
    keys = list(keys)
    want = {hashlib.sha256(k.encode()).hexdigest() for k in keys}
    for command, result in runs.items():
        assert result.code == 1, (command, result.err)
        assert {f["fingerprint"] for f in json.loads(result.out)["findings"]} == want, command
        assert not any(k in result.out + result.err for k in keys), command
