"""Records that flow through keylatch: sources make Chunks, the engine makes Findings.

This module imports nothing from keylatch, so every other module can depend on it.
"""

from __future__ import annotations

import enum
from typing import Protocol, TypeVar

_R = TypeVar("_R", bound="Record")


class Record:
    """A frozen record written out by hand, for the records every command's start-up defines.

    `@dataclass(frozen=True, slots=True)` costs ~0.45 ms a class to define (it compiles six
    methods and makes the class twice), this ~5 us; and a command whose records are all Records
    never imports dataclasses (with inspect, ast, dis and tokenize: ~5 ms). `keylatch scan`'s
    start-up defined 20 dataclasses (~9 ms), the rules 2 more (~1.6 ms, the 25-field Rule 1.2).
    A subclass names its fields in `__slots__`, in the order of its `__init__`'s parameters, and
    sets them with `self._set(...)`; it gets a frozen dataclass's equality, hash, repr, refusal to
    be changed, and `replace(**changes)` for dataclasses.replace (which mypy checks field by
    field; this checks names at run time, not types).
    """

    __slots__: tuple[str, ...] = ()

    def _set(self, *values: object) -> None:
        """For `__init__`: each field of `__slots__` its value, in that order."""
        for name, value in zip(self.__slots__, values, strict=True):
            object.__setattr__(self, name, value)

    def replace(self: _R, **changes: object) -> _R:
        """A copy with `changes` applied (dataclasses.replace's role): any field, by name."""
        unknown = changes.keys() - set(self.__slots__)
        if unknown:
            raise TypeError(f"{type(self).__qualname__} has no field {sorted(unknown)[0]!r}")
        copy = object.__new__(type(self))
        for name in self.__slots__:
            object.__setattr__(copy, name, changes[name] if name in changes else getattr(self, name))
        return copy

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


class KeyCheck(Record):
    """The verdict on one key and why, in keylatch's own words; never holds the key."""

    __slots__ = ("verdict", "reason", "organization", "project")
    verdict: Verdict
    reason: str
    # From the answer's `openai-organization` / `openai-project` headers, when it names them.
    organization: str
    project: str

    def __init__(self, verdict: Verdict, reason: str, organization: str = "", project: str = "") -> None:
        self._set(verdict, reason, organization, project)


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


class Chunk(Record):
    """Bytes to scan and where they came from. `first_line` is the line number of data[0]."""

    __slots__ = ("data", "path", "first_line", "commit", "blob")
    data: bytes
    path: str
    first_line: int
    commit: str | None
    # A blob id when the chunk is a git object; lets history attribute findings to commits.
    blob: str | None

    def __init__(
        self, data: bytes, path: str, first_line: int = 1, commit: str | None = None, blob: str | None = None
    ) -> None:
        self._set(data, path, first_line, commit, blob)

    def __repr__(self) -> str:
        # Without the data: a file's bytes (perhaps a key) in a log or a test's failure message.
        return f"Chunk(path={self.path!r}, first_line={self.first_line!r}, commit={self.commit!r}, blob={self.blob!r})"


class Location(Record):
    __slots__ = ("path", "line", "column", "commit", "blob", "ref", "tag")
    path: str
    line: int
    column: int
    commit: str | None
    blob: str | None
    # A key in no commit and no file: the ref that reaches its blob (history, a tag on a blob).
    ref: str | None
    # A key in an annotated tag object's text: the tag's name (its `tag` header; blob is the tag's id).
    tag: str | None

    def __init__(
        self,
        path: str,
        line: int,
        column: int,
        commit: str | None = None,
        blob: str | None = None,
        ref: str | None = None,
        tag: str | None = None,
    ) -> None:
        self._set(path, line, column, commit, blob, ref, tag)


class Finding(Record):
    __slots__ = ("rule_id", "severity", "secret", "location", "span", "encoding", "verified")
    rule_id: str
    severity: Severity
    secret: Secret
    location: Location
    # Offsets of the match in the chunk's data (bytes) or text (str); used by tests and adapters.
    span: tuple[int, int]
    # "" when found as written, "base64" when found inside a base64-encoded value.
    encoding: str
    # Set only by `--verify` (keylatch.verify): what the service said about the key.
    verified: KeyCheck | None

    def __init__(
        self,
        rule_id: str,
        severity: Severity,
        secret: Secret,
        location: Location,
        span: tuple[int, int] = (0, 0),
        encoding: str = "",
        verified: KeyCheck | None = None,
    ) -> None:
        self._set(rule_id, severity, secret, location, span, encoding, verified)

    @property
    def fingerprint(self) -> str:
        return self.secret.fingerprint
