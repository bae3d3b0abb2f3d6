"""Renderers: findings in, text out. Redacted unless the cli passes reveal=True."""

from __future__ import annotations

from collections.abc import Sequence

from keylatch.model import Finding

FORMATS = ("text", "json", "sarif", "github")


def render(
    fmt: str, findings: Sequence[Finding], *, colour: bool = False, reveal: bool = False, skipped: int = 0
) -> str:
    """`skipped`: entries not scanned because they are not regular files (the text summary says so)."""
    # Imported on demand: the hook path renders text only.
    if fmt == "json":
        from keylatch.report import json_report

        return json_report.render(findings, reveal=reveal)
    if fmt == "sarif":
        from keylatch.report import sarif

        return sarif.render(findings, reveal=reveal)
    if fmt == "github":
        from keylatch.report import github

        return github.render(findings, reveal=reveal)
    from keylatch.report import text

    return text.render(findings, colour=colour, reveal=reveal, skipped=skipped)
