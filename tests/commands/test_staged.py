"""`keylatch staged`: by hand, and as the plain pre-commit hook under real `git commit`."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.hooks import Git, git_run
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC, RunKeylatch
from tests.helpers.sinks import stdout_of_main

MakeRepo = Callable[..., GitRepo]
PAD = "".join(f"line {i}\n" for i in range(30))  # keeps hunks apart for `git add -p`


@pytest.fixture
def hooked(make_repo: MakeRepo, keylatch: RunKeylatch) -> GitRepo:
    """A repository with keylatch's plain pre-commit hook installed (running this checkout)."""
    repo = make_repo()
    repo.env["PYTHONPATH"] = str(SRC)
    assert keylatch("install-hook", "--hook", "pre-commit", cwd=repo.path).code == 0
    return repo


def commit_unchecked(repo: GitRepo, message: str) -> None:
    """Commit bypassing the hook: how a key got into history before keylatch was installed."""
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", message)


def commit_in_process(repo: GitRepo, keylatch: RunKeylatch, message: str) -> Git:
    """`git commit -m message` with the pre-commit hook's `keylatch staged` run in this process
    first (git runs it at the top of the work tree, on the index): the commit is made only if it
    exits 0. For tests whose subject is what the hook decides from the index and HEAD (a first
    commit, a staged key gone from disk, a rename, a deletion, allow comments, baselines); real
    git runs the installed hook where what git hands it is the subject: a refused and a clean
    commit, partial staging's warning, `commit -a`, `commit <paths>` (a temporary index), a
    merge's resolution and an amend."""
    res = keylatch("staged", cwd=repo.path)
    if res.code == 0:
        repo.git("commit", "-q", "--no-verify", "-m", message)
    return Git(res.code, res.out + res.err)


def committed(repo: GitRepo) -> int:
    return int(repo.git("rev-list", "--count", "--all") or 0)


def test_commit_with_key_is_refused_with_where_what_and_next(hooked: GitRepo) -> None:
    hooked.write("README", "hi\n")
    hooked.commit("init")
    hooked.write("app/settings.py", f'X = 1\nOPENAI_API_KEY = "{make_key("sk-proj-", seed=1)}"\n')
    hooked.git("add", "-A")
    res = git_run(hooked, "commit", "-m", "settings")
    assert res.code == 1
    assert "commit blocked" in res.out
    assert "app/settings.py:2" in res.out
    assert "sk-proj-" in res.out and "OpenAI project API key" in res.out
    assert "git restore --staged app/settings.py" in res.out
    assert "environment variable" in res.out and "revoke and rotate" in res.out
    assert committed(hooked) == 1


def test_clean_commit_passes(hooked: GitRepo) -> None:
    hooked.write("a.py", "print('hi')\n")
    hooked.git("add", "-A")
    res = git_run(hooked, "commit", "-m", "clean")
    assert res.code == 0, res.out
    assert committed(hooked) == 1


def test_first_commit_with_key_is_refused(hooked: GitRepo, keylatch: RunKeylatch) -> None:
    hooked.write("a.py", f"k = '{make_key('sk-', seed=5)}'\n")
    hooked.git("add", "-A")
    res = commit_in_process(hooked, keylatch, "first")
    assert res.code == 1 and "a.py:1" in res.out
    assert hooked.git("rev-parse", "--verify", "-q", "HEAD", check=False) == ""


def test_partial_staging_key_left_unstaged_warns_and_passes(hooked: GitRepo) -> None:
    hooked.write("a.py", "top = 1\n" + PAD + "bottom = 1\n")
    hooked.commit("init")
    key = make_key("sk-admin-", seed=2)
    hooked.write("a.py", "top = 2\n" + PAD + f"bottom = '{key}'\n")
    hooked.git("add", "-p", "a.py", input="y\nn\n")  # stage the first hunk only
    assert key not in hooked.git("show", ":a.py")
    res = git_run(hooked, "commit", "-m", "top")
    assert res.code == 0, res.out
    assert "warning" in res.out and "only in unstaged changes" in res.out and "a.py:32" in res.out
    assert key not in hooked.git("show", "HEAD:a.py")


