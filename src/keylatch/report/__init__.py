"""Renderers: findings in, text out. Redacted unless the cli passes reveal=True."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from keylatch.model import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.policy import SetAside
    from keylatch.report.notice import Notice

FORMATS = ("text", "json", "sarif", "github")


def render(
    fmt: str, findings: Sequence[Finding], *, colour: bool = False, reveal: bool = False,
    notices: Sequence[Notice] = (), skipped: int = 0, line_of: Callable[[Finding], bytes | None] | None = None,
    unread: int = 0, set_aside: SetAside | None = None,
) -> str:  # fmt: skip
    """`notices` (report/notice.py) go into json, sarif and github; the text report leaves them to
    the caller, which prints them on stderr. `skipped`: entries not scanned because they are not
    regular files (the text summary says so). `line_of`: a finding's line read again, for SARIF's
    UTF-16 columns (report/sarif.py). `unread`: entries that could not be read (the text summary
    says so; the other formats carry them as notices). `set_aside`: JSON's `set_aside` counts
    and SARIF's run property (its text is a notice: report/set_aside.py)."""
    # Imported on demand: the hook path renders text only.
    if fmt == "json":
        from keylatch.report import json_report

        return json_report.render(findings, reveal=reveal, notices=notices, set_aside=set_aside)
    if fmt == "sarif":
        from keylatch.report import sarif

        return sarif.render(findings, reveal=reveal, notices=notices, line_of=line_of, set_aside=set_aside)
    if fmt == "github":
        from keylatch.report import github

        return github.render(findings, reveal=reveal, notices=notices)
    from keylatch.report import text

    return text.render(findings, colour=colour, reveal=reveal, skipped=skipped, unread=unread)
