"""`keylatch pre-push`: as the plain git hook under real `git push` to a bare remote, and by hand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.hooks import git_run
from tests.helpers.pushing import copied_clone, push_in_process, pushing_template, remote_tip
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pushing_template(tmp_path_factory.mktemp("pushing"))


@pytest.fixture
def pushing(template: Path, tmp_path: Path, home: Path) -> GitRepo:
    """pushing_clone's repositories, copied from one built per module (tests/helpers/pushing.py)."""
    return copied_clone(template, tmp_path, home)


def plant(repo: GitRepo, path: str, content: str, message: str) -> str:
    repo.write(path, content)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", message)  # no pre-commit hook installed here
    return repo.git("rev-parse", "HEAD")


def on_remote(repo: GitRepo, branch: str) -> str:
    return remote_tip(repo, str(repo.path.parent / "origin.git"), branch)  # copied_clone's origin


def test_push_of_a_key_is_refused(pushing: GitRepo) -> None:
    before = on_remote(pushing, "main")
    sha = plant(pushing, "conf.py", f"KEY = '{make_key('sk-proj-', seed=31)}'\n", "key")
    plant(pushing, "conf.py", "KEY = None\n", "and gone again")
    res = git_run(pushing, "push", "origin", "main")
    assert res.code != 0
    assert "push blocked" in res.out and f"{sha[:12]} conf.py:1" in res.out
    assert "OpenAI project API key" in res.out and "git rebase -i" in res.out
    assert on_remote(pushing, "main") == before


def test_a_key_in_a_commit_message_names_the_message(pushing: GitRepo, keylatch: RunKeylatch) -> None:
    before = on_remote(pushing, "main")
    sha = plant(pushing, "ok.py", "ok = 1\n", f"deploy with {make_key('sk-proj-', seed=32)}")
    res = push_in_process(pushing, keylatch)  # what the hook decides; the real pushes are around it
    assert res.code != 0
    assert "push blocked" in res.out and f"message of commit {sha[:12]}:1" in res.out
    assert on_remote(pushing, "main") == before


def test_clean_push_passes(pushing: GitRepo) -> None:
    sha = plant(pushing, "ok.py", "ok = 1\n", "fine")
    res = git_run(pushing, "push", "origin", "main")
    assert res.code == 0, res.out
    assert on_remote(pushing, "main") == sha


def test_new_branch_with_a_key_three_commits_deep(pushing: GitRepo) -> None:
    pushing.git("checkout", "-q", "-b", "feature")
    deep = plant(pushing, "f.py", f"k = '{make_key('sk-svcacct-', seed=32)}'\n", "one")
    plant(pushing, "f.py", "k = None\n", "two")
    plant(pushing, "g.py", "g\n", "three")
    res = git_run(pushing, "push", "origin", "feature")
    assert res.code != 0 and f"{deep[:12]} f.py:1" in res.out
    assert on_remote(pushing, "feature") == ""


def test_every_ref_of_a_multi_ref_push(pushing: GitRepo) -> None:
    pushing.git("checkout", "-q", "-b", "clean")
    plant(pushing, "c.py", "c\n", "clean")
    pushing.git("checkout", "-q", "-b", "leak", "main")
    plant(pushing, "l.py", f"k = '{make_key('sk-', seed=33)}'\n", "leak")
    res = git_run(pushing, "push", "origin", "clean", "leak")
    assert res.code != 0 and "l.py:1" in res.out
    assert on_remote(pushing, "leak") == "" and on_remote(pushing, "clean") == ""


def test_branch_deletion_passes(pushing: GitRepo) -> None:
    pushing.git("push", "-q", "--no-verify", "origin", "main:old")
    res = git_run(pushing, "push", "origin", "--delete", "old")
    assert res.code == 0, res.out
    assert on_remote(pushing, "old") == ""


def test_chained_hook_gets_the_ref_lines_and_can_refuse(pushing: GitRepo, keylatch: RunKeylatch) -> None:
    hooks = pushing.path / ".git" / "hooks"
    (hooks / "pre-push").unlink()
    seen = pushing.path / "seen.txt"
    (hooks / "pre-push").write_text(f'#!/bin/sh\necho "$1" > {seen}\ncat >> {seen}\nexit "${{FAIL:-0}}"\n')
    (hooks / "pre-push").chmod(0o755)
    res = keylatch("install-hook", "--hook", "pre-push", cwd=pushing.path)
    assert res.code == 0 and "pre-push.pre-keylatch" in res.out
    sha = plant(pushing, "ok.py", "ok\n", "fine")
    assert git_run(pushing, "push", "origin", "main").code == 0
    assert seen.read_text().splitlines() == [
        "origin",
        f"refs/heads/main {sha} refs/heads/main {pushing.git('rev-parse', 'main~1')}",
    ]
    plant(pushing, "ok.py", "ok2\n", "fine2")
    pushing.env["FAIL"] = "7"
    assert git_run(pushing, "push", "origin", "main").code != 0
    assert on_remote(pushing, "main") == sha


