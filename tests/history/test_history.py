"""keylatch.history.walk on real repositories: who introduced each key, where, and is it still there."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.errors import ScanError
from keylatch.history import scan_history
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.history import day, only, where

MakeRepo = Callable[..., GitRepo]
ALICE = ("Alice Example", "alice@example.test")
BOB = ("Bob Example", "bob@example.test")


def test_key_added_then_deleted_is_found_with_its_commit_and_author(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-proj-", seed=1)
    repo.write("README", "hello\n")
    repo.commit("init", date=day(1))
    repo.write("app/config.py", f"import os\n\nOPENAI_API_KEY = '{key}'\n")
    added = repo.commit("add config", author="alice", date=day(2))
    repo.git("rm", "-q", "app/config.py")
    removed = repo.commit("remove key", author="bob", date=day(3))

    k = only(scan_history(repo.path))

    assert k.secret.value == key
    assert k.rule_id == "openai-project-key"
    assert (k.introduced.sha, k.introduced.author_name, k.introduced.author_email) == (added, *ALICE)
    assert k.introduced.summary == "add config"
    assert k.introduced.date.startswith("2024-01-02T12:00:00")
    assert where(k) == [(added, "app/config.py", 3)]
    assert k.locations[0].column == len("OPENAI_API_KEY = '") + 1
    assert not k.in_head
    assert k.last_seen.sha == added != removed
    assert k.refs == ("refs/heads/main",)


def test_same_key_in_three_files_by_two_authors_is_one_finding(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-", seed=7)
    repo.write("a.env", f"OPENAI_API_KEY={key}\n")
    repo.write("docs/b.md", f"# setup\n\nuse `{key}`\n")
    first = repo.commit("alice adds", author="alice", date=day(1))
    repo.write("src/c.py", f"\n\n\n\nKEY = '{key}'\n")
    second = repo.commit("bob adds", author="bob", date=day(2))

    k = only(scan_history(repo.path))

    assert k.introduced.sha == first
    assert where(k) == [(first, "a.env", 1), (first, "docs/b.md", 3), (second, "src/c.py", 5)]
    assert {(o.author_name, o.author_email) for o in k.locations} == {ALICE, BOB}
    assert k.in_head and k.last_seen.sha == second


def test_key_only_on_a_non_default_branch(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-svcacct-", seed=2)
    repo.write("README", "x\n")
    repo.commit("init", date=day(1))
    repo.git("checkout", "-q", "-b", "feature/keys")
    repo.write("settings.toml", f'[openai]\nkey = "{key}"\n')
    c = repo.commit("wip", author="bob", date=day(2))
    repo.git("checkout", "-q", "main")

    k = only(scan_history(repo.path))

    assert (k.introduced.sha, k.introduced.author_name) == (c, BOB[0])
    assert where(k) == [(c, "settings.toml", 2)]
    assert k.refs == ("refs/heads/feature/keys",)
    assert not k.in_head
    assert k.last_seen.sha == c


def test_key_only_in_a_merge_resolution_is_blamed_on_the_merge(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-proj-", seed=3)
    repo.write("conf.ini", "key = none\n")
    repo.commit("init", date=day(1))
    repo.git("checkout", "-q", "-b", "other")
    repo.write("conf.ini", "key = theirs\n")
    repo.commit("theirs", date=day(2))
    repo.git("checkout", "-q", "main")
    repo.write("conf.ini", "key = ours\n")
    repo.commit("ours", date=day(3))
    repo.git("merge", "-q", "other", check=False)  # conflicts
    repo.write("conf.ini", f"[x]\nkey = {key}\n")
    merge = repo.commit("merge other", author="bob", date=day(4))
    assert len(repo.git("rev-list", "--parents", "-n1", merge).split()) == 3

    k = only(scan_history(repo.path))

    assert (k.introduced.sha, k.introduced.author_name) == (merge, BOB[0])
    assert where(k) == [(merge, "conf.ini", 2)]
    assert k.in_head


def test_merge_that_carries_a_branch_key_does_not_take_the_blame(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-", seed=4)
    repo.write("a.txt", "a\n")
    repo.commit("init", date=day(1))
    repo.git("checkout", "-q", "-b", "side")
    repo.write("k.txt", f"{key}\n")
    side = repo.commit("side key", author="bob", date=day(2))
    repo.git("checkout", "-q", "main")
    repo.write("b.txt", "b\n")
    repo.commit("main work", date=day(3))
    repo.git("merge", "-q", "--no-edit", "side")

    k = only(scan_history(repo.path))

    assert where(k) == [(side, "k.txt", 1)]
    assert k.refs == ("refs/heads/main", "refs/heads/side")


def test_key_only_in_a_stash(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-admin-", seed=5)
    repo.write("app.py", "print('hi')\n")
    repo.commit("init", date=day(1))
    repo.write("app.py", f"print('hi')\nKEY = '{key}'\n")
    repo.git("stash", "-q")
    stash = repo.git("rev-parse", "refs/stash")

    k = only(scan_history(repo.path))

    assert k.rule_id == "openai-admin-key"
    assert where(k) == [(stash, "app.py", 2)]
    assert k.refs == ("refs/stash",)
    assert not k.in_head


def test_key_only_in_a_tag(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-proj-", seed=6)
    repo.write("a.txt", "a\n")
    repo.commit("init", date=day(1))
    repo.git("checkout", "-q", "--orphan", "release")
    repo.write("a.txt", f"{key}\n")
    tagged = repo.commit("release build", author="bob", date=day(2))
    repo.git("tag", "-a", "-m", "v1", "v1.0")
    repo.git("checkout", "-q", "main")
    repo.git("branch", "-q", "-D", "release")

    k = only(scan_history(repo.path))

    assert where(k) == [(tagged, "a.txt", 1)]
    assert k.refs == ("refs/tags/v1.0",)
    assert k.introduced.author_name == BOB[0]


def test_unreachable_commit_is_found_only_with_include_unreachable(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-None-", seed=8)
    repo.write("a.txt", "a\n")
    repo.commit("init", date=day(1))
    repo.write("secret.txt", f"{key}\n")
    lost = repo.commit("oops", author="bob", date=day(2))
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.git("reflog", "expire", "--expire=now", "--all")

    default = scan_history(repo.path)
    assert default.findings == () and default.unreachable_keys == 1  # counted, so the summary says so
    k = only(scan_history(repo.path, include_unreachable=True))

    assert where(k) == [(lost, "secret.txt", 1)]
    assert k.introduced.author_name == BOB[0]
    assert k.refs == ()


def test_key_still_in_head_versus_removed(make_repo: MakeRepo) -> None:
    repo = make_repo()
    kept, gone = make_key("sk-proj-", seed=9), make_key("sk-proj-", seed=10)
    repo.write("keep.env", f"A={kept}\n")
    repo.write("gone.env", f"B={gone}\n")
    first = repo.commit("both", date=day(1))
    repo.write("gone.env", "B=\n")
    repo.commit("rotate B", author="bob", date=day(2))
    repo.write("other.txt", "x\n")
    head = repo.commit("later", date=day(3))

    found = {k.secret.value: k for k in scan_history(repo.path).findings}

    assert set(found) == {kept, gone}
    assert found[kept].in_head and found[kept].last_seen.sha == head
    assert not found[gone].in_head and found[gone].last_seen.sha == first


def test_range_reports_only_keys_the_range_introduces(make_repo: MakeRepo) -> None:
    repo = make_repo()
    old, new = make_key("sk-", seed=11), make_key("sk-", seed=12)
    repo.write("conf.py", f"OLD = '{old}'\n")
    base = repo.commit("old key", date=day(1))
    repo.write("conf.py", f"# edited\nOLD = '{old}'\n")
    repo.commit("edit around the old key", date=day(2))
    repo.write("new.py", f"\nNEW = '{new}'\n")
    c = repo.commit("new key", author="bob", date=day(3))

    k = only(scan_history(repo.path, [f"{base}..HEAD"]))

    assert k.secret.value == new
    assert where(k) == [(c, "new.py", 2)]
    assert only(scan_history(repo.path, ["HEAD", "--not", base])).secret.value == new
    assert scan_history(repo.path, [f"{c}..HEAD"]).findings == ()


def test_bad_revision_is_a_scan_error(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("a", "a\n")
    repo.commit("init")
    with pytest.raises(ScanError, match="git log: fatal: bad revision 'nope'"):
        scan_history(repo.path, ["nope"])


def test_key_only_in_a_git_note(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-proj-", seed=13)
    repo.write("a.txt", "a\n")
    c = repo.commit("init", date=day(1))
    repo.git("notes", "add", "-m", f"deploy with {key}", c)
    note = repo.git("rev-parse", "refs/notes/commits")

    k = only(scan_history(repo.path))

    assert where(k) == [(note, c, 1)]  # a note is a blob named after the commit it annotates
    assert k.refs == ("refs/notes/commits",)


def test_scan_history_never_imports_gitpython(make_repo: MakeRepo) -> None:
    import subprocess
    import sys

    repo = make_repo()
    repo.write("a", make_key("sk-", seed=14) + "\n")
    repo.commit("k")
    code = (
        "import sys; from pathlib import Path; from keylatch.history import scan_history; "
        f"r = scan_history(Path({str(repo.path)!r}), ['HEAD']); "
        "print(len(r.findings), 'git' in sys.modules)"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**repo.env, "PYTHONPATH": src}).stdout  # fmt: skip
    assert out.split() == ["1", "False"]  # the pre-push hook path stays light (~110 ms saved)


def test_dangling_blob_is_reported_only_with_include_unreachable(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("a.txt", "a\n")
    repo.commit("init")
    key = make_key("sk-proj-", seed=15)
    path = repo.write("staged-then-dropped.txt", f"\n{key}\n")
    oid = repo.git("hash-object", "-w", str(path))
    path.unlink()

    default = scan_history(repo.path)
    assert default.findings == () and default.unreachable_keys == 1
    k = only(scan_history(repo.path, include_unreachable=True))
    assert scan_history(repo.path, include_unreachable=True).unreachable_keys == 0  # reported instead

    assert k.introduced.sha == "" and "dangling blob" in k.introduced.summary
    assert [(o.blob, o.line) for o in k.locations] == [(oid, 2)]


def test_key_in_a_blob_or_tree_that_a_tag_points_at_directly(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("a.txt", "a\n")
    repo.commit("init")
    one, two = make_key("sk-", seed=16), make_key("sk-", seed=17)
    blob = repo.git("hash-object", "-w", str(repo.write("x", f"{one}\n")))
    repo.git("tag", "raw-blob", blob)
    inner = repo.git("hash-object", "-w", str(repo.write("y", f"#\n{two}\n")))
    tree = repo.git("mktree", input=f"100644 blob {inner}\ty.env\n")
    repo.git("tag", "-a", "-m", "a tree", "raw-tree", tree)

    found = {k.secret.value: k for k in scan_history(repo.path).findings}

    assert found[one].refs == ("refs/tags/raw-blob",) and found[one].introduced.sha == ""
    assert [(o.path, o.line, o.blob) for o in found[one].locations] == [("", 1, blob)]
    assert found[two].refs == ("refs/tags/raw-tree",)
    assert [(o.path, o.line) for o in found[two].locations] == [("y.env", 2)]


def test_key_in_a_commit_message(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-proj-", seed=18)
    repo.write("a.txt", "a\n")
    base = repo.commit("init", date=day(1))
    repo.write("b.txt", "b\n")
    c = repo.commit(f"deploy fix\n\nused OPENAI_API_KEY={key} to test", author="bob", date=day(2))
    repo.write("c.env", f"KEY={key}\n")
    later = repo.commit("env", date=day(3))

    k = only(scan_history(repo.path))

    assert where(k) == [(c, "", 3), (later, "c.env", 1)]
    assert k.introduced.sha == c and k.introduced.author_name == BOB[0]
    assert k.locations[0].column == len("used OPENAI_API_KEY=") + 1
    assert k.locations[0].blob == ""  # no blob to read allow comments from
    assert where(only(scan_history(repo.path, [f"{base}..{c}"]))) == [(c, "", 3)]


def test_utf16_encoded_key_in_a_blob(make_repo: MakeRepo) -> None:
    from keylatch.history.blobscan import needles
    from keylatch.prefilter import KEYWORDS
    from keylatch.rules import DEFAULT_RULES

    assert set(needles(DEFAULT_RULES)) == set(KEYWORDS)  # the hook's prefilter, proven there
    repo = make_repo()
    key = make_key("sk-proj-", seed=19)
    repo.write("notes.txt", f"first\nKEY={key}\n".encode("utf-16-le"))
    c = repo.commit("utf-16 file")

    k = only(scan_history(repo.path))

    assert k.secret.value == key
    assert [(o.commit, o.path, o.encoding) for o in k.locations] == [(c, "notes.txt", "utf-16")]
