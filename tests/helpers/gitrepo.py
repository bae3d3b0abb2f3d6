"""Real git repositories for tests, built in tmp_path with a hermetic git configuration."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, cast

from tests.helpers import gitwrite

T = TypeVar("T")

AUTHORS = {
    "alice": ("Alice Example", "alice@example.test"),
    "bob": ("Bob Example", "bob@example.test"),
}


# The process's umask, for helpers that create files with their final modes (a chmod less each).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


# Bytecode for the Python children the suite starts (keylatch, pre-commit and its hooks,
# detect-secrets), written outside the checkout and reused by the next child: with
# PYTHONDONTWRITEBYTECODE set, as on this machine, every child recompiled every module it
# imported from a changed source (~0.15 s CPU for a `keylatch history`). Python checks each
# cached file against its source's mtime and size, as it does in __pycache__.
PYCACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "keylatch-tests" / "pycache"


def git_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    gitconfig = home / ".gitconfig"
    if not gitconfig.exists():
        # One small file per home (made if need be, as tests expect): the git template it
        # names is the session's (gitwrite.git_template), not a copy per home.
        home.mkdir(parents=True, exist_ok=True)
        gitconfig.write_text(gitwrite.home_gitconfig())
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


@dataclass
class GitRepo:
    path: Path
    env: dict[str, str]

    @classmethod
    def init(cls, path: Path, home: Path, *args: str) -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path, git_env(home))
        if args or not _copied_init(path, home):
            repo.git("init", "-q", *args)
        return repo

    def git(self, *args: str, input: str | None = None, check: bool = True) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, input=input,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def write(self, rel: str, content: str | bytes) -> Path:
        p = self.path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
        return p

    def commit(self, message: str, author: str = "alice", date: str = "2024-01-01T12:00:00Z", add: bool = True) -> str:
        name, email = AUTHORS[author]
        if add:
            # Written from memory where that is exactly what git would write (gitwrite.py);
            # anything else, and every commit without add, goes to git.
            made = gitwrite.commit(self.path, self.env, message, name, email, date)
            if made is not None:
                return made
            self.git("add", "-A")
        env = dict(self.env)
        env.update(
            GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email, GIT_AUTHOR_DATE=date,
            GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email, GIT_COMMITTER_DATE=date,
        )  # fmt: skip
        subprocess.run(
            ["git", "commit", "-q", "--allow-empty", "-m", message],
            cwd=self.path, env=env, check=True, capture_output=True,
        )  # fmt: skip
        return self._branch_tip() or self.git("rev-parse", "HEAD")

    def conflict(self, rel: str, name: str = "v") -> None:
        """`rel` given three values (a base, then on branch `other`, then on main) and `other`
        merged into main: the merge stops with `rel` conflicted, as a hook sees it mid-merge."""
        for n, (branch, message) in enumerate(((None, "base"), ("other", "other"), ("main", "main"))):
            if branch == "other":
                self.git("checkout", "-q", "-b", "other")
            elif branch == "main":
                self.git("checkout", "-q", "main")
            self.write(rel, f"{name} = {n}\n")
            self.commit(message)
        self.git("merge", "-q", "other", check=False)

    def _branch_tip(self) -> str | None:
        """The commit just made, from the loose ref `git commit` wrote (one git process less per
        commit, thousands in the suite); None wherever that is not plainly so: a .git file, a
        detached or unborn HEAD, a ref git keeps elsewhere, GIT_DIR set by the test."""
        if "GIT_DIR" in self.env:
            return None
        git_dir = self.path / ".git"
        try:
            head = (git_dir / "HEAD").read_text()
            if not head.startswith("ref: refs/heads/"):
                return None
            tip = (git_dir / head[5:].strip()).read_text().strip()
        except OSError:
            return None
        return tip if len(tip) in (40, 64) and not tip.strip("0123456789abcdef") else None


# --- `git init` made once per session, copied per repository ------------------------------------
#
# A plain `git init` writes the same few files every time (HEAD, config, description, the
# template's info/exclude, empty refs and objects directories); thousands of tests start with
# one. The first is made by git, in a directory of its own; every later one under a home whose
# configuration is the suite's own (gitwrite.home_gitconfig, naming the session's read-only
# template) is a copy of it (no git process) when it goes on the same filesystem (git probes
# the filesystem for core.filemode and the like). Anything else (init flags, an existing .git,
# a home configuration a test changed or wrote) runs `git init` as before.


def _standard_home(home: Path) -> bool:
    """Whether `home`'s git configuration is exactly the one git_env writes: then `git init`
    reads nothing a test chose (the template it names is the session's, read-only)."""
    try:
        return (home / ".gitconfig").read_bytes() == _standard_gitconfig()
    except OSError:
        return False


@functools.cache
def _standard_gitconfig() -> bytes:
    return gitwrite.home_gitconfig().encode()


@functools.cache
def _initialised(device: int) -> tuple[tuple[str, bytes | None, int], ...] | None:
    """A `git init` made by git under a home of the suite's own configuration, on filesystem
    `device`, as its entries in creation order: (path under .git, contents or None for a
    directory, mode). None when the temporary directory is on another filesystem."""
    root = Path(tempfile.mkdtemp(prefix="keylatch-init-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    if os.stat(root).st_dev != device:
        return None
    home = root / "home"
    home.mkdir()
    repo = root / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=repo, env=git_env(home), check=True, capture_output=True)
    git_dir = repo / ".git"
    entries: list[tuple[str, bytes | None, int]] = []
    for dirpath, dirnames, filenames in os.walk(git_dir):
        dirnames.sort()
        for name in sorted(dirnames):
            full = os.path.join(dirpath, name)
            entries.append((os.path.relpath(full, git_dir), None, os.lstat(full).st_mode & 0o7777))
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if not os.path.isfile(full) or os.path.islink(full):
                return None  # only plain files and directories are rewritten below
            with open(full, "rb") as f:
                entries.append((os.path.relpath(full, git_dir), f.read(), os.lstat(full).st_mode & 0o7777))
    return (("", None, os.lstat(git_dir).st_mode & 0o7777), *entries)


def _copied_init(path: Path, home: Path) -> bool:
    """`git init` of `path` as a copy of the session's first one (the same entries, contents and
    modes); False when it cannot be."""
    if os.path.lexists(path / ".git") or not _standard_home(home):
        return False
    made = _initialised(os.stat(path).st_dev)
    if made is None:
        return False
    git_dir = path / ".git"
    for rel, data, mode in made:
        target = os.path.join(git_dir, rel) if rel else str(git_dir)
        if data is None:
            os.mkdir(target, mode)
        else:
            with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode), "wb") as f:
                f.write(data)
        if mode & _UMASK:  # made with less than asked for (a chmod a call: 14 a repository otherwise)
            os.chmod(target, mode)
    return True


