"""argv -> command -> ExitCode. The only place that exits, sets up logging, or prints errors."""

from __future__ import annotations

import importlib
import io
import sys
from collections.abc import Sequence
from types import ModuleType

from keylatch import __version__
from keylatch.commands import COMMAND_MODULES
from keylatch.errors import ExitCode, KeylatchError

# `typing` and `logging` cost the pre-commit hook ~10 ms of imports; mypy honours this constant.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import NoReturn

EPILOG = """exit codes:
  0    no keys found
  1    keys found
  2    usage or configuration error
  3    the scan could not complete (unreadable path, git failure, ...): never "clean"
  130  interrupted
"""


def _columns() -> int:
    # As shutil.get_terminal_size: $COLUMNS, else the terminal of stdout, else 80.
    import os

    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 80
    except (AttributeError, ValueError, OSError):
        return 80


def _parser_classes() -> tuple[type[argparse.RawDescriptionHelpFormatter], type[argparse.ArgumentParser]]:
    """The formatter and parser classes, made when a parser is built: argparse (with gettext and
    warnings) stays off the path of a hook command given its usual arguments (_plain_args)."""
    import argparse

    class _Formatter(argparse.RawDescriptionHelpFormatter):
        """argparse builds a formatter for every add_argument; the stock one imports shutil (and
        with it bz2, lzma, zlib) just to read the terminal width. Read it directly instead."""

        def __init__(
            self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
        ) -> None:
            if width is None:
                width = _columns() - 2
            super().__init__(prog, indent_increment, max_help_position, width)

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            # One line, exit 2, like every other usage error. argparse quotes the offending argument:
            # a key passed by mistake (`revoke --admin-key sk-admin-…`) is shown redacted.
            from keylatch.engine import scan_text

            for f in scan_text(message):
                message = message.replace(f.secret.value, f.secret.redacted)
            self.exit(ExitCode.USAGE, f"keylatch: error: {message}\n")

    return _Formatter, _Parser


def _load(name: str) -> ModuleType:
    return importlib.import_module(f"keylatch.commands.{name}")


def requested_command(argv: Sequence[str]) -> str | None:
    """The subcommand argv names, if it names one before any top-level option but --debug.

    Then only that command's module is imported: `keylatch staged` runs on every commit and must
    not pay for every other command's imports. Anything else (help, version, a typo) builds the
    full parser so help and errors list every command.
    """
    for arg in argv:
        if arg == "--debug":
            continue
        if arg.startswith("-"):
            return None
        return arg if arg.replace("-", "_") in COMMAND_MODULES else None
    return None


def build_parser(only: str | None = None) -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    import argparse

    _Formatter, _Parser = _parser_classes()
    parser = _Parser(
        prog="keylatch",
        description="Find OpenAI API keys in files, staged changes, pushes and git history.",
        epilog=EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"keylatch {__version__}")
    parser.add_argument("--debug", action="store_true", help="verbose logs and tracebacks on errors")
    # An explicit prog spares argparse a help formatter (and its shutil import) on every run.
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, prog=parser.prog)
    modules: dict[str, ModuleType] = {}
    for name in COMMAND_MODULES:
        if only is not None and name != only.replace("-", "_"):
            continue
        mod = _load(name)
        cmd = name.replace("_", "-")
        p = sub.add_parser(
            cmd, help=mod.HELP, description=mod.HELP, epilog=EPILOG,
            formatter_class=_Formatter,
        )  # fmt: skip
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        mod.add_arguments(p)
        modules[cmd] = mod
    return parser, modules


