"""`keylatch scan [PATH ...]`: files and directories on disk."""

from __future__ import annotations

import argparse
import sys
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

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.config import Config
    from keylatch.policy import SetAside
    from keylatch.report.notice import Notice
    from keylatch.sources.files import Unread


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
        "which are relative to the config file); nothing else is skipped but FIFOs, sockets and devices inside "
        "directories (a symlink is scanned as its target text, never followed)",
    )
    add_config_arguments(parser)
    add_output_arguments(parser, FORMATS)
    add_verify_arguments(parser)
    # None = not given, so the configured format applies.
    parser.set_defaults(format=None)


def run(args: Args) -> ExitCode:
    import time

    from keylatch import policy
    from keylatch.commands.output import finish
    from keylatch.commands.scanning import in_files
    from keylatch.commands.settings import policy_of, settle

    started = time.monotonic()
    cfg = settle(config_flags(args, format=args.format, exclude=args.exclude), Path("."))
    pol = policy_of(cfg)
    read = Read()
    unread = Unreadable()
    aside = Aside()
    found, skipped = in_files(args.paths, cfg, pol, read, unread, aside)
    reported, accepted = policy.known_counted(found, pol)
    notices = unread.notices()
    code = finish(
        reported, cfg, pol, args, verify_flags(args), notices=notices, skipped=len(skipped), unread=unread.count,
        set_aside=aside.total + accepted + walked_past(cfg),
    )  # fmt: skip
    # On stderr, whatever the format: "no keys found" is seen to come from a scan that read
    # something (an empty directory or an exclude that matched everything reads 0 files).
    print(read.summary(len(skipped), time.monotonic() - started, unread.count), file=sys.stderr)
    return code


def walked_past(cfg: Config) -> SetAside:
    """The settings' `exclude` globs, which the walk applied before reading (policy.SetAside)."""
    from keylatch.policy import NOTHING, SetAside

    return SetAside(unread_globs=cfg.exclude) if cfg.exclude else NOTHING


class Aside:
    """What the settings dropped, chunk by chunk (policy.SetAside), summed for the report."""

    def __init__(self) -> None:
        from keylatch.policy import NOTHING

        self.total: SetAside = NOTHING

    def __call__(self, more: SetAside) -> None:
        self.total = self.total + more


class Unreadable:
    """Entries the walk could not read: all counted, the first notice.UNREAD_SHOWN kept to name
    (a million unreadable files cost a counter, not a million messages)."""

    def __init__(self) -> None:
        self.count = 0
        self.shown: list[tuple[str, str]] = []

    def __call__(self, entry: Unread) -> None:
        from keylatch.report.notice import UNREAD_SHOWN  # imported once: a scan that reads all never needs it

        self.count += 1
        if len(self.shown) < UNREAD_SHOWN:
            self.shown.append((entry.path, entry.message))

    def notices(self) -> tuple[Notice, ...]:
        """The `not-scanned` notices (report/notice.py), none if every entry was read."""
        if not self.count:
            return ()
        from keylatch.report import notice

        return notice.unread(self.shown, self.count)


class Read:
    """What the scan read: files, and bytes (a large file comes in blocks that overlap)."""

    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0
        self._last = ""
        self._around = ""
        from keylatch.sources.blocks import OVERLAP

        self._overlap = OVERLAP

    def __call__(self, path: str, size: int, files: int = 1) -> None:
        """A chunk of `size` bytes of `path` was read (one call a block of a large file), or
        `files` whole files, the last `path`, that the gate cleared."""
        if files == 1 and (path == self._around or self._last.startswith(path + "!")):
            # An archive's own bytes around its members (names, comments: sources/archives.py),
            # read after them: the archive was counted as its members are.
            self._around = self._last = path
            return
        self._around = ""
        if files != 1 or path != self._last or not self.files:
            self.files += files
            self.bytes += size
        else:  # the next block of the same file starts with the previous block's last OVERLAP bytes
            self.bytes += size - self._overlap
        self._last = path

    def summary(self, skipped: int, seconds: float, unread: int = 0) -> str:
        files = f"{self.files} file{'s' if self.files != 1 else ''}"
        out = f"keylatch: scanned {files} ({self.bytes / 1e6:.1f} MB) in {seconds:.1f}s"
        if skipped:
            entries = (
                "1 entry that is not a regular file"
                if skipped == 1
                else f"{skipped} entries that are not regular files"
            )
            out += f"; skipped {entries} (FIFOs, sockets, devices: not opened)"
        if unread:
            from keylatch.report.notice import unread_summary

            out += unread_summary(unread)
        return out
