"""The grep prefilter picks exactly the blobs holding a needle, and gives up rather than guess."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.history import readers, scan_history
from keylatch.history.grepfilter import MARK, Objects, candidates
from keylatch.rules.synthetic import make_key
from keylatch.sources.gitcmd import Git
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]


def blob(repo: GitRepo, content: bytes) -> tuple[bytes, int]:
    path = repo.write("tmp.bin", content)
    return repo.git("hash-object", "-w", str(path)).encode(), len(content)


def test_candidates_are_the_blobs_with_a_needle(make_repo: MakeRepo) -> None:
    repo = make_repo()
    plain = blob(repo, b"nothing here\n" * 1000)
    hit = blob(repo, b"x" * 70000 + b"NEEDLE\n")
    tricky = blob(repo, MARK + b"\n" + b"no needle, but our own marker\n")
    binary = blob(repo, bytes(range(256)) * 100 + b"NEEDLE")

    objs = Objects()
    for oid, size in (plain, hit, tricky, binary):
        objs.add(oid, size, commit=False)

    assert candidates(Git(repo.path), objs, [b"NEEDLE"]) == {1, 3}


def test_out_of_step_stream_gives_up(make_repo: MakeRepo) -> None:
    repo = make_repo()
    real = blob(repo, b"NEEDLE\n")
    gone = (b"0123456789abcdef0123456789abcdef01234567", 7)  # cat-file prints "missing"
    objs = Objects()
    for oid, size in (gone, real):
        objs.add(oid, size, commit=False)
    assert candidates(Git(repo.path), objs, [b"NEEDLE"]) is None


def test_without_grep_the_answer_is_the_same(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    key = make_key("sk-", seed=51)
    repo.write("a.txt", "a\n" * 100 + key + "\n")
    c = repo.commit("key")
    monkeypatch.setattr(readers, "literal_gate", lambda *_: None)  # no Hyperscan: grep's path
    with_grep = scan_history(repo.path, use_cache=False)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = shutil.which("git")
    assert git is not None
    (bin_dir / "git").symlink_to(git)
    monkeypatch.setenv("PATH", str(bin_dir))  # git only: the Python prefilter takes over
    without = scan_history(repo.path, use_cache=False)
    monkeypatch.undo()
    assert without.findings == with_grep.findings
    assert [(o.commit, o.path, o.line) for o in without.findings[0].locations] == [(c, "a.txt", 101)]


def test_grep_needles_are_a_superset_filter() -> None:
    from keylatch.history.blobscan import needles
    from keylatch.history.grepfilter import grep_needles
    from keylatch.rules import DEFAULT_RULES

    assert grep_needles((b"azure", b"Azure", b"AZURE", b"T3BlbkFJ")) == (b"T3BlbkFJ", b"ZURE", b"zure")
    full = needles(DEFAULT_RULES)
    cheap = grep_needles(full)
    for n in full:  # wherever a rule literal occurs, some grep needle occurs inside it
        assert any(c in n for c in cheap), n


def test_a_failing_grep_falls_back_to_python(
    make_repo: MakeRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    repo.write("a.txt", make_key("sk-", seed=52) + "\n")
    c = repo.commit("key")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = shutil.which("git")
    assert git is not None
    (bin_dir / "git").symlink_to(git)
    broken = bin_dir / "grep"
    broken.write_text("#!/bin/sh\nexit 2\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(readers, "literal_gate", lambda *_: None)  # no Hyperscan: grep's path

    result = scan_history(repo.path, use_cache=False)

    assert [(o.commit, o.path, o.line) for o in result.findings[0].locations] == [(c, "a.txt", 1)]
