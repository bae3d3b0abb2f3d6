"""Verification, rendering and the exit code for the commands that report findings.

    return finish(findings, cfg, pol, args, verify_flags(args))   # verify, render, judge, exit code

Light at import time (command modules import it); the work imports inside.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence

from keylatch.commands.options import Output, OutputArgs, VerifyFlags, output_flags
from keylatch.errors import ExitCode, ScanError, UsageError
from keylatch.model import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from keylatch.config import Config
    from keylatch.policy import Policy, SetAside
    from keylatch.report.notice import Notice
    from keylatch.sources.gitcmd import Git
    from keylatch.verify.context import Context

log = logging.getLogger(__name__)

# report.render's shape: (format, findings, colour=, reveal=, notices=, skipped=) -> report text.
Renderer = Callable[..., str]


def verification(flags: VerifyFlags, cfg: Config | None) -> tuple[bool, str]:
    """(verify?, fail-on-verdict): flags win; the config's `verify` / `fail-on-verdict` otherwise.

    `history` passes no config: a repository it audits (perhaps a stranger's clone) cannot turn
    on network use; there only --verify does.
    """
    verify = flags.verify or (cfg is not None and cfg.verify)
    policy = flags.fail_on_verdict or (cfg.fail_on_verdict if cfg is not None else "any")
    if policy != "any" and not verify:
        raise UsageError(f"--fail-on-verdict {policy} needs --verify")
    if flags.url and not verify:  # an address nothing would ask: the user meant --verify
        raise UsageError("--verify-url needs --verify" + ("" if cfg is None else " (or verify = true in the config)"))
    return verify, policy


def verify_findings(
    findings: Sequence[Finding], flags: VerifyFlags, cfg: Config | None = None, repo: Git | None = None
) -> list[Finding]:
    """`findings` with verdicts when verification is on (else unchanged); never drops one.

    An Azure key's endpoint is looked for in the file on disk, or, when the command scanned the
    commits of `repo`, in the commit's files (keylatch.verify.context).
    """
    verify_on, _ = verification(flags, cfg)
    if not verify_on or not findings:
        return list(findings)
    from keylatch import verify
    from keylatch.verify import cache
    from keylatch.verify import context as ctx
    from keylatch.verify.transport import check_base_url

    # The user's environment (never a scanned repository) may move the API, e.g. for the hooks,
    # which have no --verify-url: KEYLATCH_VERIFY_URL (a gateway; tests' local server).
    base_url = flags.url or os.environ.get("KEYLATCH_VERIFY_URL") or verify.DEFAULT_BASE_URL
    azure_url = flags.azure_url or os.environ.get("KEYLATCH_VERIFY_AZURE_URL")
    options = verify.Options(
        base_url=check_base_url(base_url, "--verify-url" if flags.url else "KEYLATCH_VERIFY_URL"),
        azure_url=check_base_url(azure_url, "--verify-azure-url") if azure_url else None,
        cache=None if flags.no_cache else cache.default_path(),
    )
    context: Context = ctx.Commits(repo) if repo is not None else ctx.files
    return verify.annotate(findings, options, context)


def finish(
    findings: Sequence[Finding],
    cfg: Config,
    pol: Policy,
    args: OutputArgs,
    verifying: VerifyFlags,
    *,
    notices: Sequence[Notice] = (),
    skipped: int = 0,
    unread: int = 0,
    repo: Git | None = None,
    render: Renderer | None = None,
    set_aside: SetAside | None = None,
) -> ExitCode:
    """Verify (when on), render per the output options, and exit 1 only if a finding the policy
    judges blocking is left (fail-on, and fail-on-verdict once keys are verified).

    `unread`: entries that could not be read (their `not-scanned` notices are in `notices`):
    every key found elsewhere is still reported, and the exit code is 3 whatever was found, so
    "keys found" never reads as "everything was read".

    `notices` (report/notice.py) go into the report, and on stderr unless the report itself is
    on stdout in a format that carries them. `skipped`: entries not scanned because they are not
    regular files (the summary says so). `repo`: the commits were scanned (Azure endpoints).
    `render`: instead of report.render (ci adds each key's exposure). `set_aside`: what the
    settings kept out of the report (the rules they turned off are added from `cfg`): a
    `set-aside` notice, and JSON's `set_aside` counts (report/set_aside.py)."""
    from keylatch import policy

    findings = verify_findings(findings, verifying, cfg, repo)  # unchanged without verification
    out = output_flags(args, cfg.format or "text")
    aside = with_rules_off(set_aside, cfg)
    if aside:
        from keylatch.report import set_aside as said

        notices = (*notices, *said.notices(aside))
    if notices and (out.format == "text" or out.output is not None):
        from keylatch.report.notice import text_lines

        sys.stderr.write(text_lines(notices))
    gits = (repo,) if repo is not None else ()
    # ci's renderer (report/exposure.py) carries the notice only, not the counts.
    counts = aside if aside and render is None else None
    code = emit(findings, out, notices, skipped=skipped, unread=unread, gits=gits, render=render, set_aside=counts)
    if unread:
        return ExitCode.SCAN_FAILED
    pol = pol.replace(fail_on_verdict=verification(verifying, cfg)[1])
    if not policy.blocks(policy.judge(findings, pol), pol):
        return ExitCode.CLEAN
    return code


def with_rules_off(aside: SetAside | None, cfg: Config) -> SetAside:
    """`aside` (None: nothing) with the rules the config's `enable`/`disable` turned off."""
    from keylatch.policy import NOTHING, SetAside

    aside = aside or NOTHING
    if cfg.default_rules:
        return aside
    from keylatch.rules import DEFAULT_RULES

    on = {r.id for r in cfg.rules}
    return aside + SetAside(rules_off=tuple(r.id for r in DEFAULT_RULES if r.id not in on))


def use_colour(no_color: bool) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout is not None and sys.stdout.isatty()


def emit(
    findings: Sequence[Finding],
    args: Output,
    notices: Sequence[Notice] = (),
    skipped: int = 0,
    gits: Sequence[Git] = (),
    render: Renderer | None = None,
    unread: int = 0,
    set_aside: SetAside | None = None,
) -> ExitCode:
    """Render findings (and notices, report/notice.py) per the output options, write them, and
    return the exit code (3 when `unread` entries could not be read, whatever was found).
    `skipped`: entries not scanned because they are not regular files.
    `gits`: the repositories whose blobs the findings were read from (SARIF's columns).
    `render`: instead of report.render (ci adds each key's exposure). `set_aside`: the counts
    for report.render (JSON's `set_aside`, SARIF's run property)."""
    from keylatch import report

    colour = args.output is None and use_colour(args.no_color)
    line_of = lines_of(findings, gits) if args.format == "sarif" else None
    # Passed only when there are some: ci's renderer (report/exposure.py) takes neither.
    kwargs: dict[str, Any] = {}
    if unread:
        kwargs["unread"] = unread
    if set_aside is not None:
        kwargs["set_aside"] = set_aside
    out = (render or report.render)(
        args.format, findings, colour=colour, reveal=args.show_secrets, notices=notices, skipped=skipped,
        line_of=line_of, **kwargs,
    )  # fmt: skip
    if write(out, args):
        from keylatch.report.notice import unread_summary

        more = unread_summary(unread) if unread else ""
        print(f"keylatch: {_keys(findings)} found{more}; report written to {args.output}", file=sys.stderr)
    if unread:
        return ExitCode.SCAN_FAILED
    return ExitCode.LEAKS if findings else ExitCode.CLEAN


def _keys(findings: Sequence[Finding]) -> str:
    keys = len({f.fingerprint for f in findings})
    return f"{keys} key{'s' if keys != 1 else ''} at {len(findings)} place{'s' if len(findings) != 1 else ''}"


def lines_of(findings: Sequence[Finding], gits: Sequence[Git]) -> Callable[[Finding], bytes | None]:
    """A finding's line, read again for SARIF's UTF-16 columns: from the blob it was found in
    (streamed, one `cat-file --batch` per repository), or from the file on disk (read in
    blocks). None when neither can be read (standard input), or when the line is longer than
    sources/lines.LINE_CAP (its column would need the bytes before the key: report/sarif.py then
    gives the line without columns); report/sarif.py also checks the line still holds the key.
    Only the findings' lines are kept, never a whole blob or file."""
    from keylatch.sources.lines import Line, blob_lines, file_lines, wanted_of

    in_blobs = wanted_of(
        ((f.location.blob, f.location.line, f.location.column) for f in findings if f.location.blob), False
    )
    on_disk = wanted_of(
        ((f.location.path, f.location.line, f.location.column) for f in findings
         if not f.location.blob and not f.location.commit and f.location.path),
        False,
    )  # fmt: skip
    blobs: dict[str, dict[int, Line]] = {}
    for git in gits:
        todo = {b: w for b, w in in_blobs.items() if b not in blobs}
        if todo:
            blobs.update((b, got) for b, got in blob_lines(git, todo).items() if got is not None)
    files = {path: file_lines(path, w) for path, w in on_disk.items()}

    def line_of(f: Finding) -> bytes | None:
        loc = f.location
        if loc.blob:
            got = blobs.get(loc.blob)
        elif loc.commit or not loc.path:
            got = None
        else:
            got = files.get(loc.path)
        line = got.get(loc.line) if got is not None else None
        return None if line is None or line.cut else line.data

    return line_of


def write(report: str, args: Output) -> bool:
    """Write a rendered report to --output (True) or stdout (False); warn about --show-secrets."""
    if args.show_secrets:
        log.warning("--show-secrets: full keys are printed%s", " in CI logs" if os.environ.get("CI") else "")
    deliver(report, args.output)
    return args.output is not None


def deliver(report: str, output: Path | None) -> None:
    """Put a rendered report where it was asked for: `output` (--output FILE), or stdout.

    One rule for both, exit 3: the scan ran, its report was not delivered. A closed stdout
    (`>&-`) made print() drop it silently and a full disk (`> /dev/full`) was "unexpected
    OSError" (QA t-qa19; tests/commands/test_qa19_stdout_fails.py); `-o /dev/full`, or an
    --output in a directory that does not exist, was exit 2 (tests/commands/
    test_polish19_report_delivery.py). A reader that went away stays BrokenPipeError (cli.py)."""
    if output is not None:
        try:
            output.write_text(report, encoding="utf-8")
        except OSError as exc:
            raise ScanError(f"cannot write the report to {output}: {exc.strerror or exc}") from exc
        return
    if sys.stdout is None:
        raise ScanError("cannot write the report: standard output is closed (use --output FILE)")
    try:
        sys.stdout.write(report)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise ScanError(f"cannot write the report to standard output: {exc.strerror or exc}") from exc