def _setup_logging(debug: bool, command: ModuleType | None) -> None:
    # Hook commands (HOT_PATH = True) run on every commit and log nothing unless --debug; they
    # skip importing logging. A stray warning would still reach stderr through logging's
    # last-resort handler, just without the "keylatch: LEVEL:" prefix.
    if not debug and getattr(command, "HOT_PATH", False):
        return
    import logging

    class Untrusted(logging.Formatter):
        """Log messages quote paths, refs and git's stderr: redact and escape them (report/untrusted.py).

        The engine behind redaction is imported at the first message, not by every command."""

        def formatMessage(self, record: logging.LogRecord) -> str:
            from keylatch.report.untrusted import for_terminal

            record.message = for_terminal(record.message, limit=MESSAGE_LIMIT)
            return super().formatMessage(record)

        def formatException(self, ei: logging._SysExcInfoType) -> str:
            from keylatch.report.untrusted import for_terminal

            lines = super().formatException(ei).splitlines()
            return "\n".join(for_terminal(line, limit=MESSAGE_LIMIT) for line in lines)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Untrusted("keylatch: %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, handlers=[handler])


# An error or log message is one line; what it quotes from the repository is bounded within it.
MESSAGE_LIMIT = 4096


def _error(message: str) -> None:
    """`keylatch: error: ...` with whatever the message quotes from scanned content made safe."""
    from keylatch.report.untrusted import for_terminal

    print(f"keylatch: error: {for_terminal(message, limit=MESSAGE_LIMIT)}", file=sys.stderr)


def _log_exception(message: str) -> None:
    import logging

    logging.getLogger("keylatch").exception(message)


def _interrupted(owner: int, signum: int) -> None:
    """SIGINT and SIGTERM both unwind the stack as KeyboardInterrupt, so the sources kill their
    git children and remove their temporary files (sources/reaping.py) before we exit 130."""
    import os
    import signal

    if os.getpid() != owner:
        # A forked child inherited the handler (detect-secrets' multiprocessing pool workers):
        # Pool.terminate() sends them SIGTERM and joins them, so they must die as if no handler
        # were installed. Unwinding a worker as KeyboardInterrupt hung the pool for ever.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    # Cleanup is short and bounded; a second signal must not cut it off half way.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _catch_signals() -> dict[int, object]:
    """Install `_interrupted`; return the handlers it replaced, for main() to put back."""
    import os
    import signal  # subprocess imports it already: free on the hook path

    owner = os.getpid()

    def handler(signum: int, frame: object) -> None:
        _interrupted(owner, signum)

    previous: dict[int, object] = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        old = signal.getsignal(sig)
        # A signal the parent ignores stays ignored (`nohup`, background jobs of scripts).
        if old is signal.SIG_IGN or old is None:
            continue
        try:
            signal.signal(sig, handler)
        except ValueError:  # main() called from a thread other than the main one
            break
        previous[sig] = old
    return previous


def _restore_signals(previous: dict[int, object]) -> None:
    import signal

    for sig, handler in previous.items():
        signal.signal(sig, handler)  # type: ignore[arg-type]  # what getsignal returned


def _stdout_never_refuses() -> None:
    # A report holds the scanned repository's text (`é` in a path, `ü` in an author's name): on
    # a stdout that cannot encode it (LC_ALL=C without UTF-8 mode, PYTHONIOENCODING=ascii, a
    # cp1252 console) the report was lost to "unexpected UnicodeEncodeError" (exit 3, keys found
    # but not shown). Such characters are written escaped instead, as stderr already does.
    # A UTF-8 stdout that passes undecodable names back as bytes (surrogateescape) keeps that.
    import codecs

    out = sys.stdout
    encoding, errors = getattr(out, "encoding", None), getattr(out, "errors", None)
    if not isinstance(out, io.TextIOWrapper) or not encoding:
        return
    if codecs.lookup(encoding).name != "utf-8" or errors == "strict":
        out.reconfigure(errors="backslashreplace")


def _stdout_gone() -> None:
    # The reader went away (`keylatch history | head -1`): point stdout at /dev/null so the
    # interpreter's final flush does not print a second BrokenPipeError.
    import os

    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (a test's StringIO): nothing will flush
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _plain_args(name: str | None, argv: Sequence[str]) -> tuple[ModuleType, object] | None:
    """A hook command's usual arguments (`staged FILE...` as pre-commit passes them), parsed by the
    command's own `plain_args` without argparse: ~2 ms of imports on every commit. None for
    anything else (an option it does not take plainly, --debug, help): argparse parses it."""
    if name is None or not argv or argv[0] != name:
        return None
    command = _load(name.replace("-", "_"))
    plain = getattr(command, "plain_args", None)
    args = plain(argv[1:]) if plain is not None else None
    return None if args is None else (command, args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    name = requested_command(argv)
    plain = _plain_args(name, argv)
    if plain is not None:
        command, args = plain
        debug = False
    else:
        parser, modules = build_parser(name)
        parsed = parser.parse_args(argv)
        debug = bool(getattr(parsed, "debug", False))
        if not parsed.command:
            _setup_logging(debug, None)
            parser.print_usage(sys.stderr)
            print("keylatch: error: a command is required", file=sys.stderr)
            return ExitCode.USAGE
        command, args = modules[parsed.command], parsed
    _setup_logging(debug, command)
    _stdout_never_refuses()
    previous = _catch_signals()
    try:
        return _run(command, args, debug)
    finally:
        _restore_signals(previous)


def _run(command: ModuleType, args: object, debug: bool) -> int:
    try:
        return int(command.run(args))
    except KeylatchError as exc:
        if debug:
            _log_exception("failed")
        _error(str(exc))
        return int(exc.exit_code)
    except KeyboardInterrupt as exc:
        how = f" ({exc.args[0]})" if exc.args and exc.args[0] != "SIGINT" else ""
        print(f"keylatch: interrupted{how}", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # Nothing more to say, but the report was not delivered: not a clean scan.
        _stdout_gone()
        return ExitCode.SCAN_FAILED
    except Exception as exc:  # noqa: BLE001  -- fail closed with one line, never a traceback
        if debug:
            _log_exception("unexpected error")
        _error(f"unexpected {type(exc).__name__}: {exc}")
        return ExitCode.SCAN_FAILED


if __name__ == "__main__":
    sys.exit(main())