def test_partial_staging_key_staged_is_refused(hooked: GitRepo, keylatch: RunKeylatch) -> None:
    hooked.write("a.py", "top = 1\n" + PAD + "bottom = 1\n")
    hooked.commit("init")
    hooked.write("a.py", f"top = '{make_key('sk-proj-', seed=3)}'\n" + PAD + "bottom = 2\n")
    hooked.git("add", "-p", "a.py", input="y\nn\n")
    res = commit_in_process(hooked, keylatch, "top")
    assert res.code == 1 and "a.py:1" in res.out


def test_key_staged_then_deleted_from_disk_is_refused(hooked: GitRepo, keylatch: RunKeylatch) -> None:
    hooked.write("a.py", "a = 1\n")
    hooked.commit("init")
    hooked.write("a.py", f"a = '{make_key('sk-proj-', seed=4)}'\n")
    hooked.git("add", "a.py")
    (hooked.path / "a.py").unlink()
    res = commit_in_process(hooked, keylatch, "x")
    assert res.code == 1 and "a.py:1" in res.out


def test_commit_all_scans_tracked_edits(hooked: GitRepo) -> None:
    hooked.write("a.py", "a = 1\n")
    hooked.commit("init")
    hooked.write("a.py", f"a = '{make_key('sk-None-', seed=1)}'\n")
    res = git_run(hooked, "commit", "-a", "-m", "x")
    assert res.code == 1 and "a.py:1" in res.out


def test_commit_paths_uses_the_temporary_index(hooked: GitRepo) -> None:
    hooked.write("clean.py", "c = 1\n")
    hooked.write("leak.py", "l = 1\n")
    hooked.commit("init")
    # The key is staged in leak.py, but `git commit clean.py` records only clean.py.
    hooked.write("leak.py", f"l = '{make_key('sk-proj-', seed=6)}'\n")
    hooked.git("add", "leak.py")
    hooked.write("clean.py", "c = 2\n")
    res = git_run(hooked, "commit", "-m", "only clean", "clean.py")
    assert res.code == 0, res.out
    # And the other way round: the key is only in the working tree of the path committed.
    hooked.git("reset", "-q", "leak.py")
    res = git_run(hooked, "commit", "-m", "leak", "leak.py")
    assert res.code == 1 and "leak.py:1" in res.out


def test_rename_of_a_committed_key_says_already_in_head(hooked: GitRepo, keylatch: RunKeylatch) -> None:
    key = make_key("sk-svcacct-", seed=7)
    hooked.write("old.py", f"K = '{key}'\n" + PAD)
    commit_unchecked(hooked, "legacy")
    hooked.git("mv", "old.py", "new.py")
    res = commit_in_process(hooked, keylatch, "rename")
    assert res.code == 1
    assert "new.py:1" in res.out and "already in HEAD" in res.out
    assert "keylatch baseline" in res.out and "keylatch:allow" in res.out


def test_deleting_a_file_with_a_key_passes(hooked: GitRepo, keylatch: RunKeylatch) -> None:
    hooked.write("old.py", f"K = '{make_key('sk-', seed=8)}'\n")
    hooked.write("other.py", "o\n")
    commit_unchecked(hooked, "legacy")
    hooked.git("rm", "-q", "old.py")
    res = commit_in_process(hooked, keylatch, "remove the key")
    assert res.code == 0, res.out


def test_key_introduced_in_a_conflict_resolution_is_refused(hooked: GitRepo) -> None:
    hooked.write("conf.py", "value = 0\n")
    hooked.commit("base")
    hooked.git("checkout", "-q", "-b", "other")
    hooked.write("conf.py", "value = 1\n")
    hooked.commit("other")
    hooked.git("checkout", "-q", "main")
    hooked.write("conf.py", "value = 2\n")
    hooked.commit("main")
    assert git_run(hooked, "merge", "other").code != 0  # conflict
    hooked.write("conf.py", f"value = '{make_key('sk-proj-', seed=9)}'\n")
    hooked.git("add", "conf.py")
    res = git_run(hooked, "commit", "--no-edit")
    assert res.code == 1 and "conf.py:1" in res.out
    assert "already in" not in res.out  # neither side had it: new in the resolution
    hooked.write("conf.py", "value = 3\n")
    hooked.git("add", "conf.py")
    assert git_run(hooked, "commit", "--no-edit").code == 0


