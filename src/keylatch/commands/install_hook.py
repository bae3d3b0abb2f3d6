"""`keylatch install-hook`: plain git hooks (no pre-commit framework) that chain an existing hook.

A hook that is already there is kept as `<hook>.pre-keylatch` and runs first, with the same
arguments and stdin; keylatch runs only if it passes. Reinstalling updates keylatch's script in
place and never moves the chained hook twice.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from pathlib import Path

from keylatch.errors import ExitCode, ScanError, UsageError, printable

HELP = "install plain git pre-commit and pre-push hooks that run keylatch (chaining existing hooks)"

MARKER = "# installed by keylatch install-hook"
CHAINED_SUFFIX = ".pre-keylatch"
COMMANDS = {"pre-commit": "staged", "pre-push": "pre-push"}

# pre-push reads its ref lines from stdin and both hooks in the chain need them: save them once.
_SCRIPT = """#!/bin/sh
{marker}
# The hook that was here before is kept as {name}{suffix} and runs first.
# Remove keylatch: delete this file and rename {name}{suffix} back to {name}.
python={python}
if [ ! -x "$python" ]; then
    echo "keylatch: error: $python is gone; reinstall with: keylatch install-hook" >&2
    exit 3
fi
chained="$(dirname "$0")/{name}{suffix}"
# Not `python -m keylatch`: that puts the current directory (the repository, which may be
# hostile) first on sys.path, so a `keylatch/` directory there would run instead.
run='import sys; del sys.path[0]; from keylatch.cli import main; sys.exit(main())'
{body}"""
_PLAIN = """if [ -x "$chained" ]; then
    "$chained" "$@" || exit $?
fi
exec "$python" -c "$run" {command} "$@"
"""
_WITH_STDIN = """input=$(mktemp "${{TMPDIR:-/tmp}}/keylatch.XXXXXX") || exit 3
trap 'rm -f "$input"' EXIT
cat > "$input"
if [ -x "$chained" ]; then
    "$chained" "$@" < "$input" || exit $?
fi
"$python" -c "$run" {command} "$@" < "$input"
"""


# husky's hooks run by their own file name (v9's `h` and v4's `husky.sh` read `basename "$0"`):
# kept as pre-commit.pre-keylatch, the user's .husky/pre-commit silently stopped running, and
# husky rewrites its directory on every `npm install`, silently removing keylatch's hook.
_HUSKY_SOURCED = re.compile(r'\.\s+"\$\(dirname\s+(?:--\s+)?"\$0"\)/(?:_/)?(?:h|husky\.sh)"')


class Args(argparse.Namespace):
    hook: list[str]
    hooks_dir: Path | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--hook",
        action="append",
        choices=sorted(COMMANDS),
        help="which hook to install (repeatable; default: both)",
    )
    parser.add_argument(
        "--hooks-dir", type=Path, metavar="DIR",
        help="install into DIR (a core.hooksPath outside the repository is used only when named here)",
    )  # fmt: skip


def script(name: str, python: str) -> str:
    body = (_WITH_STDIN if name == "pre-push" else _PLAIN).format(command=COMMANDS[name])
    return _SCRIPT.format(marker=MARKER, name=name, suffix=CHAINED_SUFFIX, python=shlex.quote(python), body=body)


def hooks_dir(repo: Path | None) -> Path:
    """Where git looks for this repository's hooks (core.hooksPath, else <common dir>/hooks)."""
    from keylatch.sources.gitcmd import Git

    git = Git(repo)
    # The runner overrides core.hooksPath on its command line, so read the files themselves.
    top = Path(git.run("rev-parse", "--show-toplevel").decode().strip())
    common = Path(git.run("rev-parse", "--path-format=absolute", "--git-common-dir").decode().strip())
    local = git.run("config", "--file", str(common / "config"), "--get", "core.hooksPath", ok_codes=(0, 1))
    if local.strip():
        named = local.decode().strip()
        directory = top / os.path.expanduser(named)
        if not any(_inside(directory, root) for root in (top, common)):
            # A repository's own config must not make keylatch write files elsewhere (a cloned
            # repository, a shared bin directory): as `pre-commit install`, refuse (QA t-qa17 p19).
            raise UsageError(
                f"core.hooksPath of this repository points outside it ({printable(named, 200)}): not writing "
                "hooks there; to install there deliberately, name it: keylatch install-hook --hooks-dir DIR"
            )
        return directory
    user_config = os.environ.get("GIT_CONFIG_GLOBAL") or os.path.expanduser("~/.gitconfig")
    if os.path.isfile(user_config):
        glob = git.run("config", "--file", user_config, "--get", "core.hooksPath", ok_codes=(0, 1)).decode().strip()
        if glob:
            raise UsageError(
                f"core.hooksPath is set in {user_config} ({glob}), so git ignores this repository's hooks; "
                "run `git config core.hooksPath .git/hooks` here first, or call keylatch from that directory"
            )
    return common / "hooks"


