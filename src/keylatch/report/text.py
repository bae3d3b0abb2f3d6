"""Human report: one line per finding, then a summary line."""

from __future__ import annotations

from collections.abc import Sequence

from keylatch.model import Finding, KeyCheck, Location, Severity
from keylatch.report.labels import (
    IN_PATH,
    encoding_label,
    expiry_text,
    found_summary,
    in_path,
    no_file_place,
    path_shown,
)

_COLOURS = {
    Severity.CRITICAL: "\033[1;35m",
    Severity.HIGH: "\033[1;31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
}
_RESET = "\033[0m"


def secret_text(finding: Finding, reveal: bool) -> str:
    return finding.secret.value if reveal else finding.secret.redacted


def verdict_text(check: KeyCheck | None) -> str:
    """` verdict:live (why) org:… project:…`, or "" when the key was not checked."""
    if check is None:
        return ""
    where = "".join(f" {k}:{v}" for k, v in (("org", check.organization), ("project", check.project)) if v)
    return f" verdict:{check.verdict.value} ({check.reason}){where}"


def by_urgency(findings: Sequence[Finding]) -> list[Finding]:
    """Live keys first, then unknown, then revoked; the given order within each verdict."""
    return sorted(findings, key=lambda f: f.verified.verdict.rank if f.verified else 0)


def place_text(loc: Location, key: str = "", redacted: str = "") -> str:
    """`commit:path:line:col`, or for a key in no file, which commit message or blob. A key in
    the path (line 0) is redacted in it: `key` and its `redacted` form."""
    # Here, not at the top: a clean run renders only the summary, and redaction's patterns
    # cost ~0.5 ms to import.
    from keylatch.report.untrusted import PATH_LIMIT, for_terminal

    if not loc.path:
        return f"{for_terminal(no_file_place(loc.commit, loc.blob, loc.ref, loc.tag))}:{loc.line}:{loc.column}"
    where = f"{for_terminal(path_shown(loc.path, loc.line, key, redacted), PATH_LIMIT)}:{loc.line}:{loc.column}"
    if loc.ref and not loc.commit:  # in a tree only a ref reaches (labels.in_tree_of)
        return f"{for_terminal(loc.ref)}:{where}"
    return f"{loc.commit[:12]}:{where}" if loc.commit else where


def summary_line(findings: Sequence[Finding]) -> str:
    """Distinct keys, the places they are at, and the files (or commit messages) holding them."""
    places = [(f.location.path, f.location.commit or "", f.location.blob or "") for f in findings]
    return found_summary([f.fingerprint for f in findings], places)


def render(
    findings: Sequence[Finding], *, colour: bool = False, reveal: bool = False, skipped: int = 0, unread: int = 0
) -> str:
    lines = []
    for f in by_urgency(findings):
        sev = f.severity.value
        if colour:
            sev = f"{_COLOURS[f.severity]}{sev}{_RESET}"
        labels = [encoding_label(f.encoding), IN_PATH if in_path(f.location.line) else ""]
        enc = "".join(f" ({label})" for label in labels if label)
        lines.append(
            f"{place_text(f.location, f.secret.value, f.secret.redacted)}: {sev} {f.rule_id}{enc}"
            f" {secret_text(f, reveal)} sha256:{f.fingerprint[:12]}"
            + expiry_text(f.secret.expires)
            + verdict_text(f.verified)
        )
    summary = summary_line(findings)
    if skipped:  # FIFOs, sockets, devices in a walked directory: not opened
        summary += f"; skipped {skipped} non-regular entr{'ies' if skipped != 1 else 'y'}"
    if unread:  # named on stderr (report/notice.py); "keys found" must not read as "all read"
        from keylatch.report.notice import unread_summary

        if not findings:
            summary += " in what could be read"
        summary += unread_summary(unread)
    lines.append(summary)
    return "\n".join(lines) + "\n"
