"""`keylatch detect-secrets`: detect-secrets' own scan, hook and audit, in-process, with keylatch's plugin.

Compared with stock detect-secrets plus `--plugin`: (1) baselines record no machine-specific
`file://` path for the plugin, (2) the hook fails (exit 3) instead of passing when the plugin
cannot be loaded, and (3) audit finds the plugin by its secret type (stock audit crashes on custom
plugins: detect-secrets#611).

A baseline is repository content: before detect-secrets reads one, detect_secrets_baseline.py
checks it names no code to load, and keylatch's findings do not go through the filters a baseline
(or the command line) configures. detect-secrets keeps its settings in process-wide caches; `run`
clears them on entry, and this module holds no state of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from keylatch.detect_secrets_baseline import (
    OUR_FILTER,
    Trusted,
    check_baseline,
    check_result_files,
    check_settings,
    shown,
)
from keylatch.detect_secrets_plugin import KeylatchOpenAIDetector, plugin_file
from keylatch.engine import scan_chunk, scan_text
from keylatch.errors import ScanError, UsageError
from keylatch.model import Secret

ACTIONS = ("scan", "hook", "audit")
_NAME = KeylatchOpenAIDetector.__name__
_STOCK_FILTER = "detect_secrets.filters.heuristic.is_indirect_reference"


def run(action: str, argv: Sequence[str], reveal: bool = False) -> int:
    """Run detect-secrets' `action` with argv (its own options); return its exit code.

    Raises UsageError for bad arguments or baselines and ScanError when a plugin cannot load.
    """
    if action not in ACTIONS:
        raise UsageError(f"unknown detect-secrets action {action!r} (choose from {', '.join(ACTIONS)})")
    _reset_detect_secrets()
    trusted = _check_baselines(action, argv, _register())
    if isinstance(trusted, int):
        return trusted
    if action == "scan":
        return _scan(argv, trusted)
    if action == "hook":
        return _hook(argv, trusted)
    return _audit(argv, trusted, reveal)


def _reset_detect_secrets() -> None:
    from detect_secrets import settings
    from detect_secrets.audit import common
    from detect_secrets.core.plugins import util

    for cache in (settings.get_settings, settings.get_plugins, settings.get_filters):
        cache.cache_clear()
    util.get_mapping_from_secret_type_to_class.cache_clear()
    common.open_file.cache_clear()


def _register() -> frozenset[str]:
    """Put our class in detect-secrets' type -> class catalogue, as `--plugin` would; return the
    names of the plugins in it.

    The catalogue is built once per process and read by scan, hook and audit alike. Built here,
    before any baseline is read, it never loads a plugin from a baseline's recorded path (ours
    included, so a path from another machine is harmless).
    """
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    catalogue: dict[str, Any] = get_mapping_from_secret_type_to_class()
    clash = [c for c in catalogue.values() if c.__name__ == _NAME]
    if clash:  # a stock plugin of the same name would silently shadow ours
        raise ScanError(f"detect-secrets already has a plugin named {_NAME}")
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
    raw = _parse(builder._parser.parse_args, full)
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
        if not _regular(name):
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


def _parse(parse: Callable[[list[str]], argparse.Namespace], argv: Sequence[str]) -> argparse.Namespace | int:
    """detect-secrets' own parsing (it loads the baseline into its settings), or an exit code."""
    try:
        return parse(list(argv))
    except SystemExit as exc:  # help, version, or a usage error detect-secrets already printed
        if exc.code in (0, None):
            return 0
        raise UsageError("invalid detect-secrets arguments (see above)") from None
    except ValueError:  # the hook's "baseline file is unstaged", already printed
        return 1
    except ImportError as exc:  # a baseline filter that needs a package detect-secrets lacks
        raise UsageError(f"detect-secrets cannot load a filter the baseline names: {exc}") from None


def _configure(args: argparse.Namespace, trusted: Trusted, source: str) -> None:
    """After detect-secrets parsed argv and baseline: check what it would load, enable our
    plugin and filter.

    `check_settings` repeats the baseline check on what detect-secrets actually holds now (a
    `--plugin` class replaces a baseline entry of the same name); nothing was imported from the
    baseline before this point.
    """
    from detect_secrets.settings import get_filters, get_plugins, get_settings

    if _NAME in (getattr(args, "disable_plugin", None) or ()):
        raise UsageError(f"keylatch detect-secrets cannot disable {_NAME}; use stock detect-secrets")
    settings = get_settings()
    check_settings(settings.plugins, settings.filters, trusted, source)
    # The path is for multiprocessing children started with `spawn` (macOS), which rebuild the
    # catalogue from settings; `_portable` keeps it out of every baseline written.
    settings.plugins[_NAME] = {"path": f"file://{plugin_file()}"}
    if settings.filters.pop(_STOCK_FILTER, None) is not None:
        settings.filters[OUR_FILTER] = {}
    get_plugins.cache_clear()
    get_filters.cache_clear()
    try:
        loaded = get_plugins()
    except Exception as exc:  # any failure here means the scan cannot be trusted
        raise ScanError(f"detect-secrets cannot load its plugins: {exc}") from exc
    # By type, not class: `--plugin <this file>` loads a second copy of the class.
    if not any(p.secret_type == KeylatchOpenAIDetector.secret_type for p in loaded):
        raise ScanError(f"detect-secrets did not load {_NAME}")


