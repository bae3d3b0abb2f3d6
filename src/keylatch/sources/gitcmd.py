"""The one git runner. Every git process keylatch starts goes through here.

Scanned repositories are hostile: their config (and whatever it includes, including a `.git`
file's target and worktree config) can name hooks, an fsmonitor, filter, diff and merge drivers,
a pager, an askpass, gpg programs, remote upload-pack commands and aliases, all of which run
code. Settings given on git's command line outrank every config file, so each call

- ignores system and global config and never prompts, pages or fetches (SETTINGS, env below);
- overrides each program setting with a fixed name (SETTINGS, as `-c` and in the environment);
- overrides each program setting whose middle name the repository chose (`filter.<n>.clean`,
  ...): one `git config --get-regexp` per Git instance (shared by those `derived()` from it)
  lists the names git itself sees, with includes, and each is neutralised through
  GIT_CONFIG_KEY_n (git >= 2.31), which unlike `-c` takes names holding `=`. git treats an
  empty filter command as "no filter" and an empty diff, merge or tool command as an error,
  never as a program (tests/sources/test_gitcmd.py);
- reads the real object graph: no replace refs, no `info/grafts`;
- refuses a repository whose config includes a file git would wait on (a FIFO, `/dev/stdin`):
  sources/includes.py, checked once per Git instance before its first git process.

`hardened_env()` exports all of it, so the git processes a child tool starts (detect-secrets'
`git ls-files`, `git diff`) are hardened too.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

from keylatch.errors import ScanError
from keylatch.sources import includes

TYPE_CHECKING = False  # pathlib and typing cost the pre-commit hook ~8 ms of imports
if TYPE_CHECKING:
    from pathlib import Path
    from typing import IO

# Every transport git knows. A scan never fetches (a partial clone's lazy fetch runs the
# repository's remote.<n>.uploadpack or, through remote.<n>.vcs, an alias); only `clone` of a
# URL the user gave re-allows them (sources/clone.py).
PROTOCOLS: tuple[str, ...] = ("file", "git", "ssh", "http", "https", "ext")

# (name, value): given as -c, which outranks the repository's config and anything it includes.
SETTINGS: tuple[tuple[str, str], ...] = (
    ("core.fsmonitor", "false"),  # even `git diff --cached` ran a repo's fsmonitor
    ("core.hooksPath", os.devnull),
    ("core.pager", "cat"),
    ("core.askPass", ""),  # empty: no askpass (and GIT_TERMINAL_PROMPT=0: no prompt)
    ("core.sshCommand", "ssh"),
    ("core.alternateRefsCommand", ""),  # empty: "cannot run", never a program
    ("core.editor", "false"),
    ("core.untrackedCache", "false"),
    # The repository's commit-graph file is a cache git trusts for parents and trees without
    # reading the commits: one that lies about a parent cut history short, and `history`
    # called a key on main unreachable, exit 0 (QA t-qa19; tests/e2e/test_qa19_commit_graph.py).
    ("core.commitGraph", "false"),
    ("diff.external", ""),
    ("diff.submodule", "short"),  # `diff=diff` would run git diff inside submodules
    ("diff.ignoreSubmodules", "dirty"),  # porcelain diff/status: never `git status` in a submodule
    ("submodule.recurse", "false"),
    ("credential.helper", ""),  # empty, given last: clears every helper, URL-scoped ones too
    ("log.showSignature", "false"),  # `git log` would run gpg.program on signed commits
    ("gpg.program", "false"),
    ("gpg.openpgp.program", "false"),
    ("gpg.x509.program", "false"),
    ("gpg.ssh.program", "false"),
    ("gpg.ssh.defaultKeyCommand", "false"),
    ("advice.graftFileDeprecated", "false"),  # GIT_GRAFT_FILE=/dev/null below: no hint about it
    ("gc.auto", "0"),  # a scan never repacks the repository it reads
    ("maintenance.auto", "false"),
    ("protocol.allow", "never"),
    *((f"protocol.{p}.allow", "never") for p in PROTOCOLS),
)

# Settings given with -c outrank .git/config, so a hostile repository cannot turn these back on.
HARDENING: tuple[str, ...] = (
    *(arg for name, value in SETTINGS for arg in ("-c", f"{name}={value}")),
    "--no-replace-objects",  # refs/replace/ could hide a key from rev-list
)

# Flags every diff-producing command (diff, log -p, show) must carry: no external diff, no textconv.
NO_DRIVERS: tuple[str, ...] = ("--no-ext-diff", "--no-textconv")

# Program settings under a name the repository chooses: section -> (variable, neutral value).
# A `filter.<n>` whose command is emptied must also stop being required, or git dies instead
# of reading the file unfiltered.
NAMED: dict[str, tuple[tuple[str, str], ...]] = {
    "filter": (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")),
    "diff": (("textconv", ""), ("command", "")),
    "merge": (("driver", ""),),
    "difftool": (("cmd", ""),),
    "mergetool": (("cmd", ""),),
    "remote": (("uploadpack", "git-upload-pack"), ("receivepack", "git-receive-pack")),
    "submodule": (("update", "none"),),  # `update = !cmd` runs cmd on `git submodule update`
}
# `git <name>` resolves to an alias when no git command has that name: remote helpers do.
# extensions.partialclone rides along (no override: it names no program) so that sources/repo.py
# learns from the same listing whether the repository may be a partial clone (Git.config_names),
# and core.bare so that sources/discover.py learns whether git must guess bareness.
_NAMED_QUERY = r"^(alias|" + "|".join(NAMED) + r")\.|^extensions\.partialclone$|^core\.bare$"
# A `-c name=value` under these could name one of those programs (git reads names case-blind).
_NAMED_SECTIONS: tuple[str, ...] = tuple(f"{s}." for s in ("alias", *NAMED))
# Beyond this many driver names the overrides would not fit in an environment: refuse.
MAX_NAMED = 2000

Overrides = tuple[tuple[str, str], ...]

# Variables that tell git which repository, index and objects to use, whatever directory it is
# in. A hook, a script or `git --git-dir` exports them; they are right for the current directory
# (the hooks run `Git(None)`, GIT_INDEX_FILE is how `git commit <paths>` hands them its index),
# and wrong for a repository keylatch was pointed at elsewhere: with GIT_DIR set, `keylatch
# history /other` and `keylatch history URL` (a clone keylatch made) read GIT_DIR's repository
# and called the one named clean (QA t-qa17), while sources/includes.py checked the named one.
LOCATING: tuple[str, ...] = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX", "GIT_IMPLICIT_WORK_TREE",
    "GIT_QUARANTINE_PATH", "GIT_SHALLOW_FILE",
)  # fmt: skip


def _elsewhere(repo: Path | None) -> bool:
    """Whether `git -C repo` runs somewhere other than the current directory."""
    if repo is None:
        return False
    try:
        return os.path.realpath(repo) != os.path.realpath(os.getcwd())
    except OSError:  # the current directory is gone: it is not `repo`
        return True


def _base_env(base: Mapping[str, str] | None, repo: Path | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    if _elsewhere(repo):
        for name in LOCATING:
            env.pop(name, None)
    for name in (
        "GIT_EXTERNAL_DIFF", "GIT_PAGER", "PAGER", "GIT_ASKPASS", "SSH_ASKPASS", "GIT_SSH_COMMAND",
        "GIT_CONFIG",  # would make `git config` read only that file: the driver names would be missed
    ):  # fmt: skip
        env.pop(name, None)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_REPLACE_OBJECTS="1",
        # info/grafts could cut a key's commit out of the history. Ignored without a warning:
        # ignoring grafts (like replace refs) can only show more commits, never fewer, and each
        # finding names a real commit that `git show` displays.
        GIT_GRAFT_FILE=os.devnull,
        GIT_NO_LAZY_FETCH="1",  # git >= 2.39.4; older ones are stopped by protocol.allow=never
        GIT_PAGER="cat",
        PAGER="cat",
        LC_ALL="C",
    )
    return env


def _with_config(env: dict[str, str], settings: Overrides) -> dict[str, str]:
    """Append `settings` to GIT_CONFIG_COUNT/KEY_n/VALUE_n, after any the environment holds, so
    they win over those (git reads them in order, after every config file)."""
    if not settings:
        return env
    try:
        n = int(env.get("GIT_CONFIG_COUNT") or 0)
    except ValueError:
        raise ScanError("GIT_CONFIG_COUNT in the environment is not a number") from None
    for i, (key, value) in enumerate(settings, n):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    env["GIT_CONFIG_COUNT"] = str(n + len(settings))
    return env


def git_argv(repo: Path | None, args: Sequence[str]) -> list[str]:
    head = ["git"] if repo is None else ["git", "-C", str(repo)]
    return [*head, *HARDENING, *args]


def null_id(oid: str | bytes) -> bool:
    """Whether `oid` is git's null id (an absent side: a new ref, a deleted file), in either object
    format (40 zeros for SHA-1, 64 for SHA-256), or empty."""
    return not (oid.strip(b"0") if isinstance(oid, bytes) else oid.strip("0"))


# How many indented lines a reason ending in ":" may take along (one each, joined on one line).
_CONTINUED = 8


def first_line(stderr: bytes) -> str:
    """git's reason for failing: its first fatal/error line, not a hint or warning before it,
    with the indented lines that finish it when it ends in ":" (`unknown repository extension
    found:` and then `\tfoo` on a line of its own: the message ended at the colon, without the
    name; tests/sources/test_polish19_git_reasons.py)."""
    raw = stderr.decode("utf-8", "replace").splitlines()
    lines = [(i, line.strip()) for i, line in enumerate(raw) if line.strip()]
    for prefixes in (("fatal:", "error:"), ("",)):
        for i, line in lines:
            if line.startswith(prefixes) and not line.startswith(("hint:", "warning:")):
                return _finished(line, raw[i + 1 :])
    return lines[0][1] if lines else "git failed with no message"


def _finished(line: str, rest: Sequence[str]) -> str:
    if not line.endswith(":"):
        return line
    more = []
    for cont in rest:
        if not cont[:1].isspace() or not cont.strip():
            break
        more.append(cont.strip())
    shown = ", ".join(more[:_CONTINUED]) + (", ..." if len(more) > _CONTINUED else "")
    return f"{line} {shown}" if more else line


def neutralising(names: Sequence[str]) -> Overrides:
    """The overrides that disarm every program setting among config `names` (`section.sub.var`)."""
    out: dict[str, str] = {}
    for name in names:
        section, _, rest = name.partition(".")
        if section == "alias":
            out[name] = ""  # an empty alias is an error, never a command
            continue
        sub, dot, var = rest.rpartition(".")
        if not dot:
            continue  # no middle name (`diff.external`): SETTINGS has it
        settings = dict(NAMED.get(section, ()))
        if var.lower() in settings:
            out[f"{section}.{sub}.{var}"] = settings[var.lower()]
            if section == "filter":
                out[f"filter.{sub}.required"] = "false"
    if len(out) > MAX_NAMED:
        raise ScanError(f"the repository's config names {len(out)} drivers, aliases or remotes; refusing to run git")
    return tuple(sorted(out.items()))


def configured_programs(repo: Path | None, config: Sequence[str] = ()) -> Overrides:
    """Overrides for every program setting under a chosen name that git sees in `repo` (None:
    the current directory), from its config, included files, a `.git` file's target and
    worktree config alike: git lists them itself, so nothing is missed by parsing them here.

    Raises FileNotFoundError without git, ScanError when git cannot read the config.
    """
    return neutralising(configured_names(repo, config))


def configured_names(
    repo: Path | None, config: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The config names under _NAMED_QUERY that git sees in `repo` (see configured_programs).
    `env`: `_base_env(None, repo)` when the caller has it already."""
    argv = git_argv(repo, [*(a for c in config for a in ("-c", c)), "config", "-z", "--name-only"])
    proc = subprocess.run(
        [*argv, "--get-regexp", _NAMED_QUERY],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        # The same repository as the commands whose drivers it lists.
        env=_base_env(None, repo) if env is None else env,
        check=False,
    )
    if proc.returncode not in (0, 1):  # 1: no such setting
        raise ScanError(f"git config: {first_line(proc.stderr)}")
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return tuple(n for n in names if n)


