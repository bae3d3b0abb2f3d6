"""A `git` first on PATH that logs each hardened process keylatch starts, then execs the real one.

Only processes carrying sources/gitcmd.py's hardening (`-c core.fsmonitor=false`) are logged,
so a test's own git (building or damaging a repository) is not counted.
"""

from __future__ import annotations

import collections
import os
import shutil
from pathlib import Path

DRIVER_LISTING = "^(alias|filter|diff|merge|difftool|mergetool|remote|submodule)\\."


def counting_git(where: Path) -> tuple[dict[str, str], Path]:
    """(environment putting the logging `git` first on PATH, its log) in directory `where`."""
    real = shutil.which("git")
    assert real is not None
    bindir, log = where / "counting-bin", where / "git-processes.log"
    bindir.mkdir()
    wrapper = bindir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        'case "$*" in *core.fsmonitor=false*) printf \'%s\\n\' "$*" >> "$KEYLATCH_TEST_GIT_LOG";; esac\n'
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "KEYLATCH_TEST_GIT_LOG": str(log)}
    return env, log


def counted(log: Path) -> collections.Counter[str]:
    """Each logged process by subcommand; the driver listing as `config --get-regexp (drivers)`."""
    out: collections.Counter[str] = collections.Counter()
    if not log.exists():
        return out
    for args in log.read_text().splitlines():
        words = [w for w in args.split(" ") if w]
        i = 0
        while i < len(words) and words[i].startswith("-"):
            i += 2 if words[i] in ("-c", "-C") else 1
        name = words[i]
        out["config --get-regexp (drivers)" if name == "config" and DRIVER_LISTING in args else name] += 1
    return out
