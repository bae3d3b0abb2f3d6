"""A key in a tree that no commit holds, only a tag reaches (`git tag keys <tree>`): every place
of it says how it is reached, `refs/tags/keys:deploy/prod.env` as git names it, in every format
of `history` and `ci`. The history text named the ref only in its `refs:` line (each `at` line
read `deploy/prod.env:1:16`), ci's text the bare path, and SARIF and GitHub annotations pointed at
`deploy/prod.env`, a file the checkout does not have."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=1972)
TAGS = ("refs/tags/keys", "refs/tags/mirror")


@pytest.fixture
def tagged(make_repo: Callable[..., GitRepo], tmp_path: Path) -> tuple[GitRepo, dict[str, str], str]:
    """A clone whose refs/tags/keys and refs/tags/mirror both name a tree holding KEY in
    deploy/prod.env; the environment of a GitHub push of refs/tags/keys; the tree's id."""
    origin = make_repo("origin")
    origin.write("README", "hi\n")
    origin.commit("base")
    blob = origin.git("hash-object", "-w", "--stdin", input=f"OPENAI_API_KEY={KEY}\n")
    sub = origin.git("mktree", input=f"100644 blob {blob}\tprod.env\n")
    tree = origin.git("mktree", input=f"040000 tree {sub}\tdeploy\n")
    for tag in TAGS:
        origin.git("update-ref", tag, tree)
    work = tmp_path / "work"
    origin.git("clone", "-q", f"file://{origin.path}", str(work))
    event = tmp_path / "event.json"
    payload = {"ref": TAGS[0], "before": "0" * 40, "after": tree, "repository": {"default_branch": "main"}}
    event.write_text(json.dumps(payload))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event)}
    return GitRepo(work, origin.env), env, tree


# How each command is asked, and which of TAGS its report must name.
COMMANDS = {
    "history": (("history",), TAGS),
    "history-range": (("history", "--range", "keys"), TAGS[:1]),
    "ci-tag-push": (("ci",), TAGS[:1]),
}


def _places(fmt: str, out: str) -> list[str]:
    """Each place the report gives the key, as one string per place."""
    if fmt == "json":
        doc = json.loads(out)["findings"]
        return [f"{loc['ref']}:{loc['path']}" for f in doc for loc in f.get("locations", [f])]
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        assert all("physicalLocation" not in loc for r in results for loc in r["locations"]), out
        return [r["message"]["text"] for r in results]
    if fmt == "github":
        return [line for line in out.splitlines() if line.startswith("::error")]
    return [line for line in out.splitlines() if "prod.env:1:16" in line]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_place_in_a_tagged_tree_names_the_ref_that_reaches_it(
    command: str, fmt: str, tagged: tuple[GitRepo, dict[str, str], str], keylatch: RunKeylatch
) -> None:
    work, env, _ = tagged
    argv, tags = COMMANDS[command]
    r = keylatch(*argv, "--format", fmt, cwd=work.path, env=env if argv == ("ci",) else {})
    assert r.code == 1, r.out + r.err
    places = _places(fmt, r.out)
    assert len(places) == len(tags), r.out
    for place, tag in zip(sorted(places), tags, strict=True):
        assert f"{tag}:deploy/prod.env" in place, r.out
    assert KEY not in r.out + r.err
