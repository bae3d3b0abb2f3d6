"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

One reporting descriptor per rule (all rules, so alerts keep their help text when a rule stops
firing), one result per finding with a region, and `partialFingerprints` from the key's sha256
so code scanning tracks the same key across runs and line moves. What GitHub reads is listed in
docs.github.com "SARIF support for code scanning"; tests validate against the OASIS schema.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from keylatch import __version__
from keylatch.model import Finding, Severity
from keylatch.report.notice import ALLOWED_BY_COMMENT, Notice
from keylatch.report.untrusted import PATH_LIMIT, for_data
from keylatch.rules import DEFAULT_RULES, Rule, rule_by_id

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "keylatchKeyHash/v1"

_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
# GitHub maps security-severity to critical (>= 9.0), high (>= 7.0), medium (>= 4.0), low.
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}

_HELP = (
    "{description}.\n\n"
    "A key in a repository is readable by everyone who can read the repository, its forks and its "
    "history. Revoke the key first (https://platform.openai.com/api-keys, or the Azure portal for "
    "Azure keys), then remove it from the code and load it from the environment or a secret store. "
    "Deleting the line does not remove the key from git history.\n\n"
    "If the finding is a known, revoked key, accept it with `keylatch baseline update --reason ...`, "
    "or mark the line with a `keylatch:allow` comment."
)


def _rule(rule: Rule) -> dict[str, Any]:
    text = _HELP.format(description=rule.description)
    out: dict[str, Any] = {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.description},
        "fullDescription": {"text": f"{rule.description}. Format source: {', '.join(rule.references)}"},
        "help": {"text": text, "markdown": text},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": ["security", "secret", "external/cwe/cwe-798"],
            "precision": "high",
            "security-severity": _SECURITY_SEVERITY[rule.severity],
        },
    }
    if rule.references:
        out["helpUri"] = rule.references[0]
    return out


def _result(f: Finding, index: int, reveal: bool) -> dict[str, Any]:
    loc = f.location
    shown = f.secret.value if reveal else f.secret.redacted
    where = f" in commit {loc.commit[:12]}" if loc.commit else ""
    enc = " (base64-encoded)" if f.encoding else ""
    verdict = f". Verdict: {f.verified.verdict.label} ({f.verified.reason})" if f.verified else ""
    text = f"{rule_by_id(f.rule_id).description}{enc}: {shown} (sha256:{f.fingerprint[:12]}){where}{verdict}"
    region: dict[str, Any] = {"startLine": loc.line, "startColumn": loc.column}
    if not f.encoding and f.span[1] > f.span[0]:
        region["endLine"] = loc.line
        region["endColumn"] = loc.column + f.span[1] - f.span[0]
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {
                        "uri": quote(for_data(loc.path, PATH_LIMIT), safe="/"),
                        "uriBaseId": "%SRCROOT%",
                    },
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT: f.fingerprint},
    }
    props: dict[str, Any] = {"severity": f.severity.value}
    if loc.commit:
        props["commit"] = loc.commit
    if f.encoding:
        props["encoding"] = f.encoding
    if f.verified:
        props["verdict"] = f.verified.verdict.value
        props["verdictReason"] = f.verified.reason
    result["properties"] = props
    return result


def _notification(n: Notice) -> dict[str, Any]:
    out: dict[str, Any] = {
        "descriptor": {"id": n.kind},
        "level": "warning" if n.level == "warning" else "note",
        "message": {"text": n.message},
    }
    if n.path:
        loc: dict[str, Any] = {"artifactLocation": {"uri": quote(n.path, safe="/"), "uriBaseId": "%SRCROOT%"}}
        if n.line:
            loc["region"] = {"startLine": n.line}
        out["locations"] = [{"physicalLocation": loc}]
    return out


def _invocation(notices: Sequence[Notice]) -> dict[str, Any]:
    """Settings notices are configuration notifications; allowed keys are execution ones."""
    config = [_notification(n) for n in notices if n.kind != ALLOWED_BY_COMMENT]
    execution = [_notification(n) for n in notices if n.kind == ALLOWED_BY_COMMENT]
    out: dict[str, Any] = {"executionSuccessful": True}
    if config:
        out["toolConfigurationNotifications"] = config
    if execution:
        out["toolExecutionNotifications"] = execution
    return out


def render(findings: Sequence[Finding], *, reveal: bool = False, notices: Sequence[Notice] = ()) -> str:
    index = {r.id: i for i, r in enumerate(DEFAULT_RULES)}
    ordered = sorted(
        findings,
        key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id, f.location.commit or ""),
    )
    doc: dict[str, Any] = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "keylatch",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(r) for r in DEFAULT_RULES],
                    }
                },
                "results": [_result(f, index[f.rule_id], reveal) for f in ordered],
            }
        ],
    }
    if notices:
        run = doc["runs"][0]
        run["invocations"] = [_invocation(notices)]
        run["properties"] = {"keylatchNotices": [n.as_dict() for n in notices]}
    return json.dumps(doc, indent=2) + "\n"
