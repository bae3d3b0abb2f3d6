"""Hostile repositories × every command: no configured program runs and no key hides.

Each row plants one hostile setting in an otherwise ordinary repository: a payload that records
its run in a marker file wherever git could run a program, or a history rewrite (grafts, replace
refs) that hides the commit holding a key from plain git. Each row first proves its trap is
live under plain git; then every keylatch command runs in a fresh copy of the repository and
must leave no marker, find every planted key it can see, and exit as usual, or 3 where it must
refuse: a partial clone whose missing blob keylatch will not fetch, a clone whose source serves
a grafted history.

Adding a row is one `Row(...)` line plus, at most, the function that plants it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.run import SRC, RunKeylatch, in_process

pytestmark = pytest.mark.e2e

KEY_A = make_key("sk-proj-", seed=81)  # settings.py:2 of the second commit, gone in the third
KEY_B = make_key("sk-svcacct-", seed=82)  # staged.py:1, staged, never committed
KEY_C = make_key("sk-admin-", seed=83)  # config.py:1 of the first commit, still there
HOOKS = (
    "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout", "post-merge",
    "pre-push", "pre-auto-gc", "post-rewrite", "reference-transaction", "post-index-change",
    "push-to-checkout", "fsmonitor-watchman", "pre-receive", "update", "post-update",
)  # fmt: skip
DS_BASELINE = ".secrets.baseline"
OURS = "keylatch OpenAI key"
RACY_TIME = 1577836800  # 2020-01-01: the index is older than every file, so git re-hashes them


@dataclass(frozen=True)
class Lab:
    """One row's template: the repository and the payload planted in it."""

    row: Row
    root: Path
    repo: GitRepo
    evil: Path  # records "$0 $*" in `marker`; with --filter it then copies stdin to stdout
    marker: Path
    commits: tuple[str, ...] = ()  # root ... HEAD as they really are (real_commits), once planted

    @property
    def filter(self) -> str:
        return f"{self.evil} --filter"

    def git_dir(self) -> Path:
        return Path(self.repo.git("rev-parse", "--absolute-git-dir"))

    def config(self, **settings: str) -> None:
        for name, value in settings.items():
            self.repo.git("config", name.replace("__", "."), value)

    def attributes(self, line: str) -> None:
        info = self.git_dir() / "info"
        info.mkdir(exist_ok=True)
        (info / "attributes").write_text(line + "\n")


# ---- the rows: what each plants ------------------------------------------------------------


def fsmonitor(lab: Lab) -> None:
    lab.config(core__fsmonitor=str(lab.evil))


def hooks(lab: Lab) -> None:
    where = lab.git_dir() / "hooks"  # asked of git once, not twice per hook
    for name in HOOKS:
        (where / name).unlink(missing_ok=True)
        (where / name).symlink_to(lab.evil)


def hooks_path(lab: Lab) -> None:
    where = lab.root / "hooks"
    where.mkdir()
    for name in HOOKS:
        (where / name).symlink_to(lab.evil)
    lab.config(core__hooksPath=str(where))


def diff_external(lab: Lab) -> None:
    lab.attributes("* diff=x")
    lab.config(diff__external=str(lab.evil), diff__x__command=str(lab.evil))


def textconv(lab: Lab) -> None:
    lab.attributes("* diff=x")
    lab.config(diff__x__textconv=str(lab.evil), diff__x__cachetextconv="false")


def filter_with(kind: str, required: bool = False) -> Callable[[Lab], None]:
    def plant(lab: Lab) -> None:
        lab.attributes("* filter=x")
        lab.config(**{f"filter__x__{kind}": lab.filter}, **({"filter__x__required": "true"} if required else {}))

    return plant


def racy_gitattributes(lab: Lab) -> None:
    """The filter named by a work-tree .gitattributes, reached only through the racy index."""
    (lab.repo.path / ".gitattributes").write_text("*.py filter=odd=name\n")
    lab.config(**{"filter.odd=name.clean": lab.filter, "filter.odd=name.required": "true"})


def pager(lab: Lab) -> None:
    lab.config(core__pager=str(lab.evil), pager__log=str(lab.evil), pager__diff=str(lab.evil))


