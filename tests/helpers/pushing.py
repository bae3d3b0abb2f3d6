"""A clone with a bare origin and keylatch's pre-push hook installed: what pre-push tests push from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.hooks import Git
from tests.helpers.run import SRC, RunKeylatch, in_process

ZERO = "0" * 40


def pushing_clone(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> GitRepo:
    """A clone whose `main` is on its bare origin, with keylatch's plain pre-push hook."""
    origin = make_repo("origin.git", "--bare")
    repo = make_repo("work")
    repo.env["PYTHONPATH"] = str(SRC)  # the hook runs this checkout's keylatch
    repo.git("remote", "add", "origin", str(origin.path))
    repo.write("README", "hi\n")
    repo.commit("base")
    repo.git("push", "-q", "origin", "main")
    assert keylatch("install-hook", "--hook", "pre-push", cwd=repo.path).code == 0
    return repo


def pushing_template(root: Path) -> Path:
    """`pushing_clone`'s two repositories (`origin.git`, `work`) built once under `root`, for
    `copied_clone` to copy: building them is five git processes, a push and an install-hook."""
    home = root / "home"
    home.mkdir()
    origin = GitRepo.init(root / "origin.git", home, "--bare")
    repo = GitRepo.init(root / "work", home)
    repo.git("remote", "add", "origin", str(origin.path))
    repo.write("README", "hi\n")
    repo.commit("base")
    repo.git("push", "-q", "origin", "main")
    env = {**repo.env, "PYTHONPATH": str(SRC)}
    assert in_process(("install-hook", "--hook", "pre-push"), repo.path, env, None).code == 0
    return root


def copied_clone(template: Path, tmp_path: Path, home: Path) -> GitRepo:
    """What `pushing_clone` builds, copied from `pushing_template`: the same commits (fixed
    authors and dates), the same hook, origin's URL pointing at the copy."""
    for name in ("origin.git", "work"):
        copy_tree(template / name, tmp_path / name)
    config = tmp_path / "work" / ".git" / "config"
    config.write_text(config.read_text().replace(str(template / "origin.git"), str(tmp_path / "origin.git")))
    repo = GitRepo(tmp_path / "work", git_env(home))
    repo.env["PYTHONPATH"] = str(SRC)  # the hook runs this checkout's keylatch
    return repo


def push_in_process(repo: GitRepo, keylatch: RunKeylatch, branch: str = "main") -> Git:
    """`git push origin <branch>` with keylatch's hook run in this process: the hook gets what
    git gives it (`origin <url>`, one `<local ref> <sha> <remote ref> <sha>` line on stdin), and
    the push goes ahead (`--no-verify`, the hook already ran) only if it exits 0. For tests whose
    subject is what the hook decides; tests/commands/test_pre_push.py keeps real pushes that run
    the installed hook."""
    url = repo.git("remote", "get-url", "origin")
    local = repo.git("rev-parse", f"refs/heads/{branch}")
    remote = remote_tip(repo, url, branch) or ZERO
    line = f"refs/heads/{branch} {local} refs/heads/{branch} {remote}\n"
    res = keylatch("pre-push", "origin", url, cwd=repo.path, input=line)
    if res.code == 0:
        repo.git("push", "-q", "--no-verify", "origin", branch)
    return Git(res.code, res.out + res.err)


def remote_tip(repo: GitRepo, url: str, branch: str) -> str:
    """The commit the remote at `url` has for `branch` ('' if none), as `git ls-remote` answers:
    for a repository on this disk, read from its own refs by one git process (ls-remote starts
    upload-pack through a shell: ~4 ms CPU against ~1.2 ms)."""
    if Path(url).is_dir():
        return repo.git(f"--git-dir={url}", "rev-parse", "-q", "--verify", f"refs/heads/{branch}", check=False)
    return repo.git("ls-remote", url, f"refs/heads/{branch}").split("\t")[0]
