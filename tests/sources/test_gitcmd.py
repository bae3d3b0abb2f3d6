"""sources/gitcmd.py: no git process keylatch starts (or lets a child tool start) runs a program
the scanned repository configured, whatever the program's name or where it is configured.

Each hostile setup is first shown to fire under plain git, so a test cannot pass because its
trap was never armed.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.errors import ScanError
from keylatch.sources.gitcmd import MAX_NAMED, Git, hardened_env, neutralising
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]


def payload(tmp_path: Path, name: str = "evil.sh") -> tuple[Path, Path]:
    """A program that records that it ran (in `PWNED`) and otherwise behaves like `cat`."""
    marker = tmp_path / "PWNED"
    evil = tmp_path / name
    evil.write_text(f"#!/bin/sh\necho \"$0 $*\" >> '{marker}'\ncat\n")
    evil.chmod(0o755)
    return evil, marker


def make_racy(repo: GitRepo) -> None:
    """Index entries git must re-hash to know they are clean: the index is older than the files
    and the stat data git would trust is switched off. Re-hashing runs the clean filter."""
    repo.git("config", "core.checkStat", "minimal")
    repo.git("config", "core.trustctime", "false")
    # Not 0: git reads an index time of 0 as "unknown" and trusts the entries.
    os.utime(git_dir(repo) / "index", (1577836800, 1577836800))


def git_dir(repo: GitRepo) -> Path:
    return Path(repo.git("rev-parse", "--absolute-git-dir"))


def plain_git(repo: GitRepo, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo.path, env=env or repo.env, capture_output=True, text=True, check=False
    )


def base_repo(make_repo: MakeRepo, *init: str) -> GitRepo:
    repo = make_repo("repo", *init)
    repo.write("a.txt", "alpha\n")
    repo.write("b.txt", "beta\n")
    repo.commit("init")
    (git_dir(repo) / "info").mkdir(exist_ok=True)
    (git_dir(repo) / "info" / "attributes").write_text("* filter=x diff=x merge=x\n")
    return repo


def where_filter_is(where: str, make_repo: MakeRepo, tmp_path: Path, evil: Path) -> GitRepo:
    """A repository whose filter `x` (or an odd name) runs `evil`, configured in `where`."""
    if where == "gitfile":  # the work tree's .git is a file naming a git dir elsewhere
        repo = base_repo(make_repo, f"--separate-git-dir={tmp_path / 'elsewhere.git'}")
        assert (repo.path / ".git").is_file()
        repo.git("config", "filter.x.clean", str(evil))
        return repo
    repo = base_repo(make_repo)
    if where == "config":
        repo.git("config", "filter.x.clean", str(evil))
    elif where == "process":
        repo.git("config", "filter.x.process", str(evil))
    elif where == "required":
        repo.git("config", "filter.x.clean", str(evil))
        repo.git("config", "filter.x.required", "true")
    elif where == "odd name":  # `-c` cannot name it: `=` ends the name there
        (git_dir(repo) / "info" / "attributes").write_text('* filter=a=b.c"d\n')
        repo.git("config", 'filter.a=b.c"d.clean', str(evil))
    elif where == "include.path":
        (tmp_path / "inc.cfg").write_text(f'[filter "x"]\n\tclean = {evil}\n')
        repo.git("config", "include.path", str(tmp_path / "inc.cfg"))
    elif where == "includeIf":
        (tmp_path / "if.cfg").write_text(f'[filter "x"]\n\tclean = {evil}\n')
        repo.git("config", f"includeIf.gitdir:{repo.path}/.path", str(tmp_path / "if.cfg"))
    elif where == "worktree config":
        repo.git("config", "extensions.worktreeConfig", "true")
        repo.git("config", "--worktree", "filter.x.clean", str(evil))
    else:
        raise AssertionError(where)
    return repo


WHERE = ("config", "process", "required", "odd name", "include.path", "includeIf", "gitfile", "worktree config")


@pytest.mark.parametrize("where", WHERE)
def test_racy_index_runs_no_filter_wherever_it_is_configured(make_repo: MakeRepo, tmp_path: Path, where: str) -> None:
    evil, marker = payload(tmp_path)
    repo = where_filter_is(where, make_repo, tmp_path, evil)
    make_racy(repo)
    plain_git(repo, "diff-files", "--name-only")
    assert marker.exists(), "the trap did not fire under plain git"
    marker.unlink()
    make_racy(repo)

    Git(repo.path).run("diff-files", "--name-only")
    Git(repo.path).run("hash-object", "--path=a.txt", "a.txt")

    assert not marker.exists(), marker.read_text()


@pytest.mark.parametrize("where", WHERE)
def test_hardened_env_disarms_the_git_a_child_tool_runs(make_repo: MakeRepo, tmp_path: Path, where: str) -> None:
    """detect-secrets runs `git diff --name-only` itself: with hardened_env() it runs nothing."""
    evil, marker = payload(tmp_path)
    repo = where_filter_is(where, make_repo, tmp_path, evil)
    make_racy(repo)

    env = hardened_env(repo.env, repo.path)
    for args in (("diff", "--name-only"), ("ls-files", "-m"), ("status", "--porcelain")):
        proc = plain_git(repo, *args, env=env)
        assert proc.returncode == 0, proc.stderr

    assert not marker.exists(), marker.read_text()


def test_an_emptied_filter_means_no_filter_even_when_required(make_repo: MakeRepo, tmp_path: Path) -> None:
    """What git does with the empty value: hashes the file as it is, without dying."""
    repo = base_repo(make_repo)
    evil, marker = payload(tmp_path)
    repo.git("config", "filter.x.clean", f"{evil}; tr a-z A-Z")
    repo.git("config", "filter.x.required", "true")
    raw = repo.git("hash-object", "--no-filters", "a.txt")

    assert Git(repo.path).run("hash-object", "--path=a.txt", "a.txt").decode().strip() == raw
    assert not marker.exists()


def test_an_emptied_diff_or_merge_driver_is_an_error_not_a_program(make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = base_repo(make_repo)
    evil, marker = payload(tmp_path)
    for name in ("diff.x.command", "diff.x.textconv", "diff.external"):
        repo.git("config", name, str(evil))
    repo.write("a.txt", "changed\n")
    assert plain_git(repo, "diff", "--ext-diff").returncode == 0 and marker.exists()
    marker.unlink()

    for args in (("diff", "--ext-diff"), ("diff",), ("log", "-p", "--ext-diff")):
        plain_git(repo, *args, env=hardened_env(repo.env, repo.path))

    assert not marker.exists(), marker.read_text()


def test_a_submodule_is_never_looked_into_by_diff_files(make_repo: MakeRepo, tmp_path: Path) -> None:
    """`git diff-files` runs `git status` in each submodule, under the submodule's config; the
    submodule's driver names are not the ones the hardening listed. `--ignore-submodules=all`."""
    evil, marker = payload(tmp_path)
    sub = make_repo("sub")
    sub.write("s.txt", "s\n")
    sub.commit("s")
    repo = base_repo(make_repo)
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "sm")
    repo.commit("sm")
    inner = GitRepo(repo.path / "sm", repo.env)
    inner.git("config", "filter.y.clean", str(evil))
    (git_dir(inner) / "info").mkdir(exist_ok=True)
    (git_dir(inner) / "info" / "attributes").write_text("* filter=y\n")
    make_racy(inner)
    make_racy(repo)
    plain_git(repo, "diff-files", "--name-only")
    assert marker.exists()
    marker.unlink()
    make_racy(inner)

    assert Git(repo.path).run("diff-files", "--name-only", "-z", "--ignore-submodules=all", "--") == b""
    assert not marker.exists(), marker.read_text()


