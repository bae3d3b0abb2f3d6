"""Advice never names a flag the command that prints it lacks (tests/helpers/advice.py reads
which command each flag belongs to). The damaged-repository matrix applies the same check to
every command's error on shallow, partial and damaged clones (tests/e2e/test_damaged_matrix.py)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.advice import accepted, foreign_flags
from tests.helpers.damaged import clone, history_with_key, partial_clone
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]


def test_the_reader_of_advice_tells_commands_apart() -> None:
    assert "--trust-repo-owner" in accepted("history") and "--prune" in accepted("baseline")
    line = "pass --recurse-submodules; `git fetch --unshallow`; run keylatch history --since x, or --prune"
    assert foreign_flags("history", line) == [("history", "--prune")]
    assert foreign_flags("baseline", line) == [("baseline", "--recurse-submodules"), ("history", "--prune")]


def test_hook_messages_name_only_flags_of_the_commands_they_name(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    origin = make_repo("origin.git", "--bare")
    repo = make_repo()
    repo.git("remote", "add", "origin", str(origin.path))
    repo.write("old.env", f"k = '{make_key('sk-proj-', seed=50)}'\n")
    repo.commit("a key committed before keylatch")
    repo.git("push", "-q", "origin", "main")
    repo.git("mv", "old.env", "renamed.env")  # "already in HEAD" advice
    repo.write("new.env", "".join(f"k{i} = '{make_key('sk-proj-', seed=51 + i)}'\n" for i in range(25)))
    repo.git("add", "-A")
    repo.write("loose.env", f"k = '{make_key('sk-proj-', seed=80)}'\n")  # untracked, given by name
    for argv in (("staged",), ("staged", "loose.env", "new.env"), ("staged", "renamed.env")):
        res = keylatch(*argv, cwd=repo.path)
        assert res.code == 1 and "keylatch baseline update" in res.out + res.err or "next:" in res.out, res
        assert foreign_flags("staged", res.out + res.err) == []
    repo.git("commit", "-q", "-m", "keys")
    res = keylatch("pre-push", "origin", cwd=repo.path, input="")
    assert res.code == 1 and "lists all" in res.out
    assert foreign_flags("pre-push", res.out + res.err) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="making a repository another user's needs root (chown)")
@pytest.mark.parametrize(
    "argv",
    [("history", "."), ("ci", "--range", "HEAD~1..HEAD"), ("baseline", "create", "--history", "--file", "../b.json")],
    ids=lambda a: " ".join(a[:3]),
)
def test_another_users_repository_is_read_with_the_flag_the_advice_names(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    planted = history_with_key(make_repo())
    subprocess.run(["chown", "-R", "12345:12345", str(planted.repo.path)], check=True)
    res = keylatch(*argv, cwd=planted.repo.path)
    assert res.code == 3 and "dubious ownership" in res.err and "pass --trust-repo-owner" in res.err
    assert foreign_flags(argv[0], res.err) == []
    res = keylatch(*argv, "--trust-repo-owner", cwd=planted.repo.path)
    assert res.code in (0, 1) and "dubious" not in res.err, res.err


@pytest.mark.parametrize("damage", ["shallow", "partial"])
def test_baseline_history_accepts_the_flags_its_errors_suggest(
    make_repo: MakeRepo, keylatch: RunKeylatch, home: Path, tmp_path: Path, damage: str
) -> None:
    if damage == "shallow":
        src = history_with_key(make_repo("src"))
        clone(home, "--depth", "1", f"file://{src.repo.path}", str(tmp_path / "clone"))
        where, flag = tmp_path / "clone", "--allow-shallow"
    else:
        where, flag = partial_clone(make_repo, home, tmp_path, "clone").repo.path, "--allow-partial"
    out = str(tmp_path / "b.json")
    res = keylatch("baseline", "create", "--history", "--file", out, cwd=where)
    assert res.code == 3 and f"or pass {flag}" in res.err and foreign_flags("baseline", res.err) == []
    res = keylatch("baseline", "create", "--history", "--file", out, flag, cwd=where)
    assert res.code == 0 and "wrote" in res.err, res.err
    res = keylatch("baseline", "create", flag, "--file", str(tmp_path / "c.json"), cwd=where)
    assert res.code == 2 and "apply only with --history" in res.err
