"""A git directory's own files that git would block on × every command that walks history.

Each row replaces one file git opens (HEAD, packed-refs, a loose ref, shallow, alternates, a
commit-graph, a pack, a loose object, a file of an alternate object directory outside the
repository, ...) with a FIFO nobody writes, a socket, a link to /dev/zero or /dev/stdin, or a
link to a FIFO outside the repository. Before the fix each hung `keylatch history` and `ci`
forever. Every command must now exit 3 at once with one line naming the entry (sources/gitdir.py),
under a watchdog that fails the test, and kills every git the run left behind, if it does not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitdir import KINDS, LOCATIONS, plant
from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.run import SRC, Result, in_process, watchdog

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1601)
TIMEOUT = 30  # seconds; a refusal takes well under one, a hang never ends


def run(args: tuple[str, ...], cwd: Path, home: Path) -> Result:
    """`keylatch ARGS` in this process (tests/helpers/run.py) under a watchdog: a run that
    outlives TIMEOUT fails its test, and the git it waits on is killed, instead of the suite
    hanging. The refusal is a check in Python before any git starts, so it needs no process
    boundary to be seen."""
    env = git_env(home)
    env["PYTHONPATH"] = str(SRC)
    env["XDG_CACHE_HOME"] = str(home / ".cache")
    with watchdog(TIMEOUT, f"keylatch {' '.join(args)}"):
        return in_process(args, cwd, env, None)
    raise AssertionError("unreachable: watchdog fails the test")  # for mypy: a `with` may swallow


@dataclass(frozen=True)
class Template:
    repo: Path
    report: Path
    home: Path


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A repository with a key in its history, and `history --format json`'s report of it (for
    remediate), built once; each test plants in its own copy."""
    base = tmp_path_factory.mktemp("gitdir-template")
    home = base / "home"
    home.mkdir()
    repo = GitRepo.init(base / "repo", home)
    repo.write("settings.py", f'OPENAI_API_KEY = "{KEY}"\n')
    repo.commit("add settings")
    repo.write("settings.py", "OPENAI_API_KEY = None\n")
    repo.commit("drop the key")
    repo.git("pack-refs", "--all")
    report = base / "report.json"
    done = run(("history", str(repo.path), "--format", "json", "--output", str(report)), base, home)
    assert done.code == 1, done.err
    return Template(repo.path, report, home)


