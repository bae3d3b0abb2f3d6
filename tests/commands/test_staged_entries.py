"""`keylatch staged` on index entries that are not regular files: what git commits for each.

A symbolic link is committed as a blob of its target text; a submodule entry (gitlink, mode
160000) holds no content, but its name is written into the tree and pushed, as a file's is. A key
in either reaches the remote, so the hook blocks it: for the commit's changes, on a first
commit, for FILES as the pre-commit framework passes them, and for more FILES than one
`ls-files` pathspec list holds (sources/staged.py lists the index once then).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]
KEY = make_key("sk-proj-", seed=5)
MANY = 70  # more given FILES than staged_paths matches by pathspec (its _MANY_PATHS)


def stage_link(repo: GitRepo, name: str, text: str) -> None:
    os.symlink(text, repo.path / name)
    repo.git("add", "--", name)


def stage_gitlink(repo: GitRepo, name: str, text: str) -> None:
    del text  # a gitlink holds a commit id: only its name can carry a key
    commit = repo.git("rev-parse", "HEAD") if repo.git("rev-parse", "-q", "--verify", "HEAD", check=False) else "1" * 40
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{commit},{name}")


# kind -> (how it is staged, its name, the text it is staged with, where the key is reported)
ENTRIES: dict[str, tuple[Callable[[GitRepo, str, str], None], str, str, str]] = {
    "symlink, key as its target": (stage_link, "link", KEY, "link:1"),
    "symlink, key in its target path": (stage_link, "link", f"../keys/{KEY}.txt", "link:1"),
    "gitlink, key in its name": (stage_gitlink, f"vendor/{KEY}", "", "(in the path)"),
}
HOW = ["the commit's changes", "a first commit", "given FILES", "many given FILES"]


@pytest.mark.parametrize("how", HOW)
@pytest.mark.parametrize("entry", ENTRIES)
def test_a_key_in_a_staged_entry_that_is_not_a_file_blocks_the_commit(
    make_repo: MakeRepo, keylatch: RunKeylatch, entry: str, how: str
) -> None:
    stage, name, text, where = ENTRIES[entry]
    repo = make_repo()
    files: list[str] = []
    if how != "a first commit":
        repo.write("README", "hi\n")
        repo.commit("init")
    if how == "many given FILES":
        for i in range(MANY):
            repo.write(f"f{i:02}.txt", "x\n")
        repo.git("add", "-A")
        files = [f"f{i:02}.txt" for i in range(MANY)]
    stage(repo, name, text)
    if how in ("given FILES", "many given FILES"):
        files.append(name)
    r = keylatch("staged", *files, cwd=repo.path)
    assert r.code == 1, r
    assert "commit blocked" in r.out and where in r.out and "sk-proj-" in r.out
    assert KEY not in r.out + r.err


def test_a_new_gitlink_with_a_plain_name_passes(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    # The control: a submodule entry is not itself a finding.
    repo = make_repo()
    repo.write("README", "hi\n")
    repo.commit("init")
    stage_gitlink(repo, "vendor/lib", "")
    r = keylatch("staged", cwd=repo.path)
    assert r.code == 0, r


@pytest.mark.parametrize("target", ["key", "file holding a key"])
def test_an_untracked_link_given_as_a_file_is_judged_by_its_text(
    make_repo: MakeRepo, keylatch: RunKeylatch, target: str
) -> None:
    # `git add link` would store the link's target text, never the file it leads to.
    repo = make_repo()
    repo.write("README", "hi\n")
    repo.commit("init")
    if target == "key":
        os.symlink(KEY, repo.path / "link")
    else:
        repo.write("secret.env", f"OPENAI_API_KEY={KEY}\n")  # untracked, not given: not committed
        os.symlink("secret.env", repo.path / "link")
    r = keylatch("staged", "link", cwd=repo.path)
    if target == "key":
        assert r.code == 1 and "link:1" in r.out and "untracked" in r.out, r
    else:
        assert r.code == 0 and "no keys in 1 staged file (10 bytes)" in r.err, r
