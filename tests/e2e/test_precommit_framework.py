"""The real pre-commit framework with this checkout as the hook repository (`repo:` a local path).

pre-commit builds the hook environment with `pip install .`. To keep that fast and offline, the
session builds a wheelhouse of keylatch's dependencies once (cached under ~/.cache) and points
pip at it with PIP_FIND_LINKS + PIP_NO_INDEX; PRE_COMMIT_HOME is shared by the session, so the
environment is built once. That pip builds keylatch with the setuptools virtualenv seeded into
the hook environment (no isolated build environment to install first) and leaves bytecode to
the hooks' first imports (PYTHONPYCACHEPREFIX, tests/helpers/gitrepo.py): about half the
environment's CPU. Every project gets its hook scripts from one `pre-commit init-templatedir`
(`git init --template`), pre-commit's own way to install them into new repositories.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, git_env
from tests.helpers.redaction import assert_redacted

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Ran:
    code: int
    out: str


def _run(argv: list[str], cwd: Path, env: dict[str, str], input: str | None = None) -> Ran:
    proc = subprocess.run(argv, cwd=cwd, env=env, input=input, capture_output=True, text=True, check=False)
    out = proc.stdout + proc.stderr
    assert_redacted(out)  # whatever pre-commit shows the user: never a full key
    return Ran(proc.returncode, out)


def _dependencies(pyproject: str) -> list[str]:
    if sys.version_info >= (3, 11):
        import tomllib

        deps: list[str] = tomllib.loads(pyproject)["project"]["dependencies"]
        return deps
    # Python 3.10 has no tomllib: the list is simple enough to read directly.
    block = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    return [line.strip().strip(",").strip('"') for line in block.splitlines() if line.strip()]


def _wheelhouse() -> Path:
    deps = _dependencies((ROOT / "pyproject.toml").read_text())
    # setuptools (and wheel) build keylatch itself inside pip's isolated build environment.
    wanted = sorted([*deps, "setuptools>=68", "wheel"])
    digest = hashlib.sha256("\n".join([sys.version, *wanted]).encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "keylatch-tests" / f"wheelhouse-{digest}"
    if not cache.is_dir():
        tmp = cache.with_name(cache.name + f".tmp{os.getpid()}")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--disable-pip-version-check",
                "--wheel-dir",
                str(tmp),
                *wanted,
            ],
            check=True,
            capture_output=True,
        )
        tmp.rename(cache)
    return cache


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this checkout's files (committed or not) at one commit."""
    dest = tmp_path_factory.mktemp("keylatch-hook-src")
    home = tmp_path_factory.mktemp("keylatch-hook-home")
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    repo = GitRepo.init(dest, home)
    return dest, repo.commit("keylatch under test")


@pytest.fixture(scope="session")
def framework_env(tmp_path_factory: pytest.TempPathFactory, hook_repo: tuple[Path, str]) -> dict[str, str]:
    """Environment for git + pre-commit; the hook environment is built here, once."""
    home = tmp_path_factory.mktemp("precommit-user")
    env = git_env(home)
    env.pop("PYTHONPATH", None)  # the hooks must run the keylatch pre-commit installed
    env.update(
        PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("precommit-home")),
        PIP_FIND_LINKS=str(_wheelhouse()),
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        # pip reads a `no-` option's variable as the option's value: "0" means --no-build-isolation
        # and --no-compile (pip's configuration docs).
        PIP_NO_BUILD_ISOLATION="0",
        PIP_NO_COMPILE="0",
        # virtualenv (which pre-commit makes the environment with) otherwise starts, unwaited, a
        # `pip download` of the newest pip and setuptools per session (its update record lives in
        # this session's HOME): the machine's CPU, the run's, offline all the same.
        VIRTUALENV_NO_PERIODIC_UPDATE="1",
    )
    scratch = GitRepo.init(tmp_path_factory.mktemp("precommit-scratch"), home)
    scratch.env = env
    _write_config(scratch, hook_repo)
    res = _run([sys.executable, "-m", "pre_commit", "install-hooks"], scratch.path, env)
    assert res.code == 0, res.out
    return env


@pytest.fixture(scope="session")
def hook_template(tmp_path_factory: pytest.TempPathFactory, framework_env: dict[str, str]) -> Path:
    """A git template directory holding pre-commit's pre-commit and pre-push hook scripts."""
    template = tmp_path_factory.mktemp("precommit-template")
    argv = ["init-templatedir", str(template), "--hook-type", "pre-commit", "--hook-type", "pre-push"]
    res = _run([sys.executable, "-m", "pre_commit", *argv], template, framework_env)
    assert res.code == 0, res.out
    return template


def _write_config(repo: GitRepo, hook_repo: tuple[Path, str]) -> None:
    path, rev = hook_repo
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n      - id: keylatch\n      - id: keylatch-push\n",
    )


