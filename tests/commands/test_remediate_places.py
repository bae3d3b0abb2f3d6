"""`keylatch remediate`: the purge command reaches every place git stores a key that the report
names. `git filter-repo --replace-text` rewrites file contents only; a key in a commit message, a
tag message or a path name used to survive the plan, followed to the letter (checked by hand with
git-filter-repo 2.47: the key was still in `git log --all`, the tag and `--name-only`)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=211)


def _content(repo: GitRepo) -> None:
    repo.write("app.env", f"OPENAI_API_KEY={KEY}\n")
    repo.commit("config")


def _path(repo: GitRepo) -> None:
    repo.write(f"keys/{KEY}/note.txt", "rotate me\n")
    repo.commit("notes")


def _commit_message(repo: GitRepo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit(f"use {KEY} for now")


def _tag_message(repo: GitRepo) -> None:
    repo.write("a.txt", "a\n")
    repo.commit("release")
    repo.git("tag", "-a", "v1", "-m", f"release key {KEY}")


PLACES = {"content": _content, "path": _path, "commit-message": _commit_message, "tag-message": _tag_message}
# What each place shows in the plan, and the filter-repo option that rewrites it.
SHOWN = {
    "content": "app.env:1",
    "path": "keys/",
    "commit-message": "message of commit",
    "tag-message": "message of tag v1",
}
OPTION = {"content": "--replace-text", "path": "--filename-callback", "commit-message": "--replace-message",
          "tag-message": "--replace-message"}  # fmt: skip


def _filter_repo_argv(out: str) -> list[str]:
    (line,) = [ln for ln in out.splitlines() if ln.startswith("  git filter-repo ")]
    return shlex.split(line.split("   # filter-repo")[0])


def _option(argv: list[str], name: str) -> str:
    assert name in argv, f"{name} missing from {argv}"
    return argv[argv.index(name) + 1]


@pytest.mark.prints_secrets("the replacements file holds the keys by design (--write-replacements)")
@pytest.mark.parametrize("place", sorted(PLACES))
def test_the_purge_command_rewrites_every_place_a_key_is_stored(
    place: str, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = make_repo()
    repo.write("README", "hi\n")
    repo.commit("base")
    PLACES[place](repo)
    report = tmp_path / "leaks.json"
    assert keylatch("history", str(repo.path), "-f", "json", "-o", str(report)).code == 1
    result = keylatch("remediate", str(report), "--write-replacements", str(tmp_path / "repl.txt"), cwd=repo.path)
    assert result.code == 0, result.err
    assert KEY not in result.out + result.err
    assert f"at {SHOWN[place]}" in result.out and "None:" not in result.out
    argv = _filter_repo_argv(result.out)
    assert _option(argv, "--replace-text") == str(tmp_path / "repl.txt")
    option = _option(argv, OPTION[place])
    if place.endswith("message"):
        assert option == str(tmp_path / "repl.txt")  # filter-repo reads the same format for messages
    if place == "path":
        # The callback filter-repo would run for each path, run here on the key's path.
        scope: dict[str, object] = {}
        exec(f"def callback(filename):\n    {option}\n", scope)  # noqa: S102 - the plan's own code
        renamed = scope["callback"](f"keys/{KEY}/note.txt".encode())  # type: ignore[operator]
        assert renamed == b"keys/***REMOVED-BY-KEYLATCH***/note.txt"
        assert KEY not in option


def test_no_filename_callback_when_no_key_is_in_a_path(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    """The callback runs on every path of every commit: it is added only when a report place needs it."""
    repo = make_repo()
    _content(repo)
    report = tmp_path / "leaks.json"
    keylatch("history", str(repo.path), "-f", "json", "-o", str(report))
    result = keylatch("remediate", str(report), cwd=repo.path)
    assert result.code == 0, result.err
    argv = _filter_repo_argv(result.out)
    assert "--filename-callback" not in argv
    assert _option(argv, "--replace-message") == "replacements.txt"


@pytest.mark.parametrize(
    "name", ["leaks report.json", "leaks;rm -rf x.json", "leaks\x1b[2J.json"], ids=["space", "semicolon", "escape"]
)
def test_printed_commands_quote_and_escape_the_paths_given(
    name: str, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    """The plan's commands are copied into a shell: a path with a space used to split into two
    arguments, one with `;` into two commands, and an escape reached the terminal raw."""
    repo = make_repo()
    _content(repo)
    report = tmp_path / name
    keylatch("history", str(repo.path), "-f", "json", "-o", str(report))
    result = keylatch("remediate", str(report), cwd=repo.path)
    assert result.code == 0, result.err
    assert "\x1b" not in result.out
    (revoke,) = [ln for ln in result.out.splitlines() if "keylatch revoke --yes" in ln]
    argv = shlex.split(revoke.split("1) revoke:")[1].split("   (a dry run")[0])
    if "\x1b" in name:
        assert argv[-1] == str(report).replace("\x1b", "\\x1b")  # visible, not run
    else:
        assert argv[-1] == str(report)
    (hint,) = [ln for ln in result.out.splitlines() if "--write-replacements" in ln]
    assert shlex.split(hint.split("   #")[0])[2] == argv[-1]
