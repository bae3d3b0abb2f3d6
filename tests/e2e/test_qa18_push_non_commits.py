"""A pushed ref that is, or tags, a blob or a tree (`git tag notes <blob>`, as git.git publishes
its maintainer's key) publishes that content, but a push was judged by its commits and tag
messages only: the pre-push hook said "nothing new to push" (a blob: the key went out, exit 0)
or quoted a git error (a tree). Round 18 refused such a push by name (exit 3), which made
`git push --tags` of such a repository impossible with the hook on; now the object is scanned
as content (tests/e2e/test_push19_pushed_objects.py has the matrix)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.pushing import ZERO, copied_clone, pushing_template
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


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pushing_template(tmp_path_factory.mktemp("pushing"))


@pytest.fixture
def repo(template: Path, tmp_path: Path, home: Path) -> GitRepo:
    """pushing_clone's repositories, copied from one built per module (tests/helpers/pushing.py)."""
    return copied_clone(template, tmp_path, home)


def _tag(oid: str, kind: str) -> str:
    return f"object {oid}\ntype {kind}\ntag keys\ntagger T <t@example.test> 1700000000 +0000\n\nkeys\n"


@pytest.mark.parametrize("ref", ["refs/tags/keys", "refs/notes-like/keys"])
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_a_pushed_ref_to_a_blob_or_tree_is_scanned_as_content(
    kind: str, ref: str, keylatch: RunKeylatch, repo: GitRepo
) -> None:
    oid = MAKERS[kind](repo)
    repo.git("update-ref", ref, oid)
    head = repo.git("rev-parse", "HEAD")
    place = f"reached by {ref}:1" if kind.endswith("blob") else f"{ref}:admin.env:1"
    # Alone, and beside a branch that is already on the remote.
    for lines in (
        [f"{ref} {oid} {ref} {ZERO}"],
        [f"refs/heads/main {head} refs/heads/main {head}", f"{ref} {oid} {ref} {ZERO}"],
    ):
        r = keylatch("pre-push", "origin", "url", cwd=repo.path, input="\n".join(lines) + "\n")
        assert r.code == 1, r.out + r.err
        assert "1 OpenAI key in 1 ref to a blob or tree not yet on origin" in r.out, r.out
        assert place in r.out, r.out


def test_git_push_of_a_blob_tag_does_not_publish_it(repo: GitRepo) -> None:
    repo.git("tag", "keys", _blob(repo))
    push = subprocess.run(
        ["git", "push", "origin", "keys"], cwd=repo.path, env=repo.env, capture_output=True, text=True
    )
    assert push.returncode != 0, push.stderr
    assert "reached by refs/tags/keys" in push.stdout + push.stderr
    assert repo.git("ls-remote", "origin", "refs/tags/keys") == ""


def test_a_tag_of_a_commit_is_still_judged_by_its_commits(keylatch: RunKeylatch, repo: GitRepo) -> None:
    repo.write("admin.env", f"OPENAI_ADMIN_KEY={KEY}\n")
    sha = repo.commit("admin key")
    repo.git("tag", "-a", "v1", "-m", "release", sha)
    tag = repo.git("rev-parse", "v1")
    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input=f"refs/tags/v1 {tag} refs/tags/v1 {ZERO}\n")
    assert r.code == 1, r.err
    assert "admin.env:1" in r.out
