"""Records that flow through keylatch: sources make Chunks, the engine makes Findings.

This module imports nothing from keylatch, so every other module can depend on it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol


class Record:
    """A frozen record written out by hand, for the records every command's start-up defines.

    `@dataclass(frozen=True, slots=True)` costs ~0.45 ms a class to define (it compiles six
    methods and makes the class twice), this ~5 us: ~3 ms of every `keylatch scan`'s start-up
    for the records it defines (Secret, options, policy, allowlist), ~1.6 ms more for the rules'.
    A subclass names its fields in `__slots__`, in the order of its `__init__`'s parameters, and
    sets them with `self._set(...)`; it gets a frozen dataclass's equality, hash, repr, and
    refusal to be changed. Records that callers copy with `dataclasses.replace` stay dataclasses
    (mypy says which).
    """

    __slots__: tuple[str, ...] = ()

    def _set(self, *values: object) -> None:
        """For `__init__`: each field of `__slots__` its value, in that order."""
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def _compared(self) -> tuple[object, ...]:
        return tuple(getattr(self, n) for n in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__ or not isinstance(other, Record):
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")  # dataclasses' words

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __reduce__(self) -> tuple[type[Record], tuple[object, ...]]:
        # copy and pickle: rebuilt through __init__ (the default would set the slots one by one).
        return type(self), tuple(getattr(self, n) for n in self.__slots__)


class Severity(str, enum.Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class Secret(Record):
    """A secret value that cannot print itself: repr and str show only the redacted form."""

    __slots__ = ("value", "prefix_len", "expires")
    value: str
    # How many leading characters are a public prefix (`sk-proj-`), shown in the redacted form.
    prefix_len: int
    # When the credential stops working by its own word (an OAuth access token's `exp` claim,
    # Unix seconds), else None. Part of the secret rather than of one finding: it is derived from
    # the value, so every place and every report of the key (history's too) carries the same.
    expires: int | None

    def __init__(self, value: str, prefix_len: int = 0, expires: int | None = None) -> None:
        self._set(value, prefix_len, expires)

    @property
    def redacted(self) -> str:
        # At most the prefix kind plus 4+4 characters of the secret part.
        body = self.value[self.prefix_len :]
        if len(body) < 12:
            return self.value[: self.prefix_len] + "*" * 4
        return f"{self.value[: self.prefix_len]}{body[:4]}...{body[-4:]}"

    @property
    def fingerprint(self) -> str:
        import hashlib  # here: a clean scan never hashes a key, and hashlib's OpenSSL costs ~2 ms

        return hashlib.sha256(self.value.encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return f"Secret({self.redacted!r})"

    def __str__(self) -> str:
        return self.redacted


class Verdict(str, enum.Enum):
    """What `--verify` concluded about a key. Only REVOKED says the key is harmless."""

    LIVE = "live"
    LIVE_RESTRICTED = "live-restricted"  # authenticated; lacks a scope for the probe
    LIVE_NO_CREDIT = "live-no-credit"  # authenticated; the account is out of quota
    LIVE_IP_RESTRICTED = "live-ip-restricted"  # refused from this IP by an allow-list
    INACTIVE_OWNER = "inactive-owner"  # its owner left every organisation; may come back
    UNKNOWN = "unknown"  # no usable answer: never read as "dead"
    REVOKED = "revoked"  # invalid_api_key: revoked or never valid

    @property
    def label(self) -> str:
        return _VERDICT_LABELS[self]

    @property
    def rank(self) -> int:
        """Urgency, 0 first: reports list live keys before unknown and revoked ones."""
        return _VERDICT_ORDER.index(self)

    @property
    def live(self) -> bool:
        return self in (Verdict.LIVE, Verdict.LIVE_RESTRICTED, Verdict.LIVE_NO_CREDIT, Verdict.LIVE_IP_RESTRICTED)


_VERDICT_ORDER = tuple(Verdict)
_VERDICT_LABELS = {
    Verdict.LIVE: "live",
    Verdict.LIVE_RESTRICTED: "live, restricted",
    Verdict.LIVE_NO_CREDIT: "live, no credit",
    Verdict.LIVE_IP_RESTRICTED: "live, IP-restricted (not usable from here)",
    Verdict.INACTIVE_OWNER: "inactive owner",
    Verdict.UNKNOWN: "unknown",
    Verdict.REVOKED: "revoked or never valid",
}


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """The verdict on one key and why, in keylatch's own words; never holds the key."""

    verdict: Verdict
    reason: str
    # From the answer's `openai-organization` / `openai-project` headers, when it names them.
    organization: str = ""
    project: str = ""


class Keyed(Protocol):
    """A key as baselines and policy see it: which rule found it, and the key (for its hashes).

    A Finding (one place) and history's record of a key (every place it was introduced) both
    are, so neither has to stand in for the other.
    """

    @property
    def rule_id(self) -> str: ...

    @property
    def secret(self) -> Secret: ...

    @property
    def fingerprint(self) -> str: ...


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
    # A key in no commit and no file: the ref that reaches its blob (history, a tag on a blob).
    ref: str | None = None
    # A key in an annotated tag object's text: the tag's name (its `tag` header; blob is the tag's id).
    tag: str | None = None


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
    # Set only by `--verify` (keylatch.verify): what the service said about the key.
    verified: KeyCheck | None = None

    @property
    def fingerprint(self) -> str:
        return self.secret.fingerprint
