"""The plan: one JSON line per repository, sorted, so shard i/N names the same repositories on
every machine that reads the same file.

    {"repository": "acme/api", "clone_url": "https://github.com/acme/api.git",
     "default_branch": "main", "head": "<sha>", "size": 1234, "auth": "github"}

`size` is in KiB as the host reports it (0: unknown); `auth` names the token (GITHUB_TOKEN,
GITLAB_TOKEN) that a clone may use; the token itself is never in the plan.
"""

from __future__ import annotations

import fnmatch
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from keylatch.errors import UsageError
from keylatch.report.untrusted import redact

AUTH_KINDS = ("github", "gitlab", "")


@dataclass(frozen=True, slots=True)
class Listed:
    """A repository as a hosting API lists it, before filters and heads."""

    repository: str
    clone_url: str
    default_branch: str
    size: int
    archived: bool = False
    fork: bool = False
    auth: str = ""


def text(item: Mapping[str, object], key: str) -> str:
    """A text field of an API's entry; anything else (null, a number, an object) is "" rather
    than its str(), which planned `{'a': 1}` as a name: an entry without a name or clone URL is
    one keylatch cannot plan, and says so (planning.py)."""
    value = item.get(key)
    return value if isinstance(value, str) else ""


def size(value: object) -> int:
    """A size the host reports, or 0 (unknown) for anything but a finite number >= 0: it is a
    note, and "big", Infinity or 1e400 ended the plan in "unexpected ValueError/OverflowError"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    return int(value) if math.isfinite(value) and value >= 0 else 0


@dataclass(frozen=True, slots=True)
class PlannedRepo:
    repository: str
    clone_url: str
    default_branch: str
    head: str  # the default branch's commit when planned; "" for an empty or unreadable repository
    size: int
    auth: str = ""

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Filters:
    include: tuple[str, ...] = ()  # globs on the repository name; none: every repository
    exclude: tuple[str, ...] = ()
    archived: bool = False  # include archived repositories
    forks: bool = False  # include forks

    def keep(self, repo: Listed) -> bool:
        if repo.archived and not self.archived:
            return False
        if repo.fork and not self.forks:
            return False
        if self.include and not any(fnmatch.fnmatchcase(repo.repository, g) for g in self.include):
            return False
        return not any(fnmatch.fnmatchcase(repo.repository, g) for g in self.exclude)


def ordered(repos: Iterable[PlannedRepo]) -> tuple[PlannedRepo, ...]:
    """Sorted by name and URL, each repository once (a URL listed twice is one repository)."""
    unique = {r.clone_url: r for r in repos}
    return tuple(sorted(unique.values(), key=lambda r: (r.repository, r.clone_url)))


def render(repos: Sequence[PlannedRepo]) -> str:
    return "".join(r.line() + "\n" for r in ordered(repos))


def read(path: Path) -> tuple[PlannedRepo, ...]:
    """The plan in `path`, in plan order; a malformed line is a usage error naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read plan {path}: {getattr(exc, 'strerror', None) or exc}") from None
    repos = []
    for n, raw in enumerate(text.splitlines(), 1):
        if raw.strip():
            repos.append(_parse(raw, f"{path}:{n}"))
    names = [r.repository for r in repos]
    if len(set(names)) != len(names):
        raise UsageError(f"plan {path} lists a repository twice")
    return ordered(repos)


def _parse(raw: str, where: str) -> PlannedRepo:
    try:
        doc = json.loads(raw)
        repo = PlannedRepo(
            # Shown and named after, never cloned from: a key in it (a hand-written plan) is
            # redacted, as planning.py redacts the host's names, so no record or file name holds it.
            repository=redact(_str(doc, "repository")),
            clone_url=_str(doc, "clone_url"),
            default_branch=_str(doc, "default_branch"),
            head=_str(doc, "head"),
            size=int(doc.get("size", 0)),
            auth=_str(doc, "auth"),
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise UsageError(f"{where}: not a plan line ({exc})") from None
    if not repo.repository or not repo.clone_url or repo.auth not in AUTH_KINDS:
        raise UsageError(f"{where}: not a plan line (repository, clone_url and auth are required)")
    return repo


def _str(doc: dict[str, object], name: str) -> str:
    value = doc.get(name, "")
    if not isinstance(value, str):
        raise ValueError(f"{name} is not a string")
    return value