def test_by_hand_without_ref_lines_checks_all_unpushed_work(pushing: GitRepo, keylatch: RunKeylatch) -> None:
    res = keylatch("pre-push", "origin", cwd=pushing.path, input="")
    assert res.code == 0 and "nothing new to push to origin" in res.err
    pushing.git("checkout", "-q", "-b", "side")
    plant(pushing, "s.py", f"k = '{make_key('sk-admin-', seed=34)}'\n", "side")
    pushing.git("checkout", "-q", "main")
    res = keylatch("pre-push", "origin", cwd=pushing.path, input="")
    assert res.code == 1 and "s.py:1" in res.out and "every local branch and tag" in res.out


def test_unreadable_ref_lines_fail_closed(pushing: GitRepo, keylatch: RunKeylatch) -> None:
    res = keylatch("pre-push", "origin", cwd=pushing.path, input="garbage\n")
    assert res.code == 3 and res.err.count("\n") == 1 and "stdin line 1" in res.err


def test_framework_variables_cover_refs_it_does_not_pass(pushing: GitRepo, keylatch: RunKeylatch) -> None:
    # As pre-commit runs the hook for `git push origin clean leak`: only the first ref is passed.
    base = pushing.git("rev-parse", "main")
    pushing.git("checkout", "-q", "-b", "clean")
    clean = plant(pushing, "c.py", "c\n", "clean")
    pushing.git("checkout", "-q", "-b", "leak", "main")
    plant(pushing, "l.py", f"k = '{make_key('sk-proj-', seed=35)}'\n", "leak")
    env = {"PRE_COMMIT_REMOTE_NAME": "origin", "PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": clean}
    res = keylatch("pre-push", cwd=pushing.path, env=env, input="")
    assert res.code == 1 and "l.py:1" in res.out


def test_allow_comment_and_baseline_apply_to_pushed_commits(pushing: GitRepo, keylatch: RunKeylatch) -> None:
    # What the hook decides, in this process (push_in_process); the real pushes are the tests above.
    plant(pushing, "t.py", f"k = '{make_key('sk-proj-', seed=36)}'  # keylatch:allow test key\n", "allowed")
    pushing.write("old.py", f"k = '{make_key('sk-proj-', seed=37)}'\n")
    assert keylatch("baseline", "create", "--reason", "revoked", cwd=pushing.path).code == 0
    # The baseline reaches the remote first, on its own: then it applies to the key's push.
    pushing.git("add", ".keylatch-baseline.json")
    pushing.git("commit", "-q", "-m", "baseline")
    assert push_in_process(pushing, keylatch).code == 0
    sha = plant(pushing, "old.py", (pushing.path / "old.py").read_text(), "baselined")
    res = push_in_process(pushing, keylatch)
    assert res.code == 0, res.out
    assert on_remote(pushing, "main") == sha


# Each way a pushed commit could stop its own key from blocking: the settings file it writes
# (None: `keylatch baseline create` writes the baseline, accepting the key).
WEAKENINGS: dict[str, tuple[str, str | None]] = {
    "exclude": (".keylatch.yaml", "exclude: ['secrets/*']\n"),
    "disable": (".keylatch.yaml", "disable: [openai-project-key]\n"),
    "allow-lines": (".keylatch.yaml", "allow-lines: ['KEEP']\n"),
    "fail-on": (".keylatch.yaml", "fail-on: critical\n"),
    "pyproject": ("pyproject.toml", "[tool.keylatch]\nexclude = ['secrets/*']\n"),
    "baseline": (".keylatch-baseline.json", None),
}


# The key each weakening drops: in secrets/ (exclude), on a line allow-lines matches (KEEP).
KEPT = f"K={make_key('sk-proj-', seed=38)}  # KEEP\n"


def _weaken(repo: GitRepo, keylatch: RunKeylatch, how: str) -> None:
    """Write the settings that would drop the key in secrets/app.env (which must be on disk)."""
    path, text = WEAKENINGS[how]
    if text is None:
        assert keylatch("baseline", "create", "--reason", "mine", cwd=repo.path).code == 0
    else:
        repo.write(path, text)


@pytest.mark.parametrize("same_commit", [True, False], ids=["same commit", "later commit"])
@pytest.mark.parametrize("how", sorted(WEAKENINGS))
def test_a_push_cannot_approve_its_own_key(
    pushing: GitRepo, keylatch: RunKeylatch, how: str, same_commit: bool
) -> None:
    """The settings are the remote's: a pushed commit that weakens them does not apply to the push.
    The hook runs in-process with git's arguments and ref line (what it decides is the subject;
    the tests above run it under real pushes)."""
    before = on_remote(pushing, "main")
    pushing.write("secrets/app.env", KEPT)
    if not same_commit:
        pushing.commit("the key")
    _weaken(pushing, keylatch, how)
    pushing.commit("and its approval")
    # The working tree has the weakened settings too: they would drop the key there.
    assert keylatch("scan", "secrets", cwd=pushing.path).code == 0
    res = push_in_process(pushing, keylatch)
    assert res.code != 0 and "push blocked" in res.out and "secrets/app.env:1" in res.out, res.out
    assert f"the pushed commits change keylatch's settings in {WEAKENINGS[how][0]}; not applied" in res.out
    assert on_remote(pushing, "main") == before


