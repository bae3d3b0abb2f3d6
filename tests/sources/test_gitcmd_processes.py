"""How many git processes a clean run starts, pinned: each is ~1.7 ms of CPU (and on the hook
path the bulk of a commit's wait), and repeats crept in unseen (history started 19, among them
GitPython's `git version` and four listings of the same repository's driver names).

Counted by a `git` first on PATH that logs its arguments and environment, then execs the real
one. Every process must still carry the full hardening (sources/gitcmd.py): the counts may only
fall because a repeat went, never because a process ran bare.
"""

from __future__ import annotations

import collections
import importlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitcount import HARDENED, counting_git, logged, subcommand
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]


@pytest.fixture
def counted(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """(env putting a logging `git` first on PATH, its log): one line per process, the hardening
    markers it saw first, then its arguments (tests/helpers/gitcount.py)."""
    return counting_git(tmp_path)


def _processes(log: Path) -> list[str]:
    """Each git process's subcommand (`config --get-regexp` for the driver listing), checking
    that it ran hardened: system config off, `-c` overrides, and (but for the listing itself)
    the repository's driver names neutralised in the environment."""
    out = []
    for nosystem, count, args in logged(log):
        line = f"{nosystem} {count} {args}"
        assert nosystem == "1", line
        assert HARDENED in args and "-c core.hooksPath=" in args and "--no-replace-objects" in args, line
        name = subcommand(args)
        if name != "config --get-regexp (drivers)":
            # The repository below names one filter: every other process must get its override.
            assert int(count) > 0, line
        out.append(name)
    return out


def _repo(make_repo: MakeRepo) -> GitRepo:
    repo = make_repo()
    repo.git("config", "filter.lfs.clean", "false")  # a driver name the listing must find
    repo.write("README", "hello\n")
    repo.commit("init")
    return repo


def test_clean_history_starts_each_git_process_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    repo = _repo(make_repo)
    # GitPython, which finds the repository (sources/discover.py), checks its git executable
    # once per process when imported (`git version`, which reads no repository's config): the
    # count below is what each history run adds.
    importlib.import_module("git")

    assert keylatch("history", "--no-cache", str(repo.path), env=env).code == 0

    seen = collections.Counter(_processes(log))
    # One listing of the repository's config names (which also tells inspect that this is no
    # partial clone), no `git version`; rev-parse: inspect's five answers, run in the working
    # tree GitPython found, which are also git's word that it is no bare repository
    # (sources/discover.py `_worktree`).
    assert seen["config --get-regexp (drivers)"] == 1, seen
    assert seen["config"] == 0, seen
    assert seen["version"] == 0, seen
    assert seen["rev-parse"] == 1, seen
    # One reader for a small listing (history/readers.py `needed`), and no `cat-file --batch` for
    # the engine when no object holds a needle (sources/objects.py): log, the listing, the
    # presence check, one reader, for-each-ref.
    assert seen["cat-file"] == 3, seen
    assert sum(seen.values()) == 7, seen  # 10 before


def test_clean_staged_starts_three_git_processes(
    make_repo: MakeRepo, keylatch: RunKeylatch, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    repo = _repo(make_repo)
    repo.write("app.py", "print('hi')\n")
    repo.git("add", "app.py")

    assert keylatch("staged", cwd=repo.path, env=env).code == 0

    seen = collections.Counter(_processes(log))
    assert seen == {"config --get-regexp (drivers)": 1, "cat-file": 1, "diff-index": 1}, seen


def test_clean_ci_range_starts_each_git_process_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    repo = _repo(make_repo)
    repo.write("app.py", "print('hi')\n")
    repo.commit("more")

    assert keylatch("ci", "--range", "HEAD~1..HEAD", cwd=repo.path, env=env).code == 0

    seen = collections.Counter(_processes(log))
    # Each end of the range resolved once; the settings files and the default baselines looked
    # up at both ends in one `cat-file --batch` of their trees (sources/commit_files.py
    # `entries_each`), not one ls-tree per end.
    assert seen["config --get-regexp (drivers)"] == 1, seen
    assert seen["ls-tree"] == 0, seen
    # where and inspect in one rev-parse (sources/repo.py `located`); both ends of the range in
    # one `cat-file --batch-check` (sources/revs.py `commit_ids`), not a rev-parse each; no
    # cat-file for tags the range does not name (sources/objects.py), nor to ask whether the
    # head's commit id is a tag (history/tags.py `named_tags`).
    assert seen["rev-parse"] == 1, seen
    assert seen["cat-file"] == 3, seen  # the ends; both ends' trees; the blobs the range adds
    assert sum(seen.values()) == 7, seen  # 14, 12, 10, then 8 before


def test_clean_ci_of_a_github_push_starts_each_git_process_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, counted: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    env, log = counted
    repo = _repo(make_repo)
    base = repo.git("rev-parse", "HEAD")
    repo.write("app.py", "print('hi')\n")
    head = repo.commit("more")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"before": base, "after": head, "ref": "refs/heads/main"}))
    github = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event),
              "GITHUB_SHA": head, "GITHUB_REF": "refs/heads/main"}  # fmt: skip

    assert keylatch("ci", cwd=repo.path, env={**env, **github}).code == 0

    seen = collections.Counter(_processes(log))
    # The platform's two commit ids in one `cat-file --batch-check` (sources/revs.py
    # `commit_ids`), besides where and inspect's one rev-parse (sources/repo.py `located`).
    assert seen["rev-parse"] == 1, seen
    assert seen["ls-tree"] == 0, seen  # both ends' trees in one cat-file (commit_files.entries_each)
    assert sum(seen.values()) == 7, seen  # 17, 12, 10, then 8 before


