"""Notices: what a reviewer must know about how a scan was judged, beside its findings.

`keylatch ci` judges a range with its base commit's configuration and baseline, so that a
change cannot approve itself; a notice names the settings used, every change the range makes
to them, and every key in the range that an allow comment kept out of the report. Every format
carries them: text on stderr, JSON `notices`, SARIF invocation notifications and run
properties, `github` annotations.
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

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class Notice:
    kind: str
    level: str  # "warning" (a reviewer should look) or "note"
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


def text_lines(notices: Sequence[Notice]) -> str:
    """The notices as stderr lines (`keylatch: warning: ...`)."""
    return "".join(f"keylatch: {'warning: ' if n.level == 'warning' else ''}{n.message}\n" for n in notices)
