"""Path excludes for the walk of `keylatch scan` (sources/files.py).

Excludes are globs (fnmatch: `*` also matches `/`) matched against a whole path and against each
of its components, so `vendor` and `*.min.js` match anywhere. Configuration globs are relative
to the configuration file's directory (`base`), wherever keylatch runs and whatever PATH it is
given: `tests/fixtures/*` in /repo/.keylatch.yaml excludes /repo/tests/fixtures/x from /repo,
from /repo/tests, and for `keylatch scan /repo/tests/fixtures`. A file outside `base` is matched
as displayed. Command-line globs are relative to the PATH as typed (and so to the current
directory for a relative PATH).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence
from pathlib import Path

from keylatch.model import Record


# model.Records, not dataclasses: on every scan's start-up (keylatch/model.py says what that saves).
class Excludes(Record):
    __slots__ = ("config", "base", "typed")
    config: tuple[str, ...]  # relative to `base`
    base: str | None  # absolute, symlinks resolved: the configuration file's directory
    typed: tuple[str, ...]  # from the command line: relative to the PATH as typed

    def __init__(self, config: tuple[str, ...] = (), base: str | None = None, typed: tuple[str, ...] = ()) -> None:
        self._set(config, base, typed)


class Matcher(Record):
    """The excludes as they apply below one PATH given on the command line (internal to sources)."""

    __slots__ = (
        "shown_root", "config", "config_prefix", "typed", "shown_prefix", "config_tails", "typed_tails"
    )  # fmt: skip
    shown_root: str  # the PATH as displayed
    config: re.Pattern[str] | None  # configuration globs
    config_prefix: str  # the PATH relative to their base, with a trailing `/` ("" for the base)
    typed: re.Pattern[str] | None  # command-line globs
    # The PATH as displayed with a trailing `/` ("" for `.`): made once, not for every file
    # that a command-line glob is matched against.
    shown_prefix: str
    # What every path a glob group matches ends with (`_tails`), or None: a path that ends with
    # none of them is matched by none of its globs, without a regex.
    config_tails: tuple[str, ...] | None
    typed_tails: tuple[str, ...] | None

    def __init__(
        self,
        shown_root: str,
        config: re.Pattern[str] | None,
        config_prefix: str,
        typed: re.Pattern[str] | None,
        shown_prefix: str = "",
        config_tails: tuple[str, ...] | None = None,
        typed_tails: tuple[str, ...] | None = None,
    ) -> None:
        self._set(shown_root, config, config_prefix, typed, shown_prefix, config_tails, typed_tails)

    @classmethod
    def of(cls, root: Path, shown: str, excludes: Excludes) -> Matcher:
        shown_root = "" if shown == "." else shown
        if excludes.base is None:  # no configuration file: globs are matched as typed ones
            typed = (*excludes.typed, *excludes.config)
            return cls(shown_root, None, "", _compile(typed), _prefix(shown_root), None, _tails(typed))
        prefix = _prefix(shown_root)  # outside the configuration's directory: as displayed
        if excludes.config:
            real, base = os.path.realpath(root), excludes.base.rstrip("/")
            if real == (base or "/"):
                prefix = ""
            elif real.startswith(base + "/"):
                prefix = real[len(base) + 1 :] + "/"
        return cls(
            shown_root, _compile(excludes.config), prefix, _compile(excludes.typed), _prefix(shown_root),
            _tails(excludes.config), _tails(excludes.typed),
        )  # fmt: skip

    def shown(self, rel: str) -> str:
        return f"{self.shown_prefix}{rel}"

    def excluded(self, rel: str, name: str) -> bool:
        """Whether the entry `rel` (below the PATH) is excluded. Its directories were checked on
        the way down, so of its components only `name` is left to check."""
        c, t = self.config, self.typed
        # `name` ends `rel`, which ends the path below the config's base and the shown path.
        if c is not None:
            below = self.config_prefix + rel
            ct = self.config_tails
            if (ct is None or below.endswith(ct)) and (c.match(name) or c.match(below)):
                return True
        if t is not None:
            shown = self.shown_prefix + rel
            tt = self.typed_tails
            return (tt is None or shown.endswith(tt)) and bool(t.match(name) or t.match(rel) or t.match(shown))
        return False

    def root_excluded(self) -> bool:
        c, t = self.config, self.typed
        path = self.config_prefix.rstrip("/")
        if c is not None and path and any(c.match(p) for p in (path, *path.split("/"))):
            return True
        root = self.shown_root
        return t is not None and bool(root) and any(t.match(p) for p in (root, *root.split("/")))


def _prefix(path: str) -> str:
    return "" if not path else path if path.endswith("/") else path + "/"


def _tails(globs: Sequence[str]) -> tuple[str, ...] | None:
    """Each glob's literal end, after its last `*`, `?` or bracket: fnmatch matches whole strings
    (translate ends each in `\\Z`), so whatever a glob matches ends so. None if a glob ends in a
    wildcard: then any path may match."""
    tails = tuple(g[max(g.rfind(ch) for ch in "*?[]") + 1 :] for g in globs)
    return None if not tails or "" in tails else tails


def _compile(globs: Sequence[str]) -> re.Pattern[str] | None:
    # One alternation: a file costs one match per glob group, not one per glob (fnmatchcase).
    if not globs:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs))