def everything_in(path: Path, lab: Lab) -> None:
    path.write_text(
        f"[core]\n\tfsmonitor = {lab.evil}\n\tpager = {lab.evil}\n[diff]\n\texternal = {lab.evil}\n"
        f'[filter "inc"]\n\tclean = {lab.filter}\n\tprocess = {lab.filter}\n'
        f"[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {lab.evil}\n"
    )
    lab.attributes("* filter=inc")


def include_path(lab: Lab) -> None:
    everything_in(lab.root / "inc.cfg", lab)
    lab.config(include__path=str(lab.root / "inc.cfg"))


def include_if(lab: Lab) -> None:
    everything_in(lab.root / "if.cfg", lab)
    # Matches the template and every copy of it (each is a directory named `repo`).
    lab.repo.git("config", "includeIf.gitdir:**/repo/.path", str(lab.root / "if.cfg"))


def gitfile(lab: Lab) -> None:
    """The work tree's .git is a file naming a git dir elsewhere, whose config is hostile."""
    elsewhere = lab.root / "elsewhere.git"
    (lab.repo.path / ".git").rename(elsewhere)
    (lab.repo.path / ".git").write_text(f"gitdir: {elsewhere}\n")
    fsmonitor(lab)
    filter_with("clean")(lab)


def alternates(lab: Lab) -> None:
    """The commits' objects are borrowed from an alternate object store; asking git for the
    alternate's refs runs core.alternateRefsCommand."""
    alt = lab.root / "alt.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(lab.repo.path), str(alt)], env=lab.repo.env, check=True)
    (lab.git_dir() / "objects" / "info" / "alternates").write_text(f"{alt / 'objects'}\n")
    lab.repo.git("repack", "-q", "-a", "-d", "-l")  # keeps only what the alternate lacks: the staged blob
    lab.repo.git("prune-packed")
    lab.config(core__alternateRefsCommand=str(lab.evil))


def grafts(lab: Lab) -> None:
    """HEAD's parent becomes the first commit: plain git no longer sees the one that added KEY_A."""
    head, first = lab.repo.git("rev-parse", "HEAD", "HEAD~2").split()
    (lab.git_dir() / "info" / "grafts").write_text(f"{head} {first}\n")


def replace_refs(lab: Lab) -> None:
    """The commit that added KEY_A is swapped for a look-alike without it."""
    keyed = lab.repo.git("rev-parse", "HEAD~1")
    fake = lab.repo.git("commit-tree", "HEAD~2^{tree}", "-p", "HEAD~2", "-m", "settings")
    lab.repo.git("replace", keyed, fake)


def partial_clone(lab: Lab, url: str) -> None:
    """A promisor remote and HEAD's config.py missing (the whole history and `staged`'s "already
    committed" note need it; `ci` of the later commits does not): a lazy fetch would contact `url`."""
    blob = lab.repo.git("rev-parse", "HEAD:config.py")
    (lab.git_dir() / "objects" / blob[:2] / blob[2:]).unlink()
    lab.config(
        core__repositoryformatversion="1", extensions__partialClone="origin",
        remote__origin__url=url, remote__origin__promisor="true",
    )  # fmt: skip


def ssh_command(lab: Lab) -> None:
    partial_clone(lab, "ssh://git.invalid/repo.git")
    lab.config(core__sshCommand=str(lab.evil), core__gitProxy=str(lab.evil))


def ask_pass(lab: Lab) -> None:
    lab.config(
        core__askPass=str(lab.evil), credential__helper=f"!{lab.evil}",
        **{"credential.https://git.invalid.helper": f"!{lab.evil}"},
    )  # fmt: skip


def upload_pack(lab: Lab) -> None:
    origin = lab.root / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(lab.repo.path), str(origin)], env=lab.repo.env, check=True)
    partial_clone(lab, f"file://{origin}")
    lab.config(remote__origin__uploadpack=f"{lab.evil}; git-upload-pack", uploadpack__packObjectsHook=str(lab.evil))
    subprocess.run(
        ["git", "config", "uploadpack.packObjectsHook", str(lab.evil)], cwd=origin, env=lab.repo.env, check=True
    )