def _copy(template: Template, tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    copy_tree(template.repo, repo)
    return repo


COMMANDS: dict[str, tuple[str, ...]] = {
    "history": ("history", "."),
    "history-url": ("history", "file://{repo}"),  # git clone's upload-pack reads the source's git dir
    "ci": ("ci", "--since", "HEAD~1"),
    "baseline": ("baseline", "create", "--history", "--file", "../baseline.json"),
    "remediate": ("remediate", "{report}", "--write-replacements", "../replacements.txt"),
}


def _command(name: str, template: Template, repo: Path) -> tuple[str, ...]:
    return tuple(a.format(report=template.report, repo=repo) for a in COMMANDS[name])


def _assert_refused(done: Result, planted: Path) -> None:
    assert done.code == 3, (done.code, done.err)
    lines = done.err.strip().splitlines()
    assert len(lines) == 1, done.err
    assert lines[0].startswith("keylatch: error: ")
    assert str(planted) in lines[0], lines[0]
    assert "not reading this repository" in lines[0]
    assert "Traceback" not in done.err


@pytest.mark.parametrize("location", LOCATIONS)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_history_refuses_every_kind_at_every_location(
    template: Template, tmp_path: Path, kind: str, location: str
) -> None:
    repo = _copy(template, tmp_path)
    planted = plant(repo / ".git", location, kind, tmp_path / "outside")
    _assert_refused(run(_command("history", template, repo), repo, template.home), planted)


@pytest.mark.parametrize("location", ["HEAD", "packed-refs", "objects/info/alternates", "alternate:info/commit-graph"])
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("command", ["ci", "baseline", "remediate", "history-url"])
def test_every_history_command_refuses(
    template: Template, tmp_path: Path, command: str, kind: str, location: str
) -> None:
    repo = _copy(template, tmp_path)
    planted = plant(repo / ".git", location, kind, tmp_path / "outside")
    _assert_refused(run(_command(command, template, repo), repo, template.home), planted)
    assert not (tmp_path / "baseline.json").exists()
    assert not (tmp_path / "replacements.txt").exists()


@pytest.mark.parametrize(
    ("command", "code", "writes"),
    [
        ("history", 1, None),
        ("history-url", 1, None),
        ("ci", 0, None),
        ("baseline", 0, "baseline.json"),
        ("remediate", 0, "replacements.txt"),
    ],
)
def test_the_untouched_copy_still_scans(
    template: Template, tmp_path: Path, command: str, code: int, writes: str | None
) -> None:
    """The same repository, nothing planted: each command runs as before (history finds the key,
    ci's range only removes it, baseline and remediate write their files)."""
    repo = _copy(template, tmp_path)
    done = run(_command(command, template, repo), repo, template.home)
    assert done.code == code, done.err
    if writes:
        assert (tmp_path / writes).is_file()


def test_ordinary_links_in_the_git_dir_still_scan(tmp_path: Path) -> None:
    """Symlinked hooks (a shared hooks directory), a regular file behind a link, a socket the
    fsmonitor daemon keeps, a symlinked HEAD and a directory link loop: a clean scan, exit 0."""
    home = tmp_path / "home"
    home.mkdir()
    repo = GitRepo.init(tmp_path / "repo", home)
    repo.write("README.md", "hello\n")
    repo.commit("first")
    git_dir = repo.path / ".git"
    shared = tmp_path / "shared-hooks"
    shared.mkdir()
    os.mkfifo(shared / "a-fifo-in-hooks")  # hooks never run, never read
    shutil.rmtree(git_dir / "hooks")
    (git_dir / "hooks").symlink_to(shared)
    (tmp_path / "exclude").write_text("*.log\n")
    (git_dir / "info").mkdir(exist_ok=True)
    (git_dir / "info" / "exclude").unlink(missing_ok=True)
    (git_dir / "info" / "exclude").symlink_to(tmp_path / "exclude")
    (git_dir / "refs" / "loop").symlink_to(git_dir / "refs")
    (git_dir / "description").unlink()
    (git_dir / "description").symlink_to(git_dir / "does-not-exist")  # dangling: git finds nothing
    KINDS["socket"](git_dir / "fsmonitor--daemon.ipc", tmp_path)
    (git_dir / "HEAD").unlink()
    (git_dir / "HEAD").symlink_to("refs/heads/main")
    for args in (("history", "."), ("ci", "--since", "HEAD")):
        done = run(args, repo.path, home)
        assert done.code == 0, (args, done.err)


def test_linked_worktree_commondir_and_its_gitdir(template: Template, tmp_path: Path) -> None:
    """Run in a linked worktree: its git directory (the .git file's target) and the common
    directory it names are both checked, before git opens either."""
    repo = _copy(template, tmp_path)
    subprocess.run(["git", "worktree", "add", "-q", str(tmp_path / "wt")], cwd=repo, env=git_env(template.home),
                   check=True, capture_output=True)  # fmt: skip
    wt_git = repo / ".git" / "worktrees" / "wt"
    for name in ("commondir", "HEAD"):
        saved = (wt_git / name).read_bytes()
        (wt_git / name).unlink()
        os.mkfifo(wt_git / name)
        _assert_refused(run(("history", "."), tmp_path / "wt", template.home), wt_git / name)
        (wt_git / name).unlink()
        (wt_git / name).write_bytes(saved)
    planted = plant(repo / ".git", "packed-refs", "fifo", tmp_path / "outside")
    _assert_refused(run(("ci", "--since", "HEAD"), tmp_path / "wt", template.home), planted)


def test_checked_out_submodule_with_its_own_git_dir(template: Template, tmp_path: Path) -> None:
    """--recurse-submodules scans a checked-out submodule as a repository: its own git directory
    is checked before git reads it."""
    repo = _copy(template, tmp_path)
    env = git_env(template.home)
    sub = GitRepo.init(repo / "vendor", template.home)
    sub.write("x.txt", "x\n")
    sub.commit("sub")
    parent = GitRepo(repo, env)
    parent.git("add", "vendor")
    parent.commit("vendor")
    planted = plant(repo / "vendor" / ".git", "packed-refs", "fifo", tmp_path / "outside")
    _assert_refused(run(("history", ".", "--recurse-submodules"), repo, template.home), planted)


def test_alternates_chain_and_quoting(template: Template, tmp_path: Path) -> None:
    """An alternate's own alternates are followed (a quoted path, a relative one), and a FIFO at
    the end of the chain is found."""
    repo = _copy(template, tmp_path)
    first = tmp_path / "first dir" / "objects"
    second = tmp_path / "second" / "objects"
    for d in (first, second):
        (d / "info").mkdir(parents=True)
        (d / "pack").mkdir()
    (repo / ".git" / "objects" / "info" / "alternates").write_text(f'# shared\n"{first}"\n')
    (first / "info" / "alternates").write_text("../../second/objects\n")
    os.mkfifo(second / "pack" / "pack-2222.idx")
    _assert_refused(run(("history", "."), repo, template.home), second / "pack" / "pack-2222.idx")


def test_a_key_in_the_entry_name_is_redacted(template: Template, tmp_path: Path) -> None:
    """The refusal names a ref, which is attacker text: a key in it is redacted, escapes escaped."""
    repo = _copy(template, tmp_path)
    name = f"refs/heads/{KEY}\x1b]0;x"
    planted = plant(repo / ".git", name, "fifo", tmp_path / "outside")
    done = run(("history", "."), repo, template.home)
    assert done.code == 3, done.err
    assert KEY not in done.err
    assert "\x1b" not in done.err
    assert str(planted.parent) in done.err
