"""`keylatch plugin-path`: the file to pass to `detect-secrets --plugin`."""

from __future__ import annotations

import argparse
from pathlib import Path

from keylatch.errors import ExitCode

HELP = "print the path of keylatch's detect-secrets plugin file"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> ExitCode:
    import keylatch

    print(Path(keylatch.__file__).resolve().parent / "detect_secrets_plugin.py")
    return ExitCode.CLEAN