def _inside(path: Path, root: Path) -> bool:
    """`path` is `root` or below it once symlinks are resolved (a `.githooks` link can lead out)."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def check_not_husky(directory: Path, names: list[str]) -> None:
    """A UsageError when husky manages `directory`: its hooks cannot be chained under another
    name, and keylatch's would not survive husky's next install. Say where keylatch goes instead."""
    parts = directory.absolute().parts
    husky = parts[-1:] == (".husky",) or parts[-2:] == (".husky", "_")
    husky = husky or (directory / "husky.sh").is_file() or _mentions_husky(directory / "h")
    for name in names:
        hook = directory / name
        husky = husky or (not _ours(hook) and _HUSKY_SOURCED.search(_text(hook)) is not None)
    if husky:
        raise UsageError(
            f"{printable(str(directory), 200)} is managed by husky, which rewrites these hooks on install and "
            "runs each by its own name: add `keylatch staged` to .husky/pre-commit and "
            '`keylatch pre-push "$@"` to .husky/pre-push instead'
        )


def _text(path: Path) -> str:
    if not path.is_file():  # a FIFO or a device is never opened
        return ""
    try:
        with path.open("rb") as fh:  # a hook is a small script: its head is enough
            return fh.read(1 << 16).decode("utf-8", "replace")
    except OSError:
        return ""


def _ours(hook: Path) -> bool:
    return MARKER in _text(hook)


def _mentions_husky(path: Path) -> bool:
    return "husky" in _text(path).lower()


def install(directory: Path, name: str, python: str) -> str:
    """Write the hook; returns what happened, for the one-line report."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    chained = directory / f"{name}{CHAINED_SUFFIX}"
    note = "installed"
    if path.exists() or path.is_symlink():
        ours = MARKER in path.read_text(errors="replace") if path.is_file() else False
        if ours:
            note = "updated"
        elif chained.exists() or chained.is_symlink():
            raise UsageError(f"{path} exists and so does {chained.name}: move one of them away first")
        else:
            path.rename(chained)
            note = f"installed (existing hook kept as {chained.name}, runs first)"
    path.write_text(script(name, python))
    path.chmod(0o755)
    return note


def run(args: Args) -> ExitCode:
    from keylatch.sources.revs import not_a_repo

    try:
        directory = args.hooks_dir.absolute() if args.hooks_dir else hooks_dir(None)
    except ScanError as exc:
        raise not_a_repo(exc, Path.cwd()) from exc  # outside a repository: exit 2, as everywhere
    names = args.hook or sorted(COMMANDS)
    check_not_husky(directory, names)
    for name in names:
        try:
            note = install(directory, name, sys.executable)
        except OSError as exc:
            # Where the hooks go is the user's to fix (a core.hooksPath that is a file, a
            # read-only directory): exit 2 with the place, as `-o FILE` does, not a traceback.
            where = printable(str(exc.filename or directory / name), 300)
            raise UsageError(f"cannot install the {name} hook: {where}: {exc.strerror or exc}") from exc
        print(f"keylatch: {name} hook {note}: {directory / name}")
    return ExitCode.CLEAN
