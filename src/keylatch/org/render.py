"""The merged organisation report as text, JSON or SARIF. Fingerprints and redacted forms only;
every string from a repository was made safe when the result was written (results.py), and text
output escapes it again for the terminal. Repositories that failed or were never scanned are
listed in every format: in SARIF as a run whose invocation did not succeed.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from keylatch import __version__
from keylatch.org.merge import OrgKey, OrgReport, Unscanned
from keylatch.report.sarif import FINGERPRINT, SCHEMA
from keylatch.report.untrusted import PATH_LIMIT, for_terminal

FORMATS = ("text", "json", "sarif")
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


def render(fmt: str, report: OrgReport) -> str:
    return {"text": text, "json": as_json, "sarif": sarif}[fmt](report)


def _verdict(k: OrgKey) -> dict[str, str] | None:
    if k.verdict is None:
        return None
    return {"verdict": k.verdict.verdict.value, "reason": k.verdict.reason}


def _unscanned(items: tuple[Unscanned, ...]) -> list[dict[str, str]]:
    return [{"repository": u.repository, "clone_url": u.clone_url, "reason": u.reason} for u in items]


def as_json(report: OrgReport) -> str:
    doc = {
        "keys": [
            {
                "fingerprint": k.fingerprint,
                "redacted": k.redacted,
                "rule_id": k.rule_id,
                "severity": k.severity.value,
                "shared_across_repositories": k.shared,
                "first_exposure": {"repository": k.first_repository, "commit": k.first_commit, "date": k.first_date},
                "repositories": list(k.repositories),
                "still_present_in": list(k.in_head),
                "locations": [
                    {
                        "repository": p.repository,
                        "commit": p.commit,
                        "path": p.path,
                        "line": p.line,
                        "column": p.column,
                    }  # fmt: skip
                    for p in k.places
                ],
                "verification": _verdict(k),
            }
            for k in report.keys
        ],
        "repositories_scanned": len(report.scanned),
        "failed": _unscanned(report.failed),
        "missing": _unscanned(report.missing),
        "complete": report.complete,
    }
    return json.dumps(doc, indent=2) + "\n"


def text(report: OrgReport) -> str:
    t = for_terminal
    lines = []
    for n, k in enumerate(report.keys, 1):
        where = f"{len(k.repositories)} repositories (shared across repositories)" if k.shared else k.repositories[0]
        verdict = f" [{k.verdict.verdict.label}: {t(k.verdict.reason)}]" if k.verdict is not None else ""
        # Every field is a result file's text (anyone's file): escaped, keys in it redacted.
        head = f"{t(k.redacted)} {t(k.rule_id)} ({k.severity.value}){verdict} sha256:{t(k.fingerprint[:16])}"
        lines.append(f"{n}. {head}")
        lines.append(f"   in {t(where)}; still present in {len(k.in_head)}")
        lines.append(f"   first exposed {t(k.first_date)} in {t(k.first_repository)} at {t(k.first_commit[:12])}")
        for p in k.places:
            lines.append(f"   {t(p.repository)}: {t(p.path, PATH_LIMIT)}:{t(str(p.line))} ({t(p.commit[:12])})")
    for title, items in (("could not be scanned", report.failed), ("never scanned (no result)", report.missing)):
        if items:
            lines.append(f"{len(items)} repositories {title}:")
            lines.extend(f"   {t(u.repository)}: {t(u.reason)}" for u in items)
    keys = len(report.keys)
    shared = sum(k.shared for k in report.keys)
    lines.append(
        f"{keys} distinct key(s) ({shared} shared across repositories) in {len(report.scanned)} repositories scanned"
        + ("" if report.complete else f"; {len(report.failed) + len(report.missing)} not scanned: INCOMPLETE")
    )
    return "\n".join(lines) + "\n"


def sarif(report: OrgReport) -> str:
    by_repo: dict[str, list[tuple[OrgKey, int]]] = {r.repository: [] for r in report.scanned}
    for k in report.keys:
        for i, p in enumerate(k.places):
            by_repo.setdefault(p.repository, []).append((k, i))
    runs = []
    failed = {u.repository: u for u in report.failed}
    for result in report.scanned:
        run = _run(result.repository, result.clone_url, result.head)
        run["results"] = [_result(k, i) for k, i in by_repo[result.repository]]
        if result.repository in failed:  # incomplete: its keys, and one run that says it is not whole
            run["invocations"] = _failed("could not be scanned whole", failed.pop(result.repository).reason)
        runs.append(run)
    for u, what in [(u, "could not be scanned") for u in failed.values()] + [(u, "no result") for u in report.missing]:
        run = _run(u.repository, u.clone_url, "")
        run["invocations"] = _failed(what, u.reason)
        runs.append(run)
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": runs}, indent=2) + "\n"


def _failed(what: str, reason: str) -> list[dict[str, Any]]:
    return [{
        "executionSuccessful": False,
        "toolExecutionNotifications": [{"level": "error", "message": {"text": f"{what}: {reason}"}}],
    }]  # fmt: skip


def _run(repository: str, url: str, head: str) -> dict[str, Any]:
    provenance: dict[str, Any] = {"repositoryUri": url}
    if head:
        provenance["revisionId"] = head
    return {
        "tool": {
            "driver": {"name": "keylatch", "version": __version__, "informationUri": "https://github.com/keylatch"}
        },
        "automationDetails": {"id": f"keylatch-org/{repository}"},
        "versionControlProvenance": [provenance],
        "invocations": [{"executionSuccessful": True}],
        "results": [],
    }


def _result(k: OrgKey, i: int) -> dict[str, Any]:
    p = k.places[i]
    shared = f"; shared across {len(k.repositories)} repositories" if k.shared else ""
    return {
        "ruleId": k.rule_id,
        "level": _LEVEL[k.severity.value],
        "message": {"text": f"{k.rule_id} {k.redacted} introduced in {p.commit[:12]}{shared}"},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(p.path)},
                    "region": {"startLine": max(p.line, 1), "startColumn": max(p.column, 1)},
                }
            }
        ],  # fmt: skip
        "partialFingerprints": {FINGERPRINT: k.fingerprint},
        "properties": {
            "commit": p.commit,
            "sharedAcrossRepositories": k.shared,
            "verdict": k.verdict.verdict.value if k.verdict is not None else None,
        },  # fmt: skip
    }
