"""The fields `keylatch ci` reads from its CI, checked before any is used: the GitHub event
payload's (`before`, `pull_request.head.sha`, `ref`, ...) and GitLab's predefined variables.

    F = Fields(event, "GitHub push event")
    F.commit("before")        # None when absent; a 40- or 64-hex id; else UsageError
    F.text("ref"), F.flag("deleted"), F.number("pull_request", "number")
    variable(env, "CI_COMMIT_BEFORE_SHA")   # likewise for a variable; "" is unset

A field that is present but not what the CI sends (`"before": 1`, `"after": "main"`, a `ref`
that is a list) is a malformed payload: one line, exit 2, as an unreadable payload is
(ci_range.load_event). Read as absent, `"before": 1` was a new branch that scanned more, and a
bad `after` a head commit "not in this clone" (exit 3). The value is never echoed: a payload is
untrusted text and could hold a key; its JSON type is enough to find it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from keylatch.errors import UsageError

# A full object id, SHA-1 or SHA-256 (zeros: an absent side). CIs send full ids only.
_ID = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{64}")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string" if value else "an empty string"
    return "a list" if isinstance(value, list) else "an object"


@dataclass(frozen=True, slots=True)
class Fields:
    doc: Mapping[str, object]
    where: str  # "GitHub push event", for messages

    def _get(self, path: tuple[str, ...]) -> tuple[bool, object]:
        """(present, value) at `path`; something other than an object on the way is malformed."""
        cur: object = self.doc
        for i, key in enumerate(path):
            if not isinstance(cur, Mapping):
                raise UsageError(f"{self.where}: {'.'.join(path[:i])} is {_kind(cur)}, not a JSON object")
            if key not in cur:
                return False, None
            cur = cur[key]
        return True, cur

    def _bad(self, path: tuple[str, ...], value: object, want: str) -> UsageError:
        return UsageError(f"{self.where}: {'.'.join(path)} is {_kind(value)}, not {want}")

    def text(self, *path: str) -> str | None:
        present, value = self._get(path)
        if not present:
            return None
        if not isinstance(value, str):
            raise self._bad(path, value, "a string")
        return value

    def commit(self, *path: str) -> str | None:
        present, value = self._get(path)
        if not present:
            return None
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise self._bad(path, value, "a 40- or 64-hex commit id")
        return value

    def flag(self, *path: str) -> bool:
        present, value = self._get(path)
        if present and not isinstance(value, bool):
            raise self._bad(path, value, "true or false")
        return value is True

    def number(self, *path: str) -> int | None:
        present, value = self._get(path)
        if not present:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            raise self._bad(path, value, "a whole number")
        return value


def variable(env: Mapping[str, str], name: str) -> str | None:
    """The commit id in CI variable `name` (GitLab's CI_COMMIT_SHA, ..., GitHub's GITHUB_SHA);
    None when unset or empty (GitLab leaves the ones that do not apply empty)."""
    value = env.get(name) or None
    if value is not None and not _ID.fullmatch(value):
        raise UsageError(f"CI variable {name} is not a 40- or 64-hex commit id")
    return value
