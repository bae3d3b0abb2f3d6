"""Keys in annotated tag objects (history/tags.py): found by `history`, placed at the tag, on real
repositories built in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.history import scan_history
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.history import day, only
from tests.helpers.hooks import git_run
from tests.helpers.pushing import pushing_clone
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]
TAGGER = ("-c", "user.name=Tina Tagger", "-c", "user.email=tina@example.test")


def tag(repo: GitRepo, name: str, target: str, message: str) -> str:
    repo.git(*TAGGER, "tag", "-a", name, target, "-m", message)
    return repo.git("rev-parse", f"refs/tags/{name}")


def clean_repo(make_repo: MakeRepo) -> GitRepo:
    repo = make_repo()
    repo.write("README", "hello\n")
    repo.commit("init", date=day(1))
    return repo


def test_a_key_only_in_a_tag_message_is_found_at_the_tag(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = clean_repo(make_repo)
    key = make_key("sk-proj-", seed=81)
    tag_id = tag(repo, "v1.0", "HEAD", f"release 1.0\n\nOPENAI_API_KEY={key}\n")

    k = only(scan_history(repo.path))
    assert k.secret.value == key and k.refs == ("refs/tags/v1.0",)
    (o,) = k.locations
    assert (o.path, o.tag, o.blob, o.commit, o.author_name) == ("", "v1.0", tag_id, "", "Tina Tagger")
    # Lines are the tag object's own: the location reads back the key's line.
    assert repo.git("cat-file", "tag", tag_id).splitlines()[o.line - 1][o.column - 1 :] == f"{key}"
    assert k.introduced.summary == "(in no commit: message of tag v1.0)" and not k.in_head

    res = keylatch("history", "--no-cache", str(repo.path))
    assert res.code == 1
    assert f"at message of tag v1.0 (tag object {tag_id[:12]}) line {o.line}:{o.column} Tina Tagger" in res.out
    assert "refs: refs/tags/v1.0" in res.out
    doc = json.loads(keylatch("history", "--no-cache", "--format", "json", str(repo.path)).out)
    (loc,) = doc["findings"][0]["locations"]
    assert (loc["path"], loc["tag"], loc["blob"]) == (None, "v1.0", tag_id)
    sarif = json.loads(keylatch("history", "--no-cache", "--format", "sarif", str(repo.path)).out)
    (result,) = sarif["runs"][0]["results"]
    # No file holds it: a logical location names the tag and its object, never an empty file.
    (place,) = result["locations"]
    assert "physicalLocation" not in place
    assert place["logicalLocations"] == [{"name": "v1.0", "fullyQualifiedName": f"tag/v1.0/{tag_id}", "kind": "object"}]
    assert result["properties"]["tag"] == "v1.0" and result["properties"]["blob"] == tag_id


def test_a_lightweight_tag_has_no_message_and_the_repository_stays_clean(
    make_repo: MakeRepo, keylatch: RunKeylatch
) -> None:
    repo = clean_repo(make_repo)
    repo.git("tag", "light")
    tag(repo, "annotated", "HEAD", "nothing secret here\n")
    assert scan_history(repo.path).findings == ()
    assert keylatch("history", "--no-cache", str(repo.path)).code == 0


def target_blob(repo: GitRepo) -> str:
    return repo.git("hash-object", "-w", "--stdin", input="just data\n")


def target_tree(repo: GitRepo) -> str:
    return repo.git("rev-parse", "HEAD^{tree}")


def target_unreachable_commit(repo: GitRepo) -> str:
    repo.git("checkout", "-q", "-b", "gone")
    sha = repo.commit("on a branch that is deleted", date=day(2))
    repo.git("checkout", "-q", "-")
    repo.git("branch", "-q", "-D", "gone")
    return sha


@pytest.mark.parametrize("target", [target_blob, target_tree, target_unreachable_commit])
def test_a_tag_on_anything_is_read(make_repo: MakeRepo, target: Callable[[GitRepo], str]) -> None:
    repo = clean_repo(make_repo)
    key = make_key("sk-svcacct-", seed=82)
    tag_id = tag(repo, "odd", target(repo), f"see\n{key}\n")
    k = only(scan_history(repo.path))
    assert [(o.tag, o.blob) for o in k.locations] == [("odd", tag_id)]
    assert k.refs == ("refs/tags/odd",)


def test_a_nested_tag_is_reached_through_the_outer_one(make_repo: MakeRepo) -> None:
    repo = clean_repo(make_repo)
    key = make_key("sk-proj-", seed=83)
    inner = tag(repo, "inner", "HEAD", f"inner\n{key}\n")
    tag(repo, "outer", "inner", "outer, clean\n")
    repo.git("tag", "-d", "inner")  # the inner tag now only the outer one reaches
    k = only(scan_history(repo.path))
    assert [(o.tag, o.blob) for o in k.locations] == [("inner", inner)]
    assert k.refs == ("refs/tags/outer",)


def test_a_deleted_tag_is_reported_only_with_include_unreachable(make_repo: MakeRepo) -> None:
    repo = clean_repo(make_repo)
    key = make_key("sk-proj-", seed=84)
    tag_id = tag(repo, "dropped", "HEAD", f"oops {key}\n")
    repo.git("tag", "-d", "dropped")
    assert scan_history(repo.path).findings == ()
    k = only(scan_history(repo.path, include_unreachable=True))
    assert [o.blob for o in k.locations] == [tag_id] and k.refs == ()


def test_a_key_in_a_commit_and_a_tag_is_one_finding_with_both_places(make_repo: MakeRepo) -> None:
    repo = clean_repo(make_repo)
    key = make_key("sk-proj-", seed=85)
    repo.write("app.env", f"OPENAI_API_KEY={key}\n")
    sha = repo.commit("add key", date=day(2))
    tag_id = tag(repo, "v2", "HEAD", f"ships {key}\n")
    k = only(scan_history(repo.path))
    assert k.introduced.sha == sha
    assert sorted((o.path or f"tag {o.tag}", o.commit, o.blob == tag_id) for o in k.locations) == [
        ("app.env", sha, False),
        ("tag v2", "", True),
    ]
    assert "refs/tags/v2" in k.refs and "refs/heads/main" in k.refs


def test_the_cache_never_hides_a_tag_message_on_a_rescan(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = clean_repo(make_repo)
    key = make_key("sk-proj-", seed=86)
    tag(repo, "v1", "HEAD", f"{key}\n")
    first = keylatch("history", str(repo.path))
    second = keylatch("history", str(repo.path))
    assert first.code == second.code == 1
    assert "message of tag v1 " in second.out
    # A tag added after a cached scan is read too.
    tag(repo, "v2", "HEAD", f"again {make_key('sk-proj-', seed=87)}\n")
    third = keylatch("history", str(repo.path))
    assert third.code == 1 and "message of tag v2 " in third.out


def test_a_hostile_tag_name_prints_escaped(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = clean_repo(make_repo)
    key = make_key("sk-proj-", seed=88)
    head = repo.git("rev-parse", "HEAD")
    body = f"object {head}\ntype commit\ntag ev\x1b[31mil\ntagger T <t@x> 1700000000 +0000\n\n{key}\n"
    tag_id = repo.git("hash-object", "-t", "tag", "-w", "--literally", "--stdin", input=body)
    repo.git("update-ref", "refs/tags/evil", tag_id)
    res = keylatch("history", "--no-cache", str(repo.path))
    assert res.code == 1
    assert "\x1b" not in res.out and "message of tag ev\\x1b[31mil " in res.out


def test_a_missing_nested_tag_is_damage(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = clean_repo(make_repo)
    inner = tag(repo, "inner", "HEAD", f"{make_key('sk-proj-', seed=89)}\n")
    tag(repo, "outer", "inner", "outer\n")
    repo.git("tag", "-d", "inner")
    (repo.path / ".git" / "objects" / inner[:2] / inner[2:]).unlink()
    res = keylatch("history", "--no-cache", str(repo.path))
    assert res.code == 3, res.err
    assert "damaged" in res.err


def test_a_range_that_names_a_tag_reads_its_message(make_repo: MakeRepo) -> None:
    repo = clean_repo(make_repo)
    base = repo.git("rev-parse", "HEAD")
    repo.write("b.txt", "clean\n")
    repo.commit("two", date=day(2))
    tag_id = tag(repo, "v3", "HEAD", f"{make_key('sk-proj-', seed=90)}\n")
    k = only(scan_history(repo.path, [tag_id, "--not", base]))
    assert [o.blob for o in k.locations] == [tag_id]
    assert scan_history(repo.path, ["HEAD", "--not", base]).findings == ()


def test_pre_push_of_a_tag_with_a_new_commit_is_refused(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = pushing_clone(make_repo, keylatch)
    repo.write("b.txt", "clean\n")
    repo.commit("new, clean")
    tag(repo, "v4", "HEAD", f"{make_key('sk-proj-', seed=91)}\n")
    res = git_run(repo, "push", "origin", "v4")
    assert res.code != 0 and "1 OpenAI key in 1 tag not yet on origin" in res.out
    assert "message of tag v4 (tag object" in res.out
    assert repo.git("ls-remote", "origin", "refs/tags/v4") == ""


def test_pre_push_of_a_tag_alone_is_refused(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    # The tag's commit is already on the remote: the push brings no commit, only the tag object.
    repo = pushing_clone(make_repo, keylatch)
    tag(repo, "v5", "HEAD", f"release notes {make_key('sk-proj-', seed=92)}\n")
    res = git_run(repo, "push", "origin", "v5")
    assert res.code != 0 and "1 OpenAI key in 1 tag not yet on origin" in res.out
    assert repo.git("ls-remote", "origin", "refs/tags/v5") == ""
    clean = tag(repo, "v6", "HEAD", "release notes, nothing secret\n")
    assert git_run(repo, "push", "origin", "v6").code == 0 and clean
