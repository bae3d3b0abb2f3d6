"""The one judge: which findings every command reports, and which of them fail the run.

    pol = Policy(allow=cfg.allowlist, baseline_file=cfg.baseline, fail_on=cfg.fail_on)
    kept = allowed(findings, pol, lines_of)        # path excludes, allow comments, allow-lines
    reported = known(kept.kept, pol)               # minus unexpired baseline entries
    outcome = judge(verified(reported), pol)       # blocking / below fail-on / revoked
    code = LEAKS if blocks(outcome, pol) else CLEAN
    keys, _ = judge_keys(result.findings, pol, lines_at)  # history: one record per key, same rules

Disabled rules are applied before this (the engine runs only the configured rules). scan, ci,
baseline, history and the hooks all build a Policy from their Config (commands/settings.py; ci
from its base commit, commands/ci_settings.py) and judge with these functions, so an exclude,
an allow comment, a baseline entry or a fail-on means the same thing in every command.

Allow comments are judged where a key was written: the line of the file a chunk holds, or, in
history and ci, the line of the version of the file that the introducing commit wrote (one
place of a key). A key with several places is dropped only when every place is.

The policy reads nothing but the baseline file it is given, and that only when first needed, so
a scan that fails reports its own error first, as it always has.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from keylatch import allowlist
from keylatch.allowlist import Allowlist
from keylatch.model import Finding, Keyed, Record, Severity, Verdict

if TYPE_CHECKING:
    import datetime as dt

    from keylatch.baseline import Baseline
    from keylatch.history.model import KeyFinding, Occurrence

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Keyed)


class Rated(Keyed, Protocol):
    """A key with the severity of the rule that found it (a Finding, or history's key)."""

    @property
    def severity(self) -> Severity: ...


R = TypeVar("R", bound=Rated)

# (blob id, 1-based line) -> (previous line, line) of that blob, or None when it is not at hand.
LinesAt = Callable[[str, int], "tuple[str, str] | None"]

ANY = "any"  # fail-on-verdict: every key found fails the run
LIVE = "live"  # fail-on-verdict: keys --verify found revoked are reported, not failing
# Policy's default allowlist: one for every Policy, as a dataclass field default was (its
# timed_out set grows only through allow-lines patterns, and it has none).
_ALLOW_ALL = Allowlist()


class Policy(Record):
    __slots__ = ("allow", "known", "baseline_file", "baseline_label", "fail_on", "fail_on_verdict", "today")
    allow: Allowlist  # path excludes, allow comments, allow-lines
    known: Baseline | None  # a baseline already read (ci reads its base commit's)
    baseline_file: Path | None  # else one to read when first needed
    baseline_label: str  # where the baseline came from, for messages
    fail_on: Severity
    fail_on_verdict: str
    # Baseline entries expire by it (UTC); None: the date when the baseline is consulted
    # (baseline.today), so a run without a baseline never imports datetime (~1 ms).
    today: dt.date | None

    def __init__(
        self,
        allow: Allowlist = _ALLOW_ALL,
        known: Baseline | None = None,
        baseline_file: Path | None = None,
        baseline_label: str = "",
        fail_on: Severity = Severity.LOW,
        fail_on_verdict: str = ANY,
        today: dt.date | None = None,
    ) -> None:
        self._set(allow, known, baseline_file, baseline_label, fail_on, fail_on_verdict, today)

    def fails(self, severity: Severity) -> bool:
        return severity.rank >= self.fail_on.rank


class SetAside(Record):
    """How many findings each kind of setting kept out of a report, and the rules it turned off.

    A repository's own settings may hide keys (a team's baseline and allowlist are its
    decisions), but never silently: every command that applies them says what they set aside
    (report/set_aside.py). Counts are places (findings); in history, places of keys.
    """

    __slots__ = ("baseline", "allow_lines", "allow_comment", "excluded", "rules_off", "unread_globs")
    baseline: int  # accepted by an unexpired baseline entry
    allow_lines: int  # on a line an `allow-lines` pattern matches
    allow_comment: int  # under an allow comment (keylatch:allow, pragma: allowlist secret)
    excluded: int  # at a path an `exclude` glob matches
    rules_off: tuple[str, ...]  # rules `enable`/`disable` turned off (the engine never ran them)
    # `exclude` globs of the settings that a walk of files applied before reading (scan, baseline):
    # what they kept out was never read, so it is named by glob, not counted.
    unread_globs: tuple[str, ...]

    def __init__(
        self,
        baseline: int = 0,
        allow_lines: int = 0,
        allow_comment: int = 0,
        excluded: int = 0,
        rules_off: tuple[str, ...] = (),
        unread_globs: tuple[str, ...] = (),
    ) -> None:
        self._set(baseline, allow_lines, allow_comment, excluded, rules_off, unread_globs)

    def __add__(self, other: SetAside) -> SetAside:
        return SetAside(
            self.baseline + other.baseline,
            self.allow_lines + other.allow_lines,
            self.allow_comment + other.allow_comment,
            self.excluded + other.excluded,
            _union(self.rules_off, other.rules_off),
            _union(self.unread_globs, other.unread_globs),
        )

    def __bool__(self) -> bool:
        counts = self.baseline or self.allow_lines or self.allow_comment or self.excluded
        return bool(counts or self.rules_off or self.unread_globs)

    def most(self, other: SetAside) -> SetAside:
        """Each count the larger of the two: what one of several sets of settings (a push's
        bases) set aside, without counting a key twice."""
        return SetAside(
            max(self.baseline, other.baseline),
            max(self.allow_lines, other.allow_lines),
            max(self.allow_comment, other.allow_comment),
            max(self.excluded, other.excluded),
            _union(self.rules_off, other.rules_off),
            _union(self.unread_globs, other.unread_globs),
        )


def _union(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    return a if not b or a == b else tuple(sorted({*a, *b}))


NOTHING = SetAside()


class Allowed(Record):
    __slots__ = ("kept", "by_comment", "set_aside")
    kept: tuple[Finding, ...]
    # Each finding an allow comment dropped, with the comment's name (`keylatch ci` names them:
    # a comment is part of the change it approves).
    by_comment: tuple[tuple[Finding, str], ...]
    set_aside: SetAside  # how many each setting dropped

    def __init__(
        self, kept: tuple[Finding, ...], by_comment: tuple[tuple[Finding, str], ...] = (), set_aside: SetAside = NOTHING
    ) -> None:
        self._set(kept, by_comment, set_aside)


def _counted(kinds: Iterable[str]) -> SetAside:
    n = {allowlist.EXCLUDE: 0, allowlist.COMMENT: 0, allowlist.LINES: 0}
    for kind in kinds:
        if kind in n:
            n[kind] += 1
    return SetAside(allow_lines=n[allowlist.LINES], allow_comment=n[allowlist.COMMENT], excluded=n[allowlist.EXCLUDE])


class Outcome(Record):
    __slots__ = ("blocking", "below", "dead", "set_aside")
    blocking: tuple[Finding, ...]  # at or above fail-on: the run fails
    below: tuple[Finding, ...]  # reported, but below fail-on
    dead: tuple[Finding, ...]  # fail-on-verdict live: keys --verify found revoked, reported only
    set_aside: SetAside  # what the settings dropped before

    def __init__(
        self,
        blocking: tuple[Finding, ...],
        below: tuple[Finding, ...] = (),
        dead: tuple[Finding, ...] = (),
        set_aside: SetAside = NOTHING,
    ) -> None:
        self._set(blocking, below, dead, set_aside)


def allowed(findings: Iterable[Finding], pol: Policy, lines_of: allowlist.LinesOf | None = None) -> Allowed:
    """The findings no path exclude, allow comment or allow-lines pattern drops, in their order."""
    kept: list[Finding] = []
    by_comment: list[tuple[Finding, str]] = []
    dropped: list[str] = []
    for f, decision in allowlist.judge(findings, pol.allow, lines_of):
        if decision.keep:
            kept.append(f)
            continue
        log.info("%s:%d: %s", f.location.path, f.location.line, decision.reason)
        dropped.append(decision.kind)
        if decision.comment:
            by_comment.append((f, decision.comment))
    return Allowed(tuple(kept), tuple(by_comment), _counted(dropped) if dropped else NOTHING)


def known(found: Sequence[K], pol: Policy) -> list[K]:
    """`found` minus the keys the baseline accepts on `pol.today` (default: today, UTC), findings or
    history's keys."""
    return known_counted(found, pol)[0]


def known_counted(found: Sequence[K], pol: Policy) -> tuple[list[K], SetAside]:
    """`known`, and how many the baseline accepted (commands say so: SetAside)."""
    kept = _known(found, pol)
    return kept, SetAside(baseline=len(found) - len(kept)) if len(kept) != len(found) else NOTHING


def _known(found: Sequence[K], pol: Policy) -> list[K]:
    accepted = pol.known
    if accepted is None and pol.baseline_file is None:
        return list(found)
    from keylatch import baseline  # json and its records: only for a run that has a baseline

    if accepted is None and pol.baseline_file is not None:
        accepted = baseline.load(pol.baseline_file)
    if accepted is None:
        return list(found)
    label = pol.baseline_label or str(pol.baseline_file)
    today = baseline.today() if pol.today is None else pol.today
    kept = baseline.subtract(found, accepted, today)
    if len(kept) != len(found):
        log.info("baseline %s suppressed %d finding(s)", label, len(found) - len(kept))
    stale = baseline.expired(accepted, today)
    if stale:
        log.warning("baseline %s: %d expired entr%s no longer suppress%s their keys", label,
                    len(stale), "ies" if len(stale) != 1 else "y", "" if len(stale) != 1 else "es")  # fmt: skip
    return kept


def alive(findings: Sequence[Finding], pol: Policy) -> list[Finding]:
    """The findings that fail the run under fail-on-verdict (severity is judged separately)."""
    if pol.fail_on_verdict != LIVE:
        return list(findings)
    kept = [f for f in findings if f.verified is None or f.verified.verdict is not Verdict.REVOKED]
    if len(kept) < len(findings):
        log.warning("%d key(s) revoked or never valid: reported, not failing (fail-on-verdict live)",
                    len({f.fingerprint for f in findings} - {f.fingerprint for f in kept}))  # fmt: skip
    return kept


def judge(findings: Sequence[Finding], pol: Policy) -> Outcome:
    """Which reported findings fail the run: alive under fail-on-verdict, at or above fail-on."""
    live = alive(findings, pol)
    ids = {id(f) for f in live}
    return Outcome(
        tuple(f for f in live if pol.fails(f.severity)),
        tuple(f for f in live if not pol.fails(f.severity)),
        tuple(f for f in findings if id(f) not in ids),
    )


def judge_keys(
    keys: Sequence[KeyFinding], pol: Policy, lines_at: LinesAt | None = None
) -> tuple[list[KeyFinding], SetAside]:
    """History's keys with the places the policy drops taken out, minus those it drops whole,
    and how many places each setting dropped (the baseline: the places of the keys it accepted).

    A place is dropped as a finding there would be (path exclude, allow comment or allow-lines
    on the introducing commit's line); a key is dropped when every place is, or when the
    baseline accepts it (the baseline matches keys, not places).
    """
    import dataclasses

    kept = []
    dropped: list[str] = []
    for key in keys:
        places = []
        for o in key.locations:
            kind = _place_dropped(o, pol, lines_at)
            if kind is None:
                places.append(o)
            else:
                dropped.append(kind)
        if key.locations and not places:
            continue
        kept.append(dataclasses.replace(key, locations=tuple(places)))  # history's records are dataclasses
    reported = _known(kept, pol)
    accepted = sum(max(1, len(k.locations)) for k in kept) - sum(max(1, len(k.locations)) for k in reported)
    return reported, _counted(dropped) + SetAside(baseline=accepted)


def _place_dropped(o: Occurrence, pol: Policy, lines_at: LinesAt | None) -> str | None:
    """None when the place is kept, else the kind of setting that dropped it (allowlist.EXCLUDE...)."""
    from keylatch.sources.member_lines import line_key  # a member's own line (sources/member_lines.py)

    lines = lines_at(line_key(o.blob, o.path), o.line) if lines_at is not None and o.blob else None
    decision = allowlist.decide_at(o.path, pol.allow, lines)
    if decision.keep:
        return None
    log.info("%s:%d in %s: %s", o.path, o.line, o.commit[:12], decision.reason)
    return decision.kind


def blocks(outcome: Outcome, pol: Policy) -> bool:
    """Whether the run fails; when only findings below fail-on are left, a warning says so."""
    if not outcome.blocking and outcome.below:
        _below(len(outcome.below), pol)
    return bool(outcome.blocking)


def failing(keys: Sequence[R], dead: Iterable[str], pol: Policy) -> list[R]:
    """History's keys that fail the run: not found revoked (`dead`: fingerprints, under
    fail-on-verdict live), at or above fail-on; the rest are reported, as `blocks` says."""
    gone = set(dead)
    live = [k for k in keys if k.fingerprint not in gone]
    block = [k for k in live if pol.fails(k.severity)]
    if live and not block:
        _below(len(live), pol)
    return block


def _below(n: int, pol: Policy) -> None:
    log.warning("%d finding(s) below fail-on=%s: not failing", n, pol.fail_on.value)
