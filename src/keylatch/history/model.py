"""The history walker's records: one per key found in history, and one per scan.

Built once by the walker (history/attribute.py) and rendered by report/; nothing here reads git.
"""

from __future__ import annotations

from dataclasses import dataclass

from keylatch.model import Secret, Severity

WHOLE_HISTORY: tuple[str, ...] = ("--all",)
PLACES_SHOWN = 3  # places (or refs) named per damaged object; the rest are counted


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    author_name: str
    author_email: str
    date: str  # author date, strict ISO-8601
    summary: str


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A place where a commit introduced the key: that commit's version of `path`, 1-based."""

    commit: str
    path: str
    line: int
    column: int
    author_name: str = ""
    author_email: str = ""
    blob: str = ""
    # How the key is written here: "" as is, or the engine's label for how it was decoded
    # ("base64", "utf-16", "utf-32", "hex", "escaped", "joined": keylatch/engine). Per place: the
    # same key can be plain in one file and encoded in another.
    encoding: str = ""
    # For a key in no commit, the ref that reaches its blob or tree directly (a tag on a blob).
    ref: str = ""
    # A key in an annotated tag object (history/tags.py): the tag's name; blob is the tag's id.
    tag: str = ""


@dataclass(frozen=True, slots=True)
class KeyFinding:
    rule_id: str
    severity: Severity
    secret: Secret
    introduced: CommitInfo  # the earliest commit (committer time) that introduced the key
    # The newest commit that still contains it: HEAD when the key is in HEAD, else the newest of
    # the ref tips holding it and the last commits before each removal.
    last_seen: CommitInfo
    locations: tuple[Occurrence, ...]  # sorted by path, line, column, commit
    in_head: bool
    refs: tuple[str, ...]  # refs from which an introducing commit is reachable
    # True when the earliest introduction is a shallow clone's boundary commit: the key may be
    # older, and that commit is not known to be its author.
    at_shallow_boundary: bool = False
    # The newest commit that took the key out of a file, set only when neither HEAD nor any ref
    # tip holds it any more: its exposure ended there (report/exposure.py).
    removed: CommitInfo | None = None

    @property
    def fingerprint(self) -> str:
        return self.secret.fingerprint

    @property
    def encodings(self) -> tuple[str, ...]:
        """The encodings its places use ("" for as written), sorted."""
        return tuple(sorted({o.encoding for o in self.locations}))


@dataclass(frozen=True, slots=True)
class UnreadBlob:
    """An archive blob whose members could not all be read (corrupt, encrypted, a bomb, too deep):
    keys found in its members before the error are reported as usual; the rest of it was not
    scanned, so the scan is incomplete (exit 3)."""

    blob: str  # full object id
    detail: str  # archives' words after the label: ": not fully scanned: ..." or "!member: ..."
    path: str = ""  # a path a commit put it at, when the log names one (untrusted: redact, escape)
    commit: str = ""  # that commit

    @property
    def message(self) -> str:
        """One line naming it: by path and commit when known, else by id with how to find it."""
        if self.path:
            return f"{self.path}{self.detail} (blob {self.blob[:12]} in commit {self.commit[:12]})"
        return f"archive blob {self.blob[:12]}{self.detail} (find it: git log --all --find-object={self.blob})"


@dataclass(frozen=True, slots=True)
class DamagedObject:
    """An object the walked commits need that the repository cannot give (deleted, left out of a
    pack, corrupt): not scanned, so the scan is incomplete (exit 3); every other object was
    scanned and its keys are reported (history/damage.py)."""

    oid: str  # full object id, named once however many commits need it
    # "blob" when a commit puts it at a path, "tree" (a directory of a commit), "commit" (a
    # parent), else "object" (listed but unreadable, or what a ref names: history/salvage.py).
    kind: str
    # The first few (path, commit) places that need it, by path then commit (untrusted paths:
    # notices redact and escape them), and how many places in all. A commit's parent has the
    # path "", a commit's whole tree ".".
    places: tuple[tuple[str, str], ...] = ()
    needed: int = 0
    refs: tuple[str, ...] = ()  # refs that name it (untrusted names, escaped like paths)

    @property
    def message(self) -> str:
        head = f"{self.kind} {self.oid} is missing or unreadable"
        if self.refs:
            return f"{head}, named by {', '.join(self.refs[:PLACES_SHOWN])}" + _more(len(self.refs) - PLACES_SHOWN)
        if not self.places:
            return f"{head} (no walked commit names it; `git fsck` says what needs it)"
        where = ", ".join(f"{path + ' in ' if path else ''}commit {commit[:12]}" for path, commit in self.places)
        return f"{head}, needed by {where}" + _more(self.needed - len(self.places))


def _more(more: int) -> str:
    return f" and {more} more" if more > 0 else ""


@dataclass(frozen=True, slots=True)
class HistoryResult:
    findings: tuple[KeyFinding, ...]
    commits: int  # commits walked
    blobs: int  # blobs read and scanned in this run
    bytes: int  # bytes of those blobs
    seconds: float
    cached_blobs: int = 0  # blobs skipped because an earlier scan found them clean
    missing_blobs: int = 0  # not present locally (partial clone, --allow-partial)
    gitlinks: int = 0  # submodule commits referenced, not scanned (their objects live elsewhere)
    lfs_pointers: int = 0  # LFS pointer files: the pointer was scanned, the content lives elsewhere
    shallow_boundary: tuple[str, ...] = ()  # history before these commits is missing
    unreachable_included: bool = False
    # Checked-out submodules scanned as repositories of their own (--recurse-submodules).
    submodules: tuple[str, ...] = ()
    # Archive blobs not read whole (history/blobscan.py): every other blob was scanned; exit 3.
    unread: tuple[UnreadBlob, ...] = ()
    # Objects a damaged repository lacks (scan_history(report_damage=True)): every other object
    # was scanned; exit 3.
    damaged: tuple[DamagedObject, ...] = ()
    # Distinct keys found only in objects no ref reaches, not reported (no --include-unreachable).
    unreachable_keys: int = 0

    @property
    def complete(self) -> bool:
        return not (self.missing_blobs or self.shallow_boundary or self.unread or self.damaged)

    @property
    def failed(self) -> bool:
        """Something it was asked to scan could not be read: exit 3, whatever was found."""
        return bool(self.unread or self.damaged)
