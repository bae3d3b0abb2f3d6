"""JSON report. The shape is versioned: `schema_version` changes when a field changes meaning."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from keylatch import __version__
from keylatch.model import Finding
from keylatch.report.untrusted import for_data
from keylatch.rules import rule_by_id

SCHEMA_VERSION = 1


def finding_dict(f: Finding, reveal: bool = False) -> dict[str, Any]:
    loc = f.location
    out: dict[str, Any] = {
        "rule_id": f.rule_id,
        "description": rule_by_id(f.rule_id).description,
        "severity": f.severity.value,
        "path": for_data(loc.path),
        "line": loc.line,
        "column": loc.column,
        "commit": loc.commit,
        "secret": f.secret.value if reveal else f.secret.redacted,
        "fingerprint": f.fingerprint,
        "encoding": f.encoding or None,
        "verified": f.verified,
    }
    return out


def render(findings: Sequence[Finding], *, reveal: bool = False) -> str:
    doc = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "keylatch", "version": __version__},
        "findings": [finding_dict(f, reveal) for f in findings],
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