@pytest.mark.parametrize("how", sorted(WEAKENINGS))
def test_settings_that_reach_the_remote_first_apply_to_the_next_push(
    pushing: GitRepo, keylatch: RunKeylatch, how: str
) -> None:
    """The documented way out of the test above: the settings change reaches the remote on its
    own first. (Whether the refused push had the key and its approval in one commit or two does
    not matter here: this starts from the remote's commit either way.)"""
    pushing.write("secrets/app.env", KEPT)
    _weaken(pushing, keylatch, how)
    pushing.git("add", "--", WEAKENINGS[how][0])
    pushing.commit("settings", add=False)
    assert push_in_process(pushing, keylatch).code == 0
    sha = pushing.commit("the key, accepted by the settings on the remote")
    res = push_in_process(pushing, keylatch)
    assert res.code == 0, res.out
    assert on_remote(pushing, "main") == sha


def test_uncommitted_settings_do_not_apply_to_a_push(pushing: GitRepo, keylatch: RunKeylatch) -> None:
    plant(pushing, "app.py", f"k = '{make_key('sk-proj-', seed=39)}'\n", "key")
    pushing.write(".keylatch.yaml", "exclude: ['app.py']\n")
    res = push_in_process(pushing, keylatch)  # what the hook decides (the working tree is the subject)
    assert res.code != 0 and "app.py:1" in res.out


def test_a_first_push_is_judged_with_the_defaults(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """Nothing on the remote to take settings from: the strictest, keylatch's defaults."""
    origin = make_repo("origin.git", "--bare")
    repo = make_repo("work")
    repo.git("remote", "add", "origin", str(origin.path))
    repo.write(".keylatch.yaml", "exclude: ['app.py']\n")
    repo.write("app.py", f"k = '{make_key('sk-proj-', seed=40)}'\n")
    sha = repo.commit("everything at once")
    line = f"refs/heads/main {sha} refs/heads/main {'0' * 40}\n"
    res = keylatch("pre-push", "origin", str(origin.path), cwd=repo.path, input=line)
    assert res.code == 1 and "app.py:1" in res.out, res.err


@pytest.mark.parametrize("remote", ["nosuchremote", "orign", "origin/main"])
def test_an_unknown_remote_by_hand_is_a_usage_error(pushing: GitRepo, keylatch: RunKeylatch, remote: str) -> None:
    plant(pushing, "s.py", "s = 1\n", "unpushed")
    res = keylatch("pre-push", remote, cwd=pushing.path, input="")
    assert (res.code, res.out) == (2, "")
    assert (
        res.err == f"keylatch: error: no remote named '{remote}' (`git remote` lists them; a URL or path also works)\n"
    )


def test_every_way_git_names_the_remote_is_accepted(pushing: GitRepo, keylatch: RunKeylatch) -> None:
    """git passes pre-push `<name> <url>`, and the URL twice when the push names a URL or path."""
    origin = str(pushing.path.parent / "origin.git")
    many = "".join(f"k{i} = '{make_key('sk-proj-', seed=70 + i)}'\n" for i in range(25))  # past MAX_LINES
    sha = plant(pushing, "k.py", many, "keys")
    line = f"refs/heads/main {sha} refs/heads/main {pushing.git('rev-parse', 'origin/main')}\n"
    for argv in (("origin",), ("origin", origin), (origin, origin), (f"file://{origin}",), ("host:repo.git",)):
        res = keylatch("pre-push", *argv, cwd=pushing.path, input=line)
        assert res.code == 1 and "k.py:1" in res.out, argv
    # Under real `git push` to a path and to a file:// URL, the hook blocks as well.
    for url in (origin, f"file://{origin}"):
        pushed = git_run(pushing, "push", url, "main")
        assert pushed.code != 0 and "push blocked" in pushed.out and "k.py:1" in pushed.out
        # A URL has no `<remote>/<branch>` refs: the advice does not invent them.
        assert f"{url}/<branch>" not in pushed.out and "keylatch history --range <base>..<branch>" in pushed.out


def test_push_advice_names_the_remote_tracking_range(pushing: GitRepo, keylatch: RunKeylatch) -> None:
    plant(pushing, "conf.py", "".join(f"k{i} = '{make_key('sk-proj-', seed=60 + i)}'\n" for i in range(25)), "keys")
    res = push_in_process(pushing, keylatch)  # `origin <url>`, as git names the remote to the hook
    assert res.code != 0 and "(keylatch history --range origin/<branch>..<branch> lists all)" in res.out
