"""`keylatch history` as users run it: exit codes, what the report says, URLs, options."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, replayed
from tests.helpers.history import day
from tests.helpers.hostile import hostile_repo
from tests.helpers.redaction import assert_files_redacted
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]


def leaky(make_repo: MakeRepo) -> tuple[GitRepo, str, str]:
    repo = make_repo()
    key = make_key("sk-proj-", seed=41)
    return repo, key, replayed(repo, _leaky)  # built once per session, copied per test


def _leaky(repo: GitRepo) -> str:
    key = make_key("sk-proj-", seed=41)
    repo.write("README", "x\n")
    repo.commit("init", date=day(1))
    repo.write("deploy/.env", f"# prod\nOPENAI_API_KEY={key}\n")
    c = repo.commit("add deploy env", author="bob", date=day(2))
    repo.git("rm", "-q", "deploy/.env")
    repo.commit("remove env", date=day(3))
    return c


def test_text_report_names_commit_author_path_and_summary(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, key, c = leaky(make_repo)

    r = keylatch("history", str(repo.path))

    assert r.code == 1, r.err
    lines = r.out.splitlines()
    assert lines[0].startswith("high openai-project-key sk-proj-")
    assert f"introduced {c[:12]} 2024-01-02T12:00:00+00:00 Bob Example <bob@example.test>: add deploy env" in r.out
    assert f"  at deploy/.env:2:16 {c[:12]} Bob Example" in lines
    assert "  in HEAD: no; refs: refs/heads/main" in lines
    assert lines[-1].startswith("keylatch: 1 key found in history; 3 commits, 2 blobs (")
    assert key not in r.out + r.err
    assert r.err == ""  # no progress when stderr is not a terminal


@pytest.mark.prints_secrets("--show-secrets puts the full key in the JSON secret field")
def test_json_report_and_show_secrets(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, key, c = leaky(make_repo)

    doc = json.loads(keylatch("history", str(repo.path), "--format", "json").out)
    (f,) = doc["findings"]
    assert (f["introduced"]["sha"], f["introduced"]["author_email"]) == (c, "bob@example.test")
    assert f["locations"] == [
        {"commit": c, "path": "deploy/.env", "line": 2, "column": 16, "author_name": "Bob Example",
         "author_email": "bob@example.test", "blob": f["locations"][0]["blob"], "encoding": None, "ref": None,
         "tag": None},
    ]  # fmt: skip
    assert f["in_head"] is False and f["refs"] == ["refs/heads/main"]
    assert doc["stats"]["commits"] == 3 and doc["stats"]["complete"] is True
    assert f["secret"] != key

    shown = keylatch("history", str(repo.path), "--format", "json", "--show-secrets")
    assert json.loads(shown.out)["findings"][0]["secret"] == key


def test_output_file_is_redacted(make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path) -> None:
    repo, key, _ = leaky(make_repo)
    out = tmp_path / "report.json"
    r = keylatch("history", str(repo.path), "-f", "json", "-o", str(out))
    assert r.code == 1 and r.out == ""
    assert "keylatch: 1 key found in history" in r.err
    assert_files_redacted(out, keys=[key])


def test_empty_repository_exits_clean(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    r = keylatch("history", str(repo.path))
    assert r.code == 0
    assert r.out.startswith("keylatch: no keys found in history; 0 commits, 0 blobs (0.0 MB) scanned in ")


def test_scope_options(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, _, c = leaky(make_repo)
    repo.git("checkout", "-q", "-b", "topic", f"{c}~1")
    repo.write("t.txt", make_key("sk-", seed=42) + "\n")
    t = repo.commit("topic key", date=day(4))
    repo.git("checkout", "-q", "main")

    def intros(*args: str) -> list[str]:
        doc = json.loads(keylatch("history", str(repo.path), "-f", "json", *args).out)
        return [f["introduced"]["sha"] for f in doc["findings"]]

    assert intros("--branch", "main") == [c]
    assert intros("--since", "main") == [t]
    assert intros("--range", f"{c}~1..{c}") == [c]
    bad = keylatch("history", str(repo.path), "--branch", "nope")
    assert (bad.code, bad.err) == (2, "keylatch: error: no such branch: nope\n")
    both = keylatch("history", str(repo.path), "--range", "a..b", "--since", "x")
    assert both.code == 2 and "cannot be combined" in both.err


def test_since_takes_a_revision_or_a_date(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, _, c = leaky(make_repo)  # the key is introduced by c, dated day(2)

    def intros(since: str) -> list[str]:
        r = keylatch("history", str(repo.path), "-f", "json", "--since", since)
        assert r.code in (0, 1), r.err
        return [f["introduced"]["sha"] for f in json.loads(r.out)["findings"]]

    assert intros(f"{c}~1") == [c]  # a revision: commits not reachable from it
    assert intros(c) == []
    assert intros(day(2)[:10]) == [c]  # a date, as `git log --since`: commits made on or after it
    assert intros(day(3)) == []
    assert intros("1.day.ago") == [] and intros("1000 weeks ago") == [c]
    repo.git("tag", day(2)[:10], c)  # a revision wins over a date, as in git
    assert intros(day(2)[:10]) == []
    bad = keylatch("history", str(repo.path), "--since", "2024-02-30")
    assert bad.code == 2 and "is neither a commit in this repository nor a date" in bad.err


def test_file_url_is_cloned_to_a_temp_dir_that_is_removed(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo, _, c = leaky(make_repo)
    tmp = tmp_path / "tmp"
    tmp.mkdir()

    r = keylatch("history", f"file://{repo.path}", "-f", "json", env={"TMPDIR": str(tmp)})

    assert r.code == 1, r.err
    assert json.loads(r.out)["findings"][0]["introduced"]["sha"] == c
    assert list(tmp.iterdir()) == []
    missing = keylatch("history", f"file://{tmp_path}/nope")
    assert missing.code == 3 and missing.err.startswith(f"keylatch: error: cannot clone file://{tmp_path}/nope:")


def test_not_a_repository_and_shallow_errors(make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    r = keylatch("history", str(plain))
    assert (r.code, r.err) == (2, f"keylatch: error: not a git repository: {plain}\n")
    repo, _, _ = leaky(make_repo)
    (repo.path / ".git" / "shallow").write_text(repo.git("rev-parse", "HEAD~1") + "\n")
    r = keylatch("history", str(repo.path))
    assert r.code == 3 and "history is incomplete" in r.err and r.out == ""
    allowed = keylatch("history", str(repo.path), "--allow-shallow")
    assert allowed.code == 1 and "(shallow boundary: may be older)" in allowed.out
    boundary = repo.git("rev-parse", "HEAD~1")[:12]
    assert allowed.out.rstrip().endswith(f"shallow clone: history before {boundary} is missing")


def test_repository_owned_by_another_user(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, _, _ = leaky(make_repo)
    # git's own test switch for its ownership check (CI containers hit the real thing).
    other = {"GIT_TEST_ASSUME_DIFFERENT_OWNER": "1"}

    r = keylatch("history", str(repo.path), env=other)

    assert r.code == 3 and r.out == ""
    assert "owned by another user" in r.err and "--trust-repo-owner" in r.err
    assert len(r.err.splitlines()) == 1
    assert keylatch("history", str(repo.path), "--trust-repo-owner", env=other).code == 1


def test_hostile_repository_through_the_cli(make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path) -> None:
    repo = make_repo()
    _, real, marker = hostile_repo(repo, tmp_path)

    for args in (["--branch", "main", "--recurse-submodules"], ["--include-unreachable"]):
        r = keylatch("history", str(repo.path), "-f", "json", *args)
        assert r.code == 1, r.err
        assert json.loads(r.out)["findings"][0]["introduced"]["sha"] == real
    r = keylatch("history", f"file://{repo.path}")
    assert r.code == 1, r.err
    assert not marker.exists(), marker.read_text()


def test_recurse_submodules(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    sub = make_repo("sub")
    sub.write("k.txt", "\n" + make_key("sk-", seed=43) + "\n")
    s = sub.commit("sub key", author="bob")
    parent = make_repo("parent")
    parent.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", f"file://{sub.path}", "vendor/sub")
    parent.commit("add submodule")

    skipped = keylatch("history", str(parent.path))
    assert skipped.code == 0 and "1 submodule commits skipped" in skipped.out
    r = keylatch("history", str(parent.path), "--recurse-submodules", "-f", "json")
    (f,) = json.loads(r.out)["findings"]
    loc = f["locations"][0]
    assert (loc["commit"], loc["path"], loc["line"]) == (s, "vendor/sub/k.txt", 2)


def test_cache_makes_no_difference_to_the_answer(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, _, _ = leaky(make_repo)
    first = json.loads(keylatch("history", str(repo.path), "-f", "json").out)
    second = json.loads(keylatch("history", str(repo.path), "-f", "json").out)
    assert first["findings"] == second["findings"]
    # README comes from the cache; the key blob is always read again
    assert second["stats"]["cached_blobs"] == 1 and second["stats"]["blobs"] == 1
    uncached = json.loads(keylatch("history", str(repo.path), "-f", "json", "--no-cache").out)
    assert uncached["stats"]["cached_blobs"] == 0 and uncached["stats"]["blobs"] == 2


def test_progress_only_on_a_terminal(make_repo: MakeRepo, home: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    from tests.helpers.gitrepo import git_env
    from tests.helpers.run import SRC

    repo, _, _ = leaky(make_repo)
    master, slave = pty.openpty()
    env = {**git_env(home), "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-m", "keylatch", "history", str(repo.path), "--no-cache"],
        stdout=subprocess.PIPE, stderr=slave, env=env, check=False,
    )  # fmt: skip
    os.close(slave)
    err = os.read(master, 65536).decode()
    os.close(master)
    assert proc.returncode == 1
    assert "scanning: 2 blobs" in err and "MB/s" in err
    assert "scanning" not in proc.stdout.decode()


def test_history_honours_the_baseline_excludes_and_rules_of_the_repository(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    repo = make_repo()
    accepted, excluded, fresh = make_key("sk-proj-", 50), make_key("sk-", 51), make_key("sk-admin-", 52)
    repo.write("old.env", f"OPENAI_API_KEY={accepted}\n")
    repo.write("vendor/lib.py", f"KEY = '{excluded}'\n")
    repo.write("app.py", f"ADMIN = '{fresh}'\n")
    repo.commit("three keys")
    every = json.loads(keylatch("history", ".", "-f", "json", cwd=repo.path).out)["findings"]
    assert len(every) == 3
    # Accept the old key in a baseline, exclude vendor/ in the config.
    keylatch("baseline", "create", "old.env", cwd=repo.path)
    repo.write(".keylatch.yaml", "exclude: ['vendor']\n")
    result = keylatch("history", ".", "-f", "json", cwd=repo.path)
    assert result.code == 1
    (left,) = json.loads(result.out)["findings"]
    assert left["rule_id"] == "openai-admin-key"
    assert keylatch("history", ".", "--no-baseline", "-f", "json", cwd=repo.path).out.count('"rule_id"') == 2


# --- the same policy as scan and ci: fail-on, and allow comments where the key was introduced ---


@pytest.mark.parametrize(
    ("config", "flags", "code"),
    [
        ("", [], 1),
        ("", ["--fail-on", "critical"], 0),
        ("fail-on: critical\n", [], 0),
        ("fail-on: critical\n", ["--fail-on", "high"], 1),
        ("fail-on: high\n", [], 1),
    ],
)
def test_history_fails_only_at_or_above_fail_on(
    make_repo: MakeRepo, keylatch: RunKeylatch, config: str, flags: list[str], code: int
) -> None:
    repo, key, c = leaky(make_repo)  # a project key: high
    if config:
        repo.write(".keylatch.yaml", config)
    r = keylatch("history", ".", *flags, cwd=repo.path)
    assert r.code == code, r
    assert f"introduced {c[:12]}" in r.out  # reported either way
    assert ("1 finding(s) below fail-on=critical: not failing" in r.err) == (code == 0)


def test_history_fails_on_a_key_at_fail_on_among_keys_below_it(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("a.py", f'P = "{make_key("sk-proj-", seed=70)}"\nA = "{make_key("sk-admin-", seed=71)}"\n')
    repo.commit("two keys")
    assert keylatch("history", ".", "--fail-on", "critical", cwd=repo.path).code == 1  # the admin key


ALLOW = {name: make_key("sk-proj-", seed=80 + i) for i, name in enumerate(("same", "next", "twice", "plain"))}


@pytest.mark.parametrize("pragmas", [True, False], ids=["pragmas", "pragmas-false"])
@pytest.mark.parametrize("command", ["history", "ci"])
def test_allow_comments_count_where_a_commit_introduced_the_key_in_history_and_ci(
    make_repo: MakeRepo, keylatch: RunKeylatch, command: str, pragmas: bool
) -> None:
    repo = make_repo()
    repo.write(".keylatch.yaml", "pragmas: true\n" if pragmas else "pragmas: false\n")
    base = repo.commit("config")
    repo.write("same.py", f'K = "{ALLOW["same"]}"  # keylatch:allow test double\n')
    repo.write("next.py", f'# pragma: allowlist nextline secret\nK = "{ALLOW["next"]}"\n')
    repo.write("fake.py", f'K = "{ALLOW["twice"]}"  # keylatch:allow\n')
    repo.write("real.py", f'K = "{ALLOW["twice"]}"\n')  # the same key, not allowed here
    repo.write("plain.py", f'K = "{ALLOW["plain"]}"\n')
    repo.commit("keys")
    argv = ["history", "."] if command == "history" else ["ci", "--range", f"{base}..HEAD"]
    r = keylatch(*argv, "-f", "json", cwd=repo.path)
    assert r.code == 1, r
    found = json.loads(r.out)["findings"]
    paths = sorted(o["path"] for f in found for o in f.get("locations", [f]))
    if pragmas:
        assert paths == ["plain.py", "real.py"]
    else:
        assert paths == ["fake.py", "next.py", "plain.py", "real.py", "same.py"]


def test_each_place_says_how_the_key_is_written_there(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """One key, plain in .env, base64 in a Kubernetes secret, UTF-16 in notes: each place has
    its own label in every format (history used to put the first place's on the whole key)."""
    import base64

    repo = make_repo()
    key = make_key("sk-proj-", seed=44)
    repo.write(".env", f"OPENAI_API_KEY={key}\n")
    repo.write("k8s.yaml", f"data:\n  key: {base64.b64encode(key.encode()).decode()}\n")
    repo.write("notes.txt", f"KEY={key}\n".encode("utf-16-le"))
    repo.commit("three spellings")

    doc = json.loads(keylatch("history", str(repo.path), "--format", "json").out)
    (f,) = doc["findings"]
    assert "encoding" not in f and doc["schema_version"] == 2
    assert [(o["path"], o["encoding"]) for o in f["locations"]] == [
        (".env", None), ("k8s.yaml", "base64"), ("notes.txt", "utf-16"),
    ]  # fmt: skip
    text = keylatch("history", str(repo.path)).out
    assert ".env:1:16 " in text and "k8s.yaml:2:8 (base64-encoded) " in text
    assert "notes.txt:1:5 (UTF-16-encoded) " in text
    gh = keylatch("history", str(repo.path), "--format", "github").out.splitlines()
    labels = {line.split("file=")[1].split(",")[0]: line for line in gh if line.startswith("::")}
    assert "encoded" not in labels[".env"] and "(base64-encoded)" in labels["k8s.yaml"]
    assert "(UTF-16-encoded)" in labels["notes.txt"]
    assert gh[-1] == "keylatch: 1 distinct key found at 3 places in 3 files"
    sarif = json.loads(keylatch("history", str(repo.path), "--format", "sarif").out)
    encodings = sorted(r["properties"].get("encoding", "") for r in sarif["runs"][0]["results"])
    assert encodings == ["", "base64", "utf-16"]


@pytest.mark.parametrize("later", range(4))
def test_last_seen_is_the_newest_commit_holding_the_key(make_repo: MakeRepo, keylatch: RunKeylatch, later: int) -> None:
    """Commits made within one second: the date cannot order them, the graph does. In HEAD ->
    last seen is HEAD; removed -> the last commit before the removal."""
    repo = make_repo()
    key = make_key("sk-proj-", seed=45 + later)
    repo.write("app.env", f"OPENAI_API_KEY={key}\n")
    shas = [repo.commit("add")]
    for i in range(later + 1):
        repo.write("app.env", f"# edit {i}\nOPENAI_API_KEY={key}\n")
        shas.append(repo.commit(f"edit {i}"))
    repo.write("other.txt", "x\n")
    head = repo.commit("unrelated")
    (f,) = json.loads(keylatch("history", str(repo.path), "--format", "json").out)["findings"]
    assert (f["in_head"], f["last_seen"]["sha"]) == (True, head)

    repo.git("rm", "-q", "app.env")
    repo.commit("remove")
    (f,) = json.loads(keylatch("history", str(repo.path), "--format", "json").out)["findings"]
    assert (f["in_head"], f["last_seen"]["sha"]) == (False, head)


def test_keys_in_no_file_have_a_place_in_sarif_and_github(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """A key in a commit message, and one in a blob only a tag reaches: never `"uri": ""` or
    `file=,`; the commit or the tag is named instead."""
    import jsonschema

    repo = make_repo()
    in_message, tagged = make_key("sk-proj-", seed=50), make_key("sk-admin-", seed=51)
    repo.write("README", "x\n")
    c = repo.commit(f"oops\n\nOPENAI_API_KEY={in_message}\n")
    blob = repo.git("hash-object", "-w", "--stdin", input=f"KEY={tagged}\n").strip()
    repo.git("tag", "stash-of-keys", blob)

    r = keylatch("history", str(repo.path), "--format", "sarif")
    doc = json.loads(r.out)
    schema = Path(__file__).resolve().parents[2] / "fixtures" / "sarif-schema-2.1.0.json"
    jsonschema.validate(doc, json.loads(schema.read_text()))
    assert '"uri": ""' not in r.out
    places = {res["ruleId"]: res["locations"][0] for res in doc["runs"][0]["results"]}
    assert places["openai-project-key"]["logicalLocations"][0]["fullyQualifiedName"] == f"commit/{c}/message"
    assert places["openai-admin-key"]["logicalLocations"][0]["name"] == "refs/tags/stash-of-keys"
    assert "physicalLocation" not in places["openai-admin-key"]

    gh = keylatch("history", str(repo.path), "--format", "github").out
    assert "file=," not in gh and "file=" not in gh
    assert f"in the message of commit {c[:12]}, line 3." in gh
    assert f"in the blob {blob[:12]} reached by refs/tags/stash-of-keys, line 1." in gh
    assert gh.splitlines()[-1] == "keylatch: 2 keys found in 1 commit message and 1 blob"


def test_progress_goes_on_across_repositories(capsys: pytest.CaptureFixture[str]) -> None:
    """--recurse-submodules scans several repositories in one run: the counts never go back to 0."""
    from keylatch.commands.history import _Shown
    from keylatch.history import HistoryResult, Progress

    shown = _Shown()
    shown(Progress(464_896, 2_000_000_000, 10.0))
    shown.carry(HistoryResult((), 10, 464_896, 2_000_000_000, 10.0))
    shown(Progress(0, 0, 0.0))
    shown(Progress(12, 1_000_000, 1.0))
    counts = [int(part.split(" blobs")[0]) for part in capsys.readouterr().err.split("scanning: ")[1:]]
    assert counts == [464_896, 464_896, 464_908]


def test_keys_only_rewritten_history_holds_are_named_in_the_summary(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    """A key removed by rewriting history (a reset) may already be published: the default scan
    (every ref) does not report it, but says it exists and how to see it, in text and JSON."""
    repo = make_repo()
    repo.write("a.txt", "a\n")
    repo.commit("init")
    repo.write("leak.env", f"OPENAI_API_KEY={make_key('sk-proj-', seed=91)}\n")
    repo.commit("oops")
    repo.git("reset", "-q", "--hard", "HEAD~1")
    res = keylatch("history", str(repo.path), "--no-cache")
    assert res.code == 0
    said = res.out + res.err
    assert "1 more key only in objects no ref reaches" in said and "--include-unreachable shows it" in said
    doc = json.loads(keylatch("history", str(repo.path), "--no-cache", "-f", "json").out)
    assert any("no ref reaches" in n for n in doc["notes"])
    shown = keylatch("history", str(repo.path), "--no-cache", "--include-unreachable")
    assert shown.code == 1 and "no ref reaches" not in shown.out + shown.err
