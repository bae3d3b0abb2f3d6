"""`keylatch detect-secrets scan`: detect-secrets' scan, file by file in this process, plus
keylatch's own pass, which the hook shares."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections.abc import Iterable, Sequence
from typing import Any

from keylatch import allowlist
from keylatch.detect_secrets_baseline import Trusted
from keylatch.detect_secrets_plugin import KeylatchOpenAIDetector
from keylatch.detect_secrets_setup import configure, file_chunks, parsed, portable
from keylatch.engine import scan_chunk
from keylatch.errors import UsageError


def scan(argv: Sequence[str], trusted: Trusted) -> int:
    from detect_secrets import main
    from detect_secrets.core import baseline
    from detect_secrets.core.scan import (
        get_files_to_scan,
        scan_for_allowlisted_secrets_in_file,
    )
    from detect_secrets.core.secrets_collection import SecretsCollection

    args = parsed(main.parse_args, ["scan", *argv])
    if isinstance(args, int):
        return args
    configure(args, trusted, args.baseline_filename if args.baseline is not None else "command line")
    if args.list_all_plugins or args.string:  # print no baseline
        main.handle_scan_action(args)
        return 0
    if args.only_allowlisted:
        secrets = SecretsCollection(root=args.custom_root)
        for name in get_files_to_scan(*args.path, should_scan_all_files=args.all_files, root=args.custom_root):
            for secret in scan_for_allowlisted_secrets_in_file(name):
                secrets[secret.filename].add(secret)
        print(json.dumps(portable(baseline.format_for_output(secrets)), indent=2))
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
    keylatch_pass(secrets, files, args.custom_root)
    if args.baseline is not None:
        # As stock `scan --baseline`: re-catalogue, keeping the audit labels of known secrets.
        secrets.merge(args.baseline)
        baseline.save_to_file(portable(baseline.format_for_output(secrets)), args.baseline_filename)
    else:
        print(json.dumps(portable(baseline.format_for_output(secrets, is_slim_mode=args.slim)), indent=2))
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


def keylatch_pass(secrets: Any, filenames: Iterable[str], root: str = "") -> None:
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

    for name in filenames:
        # Keys in an archive's members are catalogued under the archive's path (the file
        # detect-secrets and the hook know), at the member's line.
        for chunk in file_chunks(os.path.join(root, name)):
            lines = chunk.data.split(b"\n")
            for finding in scan_chunk(chunk):
                n = finding.location.line
                i = n - chunk.first_line
                near = [line.decode("utf-8", "replace") for line in lines[max(i - 1, 0) : i + 1]]
                # detect-secrets' own pragma regex also matches inside the key's string literal
                # (`"sk-... # pragma: allowlist secret"`); keylatch's decision must agree that
                # the pragma sits in a real comment (allowlist.pragma, tests/test_allowlist_strings.py).
                previous = near[0].rstrip("\r") if len(near) == 2 else ""
                if is_line_allowlisted(name, near[-1], get_code_snippet(near, len(near))) and (
                    allowlist.pragma(previous, near[-1].rstrip("\r")) is not None
                ):
                    continue
                secret = finding.secret.value
                secrets[name].add(
                    PotentialSecret(
                        type=KeylatchOpenAIDetector.secret_type, filename=name, secret=secret, line_number=n
                    )
                )
