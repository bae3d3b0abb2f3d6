"""A repository's own settings never switch detection off silently (QA t-qa17 p2, p10).

Each kind of setting that keeps a key out of a report (a baseline entry, `allow-lines`, an allow
comment, an `exclude` glob, a disabled rule) is said by every command that applies it: scan,
history, staged, pre-push, ci and baseline --history. The exit code is the settings' decision
and stays; the run names what they set aside (report/set_aside.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC, Result, RunKeylatch, in_process

MakeRepo = Callable[..., GitRepo]

KEY = make_key("sk-proj-", seed=41)
ADMIN = make_key("sk-admin-", seed=42)

# kind: (config, files the change adds, what the run says when a walk read the files,
#        what it says when the key's place was judged: None = the same)
KINDS: dict[str, tuple[str, dict[str, str], str, str | None]] = {
    "baseline": ("", {"app.py": f'API = "{KEY}"\n'},
                 "1 key not reported, set aside by settings: 1 in the baseline", None),
    "allow-lines": ('allow-lines:\n  - "^ALLOWED ="\n', {"app.py": f'ALLOWED = "{KEY}"\n'},
                    "1 key not reported, set aside by settings: 1 by allow-lines", None),
    "allow-comment": ("", {"app.py": f'API = "{KEY}"  # keylatch:allow\n'},
                      "1 key not reported, set aside by settings: 1 by an allow comment", None),
    "exclude": ('exclude:\n  - "vendor/*"\n', {"vendor/k.py": f'API = "{KEY}"\n'},
                "paths matching exclude globs of the settings not read: 'vendor/*'",
                "1 key not reported, set aside by settings: 1 at excluded paths"),
    "disabled-rule": ("disable:\n  - openai-admin-key\n", {"app.py": f'ADMIN = "{ADMIN}"\n'},
                      "rules disabled by settings: openai-admin-key", None),
}  # fmt: skip

# command: how it is run on the repository, and whether it walks files (scan) or judges places.
COMMANDS = ("scan", "history", "staged", "pre-push", "ci", "baseline --history")


Built = tuple[Path, str]  # a directory holding `repo` and `remote.git`, and the first commit
Templates = Callable[[str, bool], Built]


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    """_build's repositories, each built once per module (a bare remote, a push and, for the
    baseline, a baseline create: the same for every command that reads them), for _repo to copy."""
    built: dict[tuple[str, bool], Built] = {}

    def get(kind: str, staged_only: bool) -> Built:
        if (kind, staged_only) not in built:
            root = tmp_path_factory.mktemp("set-aside")
            (root / "home").mkdir()
            base = _build(lambda name, *a: GitRepo.init(root / name, root / "home", *a), _module_run, kind, staged_only)
            built[kind, staged_only] = root, base
        return built[kind, staged_only]

    return get


def _module_run(*argv: str, cwd: Path) -> Result:
    """`keylatch` for a module-scoped template: in this process, with the same hermetic
    environment and redaction check as the `keylatch` fixture."""
    env = git_env(cwd.parent / "home") | {"PYTHONPATH": str(SRC), "XDG_CACHE_HOME": str(cwd.parent / "cache")}
    res = in_process(argv, cwd, env, None)
    assert_redacted(res.out, res.err)
    return res


def _repo(templates: Templates, tmp_path: Path, home: Path, kind: str, staged_only: bool) -> tuple[GitRepo, str]:
    """A copy of _build's repositories for (kind, staged_only), origin pointing at the copy."""
    root, base = templates(kind, staged_only)
    for name in ("remote.git", "repo"):
        copy_tree(root / name, tmp_path / name)
    config = tmp_path / "repo" / ".git" / "config"
    config.write_text(config.read_text().replace(str(root / "remote.git"), str(tmp_path / "remote.git")))
    return GitRepo(tmp_path / "repo", git_env(home)), base