@pytest.fixture
def project(
    tmp_path: Path, framework_env: dict[str, str], hook_repo: tuple[Path, str], hook_template: Path
) -> Iterator[GitRepo]:
    """A repository using keylatch through pre-commit, with a local bare `origin`."""
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], env=framework_env, check=True)
    repo = GitRepo(tmp_path / "project", dict(framework_env))
    repo.path.mkdir()
    repo.git("init", "-q", f"--template={hook_template}")
    repo.git("remote", "add", "origin", str(origin))
    _write_config(repo, hook_repo)
    plant(repo, "README.md", "project\n", "config")  # before the hooks' time, as `pre-commit install` came after it
    yield repo


def git(repo: GitRepo, *args: str) -> Ran:
    return _run(["git", *args], repo.path, repo.env)


def plant(repo: GitRepo, path: str, content: str, message: str) -> str:
    """Commit without hooks: a key that got in before keylatch was there (or with --no-verify)."""
    repo.write(path, content)
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", message)
    return repo.git("rev-parse", "HEAD")


def pushed(repo: GitRepo, *refspecs: str) -> None:
    """What the remote holds before the test's own push, pushed without the hooks: a clean push
    through them is test_push_of_a_key_is_refused_and_a_clean_push_passes (each costs a
    pre-commit process and a keylatch one)."""
    repo.git("push", "-q", "--no-verify", "origin", *refspecs)


def remote_has(repo: GitRepo, branch: str) -> bool:
    return bool(repo.git("ls-remote", "origin", f"refs/heads/{branch}"))


def test_commit_with_a_key_is_refused(project: GitRepo) -> None:
    project.write("app/settings.py", f'DEBUG = True\nOPENAI_API_KEY = "{make_key("sk-proj-", seed=21)}"\n')
    project.git("add", "-A")
    res = git(project, "commit", "-m", "settings")
    assert res.code != 0
    assert "commit blocked" in res.out and "app/settings.py:2" in res.out
    assert "OpenAI project API key" in res.out and "sk-proj-" in res.out
    assert "revoke and rotate" in res.out
    assert project.git("rev-list", "--count", "HEAD") == "1"


def test_clean_commit_passes(project: GitRepo) -> None:
    project.write("app/settings.py", 'OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]\n')
    project.git("add", "-A")
    res = git(project, "commit", "-m", "settings")
    assert res.code == 0, res.out
    assert "keylatch" in res.out and "Passed" in res.out


def test_all_files_finds_a_key_in_an_old_file(project: GitRepo) -> None:
    plant(project, "legacy/old.py", f"key = '{make_key('sk-', seed=22)}'\n", "legacy")
    project.write("new.py", "x = 1\n")
    project.git("add", "-A")
    assert git(project, "commit", "-m", "new").code == 0  # the commit does not touch old.py
    res = _run([sys.executable, "-m", "pre_commit", "run", "keylatch", "--all-files"], project.path, project.env)
    assert res.code != 0 and "legacy/old.py:1" in res.out
    # Every tracked file was passed, changed or not: the key is committed, not staged.
    assert "1 OpenAI key in committed files (in a pre-commit batch of" in res.out and "staged files" not in res.out


def test_files_scans_exactly_those_files(project: GitRepo) -> None:
    plant(project, "a.py", "a = 1\n", "a")
    plant(project, "b.py", f"b = '{make_key('sk-svcacct-', seed=23)}'\n", "b")
    run = [sys.executable, "-m", "pre_commit", "run", "keylatch", "--files"]
    assert _run([*run, "a.py"], project.path, project.env).code == 0
    res = _run([*run, "a.py", "b.py"], project.path, project.env)
    assert res.code != 0 and "b.py:1" in res.out


def test_push_of_a_key_is_refused_and_a_clean_push_passes(project: GitRepo) -> None:
    assert git(project, "push", "-q", "origin", "main").code == 0
    before = project.git("ls-remote", "origin", "refs/heads/main")
    plant(project, "conf.py", f"k = '{make_key('sk-proj-', seed=24)}'\n", "oops")
    plant(project, "conf.py", "k = None\n", "remove it again")  # gone from the working tree
    res = git(project, "push", "origin", "main")
    assert res.code != 0
    assert "push blocked" in res.out and "conf.py:1" in res.out
    assert project.git("ls-remote", "origin", "refs/heads/main") == before
    project.git("reset", "-q", "--hard", "origin/main")
    plant(project, "ok.py", "ok = 1\n", "fine")
    res = git(project, "push", "origin", "main")
    assert res.code == 0, res.out
    assert project.git("ls-remote", "origin", "refs/heads/main").startswith(project.git("rev-parse", "HEAD"))


def test_first_push_including_the_root_commit(project: GitRepo) -> None:
    # pre-commit sets no PRE_COMMIT_FROM_REF/TO_REF here at all.
    plant(project, "conf.py", f"k = '{make_key('sk-admin-', seed=25)}'\n", "oops")
    plant(project, "conf.py", "k = None\n", "remove it again")
    res = git(project, "push", "origin", "main")
    assert res.code != 0 and "conf.py:1" in res.out
    assert not remote_has(project, "main")


