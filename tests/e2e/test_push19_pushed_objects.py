"""A pushed ref that is, or tags, a blob or a tree publishes that content with no commit: the
pre-push hook scans it (a blob as content, a tree as every blob under it, an annotated tag's
message as any tag's) and places a key by the PUSHED name, as the whole-history walk places a
key a ref reaches without a commit. It used to refuse such a push (exit 3), so `git push --tags`
of a repository with one (git.git's `junio-gpg-pub`) needed the hook turned off."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.damaged import drop_loose
from tests.helpers.gitrepo import GitRepo
from tests.helpers.pushing import ZERO, copied_clone, pushing_template
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1931)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pushing_template(tmp_path_factory.mktemp("pushing"))


@pytest.fixture
def pushing(template: Path, tmp_path: Path, home: Path) -> GitRepo:
    """pushing_clone's repositories (main on a bare origin, keylatch's pre-push hook), copied
    from one built per module (tests/helpers/pushing.py): each test pushes from its own copy."""
    return copied_clone(template, tmp_path, home)


def _blob(repo: GitRepo, text: str = f"OPENAI_API_KEY={KEY}\n") -> str:
    return repo.git("hash-object", "-w", "--stdin", input=text)


def _tree(repo: GitRepo, blob: str) -> str:
    """`deploy/prod.env` holding `blob`, beside a gitlink (skipped: another repository's commit)."""
    sub = repo.git("mktree", input=f"100644 blob {blob}\tprod.env\n")
    head = repo.git("rev-parse", "HEAD")
    return repo.git("mktree", input=f"040000 tree {sub}\tdeploy\n160000 commit {head}\tvendored\n")


def _annotated(repo: GitRepo, oid: str, kind: str, message: str = "release notes") -> str:
    tag = f"object {oid}\ntype {kind}\ntag keys\ntagger T <t@example.test> 1700000000 +0000\n\n{message}\n"
    return repo.git("mktag", input=tag)


def _make(repo: GitRepo, kind: str, blob: str) -> str:
    if kind == "blob":
        return blob
    if kind == "tree":
        return _tree(repo, blob)
    if kind == "annotated-blob":
        return _annotated(repo, blob, "blob")
    if kind == "annotated-tree":
        return _annotated(repo, _tree(repo, blob), "tree")
    # A tag of a tag of a blob: peeled all the way.
    return repo.git("mktag", input=_annotated_text(_annotated(repo, blob, "blob")))


def _annotated_text(inner: str) -> str:
    return f"object {inner}\ntype tag\ntag outer\ntagger T <t@example.test> 1700000000 +0000\n\nouter\n"


KINDS = ["blob", "tree", "annotated-blob", "annotated-tree", "nested-annotated-blob"]


def _place(kind: str, ref: str, blob: str) -> str:
    return f"{ref}:deploy/prod.env:1" if kind.endswith("tree") else f"blob {blob[:12]} reached by {ref}:1"


# How the ref is pushed: `git push origin <ref>` (git names the local ref) or `<sha>:<ref>` (no
# local ref at all: git passes the object id as the "local ref").
HOW = ["ref", "sha"]
# What else the push carries: nothing, a branch the remote already has, a new clean commit.
BESIDE = ["alone", "up-to-date-branch", "new-clean-commit"]


@pytest.mark.parametrize("beside", BESIDE)
@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("kind", KINDS)
def test_a_key_in_a_pushed_blob_or_tree_blocks_the_push_named_by_the_pushed_ref(
    kind: str, how: str, beside: str, keylatch: RunKeylatch, pushing: GitRepo
) -> None:
    repo = pushing
    blob = _blob(repo)
    oid = _make(repo, kind, blob)
    remote_ref = "refs/tags/keys" if how == "ref" else "refs/tags/pushed-by-id"
    local = "refs/tags/keys" if how == "ref" else oid
    if how == "ref":
        repo.git("update-ref", "refs/tags/keys", oid)
    lines = [f"{local} {oid} {remote_ref} {ZERO}"]
    old = repo.git("rev-parse", "HEAD")
    if beside == "up-to-date-branch":
        lines.insert(0, f"refs/heads/main {old} refs/heads/main {old}")
    elif beside == "new-clean-commit":
        repo.write("notes.txt", "nothing secret\n")
        lines.insert(0, f"refs/heads/main {repo.commit('notes')} refs/heads/main {old}")

    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input="\n".join(lines) + "\n")

    assert r.code == 1, r.out + r.err
    assert _place(kind, remote_ref, blob) in r.out, r.out
    assert "1 OpenAI key in 1 ref to a blob or tree not yet on origin" in r.out, r.out
    assert "git tag -d" in r.out and "git rebase" not in r.out, r.out


