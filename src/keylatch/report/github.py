"""GitHub Actions workflow commands: one `::error file=…,line=…::…` annotation per finding.

Escaping follows the runner's rules (actions/toolkit `command.ts`): data escapes `%`, CR and LF;
property values also escape `:` and `,`. Paths are redacted and their control characters
escaped first (report/untrusted.py): the log view shows a line the runner did not parse as is.
"""

from __future__ import annotations

from collections.abc import Sequence

from keylatch.model import Finding, Severity
from keylatch.report.labels import IN_PATH, encoding_label, expiry_text, in_path, in_tree_of, no_file_place, path_shown
from keylatch.report.notice import Notice
from keylatch.report.text import summary_line
from keylatch.report.untrusted import PATH_LIMIT, for_terminal

_COMMAND = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "notice"}


def _data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    return _data(s).replace(":", "%3A").replace(",", "%2C")


def _notice(n: Notice) -> str:
    props = [f"file={_prop(n.path)}"] if n.path else []
    if n.path and n.line:
        props.append(f"line={n.line}")
    props.append(f"title={_prop('keylatch ' + n.kind)}")
    return f"::{n.level if n.level in ('error', 'warning') else 'notice'} {','.join(props)}::{_data(n.message)}"


def render(findings: Sequence[Finding], *, reveal: bool = False, notices: Sequence[Notice] = ()) -> str:
    # Notices first: "this range changes keylatch's settings" is read before the findings.
    lines = [_notice(n) for n in notices]
    ordered = sorted(findings, key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))
    for f in ordered:
        loc = f.location
        shown = f.secret.value if reveal else f.secret.redacted
        enc = f" ({encoding_label(f.encoding)})" if f.encoding else ""
        title = _prop(f"keylatch {f.rule_id}")
        if loc.path and loc.ref and not loc.commit:
            # In a tree only a ref reaches: no file of the checkout to annotate (as below).
            where = f" in {for_terminal(in_tree_of(loc.ref, loc.path), PATH_LIMIT)}, line {loc.line} (in no commit)"
            props = f"title={title}"
        elif loc.path and in_path(loc.line):
            # In the path itself: the file is annotated, at no line (a line 0 the runner rejects).
            where = f" {IN_PATH}, column {loc.column}" + (f" in commit {loc.commit[:12]}" if loc.commit else "")
            path = _prop(for_terminal(path_shown(loc.path, loc.line, f.secret.value, f.secret.redacted), PATH_LIMIT))
            props = f"file={path},title={title}"
        elif loc.path:
            where = f" in commit {loc.commit[:12]}" if loc.commit else ""
            path = _prop(for_terminal(loc.path, PATH_LIMIT))
            props = f"file={path},line={loc.line},col={loc.column},title={title}"
        else:
            # In no file (a commit message, a tagged blob): an annotation without `file=` shows
            # on the run's summary; an empty `file=` would point at nothing.
            where = f" in the {for_terminal(no_file_place(loc.commit, loc.blob, loc.ref, loc.tag))}, line {loc.line}"
            props = f"title={title}"
        verdict = f" Verdict: {f.verified.verdict.label} ({f.verified.reason})." if f.verified else ""
        message = (
            f"{f.severity.value} {f.rule_id}{enc}: {shown} (sha256:{f.fingerprint[:12]})"
            f"{expiry_text(f.secret.expires)}{where}.{verdict} "
            "Revoke the key, then remove it; see the keylatch README for baselines and allow comments."
        )
        lines.append(f"::{_COMMAND[f.severity]} {props}::{_data(message)}")
    lines.append(summary_line(findings))
    return "\n".join(lines) + "\n"
