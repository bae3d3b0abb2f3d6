"""`keylatch staged [FILES...]`: the pre-commit hook. Scans what is being committed (the index).

Without FILES it scans every file the commit adds or changes; with FILES (as the pre-commit
framework passes them, also under `pre-commit run --files/--all-files`) it scans exactly the
staged content of those files. Keys only in unstaged edits are a warning, not a block.
Runs on every commit: everything beyond argparse is imported inside `run`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from keylatch.errors import ExitCode, ScanError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs the hook ~5 ms
if TYPE_CHECKING:
    import argparse

    from keylatch.config import Config
    from keylatch.model import Finding
    from keylatch.policy import SetAside
    from keylatch.report.notice import Notice

HELP = "scan what is staged for commit (the pre-commit hook)"
# Runs on every commit: cli skips setting up logging (see cli._setup_logging).
HOT_PATH = True


class Args:
    """What run() reads: an argparse.Namespace with these attributes (cli), or plain_args'."""

    files: list[str]
    format: str
    no_color: bool

    def __init__(self, files: Sequence[str] = (), format: str = "text", no_color: bool = False) -> None:
        self.files, self.format, self.no_color = list(files), format, no_color


def plain_args(argv: Sequence[str]) -> Args | None:
    """`[--no-color] [FILE...]`, the arguments hooks pass, without argparse (~2 ms of imports on
    every commit; cli._plain_args). None for anything else: an option after a file, another
    option, an abbreviation, a name starting with `-` or `@`: argparse decides those."""
    no_color = False
    for i, arg in enumerate(argv):
        if arg == "--no-color":
            no_color = True
        elif arg.startswith(("-", "@")):
            return None
        else:
            rest = argv[i:]
            return None if any(a.startswith(("-", "@")) for a in rest) else Args(rest, no_color=no_color)
    return Args(no_color=no_color)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="scan the staged content of exactly these files (default: every file the commit changes)",
    )
    parser.add_argument("--format", "-f", choices=("text", "json"), default="text", help="report format")
    parser.add_argument("--no-color", action="store_true", help="never colour the report")


