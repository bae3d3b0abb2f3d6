"""A scanned repository is hostile: none of its configured programs may run, and replace refs
must not hide a key (`--no-replace-objects` everywhere)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from keylatch.history import WHOLE_HISTORY, scan_history
from keylatch.rules.synthetic import make_key
from tests.gitrepo import GitRepo
from tests.history.test_history import day, only, where

MakeRepo = Callable[..., GitRepo]

HOOKS = (
    "pre-commit", "post-checkout", "post-merge", "reference-transaction", "post-index-change",
    "pre-auto-gc", "post-rewrite", "fsmonitor-watchman", "pre-push", "push-to-checkout",
)  # fmt: skip


def hostile_repo(repo: GitRepo, tmp_path: Path) -> tuple[str, str, Path]:
    """A repository whose key is hidden by a replace ref and whose config names a program in
    every place git could run one. Returns (key, the commit that really holds it, marker)."""
    marker = tmp_path / "PWNED"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\necho ran \"$0 $*\" >> '{marker}'\ncat\n")
    evil.chmod(0o755)
    key = make_key("sk-proj-", seed=31)
    repo.write("README", "hi\n")
    base = repo.commit("init", date=day(1))
    repo.write("settings.py", f"API = 'x'\nOPENAI_API_KEY = '{key}'\n")
    real = repo.commit("settings", author="bob", date=day(2))
    # A look-alike commit without the key, swapped in for the real one by refs/replace/.
    repo.write("settings.py", "API = 'x'\n")
    repo.git("add", "-A")
    tree = repo.git("write-tree")
    fake = repo.git("commit-tree", tree, "-p", base, "-m", "settings")
    repo.git("replace", real, fake)
    repo.git("reset", "-q", "--hard", real)
    assert key not in repo.git("log", "-p")  # the replace ref does hide it from plain git
    (repo.path / ".gitattributes").write_text("* diff=evil filter=evil merge=evil\n")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in HOOKS:
        (hooks / name).symlink_to(evil)
        (repo.path / ".git" / "hooks" / name).symlink_to(evil)
    for name, value in {
        "core.fsmonitor": str(evil),
        "core.hooksPath": str(hooks),
        "core.pager": str(evil),
        "pager.log": str(evil),
        "core.sshCommand": str(evil),
        "core.askPass": str(evil),
        "core.editor": str(evil),
        "core.alternateRefsCommand": str(evil),
        "diff.external": str(evil),
        "diff.evil.textconv": str(evil),
        "diff.evil.command": str(evil),
        "filter.evil.clean": str(evil),
        "filter.evil.smudge": str(evil),
        "filter.evil.process": str(evil),
        "filter.evil.required": "true",
        "merge.evil.driver": str(evil),
        "credential.helper": f"!{evil}",
        "gpg.program": str(evil),
        "log.showSignature": "true",
        "uploadpack.packObjectsHook": str(evil),
        "gc.auto": "1",
    }.items():
        repo.git("config", name, value)
    return key, real, marker


def test_hostile_config_runs_nothing_and_replace_refs_hide_nothing(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo()
    key, real, marker = hostile_repo(repo, tmp_path)

    k = only(scan_history(repo.path, use_cache=False))
    only(scan_history(repo.path, [f"{real}~1..{real}"]))
    only(scan_history(repo.path, include_unreachable=True))

    assert k.secret.value == key
    assert where(k) == [(real, "settings.py", 2)]
    assert k.introduced.author_name == "Bob Example"
    assert not marker.exists(), marker.read_text()


def test_gitpython_discovery_is_hardened_too(make_repo: MakeRepo, tmp_path: Path) -> None:
    from keylatch.sources.discover import branch_ref, discover

    repo = make_repo()
    _, _, marker = hostile_repo(repo, tmp_path)
    sub = repo.path / "pkg"
    sub.mkdir()

    assert discover(sub).root == repo.path
    assert branch_ref(repo.path, "main") == "refs/heads/main"
    assert not marker.exists()


def test_grafts_hide_no_key(make_repo: MakeRepo) -> None:
    """`.git/info/grafts` can cut the commit that added a key out of the history git shows;
    keylatch reads the real parents (GIT_GRAFT_FILE=/dev/null), in whole and range scans."""
    repo = make_repo()
    key = make_key("sk-proj-", seed=32)
    repo.write("README", "hi\n")
    base = repo.commit("init", date=day(1))
    repo.write("settings.py", f"KEY = '{key}'\n")
    real = repo.commit("settings", author="bob", date=day(2))
    repo.write("settings.py", "KEY = None\n")
    head = repo.commit("rotate", date=day(3))
    (repo.path / ".git" / "info" / "grafts").write_text(f"{head} {base}\n")
    assert key not in repo.git("log", "-p")  # plain git is fooled

    for revs in (WHOLE_HISTORY, (f"{base}..{head}",)):
        k = only(scan_history(repo.path, revs, use_cache=False))
        assert where(k) == [(real, "settings.py", 1)]
        assert k.introduced.author_name == "Bob Example"
