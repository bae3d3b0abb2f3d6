"""Records that flow through keylatch: sources make Chunks, the engine makes Findings.

This module imports nothing from keylatch, so every other module can depend on it.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


@dataclass(frozen=True, slots=True)
class Secret:
    """A secret value that cannot print itself: repr and str show only the redacted form."""

    value: str = field(repr=False)
    # How many leading characters are a public prefix (`sk-proj-`), shown in the redacted form.
    prefix_len: int = 0

    @property
    def redacted(self) -> str:
        # At most the prefix kind plus 4+4 characters of the secret part.
        body = self.value[self.prefix_len :]
        if len(body) < 12:
            return self.value[: self.prefix_len] + "*" * 4
        return f"{self.value[: self.prefix_len]}{body[:4]}...{body[-4:]}"

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.value.encode("utf-8")).hexdigest()

    @property
    def sha1(self) -> str:
        # detect-secrets baselines store `hashed_secret` = SHA-1 of the secret; importing one
        # matches on this. Never used to identify a key in keylatch's own files (sha256 is).
        return hashlib.sha1(self.value.encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return f"Secret({self.redacted!r})"

    def __str__(self) -> str:
        return self.redacted


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes to scan and where they came from. `first_line` is the line number of data[0]."""

    data: bytes = field(repr=False)
    path: str
    first_line: int = 1
    commit: str | None = None
    # A blob id when the chunk is a git object; lets history attribute findings to commits.
    blob: str | None = None


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    line: int
    column: int
    commit: str | None = None
    blob: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    severity: Severity
    secret: Secret
    location: Location
    # Offsets of the match in the chunk's data (bytes) or text (str); used by tests and adapters.
    span: tuple[int, int] = (0, 0)
    # "" when found as written, "base64" when found inside a base64-encoded value.
    encoding: str = ""

    @property
    def fingerprint(self) -> str:
        return self.secret.fingerprint
