"""`keylatch detect-secrets scan|hook|audit ...`: detect-secrets with keylatch's plugin registered.

Everything after the action is detect-secrets' own arguments. Compared with stock detect-secrets
plus `--plugin`, baselines carry no machine-specific plugin path, the hook exits 3 instead of 0
when a plugin cannot load, audit works with the plugin, and `audit --report` is redacted unless
`--show-secrets` is given. detect-secrets is imported only here in `run`, through the adapter.
"""

from __future__ import annotations

import argparse
import os
import sys

from keylatch.errors import ExitCode, ScanError

HELP = "run detect-secrets (scan, hook, audit) with keylatch's plugin and portable baselines"

ACTIONS = ("scan", "hook", "audit")


class Args(argparse.Namespace):
    action: str
    args: list[str]
    show_secrets: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="audit --report: print full secrets and lines (redacted by default)",
    )
    parser.add_argument("action", choices=ACTIONS, help="detect-secrets scan, detect-secrets-hook, or audit")
    parser.add_argument("args", nargs=argparse.REMAINDER, metavar="...", help="detect-secrets' own arguments")


def run(args: Args) -> ExitCode:
    rest = list(args.args)
    reveal = args.show_secrets or "--show-secrets" in rest
    rest = [a for a in rest if a != "--show-secrets"]
    _harden_git_env()
    # detect-secrets' parsers name the program after argv[0]; make its usage lines say ours.
    sys.argv[0] = "keylatch detect-secrets" + (" hook" if args.action == "hook" else "")
    try:
        from keylatch import detect_secrets_runner as runner
    except Exception as exc:  # without the plugin nothing may pass as clean
        raise ScanError(f"cannot load keylatch's detect-secrets plugin: {type(exc).__name__}: {exc}") from exc
    return ExitCode(runner.run(args.action, rest, reveal=reveal))


def _harden_git_env() -> None:
    """detect-secrets runs `git ls-files` / `git diff` itself, outside keylatch's Git runner.

    Append `core.fsmonitor=false` through git's environment config so that a repository's
    fsmonitor command never runs (the same hardening sources/gitcmd.py applies).
    """
    # Appended last, so it wins over any earlier core.fsmonitor in the environment.
    n = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
    os.environ[f"GIT_CONFIG_KEY_{n}"] = "core.fsmonitor"
    os.environ[f"GIT_CONFIG_VALUE_{n}"] = "false"
    os.environ["GIT_CONFIG_COUNT"] = str(n + 1)