def remote_helper_alias(lab: Lab) -> None:
    """A lazy fetch through remote.<n>.vcs runs `git remote-<vcs>`, which an alias can be."""
    partial_clone(lab, "evil::whatever")
    lab.config(remote__origin__vcs="evil", **{"alias.remote-evil": f"!{lab.evil}"})


def signature(lab: Lab) -> None:
    """Every commit signed (a fake signature), so `git log` would ask gpg.program about each."""
    lab.config(
        log__showSignature="true", gpg__program=str(lab.evil), gpg__ssh__program=str(lab.evil),
        gpg__x509__program=str(lab.evil),
    )  # fmt: skip
    parent: str | None = None
    for sha in lab.repo.git("rev-list", "--reverse", "HEAD").split():
        raw = lab.repo.git("cat-file", "commit", sha)
        head, _, message = raw.partition("\n\n")
        lines = [x for x in head.splitlines() if not x.startswith("parent ")]
        if parent:
            lines.insert(1, f"parent {parent}")
        sig = "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----"
        obj = "\n".join([*lines, sig]) + "\n\n" + message + "\n"
        parent = lab.repo.git("hash-object", "-t", "commit", "-w", "--stdin", input=obj)
    assert parent is not None
    lab.repo.git("update-ref", "refs/heads/main", parent)


def submodule(lab: Lab) -> None:
    """A submodule whose own config runs a filter on its own racy index."""
    src = GitRepo.init(lab.root / "subsrc", Path(lab.repo.env["HOME"]))
    src.write("s.txt", "sub\n")
    src.commit("sub")
    lab.repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(src.path), "sm")
    lab.repo.git("commit", "-q", "-m", "submodule", "--", ".gitmodules", "sm")  # staged.py stays staged
    inner = Lab(lab.row, lab.root, GitRepo(lab.repo.path / "sm", lab.repo.env), lab.evil, lab.marker)
    inner.attributes("* filter=y")
    inner.config(filter__y__clean=lab.filter, core__fsmonitor=str(lab.evil), core__checkStat="minimal")
    hooks(inner)
    os.utime(inner.git_dir() / "index", (RACY_TIME, RACY_TIME))


# ---- how each row proves its trap is live under plain git ------------------------------------


def fires(*argv: str, tty: bool = False) -> Callable[[Lab, Path], bool]:
    """Plain git (or sh) in a throwaway copy runs the payload."""

    def check(lab: Lab, copy: Path) -> bool:
        if tty:  # a pager only starts on a terminal
            import pty

            main, term = pty.openpty()
            subprocess.run(argv, cwd=copy, env=lab.repo.env, stdin=subprocess.DEVNULL, stdout=term, stderr=term)
            os.close(term)
            os.close(main)
        else:
            subprocess.run(argv, cwd=copy, env=lab.repo.env, stdin=subprocess.DEVNULL, capture_output=True)
        return lab.marker.exists()

    return check


def hides_key_a(lab: Lab, copy: Path) -> bool:
    out = subprocess.run(["git", "log", "-p", "--all"], cwd=copy, env=lab.repo.env, capture_output=True, text=True)
    return KEY_A not in out.stdout


MISSING = "git cat-file -p $(git rev-list --objects --missing=print HEAD | sed -n 's/^?//p' | head -1)"
CREDENTIAL = "printf 'protocol=https\\nhost=git.invalid\\n\\n' | git credential fill"


@dataclass(frozen=True)
class Row:
    name: str
    plant: Callable[[Lab], None]
    armed: Callable[[Lab, Path], bool]  # plain git falls into the trap
    expect: Mapping[str, int] = field(default_factory=dict)  # exit codes other than the usual


# A partial clone with a blob missing: every command that needs the blob must refuse (3), never
# fetch it; the others still find every key.
REFUSE_MISSING = {"history": 3, "history URL": 3, "pre-push": 3, "baseline --history": 3}

