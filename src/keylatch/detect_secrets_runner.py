"""`keylatch detect-secrets`: detect-secrets' own scan, hook and audit, in-process, with keylatch's plugin.

Compared with stock detect-secrets plus `--plugin`: (1) baselines record no machine-specific
`file://` path for the plugin, (2) the hook fails (exit 3) instead of passing when the plugin
cannot be loaded, and (3) audit finds the plugin by its secret type (stock audit crashes on custom
plugins: detect-secrets#611).

A baseline is repository content: before detect-secrets reads one, detect_secrets_baseline.py
checks it names no code to load, and keylatch's findings do not go through the filters a baseline
(or the command line) configures. detect-secrets keeps its settings in process-wide caches; `run`
clears them on entry and on exit, and these modules hold no state of their own.

This module checks the baselines and dispatches; each action lives in its own module
(detect_secrets_scan.py, _hook.py, _audit.py), what they share in detect_secrets_setup.py.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from keylatch.detect_secrets_audit import audit
from keylatch.detect_secrets_baseline import Trusted, check_baseline, check_result_files, shown
from keylatch.detect_secrets_hook import hook
from keylatch.detect_secrets_plugin import KeylatchOpenAIDetector
from keylatch.detect_secrets_scan import scan
from keylatch.detect_secrets_setup import NAME, parsed, regular
from keylatch.errors import ScanError, UsageError

ACTIONS = ("scan", "hook", "audit")


def run(action: str, argv: Sequence[str], reveal: bool = False) -> int:
    """Run detect-secrets' `action` with argv (its own options); return its exit code.

    Raises UsageError for bad arguments or baselines and ScanError when a plugin cannot load.
    """
    if action not in ACTIONS:
        raise UsageError(f"unknown detect-secrets action {action!r} (choose from {', '.join(ACTIONS)})")
    _reset_detect_secrets()
    try:
        trusted = _check_baselines(action, argv, _register())
        if isinstance(trusted, int):
            return trusted
        if action == "scan":
            return scan(argv, trusted)
        if action == "hook":
            return hook(argv, trusted)
        return audit(argv, trusted, reveal)
    finally:  # a process that runs on (tests, an embedding program) gets detect-secrets back clean
        _reset_detect_secrets()


def _reset_detect_secrets() -> None:
    """Clear every per-process cache detect-secrets keeps (`functools.lru_cache` on its settings,
    plugin catalogue, the filters' compiled patterns and the baseline's name, the audit's file),
    whichever of its modules are loaded: each is built from one run's settings, and a run after
    it in the same process (tests, a program embedding keylatch) was judged by the last run's
    `--exclude-lines`/`--exclude-files`/`--exclude-secrets` patterns (tests/e2e/
    test_detect_secrets_reruns.py). Found by walking the modules, not listed, so a cache a
    detect-secrets release adds is cleared too."""
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "detect_secrets" or name.startswith("detect_secrets.")):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


def _register() -> frozenset[str]:
    """Put our class in detect-secrets' type -> class catalogue, as `--plugin` would; return the
    names of the plugins in it.

    The catalogue is built once per process and read by scan, hook and audit alike. Built here,
    before any baseline is read, it never loads a plugin from a baseline's recorded path (ours
    included, so a path from another machine is harmless).
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    catalogue: dict[str, Any] = get_mapping_from_secret_type_to_class()
    clash = [c for c in catalogue.values() if c.__name__ == NAME]
    if clash:  # a stock plugin of the same name would silently shadow ours
        raise ScanError(f"detect-secrets already has a plugin named {NAME}")
    catalogue[KeylatchOpenAIDetector.secret_type] = KeylatchOpenAIDetector
    return frozenset(c.__name__ for c in catalogue.values())


def _check_baselines(action: str, argv: Sequence[str], builtin: frozenset[str]) -> Trusted | int:
    """Check every baseline detect-secrets is about to read, before it reads one.

    detect-secrets loads a baseline while it parses argv (and may import what it names then), so
    argv is first parsed by its bare argparse parser, without the steps that load anything: the
    same options, abbreviations and errors, so the baselines checked are the ones it will read.
    """
    from detect_secrets.core.usage import ParserBuilder

    builder = ParserBuilder()
    builder = builder.add_pre_commit_arguments() if action == "hook" else builder.add_console_use_arguments()
    full = list(argv) if action == "hook" else [action, *argv]
    # `_parser` is private; detect-secrets is pinned to 1.5 and the hostile-baseline tests fail
    # loudly (a marker file appears) if it stops being what this reads.
    raw = parsed(builder._parser.parse_args, full)
    if isinstance(raw, int):
        return raw
    trusted = Trusted.of(
        builtin,
        (p for group in getattr(raw, "plugin", None) or () for p in group),
        (f for group in getattr(raw, "filter", None) or () for f in group),
    )
    names = raw.filename if action == "audit" else (raw.baseline or [])
    for name in names:
        where = shown(name)[1:-1]
        # Read as detect-secrets reads it (text, default encoding); what cannot be checked is not
        # handed on.
        if not regular(name):
            why = "not a regular file" if os.path.lexists(name) else "no such file"
            raise UsageError(f"not a valid detect-secrets baseline: {where} ({why})")
        try:
            with open(name) as f:
                data = json.loads(f.read())
        except OSError as exc:
            raise UsageError(f"cannot read baseline {where}: {exc.strerror or exc}") from None
        except ValueError as exc:  # JSON or text decoding; neither message quotes the content
            raise UsageError(f"not a valid detect-secrets baseline: {where} ({str(exc)[:100]})") from None
        except RecursionError:
            raise UsageError(f"not a valid detect-secrets baseline: {where} (nested too deeply)") from None
        check_baseline(name, data, trusted)
        if action == "audit":  # audit reads every file the baseline lists
            check_result_files(name, data)
    return trusted
