"""An allow comment inside an archive member works in every command as in `scan`: it is read on
the member's own line (or the line before, for `nextline`), never on the archive blob's raw
bytes, in which a compressed member holds no comment at all (sources/member_lines.py).

Matrix: archive kinds (zip deflated and stored, tar.gz, a zip in a zip) x comment spellings x
commands (scan, history, ci, pre-push, baseline --history via history's judge). In each, the
commented key is left out and the uncommented key beside it in the same member stays reported."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.archives import tarred, zipped
from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e

ALLOWED = make_key("sk-proj-", seed=201)
KEPT = make_key("sk-proj-", seed=202)
ZERO = "0" * 40


def _shown(key: str) -> str:
    return f"sk-proj-{key[8:12]}...{key[-4:]}"


COMMENTS = {
    "same-line-keylatch": lambda key: f"OPENAI_API_KEY={key}  # keylatch:allow\n",
    "same-line-detect-secrets": lambda key: f"OPENAI_API_KEY={key}  # pragma: allowlist secret\n",
    "next-line": lambda key: f"# pragma: allowlist nextline secret\nOPENAI_API_KEY={key}\n",
}


def _member(comment: str) -> bytes:
    return ("# settings\n" + COMMENTS[comment](ALLOWED) + f"BACKUP_KEY={KEPT}\n").encode()


ARCHIVES: dict[str, Callable[[bytes], tuple[str, bytes]]] = {
    "zip": lambda data: ("dist/bundle.zip", zipped({"config/.env": data})),
    "zip-stored": lambda data: ("dist/bundle.zip", zipped({"config/.env": data}, zipfile.ZIP_STORED)),
    "tar-gz": lambda data: ("dist/bundle.tar.gz", tarred({"config/.env": data}, "w:gz")),
    "zip-in-zip": lambda data: ("dist/outer.zip", zipped({"inner.zip": zipped({"config/.env": data})})),
    # Bytes in front (an installer): opened by its end record, as the scan opens it (t-polish19).
    "zip-prefixed": lambda data: ("dist/install.sh", b"#!/bin/sh\nexit 0\n" + zipped({"config/.env": data})),
}
COMMANDS = ("scan", "history", "ci", "pre-push")


def _run(keylatch: RunKeylatch, repo: GitRepo, base: str, command: str) -> Result:
    if command == "scan":
        return keylatch("scan", "--no-baseline", "-f", "json", ".", cwd=repo.path)
    if command == "history":
        return keylatch("history", "--no-cache", "-f", "json", cwd=repo.path, input="")
    if command == "ci":
        return keylatch("ci", "--range", f"{base}..HEAD", "-f", "json", cwd=repo.path)
    head = repo.git("rev-parse", "HEAD").strip()
    return keylatch(
        "pre-push", "backup", "file:///nowhere", cwd=repo.path, input=f"refs/heads/main {head} refs/heads/main {ZERO}\n"
    )


def _reported(res: Result, command: str) -> set[str]:
    """The redacted keys each command reports as findings (not its notices)."""
    if command == "pre-push":
        text = res.out
    else:
        doc = json.loads(res.out)
        text = json.dumps(doc["findings"])
    return {k for k in (ALLOWED, KEPT) if _shown(k) in text}


@dataclass(frozen=True)
class Template:
    repo: Path
    base: str


@pytest.fixture(scope="module", params=[(k, c) for k in sorted(ARCHIVES) for c in sorted(COMMENTS)], ids="-".join)
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Template:
    """The repository of one archive kind and comment, built once for the four commands (which
    only read it: each runs in its own copy all the same)."""
    kind, comment = request.param
    root = tmp_path_factory.mktemp(f"{kind}-{comment}")
    (root / "home").mkdir()
    repo = GitRepo.init(root / "repo", root / "home")
    repo.write("README", "hello\n")
    base = repo.commit("base")
    name, data = ARCHIVES[kind](_member(comment))
    repo.write(name, data)
    repo.commit("add the bundle")
    return Template(repo.path, base)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_allow_comment_in_a_member_counts_on_the_members_own_line(
    template: Template, tmp_path: Path, home: Path, keylatch: RunKeylatch, command: str
) -> None:
    copy_tree(template.repo, tmp_path / "repo")
    repo = GitRepo(tmp_path / "repo", git_env(home))
    res = _run(keylatch, repo, template.base, command)
    assert res.code == 1, res
    assert_redacted(res.out, res.err, keys=[ALLOWED, KEPT])
    assert _reported(res, command) == {KEPT}, res.out
