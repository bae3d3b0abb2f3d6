"""The configuration and baseline `keylatch ci` judges a range with: those of its base commit.

A pull request that adds a key and, in the same range, `allow-lines: [".*"]`, an `exclude`, a
disabled rule or a baseline entry for that key must not pass: a change cannot approve itself.
So a range is judged with the settings its base commit holds (what the protected branch already
accepted), read from git, and every change the range makes to them is named in the report.
The range's head is read too, only to check it: a configuration the range breaks is exit 2.

    judged = settle_range(config_flags(args), Git(top), Where(top, prefix), plan.base, plan.head)
    judged.cfg, judged.known, judged.notices

Which files: as config.discover on disk: `.keylatch.yaml`, `.keylatch.yml` or a pyproject.toml
with a `[tool.keylatch]` table, in the nearest directory from where ci runs up to the top of
the repository; then its `baseline`, else `.keylatch-baseline.json` next to it (or where ci
runs). A file the command line names (`--config`, `--baseline`) wins; it is read from disk when
it lies outside the repository or git does not track it (not repository content), and at the
base like any other when the repository tracks it (a tracked file is something a range can edit).

No base (a first push, a branch sharing no history with the default branch): defaults and no
baseline, the strictest settings, and a notice says so. A base file that is not valid (keylatch
grew stricter, or the check was bypassed) is not applied either, with a notice, so the pull
request that repairs it can pass.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from keylatch.config import DEFAULT_BASELINE, YAML_NAMES, Config, load, load_bytes
from keylatch.errors import UsageError
from keylatch.report.notice import JUDGED_WITH, SETTINGS_CHANGED, SETTINGS_INVALID, Notice, safe
from keylatch.sources.commit_files import Entry, entries_each, read_blobs

if TYPE_CHECKING:
    from keylatch.baseline import Baseline
    from keylatch.commands.options import ConfigFlags
    from keylatch.sources.gitcmd import Git

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True, slots=True)
class Where:
    top: Path  # the working tree's top directory (absolute, as the command line spells it)
    prefix: str  # where ci runs, relative to top, as git spells it ("" or "sub/dir/")


@dataclass(frozen=True, slots=True)
class Judged:
    cfg: Config  # the base's configuration with the command line's flags over it
    known: Baseline | None  # the base's baseline (None: none, or --no-baseline)
    baseline_label: str  # where `known` came from, for messages
    notices: tuple[Notice, ...]


@dataclass(frozen=True, slots=True)
class _Side:
    """keylatch's settings as one commit holds them (files from disk where they apply)."""

    cfg: Config = Config()
    config_path: str | None = None  # repository path of the config file read from the commit
    config_label: str = "keylatch's defaults"
    known: Baseline | None = None
    baseline_path: str | None = None  # repository path of the baseline read from the commit
    baseline_label: str = "no baseline"
    problem: str = ""  # why a file of this commit could not be applied ("" when all is well)


def _dirs(prefix: str) -> list[str]:
    """`a/b/` -> ["a/b/", "a/", ""]: where config.discover looks, nearest first."""
    parts = [p for p in prefix.split("/") if p]
    return ["".join(f"{p}/" for p in parts[:n]) for n in range(len(parts), -1, -1)]


def _candidates(prefix: str) -> list[str]:
    return [f"{d}{name}" for d in _dirs(prefix) for name in (*YAML_NAMES, PYPROJECT)]


def _baseline_candidates(where: Where, config: str | None) -> list[str]:
    """Where _side looks for a baseline no setting names: next to the config file it finds (in
    one of `_dirs`, or the one --config names), else where ci runs."""
    dirs = _dirs(where.prefix)
    if config is not None:
        dirs.append(posixpath.join(posixpath.dirname(config), ""))
    return [f"{d}{DEFAULT_BASELINE}" for d in dict.fromkeys(dirs)]


def _inside(top: Path, path: Path) -> str | None:
    """`path` as a repository path when it lies inside the working tree, else None.

    Lexical, never following links on disk: the working tree is the range's checkout, and a
    symbolic link it adds must not turn the base's `ci/baseline.json` into another file.
    """
    full = os.path.normpath(os.path.abspath(path))
    for root in dict.fromkeys((os.path.abspath(top), os.path.realpath(top))):
        rel = os.path.relpath(full, root)
        if rel != "." and not rel.startswith(".." + os.sep) and rel != ".." and not os.path.isabs(rel):
            return Path(rel).as_posix()
    return None