def _build(make_repo: MakeRepo, keylatch: RunKeylatch, kind: str, staged_only: bool) -> str:
    """A repository whose first commit (on the remote) holds the settings, then the key's change:
    committed, or only staged (kind "none": no settings, a clean change). Returns the first commit."""
    config, files, _, _ = KINDS[kind] if kind != "none" else ("", {"app.py": "x = 1\n"}, "", None)
    remote = make_repo("remote.git", "--bare")
    repo = make_repo("repo")
    repo.write("README", "hello\n")
    if config:
        repo.write(".keylatch.yaml", config)
    if kind == "baseline":  # the team accepted this key: the baseline holds its hash, never the key
        for rel, text in files.items():
            repo.write(rel, text)
        assert keylatch("baseline", "create", "--reason", "accepted", cwd=repo.path).code == 0
        for rel in files:
            (repo.path / rel).unlink()
    base = repo.commit("settings")
    repo.git("remote", "add", "origin", str(remote.path))
    repo.git("push", "-q", "origin", "HEAD:refs/heads/main")
    for rel, text in files.items():
        repo.write(rel, text)
    if staged_only:
        repo.git("add", "-A")
    else:
        repo.commit("the change")
    return base


def _run(keylatch: RunKeylatch, command: str, repo: GitRepo, base: str, *more: str) -> Result:
    where = repo.path
    if command == "scan":
        return keylatch("scan", ".", *more, cwd=where)
    if command == "history":
        return keylatch("history", ".", "--no-cache", *more, cwd=where)
    if command == "staged":
        return keylatch("staged", *more, cwd=where)
    if command == "pre-push":
        return keylatch("pre-push", "origin", *more, cwd=where, input="")
    if command == "ci":
        return keylatch("ci", "--range", f"{base}..HEAD", *more, cwd=where)
    (repo.path / ".keylatch-baseline.json").unlink(missing_ok=True)
    return keylatch("baseline", "create", "--history", "--reason", "r", "--file", "new.json", *more, cwd=where)


def _said(kind: str, command: str) -> str:
    _, _, walked, judged = KINDS[kind]
    return walked if command == "scan" or judged is None else judged


CASES = [
    (kind, command)
    for kind in sorted(KINDS)
    for command in COMMANDS
    if not (kind == "baseline" and command == "baseline --history")  # a baseline is not judged by one
]


@pytest.mark.parametrize(("kind", "command"), CASES)
def test_every_command_says_what_the_settings_set_aside(
    templates: Templates, tmp_path: Path, home: Path, keylatch: RunKeylatch, kind: str, command: str
) -> None:
    repo, base = _repo(templates, tmp_path, home, kind, staged_only=command == "staged")
    res = _run(keylatch, command, repo, base)
    assert res.code == 0, res.err  # the settings' decision stands
    assert f"keylatch: warning: {_said(kind, command)}" in res.err, res.err
    assert KEY not in res.out + res.err and ADMIN not in res.out + res.err


@pytest.mark.parametrize("command", COMMANDS)
def test_nothing_set_aside_says_nothing_more(
    templates: Templates, tmp_path: Path, home: Path, keylatch: RunKeylatch, command: str
) -> None:
    repo, base = _repo(templates, tmp_path, home, "none", staged_only=command == "staged")
    res = _run(keylatch, command, repo, base)
    assert res.code == 0, res.err
    assert "set aside" not in res.err and "not reported" not in res.err
    assert "disabled by settings" not in res.err


