"""argv -> command -> ExitCode. The only place that exits, sets up logging, or prints errors."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from keylatch import __version__
from keylatch.commands import COMMAND_MODULES
from keylatch.errors import ExitCode, KeylatchError

log = logging.getLogger("keylatch")

EPILOG = """exit codes:
  0    no keys found
  1    keys found
  2    usage or configuration error
  3    the scan could not complete (unreadable path, git failure, ...): never "clean"
  130  interrupted
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, exit 2, like every other usage error.
        self.exit(ExitCode.USAGE, f"keylatch: error: {message}\n")


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"keylatch.commands.{name}")


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = _Parser(
        prog="keylatch",
        description="Find OpenAI API keys in files, staged changes, pushes and git history.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"keylatch {__version__}")
    parser.add_argument("--debug", action="store_true", help="verbose logs and tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules: dict[str, ModuleType] = {}
    for name in COMMAND_MODULES:
        mod = _load(name)
        cmd = name.replace("_", "-")
        p = sub.add_parser(
            cmd, help=mod.HELP, description=mod.HELP, epilog=EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        mod.add_arguments(p)
        modules[cmd] = mod
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    parser, modules = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="keylatch: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.command:
        parser.print_usage(sys.stderr)
        print("keylatch: error: a command is required", file=sys.stderr)
        return ExitCode.USAGE
    try:
        return int(modules[args.command].run(args))
    except KeylatchError as exc:
        if debug:
            log.exception("failed")
        print(f"keylatch: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("keylatch: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say, but it was not a clean scan.
        return ExitCode.SCAN_FAILED
    except Exception as exc:  # noqa: BLE001  -- fail closed with one line, never a traceback
        if debug:
            log.exception("unexpected error")
        print(f"keylatch: error: unexpected {type(exc).__name__}: {exc}", file=sys.stderr)
        return ExitCode.SCAN_FAILED


if __name__ == "__main__":
    sys.exit(main())
