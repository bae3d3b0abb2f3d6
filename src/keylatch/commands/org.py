"""`keylatch org plan | scan | merge`: every repository of a GitHub organisation or GitLab group.

    keylatch org plan --github ORG > plan.jsonl           # or --gitlab GROUP, or --repos list.txt
    keylatch org scan plan.jsonl --out results/ --jobs 4   # rerun resumes; --shard 3/16 for one shard
    keylatch org merge results/ --format sarif [--verify]

The work lives in keylatch/org/ (docs/org.md); this module is argv and exit codes only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from keylatch.commands.options import VerifyArgs, add_verify_arguments, verify_flags
from keylatch.errors import ExitCode, ScanError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.verify import Options

HELP = "organisation scale: plan the repositories of a GitHub org / GitLab group, scan them (sharded), merge"


class Args(VerifyArgs):
    action: str
    github: str | None
    gitlab: str | None
    repos: Path | None
    api_url: str | None
    include: list[str]
    exclude: list[str]
    include_archived: bool
    include_forks: bool
    max_wait: float
    jobs: int
    output: Path | None
    plan: Path
    out: Path
    shard: str | None
    shard_total: int | None
    keep_clones: Path | None
    results: Path
    plan_file: Path | None
    format: str
    clones: Path | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(parser))
    p = sub.add_parser("plan", help="list the repositories to scan, one JSON line each (stdout)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--github", metavar="OWNER", help="a GitHub organisation or user ($GITHUB_TOKEN if set)")
    source.add_argument("--gitlab", metavar="GROUP", help="a GitLab group, with its subgroups ($GITLAB_TOKEN if set)")
    source.add_argument("--repos", type=Path, metavar="FILE", help="one URL or local path per line")
    p.add_argument("--api-url", metavar="URL", help="API base URL (default: $GITHUB_API_URL or https://api.github.com; "
                   "$CI_API_V4_URL or https://gitlab.com/api/v4); https, plain http only to loopback")  # fmt: skip
    p.add_argument("--include", action="append", default=[], metavar="GLOB", help="only repositories named so")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="leave out repositories named so")
    p.add_argument("--include-archived", action="store_true", help="also archived repositories")
    p.add_argument("--include-forks", action="store_true", help="also forks")
    p.add_argument("--max-wait", type=float, default=900.0, metavar="SECONDS",
                   help="wait at most this long for an API rate limit to reset, then fail (default 900)")  # fmt: skip
    p.add_argument("--jobs", type=int, default=8, metavar="N", help="heads looked up at once (default 8)")
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the plan to FILE instead of stdout")

    s = sub.add_parser("scan", help="scan the plan's repositories (or one shard); one result file each")
    s.add_argument("plan", type=Path, metavar="PLAN")
    s.add_argument("--out", type=Path, required=True, metavar="DIR", help="results directory")
    s.add_argument("--jobs", type=int, default=1, metavar="N", help="repositories at once (default 1)")
    s.add_argument("--shard", metavar="I/N|auto", help="only shard I of N (1-based), or auto from the engine's index")
    s.add_argument("--shard-total", type=int, metavar="N", help="number of shards for --shard auto (Kubernetes)")
    s.add_argument("--keep-clones", type=Path, metavar="DIR", help="keep mirrors in DIR and fetch them next time")

    m = sub.add_parser("merge", help="one report over all results: each key once, across repositories")
    m.add_argument("results", type=Path, metavar="DIR")
    m.add_argument("--plan", dest="plan_file", type=Path, metavar="FILE", help="the plan (default: the one in DIR)")
    m.add_argument("--format", "-f", choices=("text", "json", "sarif"), default="text")
    m.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the report to FILE instead of stdout")
    m.add_argument("--clones", type=Path, metavar="DIR", help="kept mirrors (scan --keep-clones) for --verify")
    add_verify_arguments(m)


def run(args: Args) -> ExitCode:
    return {"plan": _plan, "scan": _scan, "merge": _merge}[args.action](args)


def _emit(text: str, output: Path | None) -> None:
    from keylatch.commands.output import deliver

    deliver(text, output)  # as every command's report: not delivered is exit 3, one line


def _plan(args: Args) -> ExitCode:
    from keylatch.org.plan import Filters, render
    from keylatch.org.planning import Source, make_plan

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    kind, name = ("github", args.github) if args.github else ("gitlab", args.gitlab) if args.gitlab else ("repos", "")
    source = Source(kind, name or "", args.repos, args.api_url, args.max_wait)
    filters = Filters(tuple(args.include), tuple(args.exclude), args.include_archived, args.include_forks)
    planned = make_plan(source, filters, os.environ, jobs=args.jobs)
    _emit(render(planned), args.output)
    print(f"keylatch: org plan: {len(planned)} repositories", file=sys.stderr)
    return ExitCode.CLEAN


def _scan(args: Args) -> ExitCode:
    from keylatch.org import plan as plans
    from keylatch.org import shard
    from keylatch.org.merge import plan_copy_name
    from keylatch.org.plan import PlannedRepo
    from keylatch.org.results import RepoResult
    from keylatch.org.scan import scan_plan
    from keylatch.report.untrusted import for_terminal

    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    which = shard.parse(args.shard, os.environ, args.shard_total)
    repos = plans.read(args.plan)
    mine = which.pick(repos)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        text = plans.render(repos)
        copy = args.out / plan_copy_name(text)
        if not copy.exists():
            tmp = copy.with_name(f".tmp-{os.getpid()}-{copy.name}")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, copy)
    except OSError as exc:
        raise ScanError(f"cannot write to {args.out}: {exc.strerror}") from None
    count = 0

    def report(repo: PlannedRepo, result: RepoResult | None) -> None:
        nonlocal count
        count += 1
        what = (
            "done earlier" if result is None
            else f"{len(result.keys)} key(s); INCOMPLETE: {'; '.join((result.reason, *result.unread))}"
            if result.unread else f"FAILED: {result.reason}" if result.failed
            else f"{len(result.keys)} key(s)"
        )  # fmt: skip
        print(f"keylatch: org scan [{count}/{len(mine)}] {for_terminal(repo.repository)}: {for_terminal(what)}",
              file=sys.stderr)  # fmt: skip

    summary = scan_plan(mine, args.out, args.jobs, args.keep_clones, report)
    print(
        f"keylatch: org scan: shard {which}: {len(mine)} repositories, {summary.scanned} scanned, "
        f"{summary.skipped} done earlier, {len(summary.failed)} failed, {summary.keys} key(s)",
        file=sys.stderr,
    )
    if summary.failed:
        names = ", ".join(r.repository for r in summary.failed)
        raise ScanError(f"could not scan {len(summary.failed)} repositories (error records written): {names}")
    return ExitCode.LEAKS if summary.keys else ExitCode.CLEAN


def _merge(args: Args) -> ExitCode:
    from keylatch.org.merge import collect, with_verdicts
    from keylatch.org.render import render

    report = collect(args.results, args.plan_file)
    flags = verify_flags(args)
    if flags.fail_on_verdict and not flags.verify:
        raise UsageError(f"--fail-on-verdict {flags.fail_on_verdict} needs --verify")
    if flags.verify and report.keys:
        from keylatch.org.recheck import verdicts

        report = with_verdicts(report, verdicts(report.keys, report.scanned, _verify_options(args), args.clones))
    _emit(render(args.format, report), args.output)
    if not report.complete:
        from keylatch.report.untrusted import for_terminal

        names = [for_terminal(u.repository) for u in (*report.failed, *report.missing)]
        print(f"keylatch: error: {len(names)} repositories not scanned: {', '.join(names)}", file=sys.stderr)
        return ExitCode.SCAN_FAILED
    keys = report.keys
    if flags.fail_on_verdict == "live":
        from keylatch.model import Verdict

        keys = tuple(k for k in keys if k.verdict is None or k.verdict.verdict is not Verdict.REVOKED)
    return ExitCode.LEAKS if keys else ExitCode.CLEAN


def _verify_options(args: Args) -> Options:
    from keylatch import verify
    from keylatch.verify import cache
    from keylatch.verify.transport import check_base_url

    base_url = args.verify_url or os.environ.get("KEYLATCH_VERIFY_URL") or verify.DEFAULT_BASE_URL
    azure_url = args.verify_azure_url or os.environ.get("KEYLATCH_VERIFY_AZURE_URL")
    return verify.Options(
        base_url=check_base_url(base_url, "--verify-url" if args.verify_url else "KEYLATCH_VERIFY_URL"),
        azure_url=check_base_url(azure_url, "--verify-azure-url") if azure_url else None,
        cache=None if args.no_verify_cache else cache.default_path(),
    )
