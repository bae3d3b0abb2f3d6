"""Human report: one line per finding, then a summary line."""

from __future__ import annotations

from collections.abc import Sequence

from keylatch.model import Finding, Severity

_COLOURS = {
    Severity.CRITICAL: "\033[1;35m",
    Severity.HIGH: "\033[1;31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
}
_RESET = "\033[0m"


def secret_text(finding: Finding, reveal: bool) -> str:
    return finding.secret.value if reveal else finding.secret.redacted


def render(findings: Sequence[Finding], *, colour: bool = False, reveal: bool = False, skipped: int = 0) -> str:
    lines = []
    for f in findings:
        loc = f.location
        where = f"{loc.path}:{loc.line}:{loc.column}"
        if loc.commit:
            where = f"{loc.commit[:12]}:{where}"
        sev = f.severity.value
        if colour:
            sev = f"{_COLOURS[f.severity]}{sev}{_RESET}"
        enc = f" ({f.encoding}-encoded)" if f.encoding else ""
        checked = f" verified:{f.verified}" if f.verified else ""
        lines.append(
            f"{where}: {sev} {f.rule_id}{enc} {secret_text(f, reveal)} sha256:{f.fingerprint[:12]}{checked}"
        )
    files = len({f.location.path for f in findings})
    if findings:
        noun = "key" if len(findings) == 1 else "keys"
        summary = f"keylatch: {len(findings)} {noun} found in {files} file{'s' if files != 1 else ''}"
    else:
        summary = "keylatch: no keys found"
    if skipped:  # FIFOs, sockets, devices, symlinks in a walked directory: not opened
        summary += f"; skipped {skipped} non-regular entr{'ies' if skipped != 1 else 'y'}"
    lines.append(summary)
    return "\n".join(lines) + "\n"