@pytest.mark.parametrize("kind", KINDS)
def test_a_clean_blob_or_tree_passes_and_one_the_remote_has_is_not_judged_again(
    kind: str, keylatch: RunKeylatch, pushing: GitRepo
) -> None:
    repo = pushing
    clean = _make(repo, kind, _blob(repo, "-----BEGIN PGP PUBLIC KEY BLOCK-----\nnot a key\n"))
    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input=f"refs/tags/gpg {clean} refs/tags/gpg {ZERO}\n")
    assert r.code == 0, r.out + r.err
    assert r.err == "keylatch: no keys in the commits being pushed to origin\n", r.err
    # The remote already has this very object under that name: nothing new is published.
    keyed = _make(repo, kind, _blob(repo))
    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input=f"refs/tags/old {keyed} refs/tags/old {keyed}\n")
    assert (r.code, r.err) == (0, "keylatch: nothing new to push to origin\n"), r.out + r.err


@pytest.mark.parametrize("kind", ["blob", "annotated-tree"])
def test_git_push_tags_runs_the_real_hook_over_them(kind: str, pushing: GitRepo) -> None:
    """`git push --tags` with the installed hook: a clean tag of a blob (git.git's junio-gpg-pub)
    goes out; a keyed one is held back, and nothing of that push reaches the remote."""
    repo = pushing
    repo.git("update-ref", "refs/tags/junio-gpg-pub", _make(repo, kind, _blob(repo, "public key\n")))
    ok = subprocess.run(
        ["git", "push", "origin", "--tags"], cwd=repo.path, env=repo.env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert repo.git("ls-remote", "origin", "refs/tags/junio-gpg-pub") != ""
    repo.git("update-ref", "refs/tags/keys", _make(repo, kind, _blob(repo)))
    bad = subprocess.run(
        ["git", "push", "origin", "--tags"], cwd=repo.path, env=repo.env, capture_output=True, text=True
    )
    assert bad.returncode != 0, bad.stdout + bad.stderr
    assert "refs/tags/keys" in bad.stdout + bad.stderr
    assert repo.git("ls-remote", "origin", "refs/tags/keys") == ""
    assert KEY not in bad.stdout + bad.stderr


def test_a_key_in_the_message_of_a_tag_of_a_blob_is_read_too(keylatch: RunKeylatch, pushing: GitRepo) -> None:
    repo = pushing
    tag = _annotated(repo, _blob(repo, "public key\n"), "blob", message=f"key: {KEY}")
    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input=f"refs/tags/keys {tag} refs/tags/keys {ZERO}\n")
    assert r.code == 1, r.out + r.err
    assert "message of tag keys" in r.out, r.out