ROWS = (
    Row("fsmonitor", fsmonitor, fires("git", "status")),
    Row("hooks", hooks, fires("git", "commit", "-q", "--allow-empty", "-m", "x")),
    Row("hooksPath", hooks_path, fires("git", "commit", "-q", "--allow-empty", "-m", "x")),
    Row("diff.external", diff_external, fires("git", "diff", "HEAD~1")),
    Row("textconv", textconv, fires("git", "log", "-p", "-1")),
    Row("filter clean", filter_with("clean"), fires("git", "diff-files")),
    Row("filter smudge", filter_with("smudge"), fires("sh", "-c", "rm README && git checkout -- README")),
    Row("filter process", filter_with("process", required=True), fires("git", "diff-files")),
    Row("racy index", racy_gitattributes, fires("git", "diff-files")),
    Row("pager", pager, fires("git", "log", "-1", tty=True)),
    Row("sshCommand", ssh_command, fires("sh", "-c", MISSING), REFUSE_MISSING),
    Row("askPass", ask_pass, fires("sh", "-c", CREDENTIAL)),
    Row("include.path", include_path, fires("git", "diff-files")),
    Row("includeIf", include_if, fires("git", "diff-files")),
    Row("gitfile", gitfile, fires("git", "diff-files")),
    Row("alternates", alternates, fires("git", "rev-list", "--alternate-refs")),
    # A clone's source serves its grafted history, whose commits lack objects: refused, never clean.
    Row("grafts", grafts, hides_key_a, {"history URL": 3}),
    Row("replace refs", replace_refs, hides_key_a),
    Row("uploadpack", upload_pack, fires("sh", "-c", MISSING), REFUSE_MISSING),
    Row("remote helper alias", remote_helper_alias, fires("sh", "-c", MISSING), REFUSE_MISSING),
    Row("showSignature", signature, fires("git", "log", "-1")),
    Row("submodule", submodule, fires("git", "diff-files")),
)


# ---- the template, built once per row ------------------------------------------------------


@pytest.fixture(scope="module")
def ordinary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ordinary repository every row starts from (three commits, a staged change), made once:
    each row's `build` copies it and plants its trap in the copy."""
    root = tmp_path_factory.mktemp("ordinary")
    home = root / "home"
    home.mkdir()
    repo = GitRepo.init(root / "repo", home)
    # A detect-secrets baseline of nothing (keylatch in this process: its process is not the subject).
    repo.write("README", "nothing\n")
    made = in_process(
        ("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector", "README"),
        repo.path, dict(repo.env, PYTHONPATH=str(SRC)), None,
    )  # fmt: skip
    assert made.code == 0, made.err
    repo.write("README", "hello\n")
    repo.write("config.py", f"ADMIN_KEY = '{KEY_C}'\n")
    repo.write(DS_BASELINE, made.out)
    repo.commit("init")
    repo.write("settings.py", f"API = 'x'\nOPENAI_API_KEY = '{KEY_A}'\n")
    repo.commit("settings", author="bob")
    repo.write("settings.py", "API = 'x'\nOPENAI_API_KEY = None\n")
    repo.write("docs.md", "# docs\n")
    repo.commit("rotate")
    repo.write("staged.py", f"TOKEN = '{KEY_B}'\n")
    # A staged change to a file whose key HEAD already holds: `staged` reads HEAD's version of it.
    repo.write("config.py", f"ADMIN_KEY = '{KEY_C}'\nDEBUG = False\n")
    repo.git("add", "staged.py", "config.py")
    return repo.path


def build(root: Path, row: Row, ordinary: Path) -> Lab:
    home = root / "home"
    home.mkdir()
    marker = root / "PWNED"
    evil = root / "evil.sh"
    evil.write_text(f'#!/bin/sh\necho "$0 $*" >> \'{marker}\'\n[ "$1" = --filter ] && exec cat\nexit 0\n')
    evil.chmod(0o755)
    repo = GitRepo(copy_tree(ordinary, root / "repo"), git_env(home))
    lab = Lab(row, root, repo, evil, marker)
    row.plant(lab)
    # Every row gets a racy index: each git that compares the work tree re-hashes every file.
    lab.config(core__checkStat="minimal", core__trustctime="false")
    os.utime(lab.git_dir() / "index", (RACY_TIME, RACY_TIME))
    return lab