def run(args: Args) -> ExitCode:
    from keylatch.prefilter import any_may_hold_key
    from keylatch.sources import staged as src
    from keylatch.sources.gitcmd import Git

    git = Git(None)  # the hook's own directory: GIT_INDEX_FILE may be relative to it
    # Started first, it runs while the index is listed: the cat-file that reads the staged blobs.
    # A clean commit starts three git processes: the config listing that hardens them
    # (sources/gitcmd.py), this cat-file and the diff-index below (bench/hook_bench.py).
    reader = src.BlobReader(git)
    try:
        plan = src.staged_paths(git, args.files) if args.files else src.staged_changes(git)
        blobs = src.staged_blobs(git, plan, reader)
    except ScanError as exc:
        from keylatch.sources.revs import not_a_repo

        raise not_a_repo(exc, os.getcwd()) from exc  # run outside a repository: exit 2, as everywhere
    finally:
        reader.close()
    contents = src.staged_contents(plan, blobs)
    scanned = contents  # archives' members in their place (an archive holds no readable keyword)
    unread: list[tuple[str, str]] = []  # (path, reason): archives not read whole; exit 3, after the rest
    if src.has_archives(contents):
        from pathlib import Path

        from keylatch.commands import hook_policy

        # The repository's own config (at the top) sets the archive limits, whatever the cwd.
        limits = hook_policy.settle(Path(src.top_and_prefix(git)[0]))[0].archives
        scanned = src.unpacked(contents, limits, unread)
    # Keys in the working copies of the committed files but not in what is committed (`git add
    # -p`): warn, never block. Files the commit does not touch are not read: listing the tracked
    # files with unstaged edits (`git diff-files`) stats every file in the index, which cost a
    # clean commit more than the rest of the hook (issue 14), for a warning about a file that
    # is not being committed.
    worktree = src.worktree_changes(git, plan, blobs)
    # A path is pushed with its content: the names this commit adds (new files, the new side of
    # a rename, archive members) may hold a key too (history/pathkeys.py).
    names = [f.path for f in plan.files if f.head_blob is None] + [p for p, _, _ in scanned if "!" in p]
    names += plan.gitlinks  # a submodule entry has no content to scan, but its name is pushed
    blocking: list[Finding] = []
    below: list[Finding] = []
    unstaged: list[Finding] = []
    aside: SetAside | None = None  # what the settings kept out of this commit's report
    # Most commits hold no keyword at all: then the rules, config and baseline are not needed.
    named = "\n".join(names).encode("utf-8", "surrogateescape")
    if any_may_hold_key([named, *(data for _, data, _ in [*scanned, *worktree])]):
        from pathlib import Path

        from keylatch.commands import hook_policy

        # The repository's own config (at the top), whatever directory this runs in.
        top, prefix = src.top_and_prefix(git)
        here = prefix if plan.cwd_relative else ""  # given FILES are relative to the current directory
        cfg, pol = hook_policy.settle(Path(top))
        dropped: list[SetAside] = []
        found = hook_policy.judge_chunks(src.chunks(scanned), cfg, pol, here, dropped)
        found += hook_policy.judge_names(names, cfg, pol, here)
        verdict = hook_policy.verdict(found, cfg, pol)
        aside = _set_aside([*dropped, verdict.set_aside], cfg)
        blocking, below = _sorted(verdict.blocking), _sorted([*verdict.below, *verdict.dead])
        committed = {f.fingerprint for f in found}
        later = hook_policy.judge_chunks(src.chunks(worktree), cfg, pol, here)
        later = [f for f in later if f.fingerprint not in committed]
        unstaged = _sorted(hook_policy.verdict(later, cfg, pol).blocking)
    if aside and args.format != "json":  # settings never hide keys silently (report/set_aside.py)
        from keylatch.report.notice import text_lines
        from keylatch.report.set_aside import notices

        sys.stderr.write(text_lines(notices(aside)))
    if not (blocking or below or unstaged or unread or args.format == "json"):
        # The common case, kept free of the report package (and keylatch.model behind it).
        if args.files and os.environ.get("PRE_COMMIT"):
            # The pre-commit framework runs the hook in batches of FILES and shows all their output
            # together when one fails: "no keys in 65 staged files" beside "commit blocked" reads as
            # a contradiction. A clean batch stays silent; the framework prints "Passed".
            return ExitCode.CLEAN
        nbytes = sum(len(data) for _, data, _ in contents)
        size = f"{nbytes / 1024:.0f} KiB" if nbytes >= 1024 else f"{nbytes} bytes"
        files = f"{len(contents)} staged file{'s' if len(contents) != 1 else ''}"
        print(f"keylatch: no keys in {files} ({size})" if contents else "keylatch: nothing staged", file=sys.stderr)
        return ExitCode.CLEAN
    from keylatch.report import hook_text

    err_colour = _colour(args, sys.stderr.isatty())
    if unstaged:
        what = "only in unstaged changes (not in this commit; do not stage it)"
        sys.stderr.write(hook_text.warning(unstaged, what, colour=err_colour))
    if below:
        what = "below the configured fail-on severity, or revoked (fail-on-verdict live): not blocking"
        sys.stderr.write(hook_text.warning(below, what, colour=err_colour))
    if args.format == "json":
        from keylatch.report import render

        said: tuple[Notice, ...] = ()
        if aside:
            from keylatch.report.set_aside import notices

            said = notices(aside)
        sys.stdout.write(
            render("json", _sorted([*blocking, *below]), notices=(*_unread_notices(unread), *said), set_aside=aside)
        )
    elif blocking:
        from keylatch.history.prior import committed_before

        plan = src.checked_head(git, plan)  # given FILES on a first commit: no HEAD to compare with
        known = committed_before(git, plan, blocking)
        untracked = {p.replace(os.sep, "/") for p in plan.untracked}
        colour = _colour(args, sys.stdout.isatty())
        # Under the framework each batch of FILES is one run, and every blocked run's message shows.
        batch = len(args.files) if args.files and os.environ.get("PRE_COMMIT") else 0
        message = hook_text.staged_block(
            blocking, known, colour=colour, untracked=untracked, first_commit=not plan.has_head, batch=batch,
            files={path for path, _, _ in contents},
        )  # fmt: skip
        sys.stdout.write(message)
    if unread:
        return _not_read(unread, args.format == "json")
    return ExitCode.LEAKS if blocking else ExitCode.CLEAN


def _set_aside(parts: Sequence[SetAside], cfg: Config) -> SetAside:
    from keylatch.commands.output import with_rules_off
    from keylatch.policy import NOTHING

    total = NOTHING
    for part in parts:
        total = total + part
    return with_rules_off(total, cfg)


def _unread_notices(unread: Sequence[tuple[str, str]]) -> tuple[Notice, ...]:
    if not unread:
        return ()
    from keylatch.report import notice

    return notice.unread(unread)


def _not_read(unread: Sequence[tuple[str, str]], json: bool) -> ExitCode:
    """Staged content that could not be read whole: named (text: on stderr, escaped, at most
    notice.UNREAD_SHOWN lines), and exit 3 whatever was found: "keys found" is not "all read"."""
    from keylatch.report import notice

    if not json:
        sys.stderr.write(notice.text_lines(notice.unread(unread)))
    n = len(unread)
    print(
        f"keylatch: commit blocked: {n} staged entr{'ies' if n != 1 else 'y'} could not be read (exit 3)",
        file=sys.stderr,
    )
    return ExitCode.SCAN_FAILED


def _sorted(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))


def _colour(args: Args, tty: bool) -> bool:
    return not args.no_color and "NO_COLOR" not in os.environ and tty
