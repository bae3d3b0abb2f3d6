"""`ek_` inside a word (`seek_`, `peek_`) opens no decoder window, in any command: `scan` drops
such a file at its gate, and `staged` and `history`, which give it to the engine, find nothing
there either. An `ek_` where a Realtime key may start still opens one, in every command."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sess-", seed=1801)
# The session key with its keyword escaped or split: found only in a window around another hit.
SPELLED = (f'"\\x73{KEY[1:]}"', f'"se" "{KEY[2:]}"', f'"&#115;{KEY[1:]}"')
# path -> (content, line of the key that must be reported, or None)
FILES: dict[str, tuple[str, int | None]] = {
    **{f"seek{i}.c": (f"/* openai */\noff_t seek_ = {s};\n", None) for i, s in enumerate(SPELLED)},
    **{f"peek{i}.c": (f"/* openai */\nint peek_x;\nchar *k = {s};\n", None) for i, s in enumerate(SPELLED)},
    **{f"ek{i}.js": (f"// openai\nconst ek_ = {s};\n", 2) for i, s in enumerate(SPELLED)},
}
EXPECTED = sorted((p, line) for p, (_, line) in FILES.items() if line is not None)


def _repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    repo = make_repo()
    for path, (content, _) in FILES.items():
        repo.write(path, content)
    return repo


def _lines(out: str) -> list[tuple[str, int]]:
    places = (loc for f in json.loads(out)["findings"] for loc in f.get("locations", [f]))
    return sorted((p["path"].rsplit("/", 1)[-1], p["line"]) for p in places)


@pytest.mark.parametrize("command", ["scan", "staged", "history"])
def test_every_command_reports_the_same_keys(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], command: str
) -> None:
    repo = _repo(make_repo)
    if command == "scan":
        res = keylatch("scan", "--format", "json", str(repo.path))
    elif command == "staged":
        repo.git("add", "-A")
        res = keylatch("staged", "--format", "json", cwd=repo.path)
    else:
        repo.commit("files")
        res = keylatch("history", "--no-cache", "--format", "json", str(repo.path))
    assert res.code == 1, res.err
    assert _lines(res.out) == EXPECTED
    assert KEY not in res.out + res.err
