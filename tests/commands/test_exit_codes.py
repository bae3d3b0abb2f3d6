"""One error, one exit code, in every command (README, "Exit codes").

2: what the user named is wrong: not a repository, a revision or branch that does not exist, a
path that does not exist, a configuration that is not valid. 3: what exists could not be read
completely. Each error is one `keylatch: error: ...` line, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, replayed
from tests.helpers.run import Result, RunKeylatch

MakeRepo = Callable[..., GitRepo]
KEY = make_key("sk-proj-", seed=81)


@dataclass(frozen=True)
class Setup:
    repo: GitRepo
    plain: Path  # a directory in no repository
    base: str  # the commit before the last one
    head: str


def _base_then_key(repo: GitRepo) -> tuple[str, str]:
    repo.write("README.md", "app\n")
    base = repo.commit("base")
    repo.write("app.py", f'KEY = "{KEY}"\n')
    return base, repo.commit("a key")


@pytest.fixture
def setup(make_repo: MakeRepo, tmp_path: Path) -> Setup:
    repo = make_repo()
    base, head = replayed(repo, _base_then_key)  # built once per session, copied per test
    plain = tmp_path / "plain"
    plain.mkdir()
    return Setup(repo, plain, base, head)


def no_repo(s: Setup) -> Path:
    return s.plain


def in_repo(s: Setup) -> Path:
    return s.repo.path


def bad_config(s: Setup) -> Path:
    """The repository's configuration is not valid: committed (so ci's range has it) and staged."""
    s.repo.write(".keylatch.yaml", "bogus: 1\n")
    s.repo.write("app.py", f'KEY = "{KEY}"\nOTHER = "{make_key("sk-proj-", seed=82)}"\n')
    s.repo.commit("bad config")
    s.repo.write("more.py", f'KEY = "{make_key("sk-proj-", seed=83)}"\n')
    s.repo.git("add", "more.py")
    return s.repo.path


def damaged(s: Setup) -> Path:
    """The last commit's blob is gone (and so is a staged one): what exists cannot be read."""
    blob = s.repo.git("rev-parse", f"{s.head}:app.py")
    (s.repo.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    s.repo.write("staged.py", "x = 1\n")
    s.repo.git("add", "staged.py")
    staged = s.repo.git("rev-parse", ":staged.py")
    (s.repo.path / ".git" / "objects" / staged[:2] / staged[2:]).unlink()
    return s.repo.path


RANGE = "{base}..{head}"
# Commands that report what they could read of a damaged repository before the error.
REPORT_THE_REST = ("history", "ci", "pre-push")
# (error kind, where it runs, the command, exit code, what the message must name)
CASES: list[tuple[str, Callable[[Setup], Path], tuple[str, ...], int, str]] = [
    ("not a repository", no_repo, ("history",), 2, "not a git repository"),
    ("not a repository", no_repo, ("ci", "--range", "a..b"), 2, "not a git repository"),
    ("not a repository", no_repo, ("staged",), 2, "not a git repository"),
    ("not a repository", no_repo, ("pre-push",), 2, "not a git repository"),
    ("not a repository", no_repo, ("baseline", "create", "--history"), 2, "not a git repository"),
    ("not a repository", no_repo, ("install-hook",), 2, "not a git repository"),
    ("bad revision", in_repo, ("history", "--range", "nope..HEAD"), 2, "'nope' is not a commit"),
    ("bad revision", in_repo, ("history", "--range", "HEAD..nope"), 2, "'nope' is not a commit"),
    ("bad revision", in_repo, ("history", "--since", "nope"), 2, "'nope' is neither a commit"),
    ("bad revision", in_repo, ("history", "--range", "README.md..HEAD"), 2, "'README.md' is not a commit"),
    ("bad revision", in_repo, ("ci", "--range", "nope..HEAD"), 2, "'nope' is not a commit"),
    ("bad revision", in_repo, ("ci", "--range", "HEAD..nope"), 2, "'nope' is not a commit"),
    ("bad revision", in_repo, ("ci", "--since", "nope"), 2, "'nope' is not a commit"),
    ("bad revision", in_repo, ("ci", "--range", "nope"), 2, "--range must look like BASE..HEAD"),
    ("bad revision", in_repo, ("ci", "--since", "2024-01-01"), 2, "for a date use `keylatch history --since`"),
    ("bad branch", in_repo, ("history", "--branch", "nope"), 2, "no such branch: nope"),
    ("missing path", in_repo, ("scan", "missing"), 2, "no such file or directory: missing"),
    ("missing path", in_repo, ("history", "missing"), 2, "no such file or directory: missing"),
    ("missing path", in_repo, ("ci", "--repo", "missing", "--range", RANGE), 2, "no such file or directory: missing"),
    ("missing path", in_repo, ("baseline", "create", "missing"), 2, "no such file or directory: missing"),
    ("missing path", in_repo, ("baseline", "check", "--file", "missing.json"), 2, "missing.json does not exist"),
    ("missing path", in_repo, ("staged", "missing.py"), 2, "missing.py: not in the index"),
    ("missing path", in_repo, ("remediate", "missing.json"), 2, "cannot read missing.json"),
    ("missing path", in_repo, ("revoke", "missing.json"), 2, "OPENAI_ADMIN_KEY"),
    ("missing path", in_repo, ("org", "plan", "--repos", "missing.txt"), 2, "cannot read missing.txt"),
    ("missing path", in_repo, ("org", "scan", "missing.jsonl", "--out", "o"), 2, "cannot read plan missing.jsonl"),
    ("missing path", in_repo, ("org", "merge", "missing"), 2, "not a directory: missing"),
    ("missing path", in_repo, ("scan", "--config", "missing.yaml"), 2, "missing.yaml does not exist"),
    ("missing path", in_repo, ("history", "--config", "missing.yaml"), 2, "missing.yaml does not exist"),
    ("missing path", in_repo, ("ci", "--config", "missing.yaml", "--range", RANGE), 2, "missing.yaml does not exist"),
    ("missing path", in_repo, ("baseline", "create", "--config", "missing.yaml"), 2, "missing.yaml does not exist"),
    ("bad config", bad_config, ("scan",), 2, "unknown key 'bogus'"),
    ("bad config", bad_config, ("history",), 2, "unknown key 'bogus'"),
    ("bad config", bad_config, ("ci", "--range", "{base}..HEAD"), 2, "unknown key 'bogus'"),
    ("bad config", bad_config, ("staged",), 2, "unknown key 'bogus'"),
    ("bad config", bad_config, ("pre-push",), 2, "unknown key 'bogus'"),
    ("bad config", bad_config, ("baseline", "create"), 2, "unknown key 'bogus'"),
    ("could not read", damaged, ("history", "--range", RANGE), 3, "is damaged"),
    ("could not read", damaged, ("ci", "--range", RANGE), 3, "is damaged"),
    ("could not read", damaged, ("pre-push",), 3, "is damaged"),
    ("could not read", damaged, ("staged",), 3, "cannot be read"),
]


def one_error_line(r: Result) -> str:
    """The error line, checked to be the only one and the last thing on stderr."""
    assert "Traceback" not in r.err
    errors = [line for line in r.err.splitlines() if line.startswith("keylatch: error: ")]
    assert len(errors) == 1 and r.err.endswith(errors[0] + "\n"), r.err
    return errors[0]


@pytest.mark.parametrize(
    ("kind", "where", "argv", "code", "names"),
    CASES,
    ids=[f"{kind}: {' '.join(argv)}" for kind, _, argv, _, _ in CASES],
)
def test_exit_code_matrix(
    kind: str,
    where: Callable[[Setup], Path],
    argv: tuple[str, ...],
    code: int,
    names: str,
    setup: Setup,
    keylatch: RunKeylatch,
    tmp_path: Path,
) -> None:
    cwd = where(setup)
    args = [a.format(base=setup.base, head=setup.head) for a in argv]
    # No repository above tmp_path may be found; pre-push by hand reads no ref lines.
    r = keylatch(*args, cwd=cwd, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)}, input="")
    assert r.code == code, (kind, r.err)
    if kind == "could not read" and argv[0] in REPORT_THE_REST:
        # A damaged repository is reported as far as it can be read (docs/history.md): each
        # lost object named, then the one line naming the damage, last.
        *_, last = r.err.splitlines()
        assert last.startswith("keylatch: error: ") and names in last, r.err
        assert "is missing or unreadable, needed by app.py" in r.err and "Traceback" not in r.err
        return
    assert names in one_error_line(r)
    assert r.out == ""


def test_every_command_is_in_the_matrix() -> None:
    from keylatch.commands import COMMAND_MODULES

    covered = {argv[0] for _, _, argv, _, _ in CASES}
    # plugin-path takes no input; detect-secrets passes through detect-secrets' own codes.
    assert covered == {c.replace("_", "-") for c in COMMAND_MODULES} - {"plugin-path", "detect-secrets"}