def _has_table(path: str, data: bytes) -> bool:
    """Whether a pyproject.toml configures keylatch (a `[tool.keylatch]` table), as discover asks."""
    if b"keylatch" not in data:
        return False
    try:
        load_bytes(data, Path(path))
    except UsageError as exc:
        if str(exc).endswith("no [tool.keylatch] table"):
            return False
        raise
    return True


class _Reader:
    """Entries and blobs of the base and head commits, fetched in as few git calls as possible."""

    def __init__(self, git: Git, commits: Sequence[str | None]) -> None:
        self.git = git
        self.commits = list(dict.fromkeys(c for c in commits if c))
        self.entries: dict[tuple[str, str], Entry | None] = {}
        self.blobs: dict[str, bytes] = {}

    def want(self, paths: Sequence[str], *, listed: Sequence[str] = ()) -> None:
        """Entries of `paths` and `listed` at every commit, for those not yet looked up (one
        process for all the commits: commit_files.entries_each), and the contents of `paths`'
        regular files (one cat-file). `listed` are looked up in the same process without reading
        their contents: paths a later want() may ask for, which then costs no lookup of its own."""
        todo = [p for p in dict.fromkeys((*paths, *listed)) if any((c, p) not in self.entries for c in self.commits)]
        for c, found in (entries_each(self.git, self.commits, todo) if todo else {}).items():
            for p in todo:
                self.entries[(c, p)] = found.get(p)
        oids = {e.oid for p in paths for c in self.commits if (e := self.entries[(c, p)]) is not None and e.regular}
        self.blobs.update(read_blobs(self.git, oids - set(self.blobs)))

    def entry(self, commit: str | None, path: str) -> Entry | None:
        return self.entries.get((commit, path)) if commit else None

    def data(self, commit: str | None, path: str) -> bytes | None:
        """The file's content at `commit`; None when absent or not a regular file."""
        e = self.entry(commit, path)
        return self.blobs.get(e.oid) if e is not None and e.regular else None


def settle_range(flags: ConfigFlags, git: Git, where: Where, base: str | None, head: str) -> Judged:
    """The settings of `base` (None: defaults) with the flags over them, and the notices."""
    reader = _Reader(git, [base, head])
    explicit = [_inside(where.top, p) if p is not None else None for p in (flags.config, flags.baseline)]
    # The default baselines (next to a config file, or where ci runs: _side) are looked up with
    # the config files, so a range without a baseline costs no second lookup.
    reader.want(
        [*_candidates(where.prefix), *(p for p in explicit if p)], listed=_baseline_candidates(where, explicit[0])
    )
    # A file the command line names is repository content when git tracks it at either end.
    tracked = [p is not None and any(reader.entry(c, p) for c in (base, head)) for p in explicit]
    at_base = _side(flags, reader, where, base, tracked)  # no base: only what the command line names
    at_head = _side(flags, reader, where, head, tracked)
    if at_head.problem:
        # The range leaves keylatch's configuration broken: fix it before it merges (exit 2).
        raise UsageError(f"{at_head.problem} (in {head[:12]}, the head of the range)")
    notices = [_judged_with(base, at_base, flags.no_baseline)]
    if at_base.problem:
        notices.append(Notice(SETTINGS_INVALID, "warning", safe(
            f"{at_base.problem} (in the base commit {(base or '')[:12]}): not applied; keylatch's defaults "
            "stand in for it"), commit=base or ""))  # fmt: skip
    watched = [*_candidates(where.prefix), *(p for p in explicit if p)]
    notices += _changes(reader, base, head, watched, (at_base.baseline_path, at_head.baseline_path))
    cfg = at_base.cfg.override(
        fail_on=flags.fail_on,
        format=flags.format,
        ignore_baseline=True if flags.no_baseline else None,
    )
    return Judged(cfg, None if flags.no_baseline else at_base.known, at_base.baseline_label, tuple(notices))