def test_clean_baseline_of_the_history_starts_each_git_process_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, counted: tuple[dict[str, str], Path]
) -> None:
    env, log = counted
    repo = _repo(make_repo)

    assert keylatch("baseline", "create", "--history", cwd=repo.path, env=env).code == 0

    seen = collections.Counter(_processes(log))
    # One Git for the command: the driver names listed once, inspect's answer (with where's, in
    # one rev-parse: sources/repo.py `located`) handed to the walk; one reader.
    assert seen["config --get-regexp (drivers)"] == 1, seen
    assert seen["rev-parse"] == 1, seen
    # The attribution cache's key takes HEAD from that answer: no `worktree list` without a
    # linked worktree (history/logcache.py `_heads`).
    assert seen["worktree"] == 0, seen
    assert seen["for-each-ref"] == 1, seen  # the cache's key and attribution's (history/direct.py)
    assert sum(seen.values()) == 7, seen  # 15, 12, then 9 before


def test_history_with_a_key_on_the_checked_out_branch_lists_its_tree_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, counted: tuple[dict[str, str], Path]
) -> None:
    """Attribution asks whether each ref tip still holds the key; the checked-out branch's tip is
    HEAD, whose tree "in HEAD" already listed (history/attribute.py `_build`)."""
    env, log = counted
    repo = _repo(make_repo)
    repo.write("app.py", f'KEY = "{make_key("sk-proj-", seed=7)}"\n')
    repo.commit("add a key")
    importlib.import_module("git")

    result = keylatch("history", "--no-cache", str(repo.path), env=env)

    assert result.code == 1 and "in HEAD: yes" in result.out, result.out
    assert collections.Counter(_processes(log))["ls-tree"] == 1


def test_history_with_a_key_in_a_name_in_head_lists_heads_tree_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, counted: tuple[dict[str, str], Path]
) -> None:
    """Whether HEAD still holds a key written in a name, and which key-holding blobs it holds,
    come from one listing of its tree (history/attribute.py `_listing`)."""
    env, log = counted
    repo = _repo(make_repo)
    repo.write(f"config/{make_key('sk-proj-', seed=8)}/app.env", "x = 1\n")
    repo.commit("a key as a directory name")
    importlib.import_module("git")

    result = keylatch("history", "--no-cache", str(repo.path), env=env)

    assert result.code == 1 and "in HEAD: yes" in result.out, result.out
    assert collections.Counter(_processes(log))["ls-tree"] == 1


