"""A ref that is, or tags, a blob or a tree (`git tag keys <blob>`), wherever a command meets it.

`keylatch ci` on a tag push of one said "head commit ... is not in this clone" (exit 3): it now
scans that content as `history --range X` and the pre-push hook do (exit 1 for a key, 0 clean).
`history --branch X` said "no such branch", `--range A..X` and `--since X` "'X' is not a
commit": each now names what X is and points at `keylatch history --range X` (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=1971)
ZERO = "0" * 40


def _tree(repo: GitRepo, blob: str) -> str:
    return repo.git("mktree", input=f"100644 blob {blob}\tprod.env\n")


def _annotated(repo: GitRepo, oid: str, kind: str) -> str:
    return repo.git("mktag", input=f"object {oid}\ntype {kind}\ntag keys\ntagger T <t@x.test> 1700000000 +0000\n\nm\n")


# what refs/tags/keys names -> (how to make it from a blob id, what the message calls it, path)
KINDS: dict[str, tuple[Callable[[GitRepo, str], str], str, str]] = {
    "blob": (lambda r, b: b, "a blob", ""),
    "tree": (_tree, "a tree", "prod.env"),
    "annotated-blob": (lambda r, b: _annotated(r, b, "blob"), "a tag of a blob", ""),
    "annotated-tree": (lambda r, b: _annotated(r, _tree(r, b), "tree"), "a tag of a tree", "prod.env"),
}


def _origin(make_repo: Callable[..., GitRepo], kind: str, content: str) -> tuple[GitRepo, str]:
    """A repository whose main has one clean commit and whose refs/tags/keys names `kind`
    holding `content`; returns it and the object id the tag ref holds."""
    repo = make_repo("origin")
    repo.write("README", "hi\n")
    repo.commit("base")
    blob = repo.git("hash-object", "-w", "--stdin", input=content)
    oid = KINDS[kind][0](repo, blob)
    repo.git("update-ref", "refs/tags/keys", oid)
    return repo, oid


def _clone(origin: GitRepo, tmp_path: Path) -> GitRepo:
    work = tmp_path / "work"
    origin.git("clone", "-q", f"file://{origin.path}", str(work))
    return GitRepo(work, origin.env)


def _env(platform: str, tmp_path: Path, oid: str, before: str) -> dict[str, str]:
    if platform == "gitlab":
        return {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "keys",
                "CI_COMMIT_BEFORE_SHA": before, "CI_COMMIT_SHA": oid, "CI_DEFAULT_BRANCH": "main"}  # fmt: skip
    path = tmp_path / "event.json"
    event = {"ref": "refs/tags/keys", "before": before, "after": oid, "repository": {"default_branch": "main"}}
    path.write_text(json.dumps(event))
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(path)}


@pytest.mark.parametrize("platform", ["github", "gitlab"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ci_on_a_tag_push_of_a_blob_or_tree_scans_its_content(
    kind: str, platform: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], tmp_path: Path
) -> None:
    origin, oid = _origin(make_repo, kind, f"OPENAI_API_KEY={KEY}\n")
    work = _clone(origin, tmp_path)
    env = _env(platform, tmp_path, oid, ZERO)
    r = keylatch("ci", "-f", "json", cwd=work.path, env=env)
    assert r.code == 1, r.out + r.err
    assert "is not in this clone" not in r.err and f"scanning {KINDS[kind][1]} ({oid[:12]}, named by tag keys" in r.err
    (finding,) = json.loads(r.out)["findings"]
    assert (finding["rule_id"], finding["path"], finding["line"]) == ("openai-project-key", KINDS[kind][2], 1)
    assert KEY not in r.out + r.err


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_ci_on_a_tag_push_of_clean_content_is_clean(
    kind: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], tmp_path: Path
) -> None:
    origin, oid = _origin(make_repo, kind, "public key\n")
    work = _clone(origin, tmp_path)
    r = keylatch("ci", cwd=work.path, env=_env("github", tmp_path, oid, work.git("rev-parse", "HEAD")))
    assert r.code == 0, r.out + r.err


# How a command is told to read X as a commit or a branch, and the start of its refusal.
REFUSALS = {
    "history-branch": (("history", "--branch", "keys"), "--branch: 'keys' names {what}, not a branch"),
    "history-range-head": (("history", "--range", "HEAD..keys"), "--range: 'keys' names {what}, not a commit"),
    "history-range-base": (("history", "--range", "keys..HEAD"), "--range: 'keys' names {what}, not a commit"),
    "history-since": (("history", "--since", "keys"), "--since: 'keys' names {what}, not a commit"),
    "ci-range-head": (("ci", "--range", "HEAD..keys"), "--range: 'keys' names {what}, not a commit"),
    "ci-since": (("ci", "--since", "keys"), "--since: 'keys' names {what}, not a commit"),
}


@pytest.mark.parametrize("how", sorted(REFUSALS))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_blob_or_tree_where_a_commit_is_needed_is_named_with_the_way_to_scan_it(
    kind: str, how: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    repo, _ = _origin(make_repo, kind, f"OPENAI_API_KEY={KEY}\n")
    argv, said = REFUSALS[how]
    r = keylatch(*argv, cwd=repo.path)
    hint = "; `keylatch history --range keys` scans it as content\n"
    assert (r.code, r.err) == (2, f"keylatch: error: {said.format(what=KINDS[kind][1])}{hint}"), r.out + r.err


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_way_the_refusal_names_scans_the_content(
    kind: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    """The hint above works: `history --range keys` finds the key. (_origin's repository has the
    same objects for every refusal, so this runs once per kind, not once per refusal.)"""
    repo, _ = _origin(make_repo, kind, f"OPENAI_API_KEY={KEY}\n")
    assert keylatch("history", "--range", "keys", cwd=repo.path).code == 1


def test_a_blob_id_in_a_shallow_clone_is_named_not_called_a_missing_commit(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], tmp_path: Path
) -> None:
    origin, blob = _origin(make_repo, "blob", f"OPENAI_API_KEY={KEY}\n")
    work = tmp_path / "shallow"
    origin.git("clone", "-q", "--depth=1", f"file://{origin.path}", str(work))
    GitRepo(work, origin.env).git("fetch", "-q", "origin", "refs/tags/keys:refs/tags/keys")  # the blob, no history
    r = keylatch("history", "--allow-shallow", "--range", f"HEAD..{blob}", cwd=work)
    said = f"--range: {blob!r} names a blob, not a commit; `keylatch history --range {blob}` scans it as content"
    assert (r.code, r.err) == (2, f"keylatch: error: {said}\n"), r.err