def test_amend_that_adds_a_key_is_refused(hooked: GitRepo) -> None:
    hooked.write("a.py", "a = 1\n")
    hooked.commit("init")
    before = hooked.git("rev-parse", "HEAD")
    hooked.write("a.py", f"a = '{make_key('sk-proj-', seed=10)}'\n")
    hooked.git("add", "a.py")
    res = git_run(hooked, "commit", "--amend", "--no-edit")
    assert res.code == 1 and "a.py:1" in res.out
    assert hooked.git("rev-parse", "HEAD") == before


def test_by_hand_exit_codes_and_json(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("a.py", f"k = '{make_key('sk-proj-', seed=12)}'\n")
    repo.write("b.py", "b\n")
    repo.git("add", "-A")
    res = keylatch("staged", cwd=repo.path)
    assert res.code == 1 and "a.py:1" in res.out
    res = keylatch("staged", "b.py", cwd=repo.path)
    assert res.code == 0 and "no keys in 1 staged file (2 bytes)" in res.err
    res = keylatch("staged", "--format", "json", "a.py", cwd=repo.path)
    assert res.code == 1 and '"path": "a.py"' in res.out and '"line": 1' in res.out
    res = keylatch("staged", "missing.py", cwd=repo.path)  # a path that exists nowhere: the caller's mistake
    assert res.code == 2 and res.err.count("\n") == 1 and "missing.py" in res.err


def test_outside_a_repository_fails_closed(tmp_path: object, keylatch: RunKeylatch, home: object) -> None:
    from pathlib import Path

    empty = Path(str(tmp_path)) / "empty"
    empty.mkdir()
    res = keylatch("staged", cwd=empty, env={"GIT_CEILING_DIRECTORIES": str(Path(str(tmp_path)))})
    assert (res.code, res.err) == (2, f"keylatch: error: not a git repository: {empty}\n")


def test_no_colour_when_piped(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("a.py", f"k = '{make_key('sk-proj-', seed=13)}'\n")
    repo.git("add", "-A")
    res = keylatch("staged", cwd=repo.path)
    assert res.code == 1 and "\033[" not in res.out + res.err


def test_allow_comments_and_config_excludes_apply(hooked: GitRepo, keylatch: RunKeylatch) -> None:
    hooked.write("a.py", f"k = '{make_key('sk-proj-', seed=14)}'  # keylatch:allow test fixture\n")
    hooked.write("b.py", f"k = '{make_key('sk-proj-', seed=15)}'  # pragma: allowlist secret\n")
    hooked.write("fixtures/c.txt", f"{make_key('sk-proj-', seed=16)}\n")
    hooked.write("pyproject.toml", '[tool.keylatch]\nexclude = ["fixtures/*"]\n')
    hooked.git("add", "-A")
    res = commit_in_process(hooked, keylatch, "allowed")
    assert res.code == 0, res.out
    hooked.write("d.py", f"k = '{make_key('sk-proj-', seed=17)}'\n")
    hooked.git("add", "-A")
    res = commit_in_process(hooked, keylatch, "not allowed")
    assert res.code == 1 and "d.py:1" in res.out and "a.py" not in res.out


def test_baselined_key_passes_and_a_new_one_does_not(hooked: GitRepo, keylatch: RunKeylatch) -> None:
    hooked.write("legacy.py", f"k = '{make_key('sk-', seed=18)}'\n")
    res = keylatch("baseline", "create", "--reason", "revoked", cwd=hooked.path)
    assert res.code == 0, res.err
    hooked.git("add", "-A")
    hook = commit_in_process(hooked, keylatch, "legacy key, revoked and baselined")
    assert hook.code == 0, hook.out
    hooked.write("legacy.py", f"k = '{make_key('sk-', seed=18)}'\nj = '{make_key('sk-', seed=19)}'\n")
    hooked.git("add", "-A")
    hook = commit_in_process(hooked, keylatch, "a second key")
    assert hook.code == 1 and "legacy.py:2" in hook.out and "legacy.py:1" not in hook.out


def test_many_keys_keep_the_message_short(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("keys.txt", "".join(f"{make_key('sk-proj-', seed=100 + i)}\n" for i in range(30)))
    repo.git("add", "-A")
    res = keylatch("staged", cwd=repo.path)
    assert res.code == 1 and "30 OpenAI keys" in res.out
    assert "keys.txt:20" in res.out and "keys.txt:21 " not in res.out and "and 10 more" in res.out
    assert len(res.out.splitlines()) < 32


def test_unreadable_staged_blob_blocks_with_exit_3(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("a.py", "a = 1\n")
    repo.git("add", "a.py")
    blob = repo.git("rev-parse", ":a.py")
    (repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()  # a damaged repository
    res = keylatch("staged", cwd=repo.path)
    assert res.code == 3 and res.err.count("\n") == 1
    assert "a.py" in res.err and "cannot be read" in res.err


def _from_terminal(master: int) -> str:
    out = b""
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed and drained
            break
        if not data:
            break
        out += data
    os.close(master)
    return out.decode()


def test_colour_only_on_a_terminal(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("a.py", f"k = '{make_key('sk-proj-', seed=43)}'\n")
    repo.git("add", "-A")
    env = dict(repo.env, PYTHONPATH=str(SRC))
    env.pop("NO_COLOR", None)
    # A child whose stdout is a terminal from its start: coloured.
    master, slave = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "keylatch", "staged"],
        cwd=repo.path, env=env, stdout=slave, stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    os.close(slave)
    coloured = _from_terminal(master)
    assert proc.returncode == 1
    # --no-color on the same terminal, decided in this process (tests/helpers/sinks.py).
    master, slave = pty.openpty()
    with open(slave, "w", encoding="utf-8", errors="surrogateescape") as terminal, stdout_of_main(terminal):
        res = keylatch("staged", "--no-color", cwd=repo.path)
    plain = _from_terminal(master)
    assert res.code == 1
    assert_redacted(coloured, plain)
    assert "\033[1;31mkeylatch: commit blocked:" in coloured
    assert "\033[" not in plain and "commit blocked" in plain


# File names a user can have, each with the argument a shell needs to name it.
ADVICE_NAMES = [
    ("plain.env", "plain.env"),
    ("my key file.env", "'my key file.env'"),
    ("it's.env", "'it'\"'\"'s.env'"),
    ("$(touch pwned).env", "'$(touch pwned).env'"),
    ("-leading-dash.env", "-- -leading-dash.env"),
    ("esc\x1b]0;title\x07.env", "$'esc\\x1b]0;title\\x07.env'"),
    ("tab\there 'q'.env", "$'tab\\there \\'q\\'.env'"),
    ("bidi\u202etxt.env", "$'bidi\\xe2\\x80\\xaetxt.env'"),
    ("caf\udce9 latin-1.env", "$'caf\\xe9 latin-1.env'"),  # not UTF-8: an undecodable byte
]


@pytest.mark.parametrize("first", [False, True], ids=["with-head", "first-commit"])
@pytest.mark.parametrize(("name", "arg"), ADVICE_NAMES, ids=[a for a, _ in ADVICE_NAMES])
def test_unstage_advice_is_one_pasteable_shell_argument(
    make_repo: MakeRepo, keylatch: RunKeylatch, name: str, arg: str, first: bool
) -> None:
    repo = make_repo()
    if not first:
        repo.write("README", "hi\n")
        repo.commit("init")
    repo.write(name, f"k = '{make_key('sk-proj-', seed=40)}'\n")
    repo.git("add", "-A")
    res = keylatch("staged", cwd=repo.path)
    assert res.code == 1
    (advice,) = [line for line in res.out.splitlines() if "unstage: " in line]
    command = advice.split("unstage: ", 1)[1]
    assert command == ("git rm --cached " if first else "git restore --staged ") + arg
    assert command.isprintable() and "\x1b" not in res.out + res.err  # escaped on screen
    # Pasted into a shell, it unstages exactly that file (and runs nothing the name holds).
    subprocess.run(["bash", "-c", command], cwd=repo.path, env=repo.env, check=True, capture_output=True)
    assert repo.git("diff", "--cached", "--name-only") == ""
    assert not (repo.path / "pwned").exists()


def test_unstage_advice_names_every_new_file(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("README", "hi\n")
    repo.commit("init")
    for i, name in enumerate(("b.env", "a dir/a.env", "c.py")):
        repo.write(name, f"k = '{make_key('sk-proj-', seed=41 + i)}'\n")
    repo.write("clean.py", "x = 1\n")
    repo.git("add", "-A")
    res = keylatch("staged", cwd=repo.path)
    assert res.code == 1
    assert "unstage: git restore --staged 'a dir/a.env' b.env c.py\n" in res.out
    command = res.out.split("unstage: ", 1)[1].splitlines()[0]
    subprocess.run(["bash", "-c", command], cwd=repo.path, env=repo.env, check=True)
    assert repo.git("diff", "--cached", "--name-only") == "clean.py"


def test_untracked_file_given_is_not_called_staged(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("README", "hi\n")
    repo.commit("init")
    repo.write("new key.env", f"k = '{make_key('sk-proj-', seed=45)}'\n")  # never `git add`ed
    res = keylatch("staged", "new key.env", cwd=repo.path)
    assert res.code == 1 and "new key.env:1" in res.out
    assert "1 OpenAI key in untracked files" in res.out
    assert "staged" not in res.out
    assert "not tracked by git yet): 'new key.env'" in res.out
    # Beside a staged one, each gets its own advice.
    repo.write("old.env", f"k = '{make_key('sk-proj-', seed=46)}'\n")
    repo.git("add", "old.env")
    res = keylatch("staged", "new key.env", "old.env", cwd=repo.path)
    assert "2 OpenAI keys in staged and untracked files" in res.out
    assert "git restore --staged old.env\n" in res.out and "(not tracked by git yet): 'new key.env'\n" in res.out


def test_clean_batch_under_pre_commit_says_nothing(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """pre-commit runs the hook once per batch of files and shows every batch's output when one
    fails: a clean batch's "no keys in N staged files" beside "commit blocked" contradicts it."""
    repo = make_repo()
    repo.write("a.py", "a = 1\n")
    repo.git("add", "-A")
    res = keylatch("staged", "a.py", cwd=repo.path, env={"PRE_COMMIT": "1"})
    assert (res.code, res.out, res.err) == (0, "", "")
    res = keylatch("staged", "a.py", cwd=repo.path)  # by hand the result is still said
    assert res.code == 0 and "no keys in 1 staged file" in res.err


# (where keylatch runs, files it is given or None, the config files, whether the key blocks)
# The key is at sub/fixtures/k.env; only the repository root's configuration counts.
ROOT_EXCLUDE = {".keylatch.yaml": "exclude: ['sub/fixtures/*']\n"}
SUB_EXCLUDE = {"sub/.keylatch.yaml": "exclude: ['fixtures/*']\n"}
SUB_PYPROJECT = {"sub/pyproject.toml": "[tool.keylatch]\nexclude = ['fixtures/*']\n"}
CONFIG_CASES = [
    (".", None, ROOT_EXCLUDE, False),
    ("sub", None, ROOT_EXCLUDE, False),
    ("sub", ["fixtures/k.env"], ROOT_EXCLUDE, False),
    ("sub/fixtures", ["k.env"], ROOT_EXCLUDE, False),
    (".", ["sub/fixtures/k.env"], ROOT_EXCLUDE, False),
    (".", None, SUB_EXCLUDE, True),
    ("sub", None, SUB_EXCLUDE, True),
    ("sub", ["fixtures/k.env"], SUB_EXCLUDE, True),
    ("sub", ["fixtures/k.env"], SUB_PYPROJECT, True),
    ("sub", None, {**ROOT_EXCLUDE, **SUB_PYPROJECT}, False),
]


@pytest.mark.parametrize(("cwd", "files", "configs", "blocks"), CONFIG_CASES)
def test_the_repository_roots_config_applies_wherever_staged_runs(
    make_repo: MakeRepo, keylatch: RunKeylatch, cwd: str, files: list[str] | None, configs: dict[str, str], blocks: bool
) -> None:
    repo = make_repo()
    repo.write("README", "hi\n")
    for path, text in configs.items():
        repo.write(path, text)
    repo.commit("settings")
    repo.write("sub/fixtures/k.env", f"K={make_key('sk-proj-', seed=61)}\n")
    repo.git("add", "-A")
    res = keylatch("staged", "--no-color", *(files or []), cwd=repo.path / cwd)
    assert res.code == (1 if blocks else 0), res
    assert ("k.env:1" in res.out) is blocks


def test_the_header_says_where_each_key_is(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """`pre-commit run --all-files` passes every tracked file: a key HEAD already has is not "staged"."""
    repo = make_repo()
    repo.write("old.env", f"K={make_key('sk-proj-', seed=62)}\n")
    repo.write("README", "hi\n")
    repo.commit("a key from before keylatch")
    res = keylatch("staged", "--no-color", "old.env", "README", cwd=repo.path)
    assert res.code == 1 and res.out.startswith("keylatch: commit blocked: 1 OpenAI key in committed files\n")
    repo.write("new.env", f"K={make_key('sk-proj-', seed=63)}\n")
    repo.git("add", "new.env")
    repo.write("loose.env", f"K={make_key('sk-proj-', seed=64)}\n")
    res = keylatch("staged", "--no-color", "old.env", "new.env", cwd=repo.path)
    assert res.out.startswith("keylatch: commit blocked: 2 OpenAI keys in staged and committed files\n")
    res = keylatch("staged", "--no-color", "old.env", "new.env", "loose.env", cwd=repo.path)
    assert res.out.startswith("keylatch: commit blocked: 3 OpenAI keys in staged, committed and untracked files\n")
    res = keylatch("staged", "--no-color", cwd=repo.path)  # no files: what the commit adds
    assert res.out.startswith("keylatch: commit blocked: 1 OpenAI key in staged files\n")


def test_a_blocked_batch_under_pre_commit_says_it_is_one_batch(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """The framework shows every blocked batch's message: each says which part it checked."""
    repo = make_repo()
    repo.write("a.env", f"K={make_key('sk-proj-', seed=65)}\n")
    repo.write("b.py", "b = 1\n")
    repo.git("add", "-A")
    res = keylatch("staged", "--no-color", "a.env", "b.py", cwd=repo.path, env={"PRE_COMMIT": "1"})
    assert res.code == 1
    assert res.out.startswith(
        "keylatch: commit blocked: 1 OpenAI key in staged files (in a pre-commit batch of 2 files)\n"
    )
    assert "unstage: git rm --cached a.env\n" in res.out  # a first commit, files given: no HEAD
    res = keylatch("staged", "--no-color", "a.env", cwd=repo.path)  # by hand: no batch
    assert res.out.startswith("keylatch: commit blocked: 1 OpenAI key in staged files\n")


PLAIN_ARGVS = [
    [],
    ["a.py"],
    ["a.py", "b c.env", ""],
    ["--no-color"],
    ["--no-color", "a.py", "b.py"],
    ["--no-color", "--no-color", "x"],
    ["a.py", "--no-color"],
    ["a.py", "--no-color", "b.py"],
    ["--no-c", "a.py"],
    ["--format", "json", "a.py"],
    ["-f", "json"],
    ["--", "-x.py"],
    ["@list.txt"],
    ["--help"],
    ["a.py", "-"],
]


@pytest.mark.parametrize("argv", PLAIN_ARGVS, ids=[" ".join(a) or "none" for a in PLAIN_ARGVS])
def test_plain_args_agree_with_argparse_or_leave_it_to_argparse(argv: list[str]) -> None:
    """The hook's usual arguments skip argparse (import cost); whatever they accept, argparse
    reads the same way, and everything else goes to argparse."""
    from keylatch.cli import build_parser
    from keylatch.commands.staged import plain_args

    plain = plain_args(argv)
    if plain is None:
        return
    parser, _ = build_parser("staged")
    parsed = parser.parse_args(["staged", *argv])
    assert (plain.files, plain.format, plain.no_color) == (parsed.files, parsed.format, parsed.no_color)


def test_plain_args_take_the_hooks_arguments() -> None:
    from keylatch.commands.staged import plain_args

    assert [a is None for a in map(plain_args, PLAIN_ARGVS)] == [
        False, False, False, False, False, False, True, True, True, True, True, True, True, True, True,
    ]  # fmt: skip
