"""`keylatch ci` says how exposed each key of the range is (who committed it, since when, in HEAD,
published or local, which refs) in text, JSON and SARIF, ranks keys by urgency, and counts keys
and places as every report does (a commit message is a place, not a file)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from keylatch.model import Secret
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.openai_emulator import Emulator
from tests.helpers.run import RunKeylatch

SHARED = make_key("sk-proj-", seed=91)


@pytest.fixture
def shared(make_repo: Callable[..., GitRepo]) -> tuple[GitRepo, str, str]:
    """Alice commits a key, Bob copies it into another file; the branch is pushed (origin/feature)."""
    repo = make_repo()
    repo.write("README.md", "r\n")
    base = repo.commit("base", date="2024-01-01T00:00:00Z")
    repo.write("a.env", f"K={SHARED}\n")
    first = repo.commit("alice adds", author="alice", date="2024-01-02T00:00:00Z")
    repo.write("b.env", f"K={SHARED}\n")
    repo.commit("bob copies", author="bob", date="2024-01-05T00:00:00Z")
    repo.git("update-ref", "refs/remotes/origin/feature", "HEAD")  # as after a push
    return repo, base, first


def test_text_names_authors_shared_key_head_and_refs(shared: tuple[GitRepo, str, str], keylatch: RunKeylatch) -> None:
    repo, base, first = shared
    r = keylatch("ci", "--range", f"{base}..HEAD", cwd=repo.path)
    assert r.code == 1
    lines = r.out.splitlines()
    assert lines[0].startswith(f"{first[:12]}:a.env:1:3: high openai-project-key ")
    assert lines[1].split(":", 1)[1].startswith(f"b.env:1:3: high openai-project-key {Secret(SHARED, 8).redacted} ")
    assert lines[2] == "  in HEAD: yes; refs: refs/heads/main, refs/remotes/origin/feature"
    assert lines[3] == (
        "  committed by Alice Example <alice@example.test>, Bob Example <bob@example.test>: "
        "shared key (2 people committed it; OpenAI advises one key per person)"
    )
    assert lines[4].startswith("  exposed ") and "since 2024-01-02 and still present" in lines[4]
    assert lines[4].endswith("published: refs/remotes/origin/feature")
    assert lines[5] == "keylatch: 1 distinct key found at 2 places in 2 files"
    assert SHARED not in r.out + r.err


def test_json_and_sarif_carry_exposure(shared: tuple[GitRepo, str, str], keylatch: RunKeylatch) -> None:
    repo, base, _ = shared
    doc = json.loads(keylatch("ci", "--range", f"{base}..HEAD", "-f", "json", cwd=repo.path).out)
    assert [f["path"] for f in doc["findings"]] == ["a.env", "b.env"]
    for f in doc["findings"]:
        e = f["exposure"]
        assert e["authors"] == ["Alice Example <alice@example.test>", "Bob Example <bob@example.test>"]
        assert e["shared"] and e["published"] and e["in_head"] and e["removed"] is None
        assert e["first_commit"] == "2024-01-02T00:00:00+00:00" and e["days_exposed"] > 0
        assert e["refs"] == ["refs/heads/main", "refs/remotes/origin/feature"]
    sarif = json.loads(keylatch("ci", "--range", f"{base}..HEAD", "-f", "sarif", cwd=repo.path).out)
    results = sarif["runs"][0]["results"]
    assert len(results) == 2
    for res in results:
        assert res["properties"]["exposure"]["shared"] is True
        assert "published, in HEAD; shared key (2 people committed it)" in res["message"]["text"]
    # Only local: no remote-tracking ref reaches it.
    repo.git("update-ref", "-d", "refs/remotes/origin/feature")
    doc = json.loads(keylatch("ci", "--range", f"{base}..HEAD", "-f", "json", cwd=repo.path).out)
    assert {f["exposure"]["published"] for f in doc["findings"]} == {False}


def test_removed_key_counts_days_until_its_removal(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> None:
    repo = make_repo()
    base = repo.commit("base", date="2024-01-01T00:00:00Z")
    repo.write("a.env", f"K={SHARED}\n")
    repo.commit("add", date="2024-01-01T00:00:00Z")
    repo.write("a.env", "K=\n")
    removed = repo.commit("remove", date="2024-01-11T00:00:00Z")
    r = keylatch("ci", "--range", f"{base}..HEAD", cwd=repo.path)
    assert r.code == 1
    assert f"exposed 10 days: since 2024-01-01 until it was removed in {removed[:12]} (2024-01-11)" in r.out
    assert "  in HEAD: no; refs: refs/heads/main" in r.out
    assert "local only: no remote-tracking ref reaches it" in r.out


def test_text_ranks_keys_by_urgency(api: Emulator, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> None:
    """Live admin, live published, live local, unknown, revoked; whatever order they were committed in."""
    admin = make_key("sk-admin-", seed=92)
    revoked, unknown, local, published = (make_key("sk-proj-", s) for s in (93, 94, 95, 96))
    api.answer(admin, "admin-live")
    api.answer(unknown, "server-error")
    api.answer(local, "live")
    api.answer(published, "live")
    repo = make_repo()
    base = repo.commit("base")
    for name, k in (("revoked", revoked), ("unknown", unknown), ("published", published)):
        repo.write(f"{name}.env", f"K={k}\n")
        repo.commit(name)
    repo.git("update-ref", "refs/remotes/origin/main", "HEAD")
    for name, k in (("local", local), ("admin", admin)):
        repo.write(f"{name}.env", f"K={k}\n")
        repo.commit(name)
    r = keylatch("ci", "--range", f"{base}..HEAD", "--verify", "--verify-url", api.url, "--no-verify-cache",
                 cwd=repo.path)  # fmt: skip
    assert r.code == 1
    heads = [line.split(":")[1] for line in r.out.splitlines() if not line.startswith(("  ", "keylatch:"))]
    assert heads == ["admin.env", "published.env", "local.env", "unknown.env", "revoked.env"]
    assert r.out.splitlines()[-1] == "keylatch: 5 keys found in 5 files"


@pytest.mark.parametrize(
    ("in_files", "in_messages", "summary"),
    [
        (1, 0, "1 key found in 1 file"),
        (0, 1, "1 key found in 1 commit message"),
        (1, 1, "1 distinct key found at 2 places in 1 file and 1 commit message"),
        (2, 2, "1 distinct key found at 4 places in 2 files and 2 commit messages"),
    ],
)
def test_summary_counts_keys_and_places_not_messages_as_files(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, in_files: int, in_messages: int, summary: str
) -> None:
    repo = make_repo()
    base = repo.commit("base")
    for i in range(max(in_files, in_messages)):
        if i < in_files:
            repo.write(f"f{i}.env", f"K={SHARED}\n")
        # Each message holds the key on its own line: the walker keeps one place per path, line
        # and column, so identical positions in two messages would read as one place.
        said = "\n\n" + "step\n" * i + SHARED if i < in_messages else ""
        repo.commit(f"deploy {i}{said}")
    r = keylatch("ci", "--range", f"{base}..HEAD", cwd=repo.path)
    assert r.code == 1
    assert r.out.splitlines()[-1] == f"keylatch: {summary}"
    assert SHARED not in r.out + r.err


def test_distinct_keys_are_counted_once(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> None:
    other = make_key("sk-proj-", seed=97)
    repo = make_repo()
    base = repo.commit("base")
    repo.write("a.env", f"A={SHARED}\nB={other}\nC={SHARED}\n")
    repo.commit("two keys, three places", date="2024-01-02T00:00:00Z")
    r = keylatch("ci", "--range", f"{base}..HEAD", cwd=repo.path)
    assert r.out.splitlines()[-1] == "keylatch: 2 distinct keys found at 3 places in 1 file"
