"""A `git` first on PATH that logs each process keylatch starts, then execs the real one.

Each line: GIT_CONFIG_NOSYSTEM, GIT_CONFIG_COUNT, then the arguments, so a test can check both
how many processes ran and that each ran with sources/gitcmd.py's hardening.
"""

from __future__ import annotations

import collections
import os
import shutil
from pathlib import Path

DRIVER_LISTING = "^(alias|filter|diff|merge|difftool|mergetool|remote|submodule)\\."
HARDENED = "-c core.fsmonitor=false"


def counting_git(where: Path) -> tuple[dict[str, str], Path]:
    """(environment putting the logging `git` first on PATH, its log) in directory `where`."""
    real = shutil.which("git")
    assert real is not None
    bindir, log = where / "counting-bin", where / "git-processes.log"
    bindir.mkdir()
    wrapper = bindir / "git"
    wrapper.write_text(
        "#!/bin/sh\n"
        'printf \'%s %s %s\\n\' "${GIT_CONFIG_NOSYSTEM:-no}" "${GIT_CONFIG_COUNT:-0}" "$*" \\\n'
        '  >> "$KEYLATCH_TEST_GIT_LOG"\n'
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(0o755)
    env = {"PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}", "KEYLATCH_TEST_GIT_LOG": str(log)}
    return env, log


def logged(log: Path) -> list[tuple[str, str, str]]:
    """(GIT_CONFIG_NOSYSTEM, GIT_CONFIG_COUNT, arguments) of each process, in order."""
    if not log.exists():
        return []
    out = []
    for line in log.read_text().splitlines():
        nosystem, count, args = line.split(" ", 2)
        out.append((nosystem, count, args))
    return out


def subcommand(args: str) -> str:
    """The git subcommand of `args` (after the options); the driver listing as
    `config --get-regexp (drivers)`."""
    words = [w for w in args.split(" ") if w]
    i = 0
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in ("-c", "-C") else 1
    name = words[i]
    return "config --get-regexp (drivers)" if name == "config" and DRIVER_LISTING in args else name


def counted(log: Path) -> collections.Counter[str]:
    """The hardened processes (keylatch's, not a test's own git) by subcommand."""
    return collections.Counter(subcommand(args) for _, _, args in logged(log) if HARDENED in args)
