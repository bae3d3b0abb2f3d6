"""`keylatch detect-secrets scan|hook|audit ...`: detect-secrets with keylatch's plugin registered.

Everything after the action is detect-secrets' own arguments. Compared with stock detect-secrets
plus `--plugin`, baselines carry no machine-specific plugin path and load no code of their own,
the hook exits 3 instead of 0 when a plugin cannot load, audit works with the plugin, and
`audit --report` is redacted unless `--show-secrets` is given. detect-secrets is imported only
here in `run`, through keylatch.detect_secrets_runner.

Exit codes: 0 clean; 1 new keys, or the hook rewrote the baseline (`git add` it), or the baseline
is not staged; 2 bad arguments or a baseline keylatch refuses; 3 could not scan.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from keylatch.errors import ExitCode, ScanError
from keylatch.sources.gitcmd import hardened_env

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
    # detect-secrets' parsers name the program after argv[0]; make its usage lines say ours.
    sys.argv[0] = "keylatch detect-secrets" + (" hook" if args.action == "hook" else "")
    try:
        from keylatch import detect_secrets_runner as runner
    except Exception as exc:  # without the plugin nothing may pass as clean
        raise ScanError(f"cannot load keylatch's detect-secrets plugin: {type(exc).__name__}: {exc}") from exc
    with environ(hardened_env()):
        return ExitCode(runner.run(args.action, rest, reveal=reveal))


@contextmanager
def environ(env: Mapping[str, str]) -> Iterator[None]:
    """os.environ is `env` within, and what it was afterwards (also the test harness's way of
    giving an in-process run a child's environment: tests/helpers/run.py).

    detect-secrets runs git itself (`rev-parse`, `ls-files`, `diff --name-only`), through plain
    subprocess calls that inherit os.environ and that keylatch's git runner never sees. Setting
    the process environment for the in-process run is the only way to give those calls (and the
    workers detect-secrets starts) the hardening every keylatch git call gets; it is restored
    afterwards.
    """
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
