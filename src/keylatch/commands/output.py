"""Shared output options (--format, --output, --show-secrets, colour) for commands that report."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from keylatch.errors import ExitCode, UsageError
from keylatch.model import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.config import Config
    from keylatch.report.notice import Notice
    from keylatch.verify.context import Context

log = logging.getLogger(__name__)


class OutputArgs(argparse.Namespace):
    """The options add_output_arguments adds (`--format` is typed by each command)."""

    output: Path | None
    show_secrets: bool
    no_color: bool


def add_output_arguments(parser: argparse.ArgumentParser, formats: Sequence[str] = ("text", "json")) -> None:
    parser.add_argument("--format", "-f", choices=formats, default="text", help="report format (default: text)")
    parser.add_argument("--output", "-o", type=Path, help="write the report to FILE instead of stdout")
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="print full keys instead of redacted ones (never do this in shared logs)",
    )
    parser.add_argument("--no-color", action="store_true", help="never colour the text report")


class VerifyArgs(argparse.Namespace):
    """The options add_verify_arguments adds."""

    verify: bool
    verify_url: str
    verify_azure_url: str | None
    no_verify_cache: bool
    fail_on_verdict: str | None


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("verification (off by default; the only network use)")
    group.add_argument(
        "--verify",
        action="store_true",
        help="ask the OpenAI API (or the key's Azure endpoint) whether each key is live: one read-only "
        "request per distinct key; verdicts: live, live-restricted, live-no-credit, live-ip-restricted, "
        "inactive-owner, unknown, revoked",
    )
    group.add_argument(
        "--verify-url",
        metavar="URL",
        help="OpenAI API base URL for --verify (https; plain http only to loopback; default: $KEYLATCH_VERIFY_URL, "
        "else https://api.openai.com)",
    )
    # Tests point Azure checks at a local server; a real run builds https://<resource host>.
    group.add_argument("--verify-azure-url", metavar="URL", help=argparse.SUPPRESS)
    group.add_argument(
        "--no-verify-cache",
        action="store_true",
        help="ask again even if a verdict from the last 24 h is cached ($XDG_CACHE_HOME/keylatch/verdicts.json)",
    )
    group.add_argument(
        "--fail-on-verdict",
        choices=("any", "live"),
        help="any (default): exit 1 for every key found; live: not for keys --verify found revoked or "
        "never valid (live, restricted, no-credit, IP-restricted, inactive-owner and unknown keys still fail)",
    )


def _policy(args: argparse.Namespace, cfg: Config | None) -> tuple[bool, str]:
    """(verify?, fail-on-verdict): flags win; the config's `verify` / `fail-on-verdict` otherwise.

    `history` passes no config: a repository it audits (perhaps a stranger's clone) cannot turn
    on network use; there only --verify does.
    """
    verify = bool(getattr(args, "verify", False)) or (cfg is not None and cfg.verify)
    policy = getattr(args, "fail_on_verdict", None) or (cfg.fail_on_verdict if cfg is not None else "any")
    if policy != "any" and not verify:
        raise UsageError(f"--fail-on-verdict {policy} needs --verify")
    return verify, policy


def verify_findings(
    findings: Sequence[Finding], args: argparse.Namespace, context: Context | None = None, cfg: Config | None = None
) -> list[Finding]:
    """`findings` with verdicts when --verify was given (else unchanged); never drops one.

    `context` finds an Azure key's endpoint (keylatch.verify.context); by default the file on disk,
    or the commit's files when the command scanned a repository (`args.repo`).
    """
    verify_on, _ = _policy(args, cfg)
    if not verify_on or not findings:
        return list(findings)
    from keylatch import verify
    from keylatch.verify import cache
    from keylatch.verify import context as ctx
    from keylatch.verify.transport import check_base_url

    # The user's environment (never a scanned repository) may move the API, e.g. for the hooks,
    # which have no --verify-url: KEYLATCH_VERIFY_URL (a gateway; tests' local server).
    base_url = getattr(args, "verify_url", None) or os.environ.get("KEYLATCH_VERIFY_URL") or verify.DEFAULT_BASE_URL
    azure_url = getattr(args, "verify_azure_url", None) or os.environ.get("KEYLATCH_VERIFY_AZURE_URL")
    options = verify.Options(
        base_url=check_base_url(
            base_url, "--verify-url" if getattr(args, "verify_url", None) else "KEYLATCH_VERIFY_URL"
        ),
        azure_url=check_base_url(azure_url, "--verify-azure-url") if azure_url else None,
        cache=None if getattr(args, "no_verify_cache", False) else cache.default_path(),
    )
    if context is None:
        repo = getattr(args, "repo", None)
        if repo is not None:
            from keylatch.sources.gitcmd import Git

            trust = (f"safe.directory={Path(repo).resolve()}",) if getattr(args, "trust_repo_owner", False) else ()
            context = ctx.Commits(Git(Path(repo), config=trust))
        else:
            context = ctx.files
    return verify.annotate(findings, options, context)


def blocking(findings: Sequence[Finding], args: argparse.Namespace, cfg: Config | None = None) -> list[Finding]:
    """The findings that fail the run under fail-on-verdict (severity is judged separately)."""
    if _policy(args, cfg)[1] != "live":
        return list(findings)
    from keylatch.model import Verdict

    kept = [f for f in findings if f.verified is None or f.verified.verdict is not Verdict.REVOKED]
    if len(kept) < len(findings):
        log.warning("%d key(s) revoked or never valid: reported, not failing (fail-on-verdict live)",
                    len({f.fingerprint for f in findings} - {f.fingerprint for f in kept}))  # fmt: skip
    return kept


def use_colour(no_color: bool) -> bool:
    return not no_color and "NO_COLOR" not in os.environ and sys.stdout.isatty()


def emit(
    findings: Sequence[Finding], args: argparse.Namespace, notices: Sequence[Notice] = (), skipped: int = 0
) -> ExitCode:
    """Render findings (and notices, report/notice.py) per the output options, write them, and
    return the exit code. `skipped`: entries not scanned because they are not regular files."""
    from keylatch.report import render

    colour = args.output is None and use_colour(args.no_color)
    out = render(args.format, findings, colour=colour, reveal=args.show_secrets, notices=notices, skipped=skipped)
    if write(out, args):
        print(f"keylatch: {len(findings)} key(s) found; report written to {args.output}", file=sys.stderr)
    return ExitCode.LEAKS if findings else ExitCode.CLEAN


def write(report: str, args: argparse.Namespace) -> bool:
    """Write a rendered report to --output (True) or stdout (False); warn about --show-secrets."""
    if args.show_secrets:
        log.warning("--show-secrets: full keys are printed%s", " in CI logs" if os.environ.get("CI") else "")
    if args.output is None:
        sys.stdout.write(report)
        return False
    try:
        args.output.write_text(report, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    return True
