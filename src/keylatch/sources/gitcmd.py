"""The one git runner. Every git process keylatch starts goes through here.

Scanned repositories are hostile: their config can name hooks, an fsmonitor, external diff,
textconv and filter drivers and a pager, all of which run code. Each call therefore ignores
system and global config, disables those settings on the command line (which outranks the
repository's config), and never lets git prompt or page.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from keylatch.errors import ScanError

TYPE_CHECKING = False  # pathlib and typing cost the pre-commit hook ~8 ms of imports
if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO

# Settings given with -c outrank .git/config, so a hostile repository cannot turn these back on.
HARDENING: tuple[str, ...] = (
    "-c", "core.fsmonitor=false",  # even `git diff --cached` ran a repo's fsmonitor
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.pager=cat",
    "-c", "diff.external=",
    "-c", "core.untrackedCache=false",
    "-c", "protocol.ext.allow=never",
    "-c", "protocol.file.allow=always",
    "-c", "core.sshCommand=ssh",
    "-c", "credential.helper=",
    "--no-replace-objects",  # refs/replace/ could hide a key from rev-list
)  # fmt: skip

# Flags every diff-producing command (diff, log -p, show) must carry: no external diff, no textconv.
NO_DRIVERS: tuple[str, ...] = ("--no-ext-diff", "--no-textconv")


def hardened_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    for name in ("GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_SSH_COMMAND"):
        env.pop(name, None)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_PAGER="cat",
        PAGER="cat",
        LC_ALL="C",
    )
    return env


def git_argv(repo: Path | None, args: Sequence[str]) -> list[str]:
    head = ["git"] if repo is None else ["git", "-C", str(repo)]
    return [*head, *HARDENING, *args]


def first_line(stderr: bytes) -> str:
    for line in stderr.decode("utf-8", "replace").splitlines():
        if line.strip():
            return line.strip()
    return "git failed with no message"


@dataclass(frozen=True, slots=True)
class Git:
    """Runs git in one repository (or in no repository when `repo` is None)."""

    repo: Path | None
    # Extra `name=value` settings passed with -c after HARDENING (so they win over it), e.g. the
    # protocol.*.allow=never set that keeps a partial clone from fetching (sources/history.py).
    config: tuple[str, ...] = ()

    def argv(self, *args: str) -> list[str]:
        extra = [a for c in self.config for a in ("-c", c)]
        return git_argv(self.repo, (*extra, *args))

    def run(self, *args: str, input: bytes | None = None, ok_codes: tuple[int, ...] = (0,)) -> bytes:
        """Run git and return stdout; any other exit status raises ScanError with git's message."""
        try:
            proc = subprocess.run(
                self.argv(*args),
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True,
                env=hardened_env(),
                check=False,
            )
        except FileNotFoundError as exc:
            raise ScanError("git is not installed or not on PATH") from exc
        if proc.returncode not in ok_codes:
            raise ScanError(f"git {args[0]}: {first_line(proc.stderr)}")
        return proc.stdout

    def returncode(self, *args: str) -> int:
        """Exit status of a git query whose answer is its status (e.g. `merge-base --is-ancestor`)."""
        return subprocess.run(
            self.argv(*args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=hardened_env(),
            check=False,
        ).returncode

    def popen(
        self,
        *args: str,
        stdin: int | None = subprocess.DEVNULL,
        stdout: int | IO[bytes] = subprocess.PIPE,
        stderr: int | IO[bytes] = subprocess.PIPE,
    ) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.argv(*args),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=hardened_env(),
        )
