"""SARIF 2.1.0 for GitHub code scanning (and any SARIF viewer).

One reporting descriptor per rule (all rules, so alerts keep their help text when a rule stops
firing), one result per finding with a region, and `partialFingerprints` from the key's sha256
so code scanning tracks the same key across runs and line moves. What GitHub reads is listed in
docs.github.com "SARIF support for code scanning"; tests validate against the OASIS schema.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from keylatch import __version__
from keylatch.model import Finding, Location, Severity
from keylatch.report.labels import (
    IN_PATH,
    encoding_label,
    expiry_iso,
    expiry_text,
    in_path,
    in_tree_of,
    no_file_place,
    path_shown,
)
from keylatch.report.notice import ALLOWED_BY_COMMENT, NOT_SCANNED, Notice
from keylatch.report.untrusted import PATH_LIMIT, for_data
from keylatch.rules import DEFAULT_RULES, Rule, rule_by_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.policy import SetAside

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT = "keylatchKeyHash/v1"
# GitHub code scanning counts columns in UTF-16 code units (its default `columnKind`), and so
# do the regions here: a line with `é` or an emoji before the key moves the column.
COLUMN_KIND = "utf16CodeUnits"

# The bytes of the line a finding is on (without its newline), or None when the command cannot
# read it again (standard input): the region then gives the line only.
LineOf = Callable[[Finding], bytes | None]

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


# Bytes a character of text in these encodings (engine/__init__.py's wide texts).
_WIDE = {"utf-16": 2, "utf-32": 4}


def _units(prefix: bytes) -> int:
    """UTF-16 code units of `prefix`, decoded as the engine reads text (UTF-8, bad bytes one each)."""
    return len(prefix.decode("utf-8", "replace").encode("utf-16-le")) // 2


def _region(f: Finding, line_of: LineOf | None) -> dict[str, Any]:
    """startLine, and the columns in UTF-16 code units when they are known for sure."""
    loc = f.location
    region: dict[str, Any] = {"startLine": loc.line}
    width = _WIDE.get(f.encoding)
    if width:
        # Found in UTF-16 or UTF-32 text: the engine counted its column in characters of the
        # decoded line, and the key (ASCII) spans `width` bytes a character.
        region.update(startColumn=loc.column, endLine=loc.line, endColumn=loc.column + (f.span[1] - f.span[0]) // width)
        return region
    raw = line_of(f) if line_of is not None else None
    start = loc.column - 1  # a byte offset into the line
    if raw is None or start > len(raw):
        return region
    column = _units(raw[:start]) + 1
    if f.encoding:  # the column of the encoded value: its end is not the key's
        region["startColumn"] = column
        return region
    key = raw[start : start + f.span[1] - f.span[0]]
    if hashlib.sha256(key).hexdigest() != f.fingerprint:  # the file changed since the scan
        return region
    region.update(startColumn=column, endLine=loc.line, endColumn=column + _units(key))
    return region


def member_of(loc: Location) -> tuple[str, str] | None:
    """(archive, member) for a place inside an archive (`dist/bundle.zip!config/.env`, labelled
    by sources/archives.py; nested: `outer.zip!inner.zip!a.env` is `inner.zip!a.env` of
    `outer.zip`), or None for a file of its own. A file scanned on disk is cut where the path
    names a file that exists (a name holding `!` stays whole); a path from git, which this
    cannot look up, at its first `!`."""
    path = loc.path
    cuts = [i for i, c in enumerate(path) if c == "!" and 0 < i < len(path) - 1]
    if not cuts:
        return None
    if not (loc.blob or loc.commit):
        if os.path.isfile(path):
            return None
        cuts = [i for i in cuts if os.path.isfile(path[:i])] or cuts
    return path[: cuts[0]], path[cuts[0] + 1 :]


def _uri(path: str) -> str:
    # `!` is a URI sub-delimiter: a file named so keeps it (a member is never in a uri). A name
    # that is not UTF-8 holds surrogates (os.fsdecode): its own bytes are percent-encoded, as a
    # URI names such a file; quote() on the str raised, and no report was written (QA t-qa17).
    return quote(for_data(path, PATH_LIMIT).encode("utf-8", "surrogateescape"), safe="/!")


def _place(loc: Location, region: dict[str, Any]) -> dict[str, Any]:
    """A file's physical location; a key in an archive member, the archive's (a file in the
    repository, which code scanning can show) with the member as a logical location (GitHub
    rejects or cannot show a `uri` naming no file); a key in no file (a commit's message, a blob a
    tag reaches) gets a logical location naming the commit or the ref instead of an empty `uri`."""
    member = member_of(loc)
    if member is not None:
        archive, inner = (for_data(p, PATH_LIMIT) for p in member)
        return {
            "physicalLocation": {
                # The member's line is not a line of the archive's bytes: the region is the file.
                "artifactLocation": {"uri": _uri(member[0]), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 1},
            },
            "logicalLocations": [{"name": inner, "fullyQualifiedName": f"{archive}!{inner}", "kind": "resource"}],
            "message": {"text": f"archive member {inner}, " + (IN_PATH if in_path(loc.line) else f"line {loc.line}")},
        }
    if loc.path and loc.ref and not loc.commit:
        # In a tree only a ref reaches: no file of the checkout, so no `uri` (see above).
        name = for_data(in_tree_of(loc.ref, loc.path))
        return {
            "logicalLocations": [{"name": name, "fullyQualifiedName": name, "kind": "resource"}],
            "message": {"text": f"{name}, line {loc.line}"},
        }
    if loc.path:
        return {
            "physicalLocation": {
                "artifactLocation": {"uri": _uri(loc.path), "uriBaseId": "%SRCROOT%"},
                "region": region,
            }
        }
    if loc.tag:
        tag = for_data(loc.tag)
        logical = {"name": tag, "fullyQualifiedName": f"tag/{tag}/{loc.blob or ''}", "kind": "object"}
    elif loc.commit:
        logical = {"name": "message", "fullyQualifiedName": f"commit/{loc.commit}/message", "kind": "object"}
    else:
        name = for_data(loc.ref) if loc.ref else f"blob/{loc.blob or ''}"
        logical = {"name": name, "fullyQualifiedName": f"{name}/{loc.blob or ''}", "kind": "resource"}
    return {
        "logicalLocations": [logical],
        "message": {"text": f"{for_data(no_file_place(loc.commit, loc.blob, loc.ref, loc.tag))}, line {loc.line}"},
    }


def _result(f: Finding, index: int, reveal: bool, line_of: LineOf | None) -> dict[str, Any]:
    loc = f.location
    shown = f.secret.value if reveal else f.secret.redacted
    named = in_path(loc.line)  # the key is in the path itself (line 0): SARIF's lines start at 1
    if named:
        loc = loc.replace(path=path_shown(loc.path, loc.line, f.secret.value, f.secret.redacted))
    member = member_of(loc)
    if named:
        where = f" {IN_PATH} (a file or directory name), column {loc.column}"
        where += f" in commit {loc.commit[:12]}" if loc.commit else ""
    elif loc.path and loc.ref and not loc.commit:
        where = f" in {for_data(in_tree_of(loc.ref, loc.path))}, line {loc.line} (in no commit)"
    elif loc.path:
        where = f" in commit {loc.commit[:12]}" if loc.commit else ""
        if member is not None:
            archive, inner = (for_data(p, PATH_LIMIT) for p in member)
            where = f" in {archive}, member {inner} line {loc.line}" + where
    else:
        where = f" in the {for_data(no_file_place(loc.commit, loc.blob, loc.ref, loc.tag))}, line {loc.line}"
    enc = f" ({encoding_label(f.encoding)})" if f.encoding else ""
    verdict = f". Verdict: {f.verified.verdict.label} ({f.verified.reason})" if f.verified else ""
    expiry = expiry_text(f.secret.expires)
    text = f"{rule_by_id(f.rule_id).description}{enc}: {shown} (sha256:{f.fingerprint[:12]}){expiry}{where}{verdict}"
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": _LEVEL[f.severity],
        "message": {"text": text},
        "locations": [_place(loc, {"startLine": 1} if named else _region(f, line_of))],
        "partialFingerprints": {FINGERPRINT: f.fingerprint},
    }
    props: dict[str, Any] = {"severity": f.severity.value}
    if loc.commit:
        props["commit"] = loc.commit
    if loc.ref:
        props["ref"] = for_data(loc.ref)
    if loc.tag:
        props["tag"] = for_data(loc.tag)
    if loc.blob and not loc.path:
        props["blob"] = loc.blob
    if member is not None:
        props["archive"], props["member"] = (for_data(p, PATH_LIMIT) for p in member)
        if not named:
            props["memberLine"], props["memberColumn"] = loc.line, loc.column
    if named:
        props["in"] = "path"
        props["pathColumn"] = loc.column
    if f.encoding:
        props["encoding"] = f.encoding
    if f.secret.expires is not None:
        props["expires"] = expiry_iso(f.secret.expires)
    if f.verified:
        props["verdict"] = f.verified.verdict.value
        props["verdictReason"] = f.verified.reason
    result["properties"] = props
    return result


def _notification(n: Notice) -> dict[str, Any]:
    out: dict[str, Any] = {
        "descriptor": {"id": n.kind},
        "level": n.level if n.level in ("error", "warning") else "note",
        "message": {"text": n.message},
    }
    if n.path:
        loc: dict[str, Any] = {"artifactLocation": {"uri": quote(n.path, safe="/"), "uriBaseId": "%SRCROOT%"}}
        if n.line:
            loc["region"] = {"startLine": n.line}
        out["locations"] = [{"physicalLocation": loc}]
    return out


def _invocation(notices: Sequence[Notice]) -> dict[str, Any]:
    """Settings notices are configuration notifications; allowed keys and entries that could not
    be read are execution ones (the run did not complete: executionSuccessful false)."""
    config = [_notification(n) for n in notices if n.kind not in (ALLOWED_BY_COMMENT, NOT_SCANNED)]
    execution = [_notification(n) for n in notices if n.kind in (ALLOWED_BY_COMMENT, NOT_SCANNED)]
    out: dict[str, Any] = {"executionSuccessful": not any(n.kind == NOT_SCANNED for n in notices)}
    if config:
        out["toolConfigurationNotifications"] = config
    if execution:
        out["toolExecutionNotifications"] = execution
    return out


def render(
    findings: Sequence[Finding],
    *,
    reveal: bool = False,
    notices: Sequence[Notice] = (),
    line_of: LineOf | None = None,
    set_aside: SetAside | None = None,
) -> str:
    """`line_of` reads a finding's line again, for its columns (COLUMN_KIND); without it, or
    when the line no longer holds the key, a region names the line only. `set_aside`: the
    run's `keylatchSetAside` property (report/set_aside.py)."""
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
                "columnKind": COLUMN_KIND,
                "results": [_result(f, index[f.rule_id], reveal, line_of) for f in ordered],
            }
        ],
    }
    if notices:
        run = doc["runs"][0]
        run["invocations"] = [_invocation(notices)]
        run["properties"] = {"keylatchNotices": [n.as_dict() for n in notices]}
    if set_aside:
        from keylatch.report.set_aside import as_dict

        doc["runs"][0].setdefault("properties", {})["keylatchSetAside"] = as_dict(set_aside)
    return json.dumps(doc, indent=2) + "\n"