def hardened_env(base: Mapping[str, str] | None = None, repo: Path | None = None) -> dict[str, str]:
    """The environment for a git process another tool starts in `repo` (None: the current
    directory): SETTINGS and that repository's program overrides as GIT_CONFIG_KEY_n entries,
    which git passes on to every git it starts. Another repository's driver names are not
    covered: pass the one the tool runs git in. Costs one `git config` process; without git
    installed there is no git to harden and only the fixed part is returned."""
    includes.check(None if repo is None else str(repo))
    try:
        named = configured_programs(repo)
    except FileNotFoundError:
        named = ()
    return _with_config(_base_env(base), (*SETTINGS, *named))


class Git:
    """Runs git in one repository (or in the current directory when `repo` is None).

    Not a record: it remembers the repository's program overrides after its first call (one
    `git config` process per instance), so create one per command and pass it along, or derive
    the variants a command needs with `derived()`, which shares them. It remembers its process
    environment too: built from os.environ, the current directory and those overrides, none of
    which a command changes while it runs (keylatch never chdirs or sets os.environ on the way
    to git), and rebuilt for every git process it cost ~0.3 ms (two realpaths, a copy of the
    environment: ~2 s of the test suite).
    """

    __slots__ = ("_base", "_env", "_named", "_names", "config", "repo")

    def __init__(self, repo: Path | None, config: tuple[str, ...] = ()) -> None:
        self.repo = repo
        # Extra `name=value` settings passed with -c after HARDENING (so they win over it), e.g.
        # safe.directory, or the protocol.*.allow=always that `clone` needs.
        self.config = config
        self._named: Overrides | None = None
        self._names: tuple[str, ...] = ()
        self._base: dict[str, str] | None = None  # _base_env(None, repo), read-only once built
        self._env: dict[str, str] | None = None  # _base with the overrides; env() hands out copies

    def __repr__(self) -> str:
        return f"Git({self.repo!r}, config={self.config!r})"

    def argv(self, *args: str) -> list[str]:
        extra = [a for c in self.config for a in ("-c", c)]
        return git_argv(self.repo, (*extra, *args))

    def derived(self, repo: Path | None = None, config: tuple[str, ...] = ()) -> Git:
        """A Git for the same repository with `config` added to (or, with `repo`, replacing) this
        one's settings, sharing its program overrides instead of listing them again.

        `repo`: another path of the same repository, as git itself resolved it (its top, from
        `rev-parse` run by this Git): git reads the same config files there, so the same
        driver names. `config` may not name a driver, alias or remote (those are what the
        overrides are listed for): ValueError, a programming error, never hostile input.
        """
        named = self._overrides()
        if any(c.lower().startswith(_NAMED_SECTIONS) for c in config):
            raise ValueError(f"derived() cannot add program settings: {config!r}")
        out = Git(self.repo if repo is None else repo, config if repo is not None else (*self.config, *config))
        out._named, out._names = named, self._names
        if repo is None:  # the environment depends on the repository's path, not on `config`
            out._base, out._env = self._base, self._env
        return out

    def _base_env(self) -> dict[str, str]:
        if self._base is None:
            self._base = _base_env(None, self.repo)
        return self._base

    def _overrides(self) -> Overrides:
        if self._named is None:
            # Before any git process reads the repository: an include it would wait on is refused.
            includes.check(None if self.repo is None else str(self.repo))
            try:
                names = configured_names(self.repo, self.config, self._base_env())
            except FileNotFoundError as exc:
                raise ScanError("git is not installed or not on PATH") from exc
            self._named, self._names = neutralising(names), names
        return self._named

    def config_names(self) -> tuple[str, ...]:
        """The names of the repository's driver, alias, remote and extensions.partialclone
        settings, as git listed them for the hardening (no git process of its own after the
        first): a caller that asks about these sections may skip git when none is set."""
        self._overrides()
        return self._names

    def env(self) -> dict[str, str]:
        """The process environment: hardened, with this repository's program overrides (a copy:
        the caller may add to it)."""
        if self._env is None:
            overrides = self._overrides()
            self._env = _with_config(dict(self._base_env()), overrides)
        return dict(self._env)

    def run(self, *args: str, input: bytes | None = None, ok_codes: tuple[int, ...] = (0,)) -> bytes:
        """Run git and return stdout; any other exit status raises ScanError with git's message."""
        env = self.env()
        try:
            proc = subprocess.run(
                self.argv(*args),
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True,
                env=env,
                check=False,
            )
        except FileNotFoundError as exc:
            raise ScanError("git is not installed or not on PATH") from exc
        if proc.returncode not in ok_codes:
            raise ScanError(f"git {args[0]}: {first_line(proc.stderr)}")
        return proc.stdout

    def returncode(self, *args: str) -> int:
        """Exit status of a git query whose answer is its status (e.g. `merge-base --is-ancestor`)."""
        env = self.env()
        return subprocess.run(
            self.argv(*args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            check=False,
        ).returncode

    def popen(
        self,
        *args: str,
        stdin: int | None = subprocess.DEVNULL,
        stdout: int | IO[bytes] = subprocess.PIPE,
        stderr: int | IO[bytes] = subprocess.PIPE,
    ) -> subprocess.Popen[bytes]:
        env = self.env()
        return subprocess.Popen(
            self.argv(*args),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            env=env,
        )