@pytest.mark.parametrize("how", ["uploadpack", "vcs alias"])
def test_a_partial_clone_never_fetches_a_missing_blob(make_repo: MakeRepo, tmp_path: Path, how: str) -> None:
    """A lazy fetch would run remote.<n>.uploadpack, or `git remote-<vcs>`, which an alias can be."""
    marker = tmp_path / "PWNED"
    origin = make_repo("origin")
    olds = []
    for text in ("one", "two", "three"):
        origin.write("f", f"{text}\n")
        origin.commit(text)
        olds.append(origin.git("rev-parse", "HEAD:f"))
    origin.git("config", "uploadpack.allowFilter", "true")
    clone = GitRepo(tmp_path / "clone", origin.env)
    subprocess.run(
        ["git", "clone", "-q", "--no-local", "--filter=blob:none", f"file://{origin.path}", str(clone.path)],
        env=origin.env, check=True, capture_output=True,
    )  # fmt: skip
    if how == "uploadpack":
        clone.git("config", "remote.origin.uploadpack", f"touch '{marker}'; git-upload-pack")
    else:
        clone.git("config", "remote.origin.vcs", "evil")
        clone.git("config", "alias.remote-evil", f"!touch '{marker}'")
    plain_git(clone, "cat-file", "-t", olds[0])
    assert marker.exists(), "the trap did not fire under plain git"
    marker.unlink()

    with pytest.raises(ScanError):
        Git(clone.path).run("cat-file", "-p", olds[1])
    assert not marker.exists(), marker.read_text()