def test_a_key_set_aside_beside_a_reported_one_keeps_exit_1(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo = make_repo("repo")
    repo.write("app.py", f'A = "{KEY}"  # keylatch:allow\nB = "{ADMIN}"\n')
    repo.commit("keys")
    for command in ("scan", "history"):
        res = keylatch(command, ".", cwd=repo.path)
        assert res.code == 1
        assert "app.py:2" in res.out and "app.py:1" not in res.out
        assert "1 key not reported, set aside by settings: 1 by an allow comment" in res.err


@pytest.mark.parametrize("command", ["scan", "history", "staged"])
def test_json_carries_the_counts(make_repo: MakeRepo, keylatch: RunKeylatch, command: str) -> None:
    repo = make_repo("repo")
    repo.write(".keylatch.yaml", 'allow-lines:\n  - "^ALLOWED ="\ndisable:\n  - openai-admin-key\n')
    repo.write("app.py", f'ALLOWED = "{KEY}"\nB = "{make_key("sk-proj-", seed=43)}"  # keylatch:allow\n')
    if command == "staged":
        repo.git("add", "-A")
    else:
        repo.commit("keys")
    args = (command, ".") if command != "staged" else (command,)
    res = keylatch(*args, "--format", "json", cwd=repo.path)
    assert res.code == 0, res.err
    doc = json.loads(res.out)
    assert doc["findings"] == []
    aside = doc["set_aside"]
    assert (aside["allow_lines"], aside["allow_comment"], aside["baseline"], aside["excluded"]) == (1, 1, 0, 0)
    assert aside["rules_disabled"] == ["openai-admin-key"]
    kinds = [n["kind"] for n in doc.get("notices", [])]
    assert kinds.count("set-aside") == 1
    assert "set aside" not in res.err  # the report on stdout carries it; stderr does not repeat it


def test_sarif_run_properties_carry_the_counts(make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path) -> None:
    repo = make_repo("repo")
    repo.write("app.py", f'API = "{KEY}"  # keylatch:allow\n')
    res = keylatch("scan", ".", "--format", "sarif", cwd=repo.path)
    assert res.code == 0
    props = json.loads(res.out)["runs"][0]["properties"]
    assert props["keylatchSetAside"]["allow_comment"] == 1
    assert any(n["kind"] == "set-aside" for n in props["keylatchNotices"])


def test_qa_self_approving_repository_is_named(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """QA p2: a repository's own baseline, exclude and allow-lines hid 3 keys from scan and
    history ("no keys found", exit 0, nothing said)."""
    k1, k2, k3 = (make_key(p, seed=s) for p, s in (("sk-proj-", 21), ("sk-admin-", 22), ("sk-proj-", 23)))
    repo = make_repo("repo")
    repo.write("app.py", f"A='{k1}'\n")
    assert keylatch("baseline", "create", "--reason", "x", cwd=repo.path).code == 0
    repo.write("deploy.env", f"B='{k2}'\n")
    repo.write("notes.txt", f"C='{k3}'\n")
    repo.write(".keylatch.yaml", 'exclude:\n  - deploy.env\nallow-lines:\n  - "^C="\n')
    repo.commit("keys and settings")
    scan = keylatch("scan", ".", cwd=repo.path)
    assert scan.code == 0
    assert "2 keys not reported, set aside by settings: 1 in the baseline, 1 by allow-lines" in scan.err
    assert "paths matching exclude globs of the settings not read: 'deploy.env'" in scan.err
    history = keylatch("history", ".", cwd=repo.path)
    assert history.code == 0
    assert (
        "3 keys not reported, set aside by settings: 1 in the baseline, 1 by allow-lines, 1 at excluded paths"
        in history.err
    )


@pytest.mark.parametrize(
    ("config", "said"),
    [
        ('exclude:\n  - "[!M]*"\n', "paths matching exclude globs of the settings not read: '[!M]*'"),
        ('allow-lines:\n  - "sk-"\n', "1 key not reported, set aside by settings: 1 by allow-lines"),
    ],
)
def test_qa_settings_that_pass_the_probe_are_named(
    make_repo: MakeRepo, keylatch: RunKeylatch, config: str, said: str
) -> None:
    """QA p10: `exclude: ["[!M]*"]` and `allow-lines: ["sk-"]` pass the "turns detection off"
    probe; what they set aside is said."""
    repo = make_repo("repo")
    repo.write(".keylatch.yaml", config)
    repo.write("a.py", f"A='{ADMIN}'\n")
    repo.commit("key")
    res = keylatch("scan", ".", cwd=repo.path)
    assert res.code == 0 and said in res.err, res.err
