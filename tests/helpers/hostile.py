"""A repository that names a program in every place git could run one, and hides a key with a
replace ref: what scanning an attacker's clone looks like."""

from __future__ import annotations

from pathlib import Path

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.history import day

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
        # The suite's home config turns automatic maintenance off (gitwrite.home_gitconfig()): on
        # again here, so a git that keylatch let run it would still reach pre-auto-gc.
        "maintenance.auto": "true",
        "receive.autogc": "true",
    }.items():
        repo.git("config", name, value)
    return key, real, marker
