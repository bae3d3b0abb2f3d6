"""The option groups commands share, typed: `add_*_arguments(parser)` adds a group, the `*Args`
class types what argparse parsed, and a frozen record carries the values past the command.

    add_config_arguments(parser)                       # --config, --baseline, --no-baseline, --fail-on
    flags = config_flags(args, format=args.format)     # ConfigFlags: what settings.settle applies
    add_output_arguments(parser, FORMATS)              # --format, --output, --show-secrets, --no-color
    out = output_flags(args, cfg.format or "text")     # Output: what output.emit renders with
    add_verify_arguments(parser)                       # --verify, --verify-url, --fail-on-verdict, ...
    verifying = verify_flags(args)                     # VerifyFlags: what output.verify_findings asks

Every group sets a default for each option it leaves out (`--baseline` where a command has none),
so the `*Args` classes describe every namespace they are used with.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from keylatch.model import Record, Severity

SEVERITIES = tuple(s.value for s in Severity)


# --- configuration: --config, --baseline, --no-baseline, --fail-on ------------------------------


class ConfigArgs(argparse.Namespace):
    """The options add_config_arguments adds (None / False where a command does not have one)."""

    config: Path | None
    baseline: Path | None
    no_baseline: bool
    fail_on: str | None


class ConfigFlags(Record):
    """The flags that override a configuration file (None / empty: not given)."""

    __slots__ = ("config", "baseline", "no_baseline", "fail_on", "format", "exclude")
    config: Path | None
    baseline: Path | None
    no_baseline: bool
    fail_on: Severity | None
    format: str | None
    exclude: tuple[str, ...]  # relative to the paths as typed

    def __init__(
        self,
        config: Path | None = None,
        baseline: Path | None = None,
        no_baseline: bool = False,
        fail_on: Severity | None = None,
        format: str | None = None,
        exclude: tuple[str, ...] = (),
    ) -> None:
        self._set(config, baseline, no_baseline, fail_on, format, exclude)


def add_config_arguments(parser: argparse.ArgumentParser, baseline: bool = True, fail_on: bool = True) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="read settings from FILE instead of the "
                        "nearest pyproject.toml [tool.keylatch] or .keylatch.yaml")  # fmt: skip
    if baseline:
        parser.add_argument("--baseline", type=Path, metavar="FILE", help="suppress the known findings in FILE")
        parser.add_argument("--no-baseline", action="store_true", help="ignore the configured baseline")
    else:
        parser.set_defaults(baseline=None, no_baseline=False)
    if not fail_on:
        parser.set_defaults(fail_on=None)
        return
    parser.add_argument(
        "--fail-on", choices=SEVERITIES, metavar="SEVERITY",
        help="exit 1 only for findings of SEVERITY or above (low, medium, high, critical; default: low)",
    )  # fmt: skip


def config_flags(args: ConfigArgs, *, format: str | None = None, exclude: Sequence[str] = ()) -> ConfigFlags:
    """The flags of `args`; `format` and `exclude` where the command has them."""
    return ConfigFlags(
        config=args.config,
        baseline=args.baseline,
        no_baseline=args.no_baseline,
        fail_on=Severity(args.fail_on) if args.fail_on else None,
        format=format,
        exclude=tuple(exclude),
    )


# --- output: --format, --output, --show-secrets, --no-color -------------------------------------


class OutputArgs(argparse.Namespace):
    """The options add_output_arguments adds (`--format` is typed by each command)."""

    output: Path | None
    show_secrets: bool
    no_color: bool


class Output(Record):
    __slots__ = ("format", "output", "show_secrets", "no_color")
    format: str  # the one in effect: the flag, else the configuration's, else text
    output: Path | None  # None: stdout
    show_secrets: bool
    no_color: bool

    def __init__(
        self, format: str, output: Path | None = None, show_secrets: bool = False, no_color: bool = False
    ) -> None:
        self._set(format, output, show_secrets, no_color)


def add_output_arguments(parser: argparse.ArgumentParser, formats: Sequence[str] = ("text", "json")) -> None:
    parser.add_argument("--format", "-f", choices=formats, default="text", help="report format (default: text)")
    parser.add_argument("--output", "-o", type=Path, help="write the report to FILE instead of stdout")
    parser.add_argument(
        "--show-secrets",
        action="store_true",
        help="print full keys instead of redacted ones (never do this in shared logs)",
    )
    parser.add_argument("--no-color", action="store_true", help="never colour the text report")


def output_flags(args: OutputArgs, format: str) -> Output:
    return Output(format, args.output, args.show_secrets, args.no_color)


# --- verification: --verify, --verify-url, --no-verify-cache, --fail-on-verdict ------------------


class VerifyArgs(argparse.Namespace):
    """The options add_verify_arguments adds."""

    verify: bool
    verify_url: str | None
    verify_azure_url: str | None
    no_verify_cache: bool
    fail_on_verdict: str | None


class VerifyFlags(Record):
    """The verification flags (all off: a command without them, or a hook)."""

    __slots__ = ("verify", "url", "azure_url", "no_cache", "fail_on_verdict")
    verify: bool
    url: str | None
    azure_url: str | None
    no_cache: bool
    fail_on_verdict: str | None

    def __init__(
        self,
        verify: bool = False,
        url: str | None = None,
        azure_url: str | None = None,
        no_cache: bool = False,
        fail_on_verdict: str | None = None,
    ) -> None:
        self._set(verify, url, azure_url, no_cache, fail_on_verdict)


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
        type=_api_url,
        help="OpenAI API base URL for --verify (https; plain http only to loopback; default: $KEYLATCH_VERIFY_URL, "
        "else https://api.openai.com)",
    )
    # Tests point Azure checks at a local server; a real run builds https://<resource host>.
    group.add_argument("--verify-azure-url", metavar="URL", type=_api_url, help=argparse.SUPPRESS)
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


def _api_url(text: str) -> str:
    """Where keys are sent: https, or plain http to a loopback address only (verify/transport.py
    enforces this again before any request). Checked while parsing, so a typo fails at once."""
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    if parts.scheme == "https" and parts.hostname:
        return text
    if parts.scheme == "http" and parts.hostname:
        from keylatch.verify.transport import is_loopback

        if is_loopback(parts.hostname):
            return text
    raise argparse.ArgumentTypeError(f"must be an https:// URL (plain http only to a loopback address), not {text!r}")


def verify_flags(args: VerifyArgs) -> VerifyFlags:
    return VerifyFlags(args.verify, args.verify_url, args.verify_azure_url, args.no_verify_cache, args.fail_on_verdict)
