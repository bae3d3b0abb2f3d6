"""One result file per repository and head commit: what `org scan` writes and `org merge` reads.

A file is written whole or not at all (a temporary file in the same directory, then rename), so a
killed worker leaves no half result and a rerun skips every repository that has one. A repository
that could not be cloned or scanned gets a `failed` record with its reason; one whose history was
walked but with archive blobs it could not read gets an `incomplete` record: its keys, and each
unread blob named. A rerun tries both again; merge reports both (exit 3), and the keys of the latter.
Nothing here holds a key: fingerprints (sha256) and redacted forms only, and every string that
came from the repository (paths, names, commit summaries) passes through report.untrusted.for_data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keylatch.errors import ScanError
from keylatch.history.model import CommitInfo, HistoryResult, KeyFinding
from keylatch.org.fetch import slug
from keylatch.org.plan import PlannedRepo
from keylatch.report.untrusted import PATH_LIMIT, for_data

FORMAT = "keylatch-org-result/1"
SUFFIX = ".result.json"


@dataclass(frozen=True, slots=True)
class Place:
    commit: str
    path: str
    line: int
    column: int
    blob: str


@dataclass(frozen=True, slots=True)
class RepoKey:
    """A key in one repository: its fingerprint and redacted form, never its value."""

    fingerprint: str
    redacted: str
    rule_id: str
    severity: str
    encoding: str
    in_head: bool
    introduced: str  # commit
    introduced_date: str
    removed: str  # the commit that removed it from every ref, "" when still present
    places: tuple[Place, ...]


@dataclass(frozen=True, slots=True)
class RepoResult:
    repository: str
    clone_url: str
    planned_head: str
    status: str  # "ok", "incomplete" (keys found, some blobs unread) or "failed"
    auth: str = ""  # which token a clone may use (plan.py), for `merge --verify`
    reason: str = ""
    head: str = ""
    commits: int = 0
    keys: tuple[RepoKey, ...] = ()
    unread: tuple[str, ...] = ()  # "incomplete": each unread archive blob named (at most UNREAD_SHOWN, then a count)

    @property
    def failed(self) -> bool:
        """Not whole: a rerun tries it again and merge reports it."""
        return self.status != "ok"

    @property
    def walked(self) -> bool:
        """Its history was walked: its keys count, even if some blobs were not read."""
        return self.status in ("ok", "incomplete")


def file_name(repo: PlannedRepo) -> str:
    # The digest keeps names apart that slug() maps alike (`a+b`, `a_b`).
    digest = hashlib.sha256(repo.repository.encode("utf-8")).hexdigest()[:8]
    return f"{slug(repo.repository)}-{digest}.{repo.head[:12] or 'nohead'}{SUFFIX}"


def from_history(repo: PlannedRepo, head: str, result: HistoryResult) -> RepoResult:
    from keylatch.report.notice import UNREAD_SHOWN

    keys = tuple(_key(k) for k in result.findings)
    # Archive blobs not read whole, then objects a damaged repository lacks (history/damage.py):
    # the keys of the rest are kept, the result is `incomplete`.
    unread = [for_data(u.message) for u in result.unread] + [for_data(d.message) for d in result.damaged]
    if len(unread) > UNREAD_SHOWN:
        more = len(unread) - UNREAD_SHOWN
        unread[UNREAD_SHOWN:] = [
            f"and {more} more entr{'ies' if more != 1 else 'y'} could not be read ({len(unread)} in all)"
        ]
    said = []
    if result.unread:
        said.append(f"{len(result.unread)} archive blob(s) could not be read whole")
    if result.damaged:
        said.append(
            f"the repository is damaged: {len(result.damaged)} object(s) its commits need are missing or unreadable"
        )
    reason = "; ".join(said)
    return RepoResult(
        repo.repository, repo.clone_url, repo.head, "incomplete" if unread else "ok", repo.auth, reason=reason,
        head=head, commits=result.commits, keys=keys, unread=tuple(unread),
    )  # fmt: skip


def failure(repo: PlannedRepo, reason: str) -> RepoResult:
    return RepoResult(repo.repository, repo.clone_url, repo.head, "failed", repo.auth, reason=for_data(reason))


def _key(k: KeyFinding) -> RepoKey:
    places = tuple(Place(o.commit, for_data(o.path, limit=PATH_LIMIT), o.line, o.column, o.blob) for o in k.locations)
    return RepoKey(
        fingerprint=k.fingerprint,
        redacted=k.secret.redacted,
        rule_id=k.rule_id,
        severity=k.severity.value,
        encoding=",".join(e for e in k.encodings if e),  # every spelling its places use; "" = as written
        in_head=k.in_head,
        introduced=k.introduced.sha,
        introduced_date=k.introduced.date,
        removed=_sha(k.removed),
        places=places,
    )


def _sha(c: CommitInfo | None) -> str:
    return c.sha if c is not None else ""


def done(out: Path, repo: PlannedRepo) -> bool:
    """True when `out` holds a successful result for this repository at this head."""
    path = out / file_name(repo)
    try:
        return load(path).status == "ok"
    except ScanError:
        return False


def write(out: Path, repo: PlannedRepo, result: RepoResult) -> Path:
    path = out / file_name(repo)
    doc = {"format": FORMAT, **_plain(result)}
    data = json.dumps(doc, indent=1, sort_keys=True).encode("utf-8") + b"\n"
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".tmp-", suffix=".partial")  # never *SUFFIX
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path: Path) -> RepoResult:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} file")
        raw_keys = doc.get("keys", [])
        if not isinstance(raw_keys, list):
            raise ValueError("keys is not a list")
        keys = tuple(_key_record(k) for k in raw_keys)
        fields = _checked(RepoResult, {n: doc[n] for n in _RESULT_FIELDS}, "result")
        unread = doc.get("unread", [])  # absent from results written before "incomplete"
        if not isinstance(unread, list) or not all(isinstance(u, str) for u in unread):
            raise ValueError("unread is not a list of strings")
        return RepoResult(**fields, keys=keys, unread=tuple(unread))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScanError(f"cannot read result {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ScanError(f"{path} is not a keylatch org result ({type(exc).__name__}: {exc})") from None


_RESULT_FIELDS = ("repository", "clone_url", "planned_head", "status", "auth", "reason", "head", "commits")
_SCALARS: dict[str, type] = {"str": str, "int": int, "bool": bool}
# Fields that hold a commit or blob id, or nothing: a 32-hex key in one is no key to the
# redactor without its context, so its shape is checked instead.
_OBJECT_IDS = frozenset({"commit", "blob", "introduced", "removed", "head", "planned_head"})
_HEX = frozenset("0123456789abcdef")


def _key_record(raw: object) -> RepoKey:
    if not isinstance(raw, dict) or not isinstance(raw.get("places"), list):
        raise ValueError("a key is not an object with a list of places")
    places = tuple(Place(**_checked(Place, p, "place")) for p in raw["places"])
    return RepoKey(**_checked(RepoKey, {k: v for k, v in raw.items() if k != "places"}, "key"), places=places)


def _object_id(value: str) -> bool:
    return len(value) in (40, 64) and set(value) <= _HEX


def _checked(cls: type, raw: object, what: str) -> dict[str, Any]:
    """`raw`'s scalar fields of record `cls`, each of its declared type (a bool is no int), every
    string redacted and bounded (report.untrusted.for_data): a result file is anyone's file, and
    merge writes its fields to JSON and SARIF as they are."""
    if not isinstance(raw, dict):
        raise ValueError(f"a {what} is not an object")
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue  # a missing field without a default fails in the constructor
        value, kind = raw[f.name], _SCALARS.get(str(f.type))
        if kind is None:
            raise ValueError(f"{what} field {f.name} cannot be read here")
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"{what} field {f.name} is not a {f.type}")
        if f.name in _OBJECT_IDS and isinstance(value, str) and value and not _object_id(value):
            raise ValueError(f"{what} field {f.name} is not an object id")
        out[f.name] = for_data(value, PATH_LIMIT) if isinstance(value, str) else value
    unknown = set(raw) - set(out)
    if unknown:
        raise ValueError(f"{what} has unknown fields ({len(unknown)})")
    return out


def _plain(result: RepoResult) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(result)
