"""Every string from scanned content is attacker text: each command, in each format, shows it
redacted and escaped (issue 8: `history` printed the full key from a commit message).

One hostile repository plants a key, or a terminal escape, in each such field: a commit
message, a file path, a branch name, a tag name, an author name and email, a submodule path,
a baseline's paths and reason. Then every command runs in every format, and what it prints must
hold none of the planted keys and no raw control character, while still reporting the findings.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from keylatch.model import Secret
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, replayed
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import Result, RunKeylatch

MakeRepo = Callable[..., GitRepo]

ESC = "\x1b]0;pwn\x07"  # OSC 0: retitle the terminal
KEY_MSG = make_key("sk-proj-", seed=801)  # in a commit message
KEY_PATH = make_key("sk-proj-", seed=802)  # in a file name
KEY_FILE = make_key("sk-svcacct-", seed=803, n=46)  # the content of that file
KEY_REF = make_key("sk-proj-", seed=804, n=46)  # in a branch name
KEY_TAG = make_key("sk-admin-", seed=805, n=46)  # in a tag name
KEY_AUTHOR = make_key("sk-None-", seed=806, n=46)  # in an author name
KEY_SUB = make_key("sk-proj-", seed=807, n=46)  # in a submodule path
KEY_REASON = make_key("sk-proj-", seed=808, n=46)  # in a baseline reason
PLANTED = (KEY_MSG, KEY_PATH, KEY_FILE, KEY_REF, KEY_TAG, KEY_AUTHOR, KEY_SUB, KEY_REASON)

# A file name that tries to end a GitHub annotation and start a forged one, and another with an
# escape sequence, a CR and a bidi override around a key.
FORGED = "x\n::error file=forged.py::all clear%0A::warning::,title=x.py"
HOSTILE_PATH = f"conf/{ESC}\r\u202e{KEY_PATH}.env"
AUTHOR = f"Eve\x1b[2J\x1b[H{KEY_AUTHOR}\x9b31m"
# What may not reach a terminal raw: C0 (but the newlines between lines), DEL, C1, bidi.
RAW_CONTROLS = [c for c in map(chr, [*range(32), *range(0x7F, 0xA0)]) if c != "\n"] + ["\u202e"]


@dataclass(frozen=True)
class Hostile:
    repo: GitRepo
    base: str  # the commit before the hostile ones
    head: str


def _commit(repo: GitRepo, message: str, name: str = "Alice Example", email: str = "alice@example.test") -> str:
    env = dict(
        repo.env, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_COMMITTER_NAME="C", GIT_COMMITTER_EMAIL="c@x"
    )
    repo.git("add", "-A")
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", message], cwd=repo.path, env=env, check=True)
    return repo.git("rev-parse", "HEAD")


@pytest.fixture
def hostile(make_repo: MakeRepo) -> Hostile:
    repo = make_repo()
    return Hostile(repo, *replayed(repo, _hostile))  # built once per session, copied per test


def _hostile(repo: GitRepo) -> tuple[str, str]:
    repo.write("README", "hello\n")
    base = _commit(repo, "init")
    repo.write(HOSTILE_PATH, f"OPENAI_API_KEY={KEY_FILE}\n")
    repo.write(FORGED, f"OPENAI_API_KEY={KEY_FILE}\n")
    head = _commit(repo, f"add env {KEY_MSG}{ESC}\rall clean", name=AUTHOR, email=f"eve+{KEY_AUTHOR}@example.test")
    repo.git("branch", f"feat/{KEY_REF}")
    repo.git("tag", f"v1-{KEY_TAG}")
    return base, head


def check(r: Result, *, text: bool = True) -> None:
    """No planted key anywhere; in text output, no raw control character."""
    assert_redacted(r.out, r.err, keys=PLANTED)
    for stream in (r.out, r.err):
        raw = sorted({c for c in stream if c in RAW_CONTROLS})
        assert not raw, f"raw control characters {raw} in:\n{stream}"
    if text:
        assert "\\x1b]0;pwn\\x07" in r.out + r.err  # shown escaped, not dropped


def redacted(key: str) -> str:
    return Secret(key, key.index("-", 3) + 1).redacted


FORMATS = ("text", "json", "sarif", "github")


@pytest.mark.parametrize("fmt", FORMATS)
def test_history(hostile: Hostile, keylatch: RunKeylatch, fmt: str) -> None:
    r = keylatch("history", "--format", fmt, str(hostile.repo.path))
    assert r.code == 1, r.err
    check(r, text=fmt == "text")
    out = r.out
    if fmt == "text":
        assert f"add env {redacted(KEY_MSG)}\\x1b]0;pwn\\x07\\rall clean" in out
        assert f"Eve\\x1b[2J\\x1b[H{redacted(KEY_AUTHOR)}\\x9b31m <eve+{redacted(KEY_AUTHOR)}@example.test>" in out
        assert f"refs/heads/feat/{redacted(KEY_REF)}" in out and f"refs/tags/v1-{redacted(KEY_TAG)}" in out
        assert f"  at conf/\\x1b]0;pwn\\x07\\r\\u202e{redacted(KEY_PATH)}.env:1:16 " in out
    if fmt == "json":
        doc = json.loads(out)
        f = next(f for f in doc["findings"] if f["secret"] == redacted(KEY_FILE))
        assert f["introduced"]["summary"] == f"add env {redacted(KEY_MSG)}{ESC}\rall clean"
        assert f["introduced"]["author_name"] == f"Eve\x1b[2J\x1b[H{redacted(KEY_AUTHOR)}\x9b31m"
        assert f"conf/{ESC}\r\u202e{redacted(KEY_PATH)}.env" in {o["path"] for o in f["locations"]}
        assert f"refs/heads/feat/{redacted(KEY_REF)}" in f["refs"]
    _check_structured(fmt, out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_scan(hostile: Hostile, keylatch: RunKeylatch, fmt: str) -> None:
    r = keylatch("scan", "--format", fmt, ".", cwd=hostile.repo.path)
    assert r.code == 1, r.err
    check(r, text=fmt == "text")
    if fmt == "text":
        assert f"conf/\\x1b]0;pwn\\x07\\r\\u202e{redacted(KEY_PATH)}.env:1:16: high" in r.out
    _check_structured(fmt, r.out)


@pytest.mark.parametrize("fmt", FORMATS)
def test_ci_range(hostile: Hostile, keylatch: RunKeylatch, fmt: str) -> None:
    r = keylatch("ci", "--range", f"{hostile.base}..{hostile.head}", "--format", fmt, cwd=hostile.repo.path)
    assert r.code == 1, r.err
    check(r, text=fmt == "text")
    _check_structured(fmt, r.out)


def test_ci_names_the_default_branch_escaped(hostile: Hostile, keylatch: RunKeylatch) -> None:
    # A new branch's range is "HEAD not on <default branch>": the branch name is repository text.
    hostile.repo.git("branch", "-f", f"feat/{KEY_REF}", hostile.base)
    env = {"GITLAB_CI": "true", "CI_COMMIT_SHA": hostile.head, "CI_DEFAULT_BRANCH": f"feat/{KEY_REF}",
           "CI_COMMIT_BRANCH": "topic", "CI_COMMIT_BEFORE_SHA": "0" * 40, "CI_PIPELINE_SOURCE": "push"}  # fmt: skip
    r = keylatch("ci", cwd=hostile.repo.path, env=env)
    assert r.code == 1, r.err
    check(r, text=False)
    assert f"not on feat/{redacted(KEY_REF)})" in r.err


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_staged(make_repo: MakeRepo, keylatch: RunKeylatch, fmt: str) -> None:
    repo = make_repo()
    repo.write(HOSTILE_PATH, f"OPENAI_API_KEY={KEY_FILE}\n")
    repo.write(FORGED, f"OPENAI_API_KEY={KEY_FILE}\n")
    repo.git("add", "-A")
    # And the same key in an unstaged edit: the warning names its path too.
    repo.write(FORGED, f"OPENAI_API_KEY={KEY_FILE}\nnew = {KEY_MSG}\n")
    r = keylatch("staged", "--format", fmt, cwd=repo.path)
    assert r.code == 1, r.err
    check(r, text=fmt == "text")
    if fmt == "text":
        assert f"conf/\\x1b]0;pwn\\x07\\r\\u202e{redacted(KEY_PATH)}.env:1" in r.out
        assert "x\\n::error file=forged.py::all clear%0A::warning::,title=x.py:2" in r.err
    else:
        assert {f["path"] for f in json.loads(r.out)["findings"]} == {
            f"conf/{ESC}\r\u202e{redacted(KEY_PATH)}.env",
            FORGED,
        }


def test_pre_push(hostile: Hostile, make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    remote = make_repo("remote.git", "--bare")
    hostile.repo.git("remote", "add", "origin", str(remote.path))
    hostile.repo.git("push", "-q", "origin", f"{hostile.base}:refs/heads/main")
    hostile.repo.git("fetch", "-q", "origin")
    r = keylatch("pre-push", "origin", cwd=hostile.repo.path, input="")
    assert r.code == 1, r.err
    check(r)
    assert f"conf/\\x1b]0;pwn\\x07\\r\\u202e{redacted(KEY_PATH)}.env:1" in r.out


def test_submodule_path(hostile: Hostile, make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    sub = make_repo("sub")
    sub.write("s.env", f"OPENAI_API_KEY={KEY_FILE}\n")
    _commit(sub, "sub")
    name = f"vendor/{ESC}{KEY_SUB}"
    hostile.repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), name)
    _commit(hostile.repo, "add submodule")
    for fmt in ("text", "json"):
        r = keylatch("history", "--recurse-submodules", "--format", fmt, str(hostile.repo.path))
        assert r.code == 1, r.err
        check(r, text=fmt == "text")
        assert f"vendor/\\x1b]0;pwn\\x07{redacted(KEY_SUB)}/s.env" in r.out.replace("\\u001b", "\\x1b").replace(
            "\\u0007", "\\x07"
        )


def test_baseline_messages(hostile: Hostile, keylatch: RunKeylatch) -> None:
    cwd = hostile.repo.path
    r = keylatch("baseline", "create", ".", "--reason", f"rotated {KEY_REASON}{ESC}", cwd=cwd)
    assert r.code == 0, r.err
    base = cwd / ".keylatch-baseline.json"
    # The baseline stores hashes, and the paths and reason it was given, redacted.
    assert_redacted(base.read_text(), keys=PLANTED)
    doc = json.loads(base.read_text())
    for e in doc["entries"]:
        e["expires"] = "2000-01-01"
    base.write_text(json.dumps(doc))
    r = keylatch("baseline", "check", cwd=cwd)
    assert r.code == 1, r.err
    check(r)
    assert f"rotated {redacted(KEY_REASON)}\\x1b]0;pwn\\x07" in r.out


def test_errors_and_logs_are_escaped(hostile: Hostile, keylatch_process: RunKeylatch, tmp_path: Path) -> None:
    # A git error quoting the attacker's ref name, and a log line naming a path: what reaches a
    # real process's stderr through the logging cli configures (so a child process, not main()).
    keylatch = keylatch_process
    r = keylatch("history", "--range", f"feat/{KEY_REF}{ESC}..HEAD", str(hostile.repo.path))
    assert r.code in (2, 3), r.err
    check(r, text=False)
    assert r.err.startswith("keylatch: error: ")
    # Logged (at --debug): an allowed key, by the path of its file.
    allowed = hostile.repo.write(f"ok/{ESC}{KEY_PATH}.py", f"k = '{KEY_FILE}'  # keylatch:allow rotated {KEY_REASON}\n")
    r = keylatch("--debug", "scan", str(allowed.relative_to(hostile.repo.path)), cwd=hostile.repo.path)
    assert r.code == 1, r.err  # the key in its name: an allow comment covers the content only
    check(r)
    assert f"ok/\\x1b]0;pwn\\x07{redacted(KEY_PATH)}.py:1: " in r.err


def _check_structured(fmt: str, out: str) -> None:
    if fmt == "github":
        lines = out.splitlines()
        annotations = [ln for ln in lines if ln.startswith("::")]
        # One annotation per finding; the forged file name is inside one, escaped.
        assert len(annotations) == len(lines) - 1 and lines[-1].startswith("keylatch: ")
        assert not any(ln.startswith(("::warning::", "::error file=forged")) for ln in lines)
        assert any("file=x\\n%3A%3Aerror file=forged.py%3A%3Aall clear%250A%3A%3Awarning%3A%3A%2Ctitle=x.py" in ln
                   for ln in annotations)  # fmt: skip
    if fmt == "sarif":
        doc = json.loads(out)
        places = [r["locations"][0] for r in doc["runs"][0]["results"]]
        # A key in a commit message has a logical location (the commit), not a file.
        uris = {p["physicalLocation"]["artifactLocation"]["uri"] for p in places if "physicalLocation" in p}
        assert uris and not any(k in u for u in uris for k in PLANTED)