# --- Trees copied as shutil.copytree(symlinks=True) copies them, for less -------------------------
#
# copytree's copy2 reads each file's extended attributes and copies them (listxattr, then
# getxattr/setxattr), stats source and copy again and copies each directory's stat the same way:
# ~40% of a repository's copy, tens of thousands of files in the suite, none with an attribute.


def copy_tree(src: Path, dst: Path, dirs_exist_ok: bool = False) -> Path:
    """`shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=...)` for trees of directories,
    files and symbolic links: the same contents, modes and access and modification times (git's
    index and history's caches compare mtimes; tests make indexes racy on purpose), without
    extended attributes or file flags. Anything else (a fifo, a file already at the copy's place)
    goes to shutil.copy2, as copytree would send it."""
    if not (dirs_exist_ok and dst.is_dir()):
        os.mkdir(dst)
    dirs = [(str(src), str(dst), os.stat(src))]
    stack = [(str(src), str(dst))]
    while stack:
        here, there = stack.pop()
        with os.scandir(here) as entries:
            for entry in entries:
                to = os.path.join(there, entry.name)
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    os.mkdir(to)
                    stack.append((entry.path, to))
                    dirs.append((entry.path, to, st))
                elif stat.S_ISLNK(st.st_mode):
                    os.symlink(os.readlink(entry.path), to)
                    os.utime(to, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
                elif not (stat.S_ISREG(st.st_mode) and _copy_file(entry.path, to, st)):
                    shutil.copy2(entry.path, to, follow_symlinks=False)
    for _, there, st in reversed(dirs):  # after their entries: each one made changed the mtime
        if stat.S_IMODE(st.st_mode) != 0o777 & ~_UMASK:
            os.chmod(there, stat.S_IMODE(st.st_mode))
        os.utime(there, ns=(st.st_atime_ns, st.st_mtime_ns))
    return dst


def _copy_file(src: str, dst: str, st: os.stat_result) -> bool:
    """False, with nothing done, when `dst` exists."""
    mode = stat.S_IMODE(st.st_mode)
    with open(src, "rb") as f:
        data = f.read()
    try:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        if mode & _UMASK:
            os.fchmod(fd, mode)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
    return True


# --- Repositories a recipe makes the same every time: made once per session, copied per test ------

_STANDARD_ENV = ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_TERMINAL_PROMPT")


def fresh_state(repo: GitRepo) -> tuple[tuple[str, bytes], ...] | None:
    """What makes `repo` a plain fresh `git init` of the suite (its .git's files and contents);
    None when it cannot be one (files written, a git variable in its environment, a home
    configuration other than the suite's, a .git that is no plain directory)."""
    if os.listdir(repo.path) != [".git"] or any(k.startswith("GIT_") and k not in _STANDARD_ENV for k in repo.env):
        return None
    home = Path(repo.env.get("HOME", "/nonexistent"))
    if Path(repo.env.get("GIT_CONFIG_GLOBAL", os.devnull)) != home / ".gitconfig" or not _standard_home(home):
        return None
    out: list[tuple[str, bytes]] = []
    git_dir = repo.path / ".git"
    for dirpath, dirnames, filenames in os.walk(git_dir):
        dirnames.sort()
        rel = os.path.relpath(dirpath, git_dir)
        out.append((".git/" + rel + "/", b""))
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                return None
            with open(path, "rb") as f:
                out.append((".git/" + os.path.join(rel, name), f.read()))
    return tuple(out)


@functools.cache
def _replay_template(
    recipe: Callable[..., object], args: tuple[Hashable, ...]
) -> tuple[tuple[tuple[str, bytes], ...] | None, Path, object]:
    root = Path(tempfile.mkdtemp(prefix="keylatch-recipe-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / "home").mkdir()
    repo = GitRepo.init(root / "repo", root / "home")
    fresh = fresh_state(repo)
    return fresh, repo.path, recipe(repo, *args)


def replayed(repo: GitRepo, recipe: Callable[..., T], *args: Hashable) -> T:
    """`recipe(repo, *args)`, for a recipe that makes the same repository every time for the
    same `args` (fixed contents, authors and dates) and returns nothing that names its path
    (commit ids, keys): run once per session on a fresh repository of its own, then copied
    (shutil, no git process) into each `repo` that is fresh exactly as that one was. Any other
    `repo` gets the recipe run for real."""
    want = fresh_state(repo)
    fresh, built, result = _replay_template(recipe, args)
    if want is None or want != fresh:
        return recipe(repo, *args)
    shutil.rmtree(repo.path / ".git")
    copy_tree(built, repo.path, dirs_exist_ok=True)
    return cast(T, result)  # what recipe returned for the template
