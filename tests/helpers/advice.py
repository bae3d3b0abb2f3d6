"""Advice names only flags that exist: which `--flag`s a message tells a user to type, for which command.

A message speaks of the command that printed it, unless it names another one: from `keylatch X`
on, flags belong to X; from `git ...` or `detect-secrets ...` on, to that program (not checked).
Each line, and each `code span` and the prose after it, starts again with the command that printed it.
"""

from __future__ import annotations

import argparse
import re

from keylatch import cli
from keylatch.commands import COMMAND_MODULES

# `keylatch <command>`, `git`, `detect-secrets` (a program a flag may belong to) or a `--flag`.
_TOKEN = re.compile(r"\bkeylatch ([a-z][a-z-]*)|(?<![\w.-])(git|detect-secrets)\b|(?<![\w-])(--[a-z][a-z0-9-]*)")


def accepted(command: str) -> frozenset[str]:
    """Every option string `keylatch <command>` parses (and the top-level ones)."""
    parser, _ = cli.build_parser(command)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    own = sub.choices[command]._option_string_actions
    return frozenset([*own, *parser._option_string_actions])


def foreign_flags(command: str, text: str) -> list[tuple[str, str]]:
    """(command, flag) for every flag `text` names that the command it belongs to does not accept."""
    bad: list[tuple[str, str]] = []
    for segment in (part for line in text.splitlines() for part in line.split("`")):
        owner: str | None = command
        for m in _TOKEN.finditer(segment):
            named, other, flag = m.groups()
            if named:
                owner = named if named.replace("-", "_") in COMMAND_MODULES else None
            elif other:
                owner = None
            elif owner is not None and flag not in accepted(owner):
                bad.append((owner, flag))
    return bad
