"""`keylatch scan [PATH ...]`: files and directories on disk."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from keylatch.commands.options import (
    ConfigArgs,
    OutputArgs,
    VerifyArgs,
    add_config_arguments,
    add_output_arguments,
    add_verify_arguments,
    config_flags,
    verify_flags,
)
from keylatch.errors import ExitCode
from keylatch.report import FORMATS

log = logging.getLogger(__name__)

HELP = "scan files and directories (default: .)"


class Args(OutputArgs, ConfigArgs, VerifyArgs):
    paths: list[Path]
    exclude: list[str]
    format: str | None


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
    from keylatch import policy
    from keylatch.commands.output import finish
    from keylatch.commands.scanning import in_files
    from keylatch.commands.settings import policy_of, settle

    cfg = settle(config_flags(args, format=args.format, exclude=args.exclude), Path("."))
    pol = policy_of(cfg)
    found, skipped = in_files(args.paths, cfg, pol)
    if skipped and (cfg.format or "text") != "text":  # the text summary line counts them
        log.warning("skipped %d non-regular entries (FIFOs, sockets, devices, symlinks)", len(skipped))
    reported = policy.known(found, pol)
    return finish(reported, cfg, pol, args, verify_flags(args), skipped=len(skipped))
