"""`keylatch scan [PATH ...]`: files and directories on disk."""

from __future__ import annotations

import argparse
from pathlib import Path

from keylatch.commands.output import add_output_arguments, emit
from keylatch.errors import ExitCode
from keylatch.model import Finding

HELP = "scan files and directories (default: .)"


class Args(argparse.Namespace):
    paths: list[Path]
    exclude: list[str]
    format: str
    output: Path | None
    show_secrets: bool
    no_color: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    parser.add_argument(
        "--exclude",
        "-x",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths matching GLOB (repeatable); nothing else is skipped",
    )
    add_output_arguments(parser)


def run(args: Args) -> ExitCode:
    from keylatch.engine import scan
    from keylatch.sources.files import file_chunks

    findings = sorted(
        set(scan(file_chunks(args.paths, args.exclude))),
        key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id),
    )
    return emit(_dedup(findings), args)


def _dedup(findings: list[Finding]) -> list[Finding]:
    # Overlapping blocks of a large file can report the same key twice.
    seen: set[tuple[str, int, int, str]] = set()
    out = []
    for f in findings:
        k = (f.location.path, f.location.line, f.location.column, f.fingerprint)
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out

