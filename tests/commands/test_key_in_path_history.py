"""A key written in a path a commit added (a new file, a directory, a rename's new name) is
reported by the commands that judge commits: `ci --range`, `pre-push` (the real hook under git),
`history --range` and `history`, placed by that commit at line 0, redacted (docs/scan.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.hooks import git_run
from tests.helpers.pushing import copied_clone, pushing_template, remote_tip
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]

KINDS = {
    "project": make_key("sk-proj-", seed=41),
    "service": make_key("sk-svcacct-", seed=42),
}
PLACES = ("file", "directory", "rename")
COMMANDS = ("ci", "history-range", "history")


def _plant(repo: GitRepo, place: str, key: str) -> str:
    """Commit a path holding `key` in a name (on top of a clean `a.txt`); return the path
    keylatch should report (cut after the name that holds the key)."""
    if place == "file":
        repo.write(f"backup/backup.{key}.txt", "nothing here\n")
        repo.commit("add a backup")
        return f"backup/backup.{key}.txt"
    if place == "directory":
        for name in ("a.env", "b.env"):  # two files below: reported once, at the directory
            repo.write(f"config/{key}/inner/{name}", "x\n")
        repo.commit("add config")
        return f"config/{key}"
    assert place == "rename"
    repo.git("mv", "a.txt", f"ren-{key}.txt")
    repo.commit("rename", add=False)
    return f"ren-{key}.txt"


def _based(make_repo: MakeRepo) -> tuple[GitRepo, str]:
    repo = make_repo("work")
    repo.write("a.txt", "clean\n")
    return repo, repo.commit("base")


def _places(command: str, out: str) -> list[tuple[str, int, int, str, str]]:
    """(path, line, column, commit, in) of each place a JSON report names."""
    doc: dict[str, Any] = json.loads(out)
    if command == "ci":
        return [(f["path"], f["line"], f["column"], f["commit"], f.get("in", "")) for f in doc["findings"]]
    return [
        (o["path"], o["line"], o["column"], o["commit"], o.get("in", ""))
        for f in doc["findings"]
        for o in f["locations"]
    ]


def _run(keylatch: RunKeylatch, command: str, repo: GitRepo, base: str, *extra: str) -> Any:
    args = {
        "ci": ("ci", "--range", f"{base}..HEAD"),
        "history-range": ("history", "--range", f"{base}..HEAD"),
        "history": ("history",),
    }[command]
    return keylatch(*args, "--format", "json", *extra, cwd=repo.path)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_key_in_an_added_path_is_reported(
    keylatch: RunKeylatch, make_repo: MakeRepo, command: str, place: str, kind: str
) -> None:
    key = KINDS[kind]
    repo, base = _based(make_repo)
    want = _plant(repo, place, key)
    sha = repo.git("rev-parse", "HEAD")
    res = _run(keylatch, command, repo, base)
    assert res.code == 1, res.err
    places = _places(command, res.out)
    assert len(places) == 1, places
    ((path, line, column, commit, where),) = places
    assert (line, column, commit, where) == (0, want.index(key) + 1, sha, "path")
    assert path.startswith(want[: want.index(key)]) and path != want and key not in path
    assert key not in res.out + res.err


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pushing_template(tmp_path_factory.mktemp("pushing"))


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_pre_push_hook_refuses_a_key_in_a_path(
    template: Path, tmp_path: Path, home: Path, place: str, kind: str
) -> None:
    key = KINDS[kind]
    repo = copied_clone(template, tmp_path, home)
    repo.write("a.txt", "clean\n")
    repo.commit("a clean file")
    origin = str(repo.path.parent / "origin.git")
    before = remote_tip(repo, origin, "main")
    want = _plant(repo, place, key)
    sha = repo.git("rev-parse", "HEAD")
    res = git_run(repo, "push", "origin", "main")
    assert res.code != 0, res.out
    assert "push blocked" in res.out and sha[:12] in res.out
    assert "in the path" in res.out and want[: want.index(key)] in res.out
    assert key not in res.out
    assert remote_tip(repo, origin, "main") == before


# Hex names: git object ids, content hashes, a 32-hex name beside an Azure-looking directory.
HEX_NAMES = (
    "objects/ab/" + "cdef0123456789abcdef0123456789abcdef01",
    "cache/" + "0123456789abcdef" * 4 + ".bin",
    "azure-openai/" + "0123456789abcdef" * 2 + ".json",
    "sha1-" + "89abcdef01234567" * 2 + "89abcdef.pack",
)


@pytest.mark.parametrize("command", COMMANDS)
def test_hex_object_id_names_never_alarm(keylatch: RunKeylatch, make_repo: MakeRepo, command: str) -> None:
    repo, base = _based(make_repo)
    for name in HEX_NAMES:
        repo.write(name, "x\n")
    repo.commit("hex names")
    res = _run(keylatch, command, repo, base)
    assert res.code == 0, res.out + res.err


def test_a_range_does_not_report_a_path_added_before_it(keylatch: RunKeylatch, make_repo: MakeRepo) -> None:
    """Placed by the commit that added the path: changing the file later introduces nothing."""
    key = KINDS["project"]
    repo, _ = _based(make_repo)
    _plant(repo, "file", key)
    before = repo.git("rev-parse", "HEAD")
    repo.write(f"backup/backup.{key}.txt", "changed\n")
    repo.commit("change it")
    for command in ("ci", "history-range"):
        assert _run(keylatch, command, repo, before).code == 0


def test_warm_history_reports_what_a_cold_one_does(keylatch: RunKeylatch, make_repo: MakeRepo) -> None:
    repo, base = _based(make_repo)
    for place in PLACES:
        _plant(repo, place, KINDS["project"])
    cold = _run(keylatch, "history", repo, base)
    warm = _run(keylatch, "history", repo, base)
    assert cold.code == warm.code == 1
    assert "cached" in warm.err
    assert json.loads(cold.out)["findings"] == json.loads(warm.out)["findings"]
    assert len(_places("history", cold.out)) == 3


@pytest.mark.parametrize("command", COMMANDS)
def test_excluded_and_baselined_paths_are_not_reported(
    keylatch: RunKeylatch, make_repo: MakeRepo, command: str
) -> None:
    key = KINDS["service"]
    repo, _ = _based(make_repo)
    repo.write("pyproject.toml", '[tool.keylatch]\nexclude = ["backup/*"]\n')
    base = repo.commit("settings")
    _plant(repo, "file", key)
    assert _run(keylatch, command, repo, base).code == 0
    _plant(repo, "directory", key)
    assert _run(keylatch, command, repo, base).code == 1
    baseline = repo.path.parent / "baseline.json"
    made = keylatch("baseline", "create", "--file", str(baseline), cwd=repo.path)
    assert made.code == 0, made.err
    assert _run(keylatch, command, repo, base, "--baseline", str(baseline)).code == 0


def test_in_head_while_a_path_under_the_name_is(keylatch: RunKeylatch, make_repo: MakeRepo) -> None:
    repo, base = _based(make_repo)
    _plant(repo, "directory", KINDS["project"])
    first = json.loads(_run(keylatch, "history", repo, base).out)["findings"]
    repo.git("mv", "config", "settings")  # the key-named directory now under another name
    repo.git("mv", f"settings/{KINDS['project']}", "settings/plain")
    repo.commit("rename the directory", add=False)
    then = json.loads(_run(keylatch, "history", repo, base).out)["findings"]
    assert [f["in_head"] for f in first] == [True]
    assert [f["in_head"] for f in then] == [False]
