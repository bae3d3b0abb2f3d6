"""A pushed ref that is, or tags, a blob or a tree (`git tag notes <blob>`, as git.git publishes
its maintainer's key) publishes that content, but a push is judged by its commits and tag
messages: the pre-push hook said "nothing new to push" (a blob: the key went out, exit 0) or
quoted a git error (a tree). Now the push is refused by name, exit 3, with what to check."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.pushing import ZERO, pushing_clone
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-admin-", seed=1821)


def _blob(repo: GitRepo) -> str:
    return repo.git("hash-object", "-w", "--stdin", input=f"OPENAI_ADMIN_KEY={KEY}\n")


def _tree(repo: GitRepo) -> str:
    return repo.git("mktree", input=f"100644 blob {_blob(repo)}\tadmin.env\n")


# (ref, how it is made) -> the object id the ref points at
MAKERS: dict[str, Callable[[GitRepo], str]] = {
    "tag-of-blob": lambda repo: _blob(repo),
    "tag-of-tree": lambda repo: _tree(repo),
    "annotated-tag-of-blob": lambda repo: repo.git("mktag", input=_tag(_blob(repo), "blob")),
    "annotated-tag-of-tree": lambda repo: repo.git("mktag", input=_tag(_tree(repo), "tree")),
}


def _tag(oid: str, kind: str) -> str:
    return f"object {oid}\ntype {kind}\ntag keys\ntagger T <t@example.test> 1700000000 +0000\n\nkeys\n"


@pytest.mark.parametrize("ref", ["refs/tags/keys", "refs/notes-like/keys"])
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_pushed_ref_to_a_blob_or_tree_is_refused_by_name(
    kind: str, ref: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    repo = pushing_clone(make_repo, keylatch)
    oid = MAKERS[kind](repo)
    repo.git("update-ref", ref, oid)
    head = repo.git("rev-parse", "HEAD")
    # Alone, and beside a branch that is already on the remote.
    for lines in (
        [f"{ref} {oid} {ref} {ZERO}"],
        [f"refs/heads/main {head} refs/heads/main {head}", f"{ref} {oid} {ref} {ZERO}"],
    ):
        r = keylatch("pre-push", "origin", "url", cwd=repo.path, input="\n".join(lines) + "\n")
        assert r.code == 3, r.out + r.err
        (line,) = r.err.splitlines()
        target = "blob" if kind.endswith("blob") else "tree"
        assert line.startswith(f"keylatch: error: cannot judge the push of {ref}: it points at a {target}"), line


def test_git_push_of_a_blob_tag_does_not_publish_it(keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]) -> None:
    repo = pushing_clone(make_repo, keylatch)
    repo.git("tag", "keys", _blob(repo))
    push = subprocess.run(
        ["git", "push", "origin", "keys"], cwd=repo.path, env=repo.env, capture_output=True, text=True
    )
    assert push.returncode != 0, push.stderr
    assert "cannot judge the push of refs/tags/keys" in push.stderr
    assert repo.git("ls-remote", "origin", "refs/tags/keys") == ""


def test_a_tag_of_a_commit_is_still_judged_by_its_commits(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    repo = pushing_clone(make_repo, keylatch)
    repo.write("admin.env", f"OPENAI_ADMIN_KEY={KEY}\n")
    sha = repo.commit("admin key")
    repo.git("tag", "-a", "v1", "-m", "release", sha)
    tag = repo.git("rev-parse", "v1")
    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input=f"refs/tags/v1 {tag} refs/tags/v1 {ZERO}\n")
    assert r.code == 1, r.err
    assert "admin.env:1" in r.out
