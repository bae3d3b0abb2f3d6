"""`keylatch scan [PATH ...]`: files and directories on disk."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from keylatch.commands.output import OutputArgs, add_output_arguments, add_verify_arguments
from keylatch.commands.pipeline import (
    ConfigArgs,
    add_config_arguments,
    finish,
    scan_paths,
    settle,
    without_baseline,
)
from keylatch.errors import ExitCode
from keylatch.report import FORMATS

log = logging.getLogger(__name__)

HELP = "scan files and directories (default: .)"


class Args(OutputArgs, ConfigArgs):
    paths: list[Path]
    exclude: list[str]
    format: str | None
    fail_on: str | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    parser.add_argument(
        "--exclude",
        "-x",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths matching GLOB, relative to PATH as typed (repeatable, added to the configured excludes, "
        "which are relative to the config file); nothing else is skipped but FIFOs, sockets, devices and symlinks "
        "inside directories",
    )
    add_config_arguments(parser)
    add_output_arguments(parser, FORMATS)
    add_verify_arguments(parser)
    # None = not given, so the configured format applies.
    parser.set_defaults(format=None)


def run(args: Args) -> ExitCode:
    cfg = settle(args, Path("."))
    found, skipped = scan_paths(args.paths, cfg)
    if skipped and (cfg.format or "text") != "text":  # the text summary line counts them
        log.warning("skipped %d non-regular entries (FIFOs, sockets, devices, symlinks)", len(skipped))
    return finish(without_baseline(found, cfg), cfg, args, skipped=len(skipped))
