"""Notices: what a reviewer must know about how a scan was judged, beside its findings.

`keylatch ci` judges a range with its base commit's configuration and baseline, so that a
change cannot approve itself; a notice names the settings used, every change the range makes
to them, and every key in the range that an allow comment kept out of the report. Every format
carries them: text on stderr, JSON `notices`, SARIF invocation notifications and run
properties, `github` annotations.

Every command also names each entry it could not read (`not-scanned`, level "error": a file,
an archive, a blob), after scanning everything else: the command then exits 3, keys or not.
At most UNREAD_SHOWN are listed, then one notice counts the rest; all are counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Kinds (stable: JSON and SARIF consumers match on them).
JUDGED_WITH = "judged-with"  # which configuration and baseline the range was judged with
SETTINGS_CHANGED = "settings-changed"  # the range changes a configuration or baseline file
SETTINGS_INVALID = "settings-invalid"  # the base's file is not valid: not applied
ALLOWED_BY_COMMENT = "allowed-by-comment"  # a key of the range that an allow comment suppressed
NOT_SCANNED = "not-scanned"  # an entry that could not be read (whole): the scan is incomplete, exit 3

# Unread entries listed one by one; a tree of a million unreadable files prints this many lines.
UNREAD_SHOWN = 20

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str
    level: str  # "error" (the scan is incomplete), "warning" (a reviewer should look) or "note"
    message: str  # one line, safe to print (see `safe`)
    path: str = ""  # the repository path it concerns, if any
    line: int = 0
    commit: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "level": self.level,
            "message": self.message,
            "path": self.path or None,
            "line": self.line or None,
            "commit": self.commit or None,
        }


def _escape(m: re.Match[str]) -> str:
    n = ord(m.group())
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def safe(text: str) -> str:
    """`text` from scanned content (a path, a ref name) made printable: any key in it redacted
    (report/untrusted.py, the redaction every report uses), then control and bidi characters
    escaped in the `\\xNN` spelling notices have always used."""
    from keylatch.report.untrusted import redact

    return _CONTROL.sub(_escape, redact(text))


def unread(
    entries: Sequence[tuple[str, str]], total: int | None = None, commits: Sequence[str] = ()
) -> tuple[Notice, ...]:
    """`not-scanned` notices for (path, message) of entries that could not be read: the first
    UNREAD_SHOWN, then one that counts the rest (`total`: all of them, when more than given).
    `commits`: the commit each entry was read from, where known (history: the one that needs it)."""
    total = len(entries) if total is None else total
    at = [*commits, *[""] * (len(entries) - len(commits))]
    out = [
        Notice(NOT_SCANNED, "error", safe(message), path=safe(path), commit=commit)
        for (path, message), commit in zip(entries[:UNREAD_SHOWN], at, strict=False)
    ]
    if total > len(out):
        more = total - len(out)
        out.append(
            Notice(
                NOT_SCANNED,
                "error",
                f"and {more} more entr{'ies' if more != 1 else 'y'} could not be read ({total} in all)",
            )
        )
    return tuple(out)


def unread_summary(count: int) -> str:
    """What a report's summary adds when entries could not be read (exit 3 wins over exit 1)."""
    return f"; {count} entr{'ies' if count != 1 else 'y'} could not be read (exit 3)"


def text_lines(notices: Sequence[Notice]) -> str:
    """The notices as stderr lines (`keylatch: warning: ...`, `keylatch: error: ...`)."""
    return "".join(f"keylatch: {_PREFIX.get(n.level, '')}{n.message}\n" for n in notices)


_PREFIX = {"warning": "warning: ", "error": "error: "}
