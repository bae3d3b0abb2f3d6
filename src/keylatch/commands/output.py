"""Shared output options (--format, --output, --show-secrets, colour) for commands that report."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from keylatch.errors import ExitCode, UsageError
from keylatch.model import Finding

log = logging.getLogger(__name__)


class OutputArgs(argparse.Namespace):
    """The options add_output_arguments adds (`--format` is typed by each command)."""

    output: Path | None
    show_secrets: bool
    no_color: bool


def add_output_arguments(parser: argparse.ArgumentParser, formats: Sequence[str] = ("text", "json")) -> None:
    parser.add_argument("--format", "-f", choices=formats, default="text", help="report format (default: text)")
    parser.add_argument("--output", "-o", type=Path, help="write the report to FILE instead of stdout")
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="print full keys instead of redacted ones (never do this in shared logs)",
    )
    parser.add_argument("--no-color", action="store_true", help="never colour the text report")


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verify",
        action="store_true",
        help="ask the OpenAI API whether each key is live (one read-only request per key; off by default)",
    )
    parser.add_argument(
        "--verify-url",
        default="https://api.openai.com",
        metavar="URL",
        help="API base URL for --verify (default: https://api.openai.com)",
    )


def use_colour(no_color: bool) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def emit(findings: Sequence[Finding], args: argparse.Namespace, skipped: int = 0) -> ExitCode:
    """Render findings per the output options, write them, and return the exit code."""
    from keylatch.report import render

    colour = args.output is None and use_colour(args.no_color)
    out = render(args.format, findings, colour=colour, reveal=args.show_secrets, skipped=skipped)
    if write(out, args):
        print(f"keylatch: {len(findings)} key(s) found; report written to {args.output}", file=sys.stderr)
    return ExitCode.LEAKS if findings else ExitCode.CLEAN


def write(report: str, args: argparse.Namespace) -> bool:
    """Write a rendered report to --output (True) or stdout (False); warn about --show-secrets."""
    if args.show_secrets:
        log.warning("--show-secrets: full keys are printed%s", " in CI logs" if os.environ.get("CI") else "")
    if args.output is None:
        sys.stdout.write(report)
        return False
    try:
        args.output.write_text(report, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    return True