def test_clean_history_with_its_caches_starts_each_git_process_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, counted: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    """The default run, which keeps caches: the attribution cache's key is the refs and HEAD,
    which inspect already resolved, so no `worktree list` without a linked worktree
    (history/logcache.py `_heads`). A second run of an unchanged repository needs no log and no
    presence check (its entry was saved only for a repository found whole)."""
    env, log = counted
    env = {**env, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    repo = _repo(make_repo)
    importlib.import_module("git")

    assert keylatch("history", str(repo.path), env=env).code == 0
    first = collections.Counter(_processes(log))
    log.unlink()
    assert keylatch("history", str(repo.path), env=env).code == 0
    second = collections.Counter(_processes(log))

    assert first["worktree"] == second["worktree"] == 0, (first, second)
    # Every ref listed once, with what it points at: the cache's key and the refs to blobs or
    # trees that attribution reads (history/direct.py `ref_listing`).
    assert first["for-each-ref"] == second["for-each-ref"] == 1, (first, second)
    assert sum(first.values()) == 7, first  # 9 before
    assert second["log"] == 0, second
    assert sum(second.values()) == 4, second  # 6 before


@pytest.mark.parametrize("scope", [("--range", "HEAD~1..HEAD"), ("--range", "HEAD"), ("--since", "HEAD~1")])
def test_history_of_a_range_resolves_what_it_names_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, counted: tuple[dict[str, str], Path], scope: tuple[str, str]
) -> None:
    """The revisions `--range` and `--since` name, resolved together in one `cat-file
    --batch-check` (commands/history.py `named_commits`): each was asked whether it is a commit,
    then for its id, one rev-parse each."""
    env, log = counted
    repo = _repo(make_repo)
    repo.write("app.py", "print('hi')\n")
    repo.commit("more")
    importlib.import_module("git")

    assert keylatch("history", "--no-cache", *scope, str(repo.path), env=env).code == 0

    seen = collections.Counter(_processes(log))
    assert seen["rev-parse"] == 1, seen  # inspect's (sources/repo.py)
    assert sum(seen.values()) == (5 if scope[0] == "--since" else 6), seen  # 6 and 7 before


ZERO = "0" * 40


@pytest.mark.parametrize(
    ("pushed", "total"),
    [
        ("a new branch", 7),
        ("an update", 7),
        ("a deletion", 0),
        ("a tag", 9),
        ("a new commit's tag", 10),
        ("a lightweight tag", 3),
    ],  # fmt: skip
)
def test_clean_pre_push_starts_each_git_process_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, counted: tuple[dict[str, str], Path], pushed: str, total: int
) -> None:
    """The hook every `git push` waits for (before: 10, 11, 0, 11, 12 and 4). An annotated tag of
    a commit the remote has is judged for its message; a lightweight one publishes nothing new.
    The pushed objects' kinds, what each tags and whether the remote's old value is here: one `cat-file
    --batch-check` (sources/push.py `_kinds`), not one each; the newest pushed commit and the
    boundary whose settings judge the push: one `rev-list --boundary` (push.py `ends`), not a
    `--max-count=1` first; the pushed commits handed to the walk as commits, so it does not ask
    whether they are tags (history/tags.py `named_tags`); the settings at the base and the
    head looked up in one `cat-file --batch` of their trees (sources/commit_files.py
    `entries_each`), not one ls-tree each (a tag of a commit the remote has: one commit)."""
    env, log = counted
    origin = make_repo("origin.git", "--bare")
    repo = _repo(make_repo)
    repo.git("remote", "add", "origin", str(origin.path))
    base = repo.git("rev-parse", "HEAD")
    repo.git("push", "-q", "origin", "main")
    if pushed == "a new branch":
        repo.git("checkout", "-q", "-b", "feature")
    if pushed in ("a new branch", "an update"):
        repo.write("app.py", "print('hi')\n")
    branch = "feature" if pushed == "a new branch" else "main"
    tip = repo.commit("more") if pushed in ("a new branch", "an update") else base
    lines = {
        "a new branch": f"refs/heads/feature {tip} refs/heads/feature {ZERO}",
        "an update": f"refs/heads/main {tip} refs/heads/main {base}",
        "a deletion": f"(delete) {ZERO} refs/heads/old {base}",
    }
    if "tag" in pushed:
        if pushed == "a new commit's tag":  # the tag's message and the commit are read
            repo.write("app.py", "print('hi')\n")
            repo.commit("more")
        repo.git("tag", *(() if pushed == "a lightweight tag" else ("-a", "-m", "release")), "v1")
        lines[pushed] = f"refs/tags/v1 {repo.git('rev-parse', 'v1')} refs/tags/v1 {ZERO}"
    res = keylatch("pre-push", "origin", str(origin.path), cwd=repo.path, env=env, input=lines[pushed] + "\n")

    nothing = pushed in ("a deletion", "a lightweight tag")
    assert res.code == 0 and ("nothing new" if nothing else "no keys in the commits") in res.err, res.err
    seen = collections.Counter(_processes(log))
    assert seen["rev-list"] == (0 if pushed == "a deletion" else 1), seen
    assert seen["ls-tree"] == 0, seen
    assert sum(seen.values()) == total, (seen, branch)
