"""`keylatch plugin-path`: the file to pass to `detect-secrets --plugin`."""

from __future__ import annotations

import argparse
from pathlib import Path

from keylatch.errors import ExitCode, ScanError

HELP = "print the path of keylatch's detect-secrets plugin file (for detect-secrets --plugin)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> ExitCode:
    import keylatch

    # Not imported: that would import detect-secrets, which this command does not need.
    path = Path(keylatch.__file__).resolve().parent / "detect_secrets_plugin.py"
    if not path.is_file():
        raise ScanError(f"keylatch's detect-secrets plugin is missing from this install: {path}")
    print(path)
    return ExitCode.CLEAN