def _side(flags: ConfigFlags, reader: _Reader, where: Where, commit: str | None, tracked: Sequence[bool]) -> _Side:
    """What `commit` says keylatch's settings are (with --config/--baseline applied); for None,
    an empty commit: defaults, unless the command line names a file from disk."""
    from keylatch import baseline

    try:
        cfg, config_path, config_label = _config(flags, reader, where, commit, tracked[0])
    except UsageError as exc:
        return _Side(problem=str(exc))
    at = _Side(cfg, config_path, config_label)
    if flags.no_baseline:
        return at
    try:
        if flags.baseline is not None and not tracked[1]:
            return replace(at, known=baseline.load(flags.baseline), baseline_label=f"{flags.baseline} (from disk)")
        if flags.baseline is not None:
            wanted, configured = flags.baseline, True
        elif cfg.baseline is not None:
            wanted, configured = cfg.baseline, True
        else:
            # As settings.settle: next to the config file, else where ci runs.
            near = cfg.source.parent if cfg.source is not None else where.top / where.prefix
            wanted, configured = near / DEFAULT_BASELINE, False
        path = _inside(where.top, wanted)
        if path is None:  # outside the repository: not repository content
            if not configured and not wanted.is_file():
                return at
            return replace(at, known=baseline.load(wanted), baseline_label=f"{wanted} (from disk)")
        reader.want([path])
        data = reader.data(commit, path)
        if data is None:
            if reader.entry(commit, path) is not None:
                raise UsageError(f"baseline {path} is not a regular file")
            if configured and commit is not None:  # as baseline.load on disk
                raise UsageError(f"baseline {path} does not exist")
            return at  # no default baseline: nothing is suppressed
        known = baseline.load_bytes(data, where.top / path)
    except UsageError as exc:
        return replace(at, problem=str(exc))
    return replace(at, known=known, baseline_path=path, baseline_label=f"baseline {path}")


def _config(
    flags: ConfigFlags, reader: _Reader, where: Where, commit: str | None, tracked: bool
) -> tuple[Config, str | None, str]:
    if flags.config is not None and not tracked:
        return load(flags.config), None, f"{flags.config} (from disk)"  # not repository content
    if flags.config is not None:
        path = _inside(where.top, flags.config)
        assert path is not None
        data = reader.data(commit, path)
        if data is None:
            return Config(), None, f"keylatch's defaults ({path} is not in the commit)"
        return load_bytes(data, where.top / path), path, path
    for d in _dirs(where.prefix):
        found = [f"{d}{n}" for n in YAML_NAMES if reader.data(commit, f"{d}{n}") is not None]
        pyproject = reader.data(commit, f"{d}{PYPROJECT}")
        if pyproject is not None and _has_table(f"{d}{PYPROJECT}", pyproject):
            found.append(f"{d}{PYPROJECT}")
        if len(found) > 1:
            raise UsageError(f"keylatch is configured in both {found[0]} and {found[1]}; keep one")
        if found:
            data = reader.data(commit, found[0])
            assert data is not None
            return load_bytes(data, where.top / found[0]), found[0], found[0]
        link = next((f"{d}{n}" for n in (*YAML_NAMES, PYPROJECT) if _is_link(reader.entry(commit, f"{d}{n}"))), None)
        if link is not None:
            # On disk, discover would follow it; read from a commit, it is the link's text.
            raise UsageError(f"{link} is a symbolic link; keylatch ci reads configuration from commits")
    return Config(), None, "keylatch's defaults"


def _is_link(entry: Entry | None) -> bool:
    return entry is not None and entry.mode == "120000"


def _judged_with(base: str | None, at_base: _Side, no_baseline: bool) -> Notice:
    known = "no baseline (--no-baseline)" if no_baseline else at_base.baseline_label
    if base is None:
        text = (
            "no base commit to compare with (a first push, or a branch with no history in common with "
            f"the default branch): judged with {at_base.config_label}, {known}"
        )
        return Notice(JUDGED_WITH, "note", safe(text))
    text = f"judged with the settings of the base commit {base[:12]}: {at_base.config_label}, {known}"
    return Notice(JUDGED_WITH, "note", safe(text), commit=base)


def _changes(
    reader: _Reader, base: str | None, head: str, watched: Sequence[str], baselines: Sequence[str | None]
) -> list[Notice]:
    """A notice for each settings file the range adds, removes or changes."""
    paths = list(dict.fromkeys([*watched, *(p for p in baselines if p)]))
    reader.want(paths)
    out = []
    for path in paths:
        old, new = reader.entry(base, path), reader.entry(head, path)
        if old == new:
            continue
        if path.rsplit("/", 1)[-1] == PYPROJECT and not _table_changed(reader, base, head, path):
            continue  # pyproject.toml changed, but not its [tool.keylatch] table
        what = "adds" if old is None else "removes" if new is None else "changes"
        kind = "baseline" if path in baselines else "configuration"
        text = (
            f"this range {what} keylatch's {kind} {path}; not applied here: the range is judged with "
            "its base commit's settings, and the change takes effect once reviewed and merged"
        )
        out.append(Notice(SETTINGS_CHANGED, "warning", safe(text), path=safe(path), commit=head))
    return out


def _table_changed(reader: _Reader, base: str | None, head: str, path: str) -> bool:
    def table(commit: str | None) -> Config | None:
        data = reader.data(commit, path)
        if data is None or not _has_table(path, data):
            return None
        return load_bytes(data, Path(path)).replace(source=None)

    try:
        return table(base) != table(head)
    except UsageError:
        return True