@pytest.mark.parametrize("kind", ["blob", "tree", "annotated-tree"])
def test_under_the_pre_commit_framework_every_local_blob_or_tree_tag_is_scanned(
    kind: str, keylatch: RunKeylatch, pushing: GitRepo
) -> None:
    """No ref lines (the framework consumed them): whether the remote has a local tag cannot be
    told without the network, so every local tag of a blob or tree is scanned, never skipped."""
    repo = pushing
    blob = _blob(repo)
    repo.git("update-ref", "refs/tags/keys", _make(repo, kind, blob))
    env = {"PRE_COMMIT_REMOTE_NAME": "origin", "PRE_COMMIT_REMOTE_URL": "url"}
    r = keylatch("pre-push", cwd=repo.path, env=env, input="")
    assert r.code == 1, r.out + r.err
    assert _place(kind, "refs/tags/keys", blob) in r.out, r.out
    assert "checked every local branch and tag not on origin" in r.out


def test_settings_are_the_remotes_not_the_pushs(keylatch: RunKeylatch, pushing: GitRepo) -> None:
    """A tree pushed with a commit is judged with the settings the push builds on: an exclude
    the remote has applies; one the push itself brings does not (a push cannot approve itself)."""
    repo = pushing
    blob = _blob(repo)
    tree = _tree(repo, blob)
    repo.write("pyproject.toml", '[tool.keylatch]\nexclude = ["deploy/*"]\n')
    old = repo.git("rev-parse", "HEAD")
    settings = repo.commit("settings")
    repo.git("push", "-q", "--no-verify", "origin", "main")
    repo.write("notes.txt", "nothing secret\n")
    new = repo.commit("notes")
    lines = f"refs/heads/main {new} refs/heads/main {settings}\nrefs/tags/keys {tree} refs/tags/keys {ZERO}\n"
    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input=lines)
    assert r.code == 0, r.out + r.err
    assert "at excluded paths" in r.err, r.err
    # The same, where the exclude is in the pushed commit only: the key blocks.
    repo.git("reset", "-q", "--hard", old)
    repo.git("push", "-q", "--force", "--no-verify", "origin", "main")
    repo.write("pyproject.toml", '[tool.keylatch]\nexclude = ["deploy/*"]\n')
    pushed = repo.commit("settings, pushed with the tree")
    lines = f"refs/heads/main {pushed} refs/heads/main {old}\nrefs/tags/keys {tree} refs/tags/keys {ZERO}\n"
    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input=lines)
    assert r.code == 1, r.out + r.err
    assert "refs/tags/keys:deploy/prod.env:1" in r.out


def test_an_allow_comment_in_the_blob_applies(keylatch: RunKeylatch, pushing: GitRepo) -> None:
    repo = pushing
    blob = _blob(repo, f"OPENAI_API_KEY={KEY}  # keylatch:allow\n")
    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input=f"refs/tags/k {blob} refs/tags/k {ZERO}\n")
    assert r.code == 0, r.out + r.err


@pytest.mark.parametrize("lost", ["the-blob", "a-blob-in-the-tree"])
def test_an_object_that_cannot_be_read_is_exit_3_naming_it(lost: str, keylatch: RunKeylatch, pushing: GitRepo) -> None:
    repo = pushing
    blob = _blob(repo)
    oid = blob if lost == "the-blob" else _tree(repo, blob)
    drop_loose(repo, blob)
    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input=f"refs/tags/k {oid} refs/tags/k {ZERO}\n")
    assert r.code == 3, r.out + r.err
    assert blob in r.err, r.err
    if lost == "a-blob-in-the-tree":
        assert "named by refs/tags/k" in r.err, r.err


def test_a_ref_name_is_escaped_and_redacted(keylatch: RunKeylatch, pushing: GitRepo) -> None:
    """The pushed name is untrusted: a key in it is redacted (the report never prints it)."""
    repo = pushing
    blob = _blob(repo)
    ref = f"refs/tags/{make_key('sk-proj-', seed=1932)}"
    r = keylatch("pre-push", "origin", "url", cwd=repo.path, input=f"{ref} {blob} {ref} {ZERO}\n")
    assert r.code == 1, r.out + r.err
    assert make_key("sk-proj-", seed=1932) not in r.out + r.err
