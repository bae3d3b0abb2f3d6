"""Standard outputs other than a pipe, for in-process runs (tests/helpers/run.in_process): closed
(`>&-`), `/dev/full`, or one that cannot encode the report (LC_ALL=C without UTF-8 mode,
PYTHONIOENCODING=ascii), each built as Python builds sys.stdout for it at startup.

What keylatch does with such a stdout is decided in this process's code (commands/output.deliver,
cli._stdout_never_refuses), so a matrix of commands runs here; one child process per kind of
stdout keeps the interpreter's own startup under test beside it."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TextIO

# What `python3 -c 'import sys; print(sys.stdout.encoding, sys.stdout.errors)'` prints under
# each environment (a C locale turns UTF-8 mode on unless PYTHONUTF8=0 says no).
NARROW: dict[str, tuple[dict[str, str], str, str]] = {
    "C-locale-no-utf8-mode": ({"LC_ALL": "C", "PYTHONUTF8": "0"}, "ascii", "surrogateescape"),
    "ascii": ({"PYTHONIOENCODING": "ascii"}, "ascii", "strict"),
}


def narrow(stream: str, into: io.BytesIO) -> io.TextIOWrapper:
    """The stdout of a child started with NARROW[stream]'s environment, writing into `into`."""
    _, encoding, errors = NARROW[stream]
    return io.TextIOWrapper(into, encoding=encoding, errors=errors)


@contextmanager
def dev_full() -> Iterator[io.TextIOWrapper]:
    """A child's stdout redirected to /dev/full: buffered, not a terminal, in the UTF-8 mode the
    suite's C locale (tests/helpers/gitrepo.git_env) turns on; its flush fails with ENOSPC. What
    keylatch could not write stays in its buffer: closing fails to flush it, then closes (a
    child's exit ends the same way)."""
    stream = open("/dev/full", "w", encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
    try:
        yield stream
    finally:
        with suppress(OSError):
            stream.close()


@contextmanager
def stdout_of_main(stdout: TextIO | None) -> Iterator[None]:
    """Every `keylatch.cli.main` call in the block runs with `stdout` as sys.stdout and
    sys.__stdout__ (None: closed, as Python leaves them when descriptor 1 is not open), in
    place of the pipe in_process gives it."""
    from keylatch import cli

    main = cli.main

    def with_stdout(argv: Sequence[str] | None = None) -> int:
        saved = sys.stdout, sys.__stdout__
        # typeshed declares sys.__stdout__ Final: a test stands in for the process (run.py does too).
        sys.stdout, sys.__stdout__ = stdout, stdout  # type: ignore[misc,assignment]
        try:
            return main(argv)
        finally:
            sys.stdout, sys.__stdout__ = saved  # type: ignore[misc]

    replaced: Callable[[Sequence[str] | None], int] = with_stdout
    setattr(cli, "main", replaced)  # noqa: B010 -- a module's function, put back below
    try:
        yield
    finally:
        setattr(cli, "main", main)  # noqa: B010
