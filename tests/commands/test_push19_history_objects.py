"""`keylatch history --range X` where X is, or tags, a blob or a tree (`git tag keys <blob>`):
that object is scanned as content and a key placed as the whole-history walk places it, "(in
no commit: reached directly by refs/tags/keys)". It was exit 2, "'keys' is not a commit". A range
A..B whose B is no commit stays a usage error, in history and in ci."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.damaged import drop_loose
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=1941)


def _repo(make_repo: Callable[..., GitRepo]) -> tuple[GitRepo, str]:
    repo = make_repo()
    repo.write("README", "hi\n")
    repo.commit("base")
    return repo, repo.git("hash-object", "-w", "--stdin", input=f"OPENAI_API_KEY={KEY}\n")


def _tree(repo: GitRepo, blob: str) -> str:
    sub = repo.git("mktree", input=f"100644 blob {blob}\tprod.env\n")
    return repo.git("mktree", input=f"040000 tree {sub}\tdeploy\n")


def _annotated(repo: GitRepo, oid: str, kind: str) -> str:
    return repo.git("mktag", input=f"object {oid}\ntype {kind}\ntag keys\ntagger T <t@x.test> 1700000000 +0000\n\nm\n")


# (what X names, how it is made) -> (X, the name the key is placed by, its path)
CASES: dict[str, Callable[[GitRepo, str], tuple[str, str, str]]] = {
    "tag-of-blob": lambda r, b: (r.git("tag", "keys", b) or "keys", "refs/tags/keys", ""),
    "tag-of-tree": lambda r, b: (r.git("tag", "keys", _tree(r, b)) or "keys", "refs/tags/keys", "deploy/prod.env"),
    "annotated-of-blob": lambda r, b: (
        r.git("update-ref", "refs/tags/keys", _annotated(r, b, "blob")) or "keys", "refs/tags/keys", ""),
    "annotated-of-tree": lambda r, b: (
        r.git("update-ref", "refs/tags/keys", _annotated(r, _tree(r, b), "tree")) or "keys", "refs/tags/keys",
        "deploy/prod.env"),
    "blob-id": lambda r, b: (b, b, ""),
    "tree-id": lambda r, b: ((t := _tree(r, b)), t, "deploy/prod.env"),
    "rev-colon-path": lambda r, b: (r.git("tag", "keys", _tree(r, b)) or "keys:deploy", "keys:deploy", "prod.env"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_history_range_of_a_blob_or_tree_scans_it(
    case: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    repo, blob = _repo(make_repo)
    rev, name, path = CASES[case](repo, blob)
    r = keylatch("history", "--range", rev, "--format", "json", cwd=repo.path)
    assert r.code == 1, r.out + r.err
    (finding,) = json.loads(r.out)["findings"]
    (loc,) = finding["locations"]
    assert (loc["path"] or "", loc["line"], loc["ref"], loc["blob"], finding["refs"]) == (path, 1, name, blob, [name])
    text = keylatch("history", "--range", rev, cwd=repo.path)
    assert f"introduced (in no commit: reached directly by {name})" in text.out, text.out


def test_history_range_of_a_clean_blob_is_clean(keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]) -> None:
    repo, _ = _repo(make_repo)
    repo.git("tag", "gpg", repo.git("hash-object", "-w", "--stdin", input="public key\n"))
    r = keylatch("history", "--range", "gpg", cwd=repo.path)
    assert r.code == 0, r.out + r.err


@pytest.mark.parametrize("command", ["history", "ci"])
@pytest.mark.parametrize("shape", ["HEAD..{x}", "{x}..HEAD"])
def test_a_range_with_a_blob_side_stays_a_usage_error(
    command: str, shape: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    repo, blob = _repo(make_repo)
    repo.git("tag", "keys", blob)
    r = keylatch(command, "--range", shape.format(x="keys"), cwd=repo.path)
    said = "--range: 'keys' names a blob, not a commit; `keylatch history --range keys` scans it as content"
    assert (r.code, r.err) == (2, f"keylatch: error: {said}\n"), r.out + r.err


def test_a_named_object_that_cannot_be_read_is_exit_3(keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]) -> None:
    repo, blob = _repo(make_repo)
    repo.git("tag", "keys", blob)
    drop_loose(repo, blob)
    r = keylatch("history", "--range", "keys", cwd=repo.path)
    assert r.code == 3, r.out + r.err
    assert f"--range: 'keys' names {blob}, which is missing or unreadable" in r.err


def test_a_tree_whose_blob_is_lost_is_exit_3_naming_blob_and_ref(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    repo, blob = _repo(make_repo)
    repo.git("tag", "keys", _tree(repo, blob))
    drop_loose(repo, blob)
    r = keylatch("history", "--range", "keys", cwd=repo.path)
    assert r.code == 3, r.out + r.err
    assert f"blob {blob} is missing or unreadable, named by refs/tags/keys" in r.err


def test_the_whole_history_places_it_the_same_way(keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]) -> None:
    repo, blob = _repo(make_repo)
    repo.git("tag", "keys", _tree(repo, blob))
    whole = keylatch("history", cwd=repo.path)
    ranged = keylatch("history", "--range", "keys", cwd=repo.path)
    assert whole.code == ranged.code == 1, whole.out + ranged.out
    line = "introduced (in no commit: reached directly by refs/tags/keys)"
    assert line in whole.out and line in ranged.out, whole.out + ranged.out