def test_new_branch_with_a_key_three_commits_deep(project: GitRepo) -> None:
    pushed(project, "main")
    project.git("checkout", "-q", "-b", "feature")
    deep = plant(project, "f.py", f"k = '{make_key('sk-proj-', seed=26)}'\n", "key")
    plant(project, "f.py", "k = None\n", "two")
    plant(project, "g.py", "g = 1\n", "three")
    res = git(project, "push", "origin", "feature")
    assert res.code != 0
    assert f"{deep[:12]} f.py:1" in res.out
    assert not remote_has(project, "feature")


def test_two_refs_in_one_push(project: GitRepo) -> None:
    pushed(project, "main")
    project.git("checkout", "-q", "-b", "clean")
    plant(project, "c.py", "c = 1\n", "clean work")
    project.git("checkout", "-q", "-b", "leak", "main")
    plant(project, "l.py", f"k = '{make_key('sk-None-', seed=27)}'\n", "leaky work")
    # pre-commit hands hooks only the first ref (clean); the key is on the second.
    res = git(project, "push", "origin", "clean", "leak")
    assert res.code != 0 and "l.py:1" in res.out
    assert not remote_has(project, "leak") and not remote_has(project, "clean")


def test_deleting_a_branch_passes(project: GitRepo) -> None:
    pushed(project, "main", "main:old")
    res = git(project, "push", "origin", "--delete", "old")
    assert res.code == 0, res.out
    assert not remote_has(project, "old")


def test_batches_of_all_files_agree_on_the_verdict(project: GitRepo) -> None:
    """pre-commit splits the file list into batches (at most 128 KiB of arguments each, and one per
    CPU) and prints every batch's output together: a clean batch must not claim "no keys"."""
    deep = f"{'d' * 200}/{'e' * 200}"
    names = [f"{deep}/f{i:03d}.txt" for i in range(400)]
    assert sum(len(n) + 1 for n in names) > 2**17  # more than one batch whatever the CPU count
    for name in names:
        project.write(name, "nothing to see\n")
    project.write("zz/leak.py", f"k = '{make_key('sk-proj-', seed=28)}'\n")
    project.git("add", "-A")
    res = _run([sys.executable, "-m", "pre_commit", "run", "keylatch", "--all-files"], project.path, project.env)
    assert res.code != 0 and "zz/leak.py:1" in res.out
    assert res.out.count("commit blocked") == 1
    assert "no keys" not in res.out


def test_each_blocked_batch_says_it_is_one(project: GitRepo) -> None:
    """Keys in two batches: pre-commit shows both messages, each naming its own batch."""
    deep = f"{'d' * 200}/{'e' * 200}"
    names = [f"{deep}/f{i:03d}.txt" for i in range(400)]
    for name in names:
        project.write(name, "nothing to see\n")
    project.write("aa/first.py", f"k = '{make_key('sk-proj-', seed=29)}'\n")
    project.write("zz/last.py", f"k = '{make_key('sk-proj-', seed=30)}'\n")
    project.git("add", "-A")
    res = _run([sys.executable, "-m", "pre_commit", "run", "keylatch", "--all-files"], project.path, project.env)
    assert res.code != 0 and "aa/first.py:1" in res.out and "zz/last.py:1" in res.out
    headers = [line for line in res.out.splitlines() if "commit blocked" in line]
    assert len(headers) == 2, res.out
    assert all("1 OpenAI key in staged files (in a pre-commit batch of " in h for h in headers), headers


@pytest.mark.parametrize("entry", ["symlink", "symlink to a directory", "submodule"])
def test_entries_that_are_not_files_are_passed_to_the_hook(project: GitRepo, entry: str) -> None:
    # pre-commit's default `types: [file]` left these out: the commit went through unscanned.
    key = make_key("sk-proj-", seed=24)
    if entry == "symlink":
        os.symlink(key, project.path / "link")
    elif entry == "symlink to a directory":
        plant(project, f"d-{key}/x.txt", "x\n", "a directory named so")  # its name, already in HEAD
        os.symlink(f"d-{key}", project.path / "link")
    else:  # a submodule's entry (a gitlink) and its checked-out directory: the name is pushed
        (project.path / "vendor" / key).mkdir(parents=True)
        head = project.git("rev-parse", "HEAD")
        project.git("update-index", "--add", "--cacheinfo", f"160000,{head},vendor/{key}")
    if entry != "submodule":  # `add -A` would drop the gitlink of an empty directory
        project.git("add", "-A")
    before = project.git("rev-list", "--count", "HEAD")
    res = git(project, "commit", "-m", entry)
    assert res.code != 0 and "commit blocked" in res.out, res.out
    assert ("link:1" if entry != "submodule" else "(in the path)") in res.out
    assert project.git("rev-list", "--count", "HEAD") == before