def _portable(baseline: dict[str, Any]) -> dict[str, Any]:
    """The baseline without our plugin's absolute path, so it works on any machine."""
    for plugin in baseline.get("plugins_used", ()):
        if plugin.get("name") == _NAME:
            plugin.pop("path", None)
    return baseline


def _keylatch_pass(secrets: Any, filenames: Iterable[str], root: str = "") -> None:
    """Add to `secrets` every key keylatch's engine finds in the files, through no filter but
    detect-secrets' `pragma: allowlist secret` comment.

    detect-secrets' own pass puts keylatch's plugin through every filter the baseline or the
    command line configures: exclude-lines, -files and -secrets regexes, word list, gibberish,
    verification policy, custom filters, and the skip of any file named like the baseline. So a
    baseline with `should_exclude_line: [".*"]` made the hook pass every key. It also never
    reads a file with a "binary" extension (.css, .map, .lock, .svg ...) or one byte that is not
    UTF-8. Here the engine reads every regular file as `keylatch scan` does (in blocks, at its
    speed: no second detect-secrets pass), so only the pragma, which shows on the line in
    review, or the baseline's entry for that exact secret lets a key through.
    """
    from detect_secrets.core.potential_secret import PotentialSecret
    from detect_secrets.filters.allowlist import is_line_allowlisted
    from detect_secrets.util.code_snippet import get_code_snippet

    from keylatch.sources.files import read_chunks

    for name in filenames:
        path = os.path.join(root, name)
        if not _regular(path):  # gone (as detect-secrets skips it) or not a file to read
            continue
        for chunk in read_chunks(Path(path)):
            lines = chunk.data.split(b"\n")
            for finding in scan_chunk(chunk):
                n = finding.location.line
                i = n - chunk.first_line
                near = [line.decode("utf-8", "replace") for line in lines[max(i - 1, 0) : i + 1]]
                if is_line_allowlisted(name, near[-1], get_code_snippet(near, len(near))):
                    continue
                secret = finding.secret.value
                secrets[name].add(
                    PotentialSecret(
                        type=KeylatchOpenAIDetector.secret_type, filename=name, secret=secret, line_number=n
                    )
                )