def test_grafts_and_replace_refs_hide_no_commit(make_repo: MakeRepo) -> None:
    repo = make_repo()
    shas = []
    for n in range(3):
        repo.write("f", f"{n}\n")
        shas.append(repo.commit(f"c{n}"))
    (repo.path / ".git" / "info" / "grafts").write_text(f"{shas[2]}\n")  # HEAD becomes a root
    assert repo.git("rev-list", "HEAD").split() == [shas[2]]

    assert Git(repo.path).run("rev-list", "HEAD").decode().split() == shas[::-1]


def test_the_environment_s_own_settings_come_first_and_ours_win(make_repo: MakeRepo, tmp_path: Path) -> None:
    evil, marker = payload(tmp_path)
    repo = base_repo(make_repo)
    base = dict(repo.env, GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0="core.fsmonitor", GIT_CONFIG_VALUE_0=str(evil))
    # GIT_CONFIG would make `git config` read one file only, hiding the repository's names.
    base["GIT_CONFIG"] = os.devnull
    repo.git("config", "filter.x.clean", str(evil))
    make_racy(repo)

    env = hardened_env(base, repo.path)

    assert env["GIT_CONFIG_KEY_0"] == "core.fsmonitor" and "GIT_CONFIG" not in env
    for args in (("diff", "--name-only"), ("status", "--porcelain")):
        assert plain_git(repo, *args, env=env).returncode == 0
    assert not marker.exists(), marker.read_text()


def test_neutralising_covers_chosen_names_and_only_program_settings() -> None:
    out = dict(
        neutralising(
            [
                "filter.lfs.clean", "filter.a.b.process", "diff.x.textconv", "diff.x.xfuncname",
                "diff.external", "merge.m.driver", "remote.origin.uploadpack", "remote.origin.url",
                "alias.remote-evil", "submodule.s.update", "mergetool.t.cmd",
            ]
        )
    )  # fmt: skip
    assert out == {
        "filter.lfs.clean": "", "filter.lfs.required": "false",
        "filter.a.b.process": "", "filter.a.b.required": "false",
        "diff.x.textconv": "", "merge.m.driver": "", "remote.origin.uploadpack": "git-upload-pack",
        "alias.remote-evil": "", "submodule.s.update": "none", "mergetool.t.cmd": "",
    }  # fmt: skip


def test_a_config_with_too_many_drivers_is_refused() -> None:
    with pytest.raises(ScanError, match="refusing"):
        neutralising([f"filter.f{i}.clean" for i in range(MAX_NAMED)])


def test_a_broken_config_is_a_scan_error(make_repo: MakeRepo) -> None:
    repo = make_repo()
    (repo.path / ".git" / "config").write_text("[core\n")
    with pytest.raises(ScanError, match="bad config line"):
        Git(repo.path).run("rev-parse", "HEAD")


def test_the_error_reported_is_git_s_reason_not_a_hint_before_it() -> None:
    from keylatch.sources.gitcmd import first_line

    assert first_line(b"hint: Support for <GIT_DIR>/info/grafts is deprecated\nfatal: bad object x\n") == (
        "fatal: bad object x"
    )
    assert first_line(b"warning: promisor remotes\nerror: unable to read\nfatal: died\n") == "error: unable to read"
    assert first_line(b"\nusage: git rev-list\n") == "usage: git rev-list"
    assert first_line(b"warning: only this\n") == "warning: only this"
    assert first_line(b"") == "git failed with no message"


def test_no_credential_helper_or_askpass_runs_whatever_url_it_is_scoped_to(make_repo: MakeRepo, tmp_path: Path) -> None:
    evil, marker = payload(tmp_path)
    repo = base_repo(make_repo)
    repo.git("config", "core.askPass", str(evil))
    repo.git("config", "credential.helper", f"!{evil}")
    repo.git("config", "credential.https://git.invalid.helper", f"!{evil}")
    ask = "protocol=https\nhost=git.invalid\n\n"
    before = subprocess.run(
        ["git", "credential", "fill"], cwd=repo.path, env=repo.env, input=ask, capture_output=True, text=True
    )
    assert marker.exists(), before.stderr
    marker.unlink()

    proc = subprocess.run(
        ["git", "credential", "fill"], cwd=repo.path, env=hardened_env(repo.env, repo.path),
        input=ask, capture_output=True, text=True,
    )  # fmt: skip

    assert proc.returncode != 0  # nothing to ask, and no prompt: it fails
    assert not marker.exists(), marker.read_text()