def cell(lab: Lab, dest: Path) -> Path:
    """A private copy of the template's repository (and of a .git file's target)."""
    copy_tree(lab.repo.path, dest / "repo")
    gitfile = dest / "repo" / ".git"
    if gitfile.is_file():
        copy_tree(lab.root / "elsewhere.git", dest / "elsewhere.git")
        gitfile.write_text(f"gitdir: {dest / 'elsewhere.git'}\n")
    return dest / "repo"


@pytest.fixture(scope="module", params=ROWS, ids=[r.name for r in ROWS])
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, ordinary: Path) -> Lab:
    row: Row = request.param
    made = build(tmp_path_factory.mktemp(row.name.replace(" ", "-")), row, ordinary)
    scratch = tmp_path_factory.mktemp("armed")
    copy = cell(made, scratch)
    assert row.armed(made, copy), f"{row.name}: plain git is not caught by the trap"
    made.marker.unlink(missing_ok=True)
    # Every cell is a copy of this repository, so its commits are these: listed once per row.
    return replace(made, commits=tuple(real_commits(made.repo.path, made.repo.env)))


# ---- the commands ----------------------------------------------------------------------------


def real_commits(repo: Path, env: Mapping[str, str]) -> list[str]:
    """root ... HEAD as they really are (grafts and replace refs ignored), for ranges and pushes."""
    env = dict(env, GIT_GRAFT_FILE=os.devnull)
    out = subprocess.run(
        ["git", "--no-replace-objects", "rev-list", "--reverse", "--first-parent", "HEAD"],
        cwd=repo, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.split()


def shown(*keys: str) -> Callable[[str], bool]:
    """Whether every key appears in `out` as keylatch redacts it."""
    return lambda out: all(scan_text(k)[0].secret.redacted in out for k in keys)


def fingerprints(*keys: str) -> set[str]:
    return {hashlib.sha256(k.encode()).hexdigest() for k in keys}


def baseline_holds(path: Path, *keys: str) -> bool:
    entries = json.loads(path.read_text())["entries"]
    return {e["fingerprint"] for e in entries} == fingerprints(*keys)


class Outcome(NamedTuple):
    code: int
    found: bool  # every key this command can see is in what it reported or wrote
    output: str


def scan(kl: RunKeylatch, repo: Path, commits: list[str]) -> Outcome:
    r = kl("scan", ".", "--no-color", cwd=repo)
    return Outcome(r.code, shown(KEY_B, KEY_C)(r.out), r.out + r.err)


def history(kl: RunKeylatch, repo: Path, commits: list[str]) -> Outcome:
    r = kl("history", ".", "--no-color", cwd=repo)
    return Outcome(r.code, shown(KEY_A, KEY_C)(r.out), r.out + r.err)


def history_url(kl: RunKeylatch, repo: Path, commits: list[str]) -> Outcome:
    r = kl("history", f"file://{repo}", "--no-color", cwd=repo.parent)
    return Outcome(r.code, shown(KEY_A, KEY_C)(r.out), r.out + r.err)


def staged(kl: RunKeylatch, repo: Path, commits: list[str]) -> Outcome:
    r = kl("staged", "--no-color", cwd=repo)
    return Outcome(r.code, shown(KEY_B, KEY_C)(r.out + r.err), r.out + r.err)


def pre_push(kl: RunKeylatch, repo: Path, commits: list[str]) -> Outcome:
    line = f"refs/heads/main {commits[-1]} refs/heads/main {'0' * 40}\n"
    r = kl("pre-push", "origin", "git@example.invalid:x.git", "--no-color", cwd=repo, input=line)
    return Outcome(r.code, shown(KEY_A, KEY_C)(r.out + r.err), r.out + r.err)


def ci(kl: RunKeylatch, repo: Path, commits: list[str]) -> Outcome:
    r = kl("ci", "--range", f"{commits[0]}..{commits[-1]}", "--no-color", cwd=repo)
    return Outcome(r.code, shown(KEY_A)(r.out), r.out + r.err)


def baseline(kl: RunKeylatch, repo: Path, commits: list[str]) -> Outcome:
    made = kl("baseline", "create", "--reason", "matrix", cwd=repo)
    if made.code != 0:
        return Outcome(made.code, False, made.out + made.err)
    check = kl("baseline", "check", cwd=repo)
    found = baseline_holds(repo / ".keylatch-baseline.json", KEY_B, KEY_C)
    return Outcome(check.code, found, made.err + check.out + check.err)


def baseline_history(kl: RunKeylatch, repo: Path, commits: list[str]) -> Outcome:
    r = kl("baseline", "create", "--history", "--file", "history.json", cwd=repo)
    found = r.code == 0 and baseline_holds(repo / "history.json", KEY_A, KEY_C)
    return Outcome(r.code, found, r.out + r.err)


def ds_scan_audit(kl: RunKeylatch, repo: Path, commits: list[str]) -> Outcome:
    r = kl("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector", cwd=repo)
    if r.code != 0:
        return Outcome(r.code, False, r.out + r.err)
    results = json.loads(r.out)["results"]
    hashes = {x["hashed_secret"] for xs in results.values() for x in xs if x["type"] == OURS}
    (repo / "scanned.baseline").write_text(r.out)
    audit = kl("detect-secrets", "audit", "--report", "scanned.baseline", cwd=repo)
    reported = [e for e in json.loads(audit.out or "{}").get("results", []) if OURS in e["types"]]
    found = hashes == {hashlib.sha1(k.encode()).hexdigest() for k in (KEY_B, KEY_C)} and len(reported) == 2
    return Outcome(audit.code, found, r.err + audit.err)


def ds_hook(kl: RunKeylatch, repo: Path, commits: list[str]) -> Outcome:
    r = kl("detect-secrets", "hook", "--baseline", DS_BASELINE, "config.py", "staged.py", cwd=repo)
    return Outcome(r.code, "config.py:1" in r.out and "staged.py:1" in r.out, r.out + r.err)


@dataclass(frozen=True)
class Command:
    run: Callable[[RunKeylatch, Path, list[str]], Outcome]
    usual: int  # its exit code on this repository when all is well


COMMANDS = {
    "scan": Command(scan, 1),
    "history": Command(history, 1),
    "history URL": Command(history_url, 1),
    "staged": Command(staged, 1),
    "pre-push": Command(pre_push, 1),
    "ci": Command(ci, 1),
    "baseline create+check": Command(baseline, 0),
    "baseline --history": Command(baseline_history, 0),
    "detect-secrets scan+audit": Command(ds_scan_audit, 0),
    "detect-secrets hook": Command(ds_hook, 1),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_hostile_repository(lab: Lab, command: str, tmp_path: Path, keylatch: RunKeylatch) -> None:
    lab.marker.unlink(missing_ok=True)
    repo = cell(lab, tmp_path)
    expect = lab.row.expect.get(command, COMMANDS[command].usual)

    code, found, output = COMMANDS[command].run(keylatch, repo, list(lab.commits))

    assert not lab.marker.exists(), f"payload ran: {lab.marker.read_text()}"
    assert code == expect, output
    assert found or expect == 3, output


# The cells above run each command in this process (tests/helpers/run.py). The hooks also run as a
# real child here, on the row whose included config plants a payload in most places git looks.
HOOK_COMMANDS = ("staged", "pre-push", "detect-secrets hook")


@pytest.mark.parametrize("lab", [r for r in ROWS if r.name == "include.path"], indirect=True, ids=lambda r: r.name)
@pytest.mark.parametrize("command", HOOK_COMMANDS)
def test_hooks_in_a_child_process(lab: Lab, command: str, tmp_path: Path, keylatch_process: RunKeylatch) -> None:
    lab.marker.unlink(missing_ok=True)
    repo = cell(lab, tmp_path)
    code, found, output = COMMANDS[command].run(keylatch_process, repo, list(lab.commits))
    assert not lab.marker.exists(), f"payload ran: {lab.marker.read_text()}"
    assert (code, found) == (COMMANDS[command].usual, True), output