def _regular(path: str) -> bool:
    """A regular file (through symlinks); False when missing. Never opens it: a FIFO would block."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ScanError(f"cannot read {_escaped(path)}: {exc.strerror or exc}") from exc


def _escaped(path: str) -> str:
    """A path from the repository, on one line: control characters escaped, keys redacted."""
    return shown(path, limit=200)[1:-1]


def _scan(argv: Sequence[str], trusted: Trusted) -> int:
    from detect_secrets import main
    from detect_secrets.core import baseline
    from detect_secrets.core.scan import (
        get_files_to_scan,
        scan_for_allowlisted_secrets_in_file,
    )
    from detect_secrets.core.secrets_collection import SecretsCollection

    args = _parse(main.parse_args, ["scan", *argv])
    if isinstance(args, int):
        return args
    _configure(args, trusted, args.baseline_filename if args.baseline is not None else "command line")
    if args.list_all_plugins or args.string:  # print no baseline
        main.handle_scan_action(args)
        return 0
    if args.only_allowlisted:
        secrets = SecretsCollection(root=args.custom_root)
        for name in get_files_to_scan(*args.path, should_scan_all_files=args.all_files, root=args.custom_root):
            for secret in scan_for_allowlisted_secrets_in_file(name):
                secrets[secret.filename].add(secret)
        print(json.dumps(_portable(baseline.format_for_output(secrets)), indent=2))
        return 0
    _require_git_for_directories(args)

    # baseline.create, with the file list kept for keylatch's pass: the catalogue must hold every
    # key the hook will block.
    files = list(get_files_to_scan(*args.path, should_scan_all_files=args.all_files, root=args.custom_root))
    secrets = SecretsCollection(root=args.custom_root)
    # One process, file by file (as detect-secrets' own hook does): `scan_files` forks a
    # multiprocessing pool whose `with` exit terminates workers that can be blocked on the
    # queue's lock, and `keylatch detect-secrets scan` hung for ever that way (seen twice in the
    # suite). `--num-cores` is accepted and has no effect. keylatch's own pass reads every file anyway.
    for name in files:
        secrets.scan_file(name)
    _keylatch_pass(secrets, files, args.custom_root)
    if args.baseline is not None:
        # As stock `scan --baseline`: re-catalogue, keeping the audit labels of known secrets.
        secrets.merge(args.baseline)
        baseline.save_to_file(_portable(baseline.format_for_output(secrets)), args.baseline_filename)
    else:
        print(json.dumps(_portable(baseline.format_for_output(secrets, is_slim_mode=args.slim)), indent=2))
    return 0


def _require_git_for_directories(args: argparse.Namespace) -> None:
    """detect-secrets scans only git-tracked files in a directory; outside git it finds nothing
    and writes an empty baseline with a warning. That is not a clean result: refuse instead."""
    from detect_secrets.util import git

    if args.all_files or not any(os.path.isdir(p) for p in args.path):
        return
    try:
        git.get_root_directory(args.custom_root)
    except (subprocess.CalledProcessError, OSError):
        raise UsageError("not in a git repository: pass --all-files to scan every file") from None


def _hook(argv: Sequence[str], trusted: Trusted) -> int:
    """detect_secrets.pre_commit_hook.main, with our plugin, failing on unreadable files, and
    exiting 1, not 3, when it rewrote the baseline: 3 is keylatch's "could not scan", and a CI
    script that lets detect-secrets' 3 pass ("only line numbers moved") must not let that pass.
    """
    from detect_secrets import pre_commit_hook as hook
    from detect_secrets.__version__ import VERSION
    from detect_secrets.core import baseline
    from detect_secrets.core.secrets_collection import SecretsCollection

    args = _parse(hook.parse_args, argv)
    if isinstance(args, int):
        return args
    _configure(args, trusted, args.baseline_filename if args.baseline else "command line")
    secrets = SecretsCollection()
    for name in args.filenames:
        # detect-secrets logs a warning and skips a file it cannot open; a FIFO would block it.
        if not _regular(name):
            why = "not a regular file" if os.path.lexists(name) else "no such file"
            raise ScanError(f"cannot read {_escaped(name)}: {why}")
        try:
            with open(name, "rb"):
                pass
        except OSError as exc:
            raise ScanError(f"cannot read {_escaped(name)}: {exc.strerror or exc}") from exc
        secrets.scan_file(name)
    _keylatch_pass(secrets, args.filenames)
    new = secrets - args.baseline if args.baseline else secrets
    if new:
        if args.json:
            print(json.dumps(_portable(baseline.format_for_output(new)), indent=2))
        else:
            hook.pretty_print_diagnostics(new)
        return 1
    if not args.baseline:
        return 0
    if not hook.should_update_baseline(
        args.baseline, scanned_results=secrets, filelist=args.filenames, baseline_version=args.baseline_version
    ):
        return 0
    if args.baseline_version != VERSION:
        with open(args.baseline_filename, encoding="utf-8") as f:
            old = json.load(f)
        old["results"] = args.baseline.json()
        updated = baseline.upgrade(old)
    else:
        updated = baseline.format_for_output(args.baseline)
    baseline.save_to_file(_portable(updated), filename=args.baseline_filename)
    print(
        "The baseline file was updated.\nProbably to keep line numbers of secrets up-to-date.\n"
        f"Please `git add {args.baseline_filename}`, thank you.\n"
    )
    return 1


def _audit(argv: Sequence[str], trusted: Trusted, reveal: bool) -> int:
    from detect_secrets import main
    from detect_secrets.audit.common import get_baseline_from_file
    from detect_secrets.audit.report import SecretClassToPrint, generate_report
    from detect_secrets.exceptions import (
        InvalidBaselineError,
        UnableToReadBaselineError,
    )

    args = _parse(main.parse_args, ["audit", *argv])
    if isinstance(args, int):
        return args
    try:
        for name in args.filename:
            get_baseline_from_file(name)  # detect-secrets prints why a baseline is invalid
    except (InvalidBaselineError, UnableToReadBaselineError):
        raise UsageError(f"not a valid detect-secrets baseline: {' '.join(args.filename)}") from None
    _configure(args, trusted, args.filename[-1])
    if args.report:
        only = (
            SecretClassToPrint.REAL_SECRET
            if args.only_real
            else SecretClassToPrint.FALSE_POSITIVE
            if args.only_false
            else None
        )
        report = generate_report(args.filename[0], only)  # type: ignore[arg-type]  # None = all
        print(json.dumps(report if reveal else _redact_report(report), indent=4, sort_keys=True))
        return 0
    if not args.stats and not sys.stdin.isatty():
        raise UsageError("interactive audit needs a terminal; use --report or --stats")
    main.handle_audit_action(args)
    return 0


def _redact_report(report: dict[str, Any]) -> dict[str, Any]:
    """The audit report with every secret (and every key on a shown line) redacted."""
    results = report.get("results", [])
    values = sorted({str(r["secrets"]) for r in results if r.get("secrets")}, key=len, reverse=True)
    for entry in results:
        if entry.get("secrets"):
            entry["secrets"] = _redacted(str(entry["secrets"]))
        entry["lines"] = {n: _redact_line(str(line), values) for n, line in entry.get("lines", {}).items()}
    return report


def _redacted(value: str) -> str:
    whole = [f for f in scan_text(value) if f.secret.value == value]
    return whole[0].secret.redacted if whole else Secret(value).redacted


def _redact_line(line: str, values: Sequence[str]) -> str:
    for key in sorted({f.secret.value for f in scan_text(line)}, key=len, reverse=True):
        line = line.replace(key, _redacted(key))
    for value in values:
        line = line.replace(value, _redacted(value))
    return line
