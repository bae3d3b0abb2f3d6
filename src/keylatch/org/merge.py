"""`org merge`: every result file joined into one report, each key once by fingerprint.

Which results count is decided by the plan (given, or the one `org scan` copied into the results
directory): each planned repository at its planned head has a result, a failed record, or is
missing, and the last two are reported, never dropped. Keys are ranked by urgency: verified live
first (with --verify), then still present at a head, then shared by more repositories, then
severity, then earliest exposure.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from keylatch.errors import UsageError
from keylatch.model import KeyCheck, Severity, Verdict
from keylatch.org import plan as plans
from keylatch.org.plan import PlannedRepo
from keylatch.org.results import SUFFIX, RepoResult, file_name, load
from keylatch.report.untrusted import redacted_form

log = logging.getLogger(__name__)

PLAN_PREFIX = "plan-"


@dataclass(frozen=True, slots=True, order=True)
class Exposure:
    repository: str
    commit: str
    path: str
    line: int
    column: int
    blob: str


@dataclass(frozen=True, slots=True)
class OrgKey:
    fingerprint: str
    redacted: str
    rule_id: str
    severity: Severity
    first_repository: str  # where the key was first committed, across the organisation
    first_commit: str
    first_date: str
    repositories: tuple[str, ...]  # every repository that holds it, sorted
    in_head: tuple[str, ...]  # those where it is still present at a ref tip
    places: tuple[Exposure, ...]
    verdict: KeyCheck | None = None

    @property
    def shared(self) -> bool:
        return len(self.repositories) > 1


@dataclass(frozen=True, slots=True)
class Unscanned:
    repository: str
    clone_url: str
    reason: str


@dataclass(frozen=True, slots=True)
class OrgReport:
    keys: tuple[OrgKey, ...]  # ranked
    scanned: tuple[RepoResult, ...]  # sorted by repository
    failed: tuple[Unscanned, ...]
    missing: tuple[Unscanned, ...]

    @property
    def complete(self) -> bool:
        return not (self.failed or self.missing)


def plan_copy_name(text: str) -> str:
    """The name `org scan` gives its copy of the plan: by content, so every shard writes the same file."""
    return f"{PLAN_PREFIX}{hashlib.sha256(text.encode('utf-8')).hexdigest()[:16]}.jsonl"


def collect(results_dir: Path, plan_file: Path | None = None) -> OrgReport:
    if not results_dir.is_dir():
        raise UsageError(f"not a directory: {results_dir}")
    found = _results(results_dir)
    planned = plans.read(plan_file) if plan_file is not None else _found_plan(results_dir)
    if planned is None:
        chosen = _without_plan(found)
        missing: list[Unscanned] = []
    else:
        chosen, missing = [], []
        for repo in planned:
            result = found.get(file_name(repo))
            if result is None:
                missing.append(Unscanned(repo.repository, repo.clone_url, "no result (not scanned yet?)"))
            else:
                chosen.append(result)
    # An incomplete repository is in both: its keys count, and it is reported as not scanned whole.
    scanned = tuple(sorted((r for r in chosen if r.walked), key=lambda r: r.repository))
    failed = tuple(Unscanned(r.repository, r.clone_url, _why(r)) for r in sorted(chosen, key=lambda r: r.repository)
                   if r.failed)  # fmt: skip
    return OrgReport(rank(join(scanned)), scanned, failed, tuple(missing))


def _why(result: RepoResult) -> str:
    return "; ".join((result.reason, *result.unread)) if result.unread else result.reason


def _results(results_dir: Path) -> dict[str, RepoResult]:
    """Result files by name, from every subdirectory (one per shard's artifact); a name found
    twice (a repository scanned by two runs) prefers the successful record."""
    out: dict[str, RepoResult] = {}
    for path in sorted(results_dir.rglob(f"*{SUFFIX}")):
        if path.name.startswith("."):
            continue  # a temporary file a killed worker left
        result = load(path)
        if path.name not in out or out[path.name].failed:
            out[path.name] = result
    return out


def _found_plan(results_dir: Path) -> tuple[PlannedRepo, ...] | None:
    copies = {p.read_bytes(): p for p in sorted(results_dir.rglob(f"{PLAN_PREFIX}*.jsonl"))}
    if len(copies) > 1:
        raise UsageError(f"{results_dir} holds results of {len(copies)} different plans; name one with --plan")
    return plans.read(next(iter(copies.values()))) if copies else None


def _without_plan(found: Mapping[str, RepoResult]) -> list[RepoResult]:
    log.warning("no plan in the results directory and no --plan: repositories never scanned cannot be listed")
    by_repo: dict[str, RepoResult] = {}
    for result in found.values():
        if result.repository in by_repo:
            raise UsageError(f"results for {result.repository!r} at two heads; name the plan with --plan")
        by_repo[result.repository] = result
    return list(by_repo.values())


def join(scanned: Sequence[RepoResult]) -> list[OrgKey]:
    groups: dict[str, list[tuple[RepoResult, int]]] = {}
    for result in scanned:
        for i, key in enumerate(result.keys):
            groups.setdefault(key.fingerprint, []).append((result, i))
    keys = []
    for fp, members in groups.items():
        entries = [(r.repository, r.keys[i]) for r, i in members]
        first_repo, first = min(entries, key=lambda e: (e[1].introduced_date, e[0], e[1].introduced))
        places = sorted(
            Exposure(repo, p.commit, p.path, p.line, p.column, p.blob) for repo, k in entries for p in k.places
        )
        keys.append(
            OrgKey(
                fingerprint=fp,
                # A result file is anyone's file: never a whole key in the merged report.
                redacted=redacted_form(first.redacted),
                rule_id=first.rule_id,
                severity=max((Severity(k.severity) for _, k in entries), key=lambda s: s.rank),
                first_repository=first_repo,
                first_commit=first.introduced,
                first_date=first.introduced_date,
                repositories=tuple(sorted({repo for repo, _ in entries})),
                in_head=tuple(sorted({repo for repo, k in entries if k.in_head})),
                places=tuple(places),
            )
        )
    return keys


def rank(keys: Sequence[OrgKey]) -> tuple[OrgKey, ...]:
    def urgency(k: OrgKey) -> tuple[int, int, int, int, str, str]:
        verdict = k.verdict.verdict.rank if k.verdict is not None else Verdict.UNKNOWN.rank
        return (verdict, -bool(k.in_head), -len(k.repositories), -k.severity.rank, k.first_date, k.fingerprint)

    return tuple(sorted(keys, key=urgency))


def with_verdicts(report: OrgReport, verdicts: Mapping[str, KeyCheck]) -> OrgReport:
    keys = [replace(k, verdict=verdicts.get(k.fingerprint)) for k in report.keys]
    return replace(report, keys=rank(keys))
