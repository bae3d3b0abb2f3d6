"""JSON report. The shape is versioned: `schema_version` changes when a field changes meaning."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from keylatch import __version__
from keylatch.model import Finding, KeyCheck
from keylatch.report.labels import expiry_iso, in_path, path_shown
from keylatch.report.notice import Notice
from keylatch.report.untrusted import PATH_LIMIT, for_data
from keylatch.rules import rule_by_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.policy import SetAside

# 2: `verified` (valid/invalid/unknown) became `verification` (verdict, reason, organization, project).
SCHEMA_VERSION = 2


def finding_dict(f: Finding, reveal: bool = False) -> dict[str, Any]:
    loc = f.location
    out: dict[str, Any] = {
        "rule_id": f.rule_id,
        "description": rule_by_id(f.rule_id).description,
        "severity": f.severity.value,
        "path": for_data(path_shown(loc.path, loc.line, f.secret.value, f.secret.redacted), PATH_LIMIT),
        "line": loc.line,
        "column": loc.column,
        "commit": loc.commit,
        "secret": f.secret.value if reveal else f.secret.redacted,
        "fingerprint": f.fingerprint,
        "encoding": f.encoding or None,
        "verification": verification_dict(f.verified),
        # Additive (no schema_version change): null unless the key says when it expires.
        "expires": expiry_iso(f.secret.expires),
    }
    # Additive, only where the place is no file of a commit (ci, pre-push): a key in an annotated
    # tag's message (`tag` names it, `blob` is the tag object) or in a blob a ref reaches directly.
    # Additive: a key written in the path itself (a file or directory name; line 0).
    if in_path(loc.line):
        out["in"] = "path"
    if loc.tag:
        out["tag"] = for_data(loc.tag)
    if loc.ref:
        out["ref"] = for_data(loc.ref)
    if (loc.tag or loc.ref) and loc.blob:
        out["blob"] = loc.blob
    return out


def verification_dict(check: KeyCheck | None) -> dict[str, str | None] | None:
    """What --verify concluded (None when it did not run); never the key."""
    if check is None:
        return None
    return {
        "verdict": check.verdict.value,
        "label": check.verdict.label,
        "reason": check.reason,
        "organization": check.organization or None,
        "project": check.project or None,
    }


def render(
    findings: Sequence[Finding],
    *,
    reveal: bool = False,
    notices: Sequence[Notice] = (),
    set_aside: SetAside | None = None,
) -> str:
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "keylatch", "version": __version__},
        "findings": [finding_dict(f, reveal) for f in findings],
    }
    if notices:  # `keylatch ci`: the settings it judged with, changes to them, allowed keys
        doc["notices"] = [n.as_dict() for n in notices]
    if set_aside:  # additive: what the settings kept out of `findings` (report/set_aside.py)
        from keylatch.report.set_aside import as_dict

        doc["set_aside"] = as_dict(set_aside)
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
