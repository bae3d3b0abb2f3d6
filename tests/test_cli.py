"""cli.py: only the requested command's module is imported, yet help and errors list them all."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from keylatch.cli import requested_command
from keylatch.commands import COMMAND_MODULES
from tests.helpers.gitrepo import GitRepo, git_env
from tests.helpers.run import SRC, RunKeylatch


def test_requested_command() -> None:
    assert requested_command(["staged", "a.py"]) == "staged"
    assert requested_command(["--debug", "pre-push", "origin"]) == "pre-push"
    assert requested_command(["--help", "staged"]) is None
    assert requested_command(["stagd"]) is None
    assert requested_command([]) is None


def test_help_and_errors_still_list_every_command(keylatch: RunKeylatch, tmp_path: Path) -> None:
    res = keylatch("--help", cwd=tmp_path)
    assert res.code == 0
    assert all(name.replace("_", "-") in res.out for name in COMMAND_MODULES)
    res = keylatch("stagd", cwd=tmp_path)
    assert res.code == 2 and "invalid choice: 'stagd'" in res.err and "install-hook" in res.err
    res = keylatch("staged", "--help", cwd=tmp_path)
    assert res.code == 0 and res.out.startswith("usage: keylatch staged")


def test_hook_command_imports_no_other_command_and_no_logging(tmp_path: Path, keylatch: RunKeylatch) -> None:
    res = keylatch("staged", "--bogus", cwd=tmp_path)  # parsed (and rejected) by staged's own parser
    assert res.code == 2 and "unrecognized arguments: --bogus" in res.err
    probe = (
        "import sys; from keylatch.cli import main\n"
        "try:\n    main(['staged'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('keylatch.commands.') or m == 'logging'))"
    )
    env = git_env(tmp_path)
    env["PYTHONPATH"] = str(SRC)
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert out.stdout.strip() == "['keylatch.commands.staged']", out.stdout + out.stderr


def test_a_clean_commit_loads_nothing_heavy(make_repo: Callable[..., GitRepo]) -> None:
    # The pre-commit hook runs on every commit: GitPython (~110 ms), detect-secrets (~170 ms),
    # requests, regex and dataclasses (~10 ms: inspect, ast, dis) must stay off its path.
    repo = make_repo()
    for i in range(10):
        repo.write(f"f{i}.py", f"value = {i}\n")
    repo.git("add", "-A")
    # typing (~2.6 ms) too: the hook's records are collections.namedtuple at run time; argparse
    # (~2 ms): the hook's usual arguments are read by staged.plain_args. `-S`: no
    # site-packages, as in the venv pre-commit builds (a .pth file there may load typing).
    probe = (
        "import sys; before = set(sys.modules); from keylatch.cli import main\n"
        "code = main(['staged'])\n"
        "heavy = ('git', 'detect_secrets', 'requests', 'regex', 'dataclasses', 'yaml', 'logging', 'typing',\n"
        "         'argparse')\n"
        "print(code, sorted(m for m in heavy if m in set(sys.modules) - before))"
    )
    env = dict(repo.env, PYTHONPATH=str(SRC))
    out = subprocess.run(
        [sys.executable, "-S", "-c", probe], cwd=repo.path, env=env, capture_output=True, text=True, check=False
    )
    assert out.stdout.strip() == "0 []", out.stdout + out.stderr
