"""keylatch.policy in-process: one judge for every command, on Findings and on history's keys."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from keylatch import allowlist, baseline, policy
from keylatch.allowlist import Allowlist
from keylatch.baseline import Baseline, Entry
from keylatch.commands.settings import policy_of
from keylatch.config import Config
from keylatch.engine import scan_chunk
from keylatch.errors import UsageError
from keylatch.history.model import CommitInfo, KeyFinding, Occurrence
from keylatch.model import Chunk, Finding, KeyCheck, Location, Secret, Severity, Verdict
from keylatch.policy import Policy
from keylatch.rules.synthetic import make_key

TODAY = dt.date(2025, 6, 1)
KEYS = [make_key("sk-proj-", seed=s) for s in range(60, 64)]


def finding(key: str, severity: Severity = Severity.HIGH, path: str = "app.py", line: int = 1) -> Finding:
    return Finding("openai-project-key", severity, Secret(key, 8), Location(path, line, 1))


def key_record(key: str, *places: tuple[str, str], severity: Severity = Severity.HIGH) -> KeyFinding:
    """History's record of `key`, introduced at each (path, blob) of `places`."""
    info = CommitInfo("c" * 40, "Bob", "bob@example.test", "2024-01-02T12:00:00+00:00", "add")
    occ = tuple(Occurrence("c" * 40, path, 2, 1, blob=blob) for path, blob in places)
    return KeyFinding("openai-project-key", severity, Secret(key, 8), info, info, occ, True, ("refs/heads/main",))


def entry(key: str, expires: dt.date | None = None) -> Entry:
    return Entry("openai-project-key", Secret(key).fingerprint, expires=expires)


# --- allowed: path excludes, allow comments, allow-lines -----------------------------------------

COMMENTS = {
    "same line": ('k = "{k}"  # keylatch:allow fixture\n', "keylatch:allow"),
    "detect-secrets": ('k = "{k}"  # pragma: allowlist secret\n', "pragma: allowlist secret"),
    "next line": ('# pragma: allowlist nextline secret\nk = "{k}"\n', "pragma: allowlist nextline secret"),
}


@pytest.mark.parametrize("name", sorted(COMMENTS))
def test_an_allow_comment_drops_the_finding_and_is_named(name: str) -> None:
    text, comment = COMMENTS[name]
    chunk = Chunk(text.format(k=KEYS[0]).encode(), "app.py")
    judged = policy.allowed(scan_chunk(chunk), Policy(), allowlist.lines_in(chunk.data))
    assert judged.kept == () and [(f.secret.value, c) for f, c in judged.by_comment] == [(KEYS[0], comment)]
    off = Policy(allow=Allowlist(pragmas=False))
    assert len(policy.allowed(scan_chunk(chunk), off, allowlist.lines_in(chunk.data)).kept) == 1


def test_path_excludes_and_allow_lines_drop_without_naming_a_comment() -> None:
    chunk = Chunk(f'k = "{KEYS[0]}"  # keylatch:allow\n'.encode(), "vendor/lib.py")
    pol = Policy(allow=Allowlist(paths=("vendor",)))
    judged = policy.allowed(scan_chunk(chunk), pol, allowlist.lines_in(chunk.data))
    # excluded by path first: no comment to name, and counted as excluded (policy.SetAside)
    assert judged == policy.Allowed((), set_aside=policy.SetAside(excluded=1))
    chunk = Chunk(f'TEST_KEY = "{KEYS[0]}"\n'.encode(), "app.py")
    pol = Policy(allow=Allowlist(lines=("TEST_KEY",)))
    judged = policy.allowed(scan_chunk(chunk), pol, allowlist.lines_in(chunk.data))
    assert judged == policy.Allowed((), set_aside=policy.SetAside(allow_lines=1))


def test_without_lines_only_path_excludes_apply() -> None:
    kept = policy.allowed([finding(KEYS[0]), finding(KEYS[1], path="vendor/x")], Policy(allow=Allowlist(("vendor",))))
    assert [f.secret.value for f in kept.kept] == [KEYS[0]]


# --- known: the baseline, for findings and for history's keys alike -----------------------------


def test_the_baseline_drops_findings_and_history_keys_by_the_same_entries() -> None:
    pol = Policy(known=Baseline((entry(KEYS[0]),)), today=TODAY)
    assert [f.secret.value for f in policy.known([finding(KEYS[0]), finding(KEYS[1])], pol)] == [KEYS[1]]
    keys = [key_record(KEYS[0], ("a.py", "")), key_record(KEYS[1], ("b.py", ""))]
    assert [k.secret.value for k in policy.known(keys, pol)] == [KEYS[1]]


def test_an_expired_entry_suppresses_nothing_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    pol = Policy(known=Baseline((entry(KEYS[0], expires=TODAY - dt.timedelta(days=1)),)), today=TODAY)
    with caplog.at_level(logging.INFO):
        assert len(policy.known([finding(KEYS[0])], pol)) == 1
    assert "1 expired entry no longer suppresses their keys" in caplog.text
    assert policy.known([finding(KEYS[0])], pol.replace(today=TODAY - dt.timedelta(days=1))) == []


def test_a_baseline_file_is_read_when_first_needed(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    pol = Policy(baseline_file=path, today=TODAY)  # building the policy reads nothing
    baseline.write(path, Baseline((entry(KEYS[0]),)))
    assert policy.known([finding(KEYS[0])], pol) == []
    path.write_text("{")
    with pytest.raises(UsageError, match="baseline.json"):
        policy.known([finding(KEYS[0])], pol)


def test_a_config_makes_the_policy_every_command_applies(tmp_path: Path) -> None:
    cfg = Config(exclude=("vendor",), baseline=tmp_path / "b.json", fail_on=Severity.CRITICAL, pragmas=False)
    pol = policy_of(cfg)
    assert (pol.allow, pol.baseline_file, pol.fail_on) == (cfg.allowlist, cfg.baseline, Severity.CRITICAL)
    assert policy_of(cfg.override(ignore_baseline=True)).baseline_file is None


# --- judge: fail-on and fail-on-verdict ---------------------------------------------------------


@pytest.mark.parametrize("fail_on", list(Severity))
@pytest.mark.parametrize("severity", list(Severity))
def test_fail_on_blocks_at_or_above_the_threshold(fail_on: Severity, severity: Severity) -> None:
    pol = Policy(fail_on=fail_on)
    outcome = policy.judge([finding(KEYS[0], severity)], pol)
    blocks = severity.rank >= fail_on.rank
    assert (len(outcome.blocking), len(outcome.below), outcome.dead) == (int(blocks), int(not blocks), ())
    assert policy.blocks(outcome, pol) is blocks
    # history's keys: the same threshold
    assert bool(policy.failing([key_record(KEYS[0], severity=severity)], (), pol)) is blocks


def test_below_fail_on_is_reported_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    pol = Policy(fail_on=Severity.CRITICAL)
    assert not policy.blocks(policy.judge([finding(KEYS[0])], pol), pol)
    assert not policy.failing([key_record(KEYS[0])], (), pol)
    assert caplog.text.count("1 finding(s) below fail-on=critical: not failing") == 2


@pytest.mark.parametrize("verdict", list(Verdict))
@pytest.mark.parametrize("fail_on_verdict", ["any", "live"])
def test_fail_on_verdict_live_lets_only_revoked_keys_through(verdict: Verdict, fail_on_verdict: str) -> None:
    checked = finding(KEYS[0]).replace(verified=KeyCheck(verdict, "test"))
    pol = Policy(fail_on_verdict=fail_on_verdict)
    outcome = policy.judge([checked, finding(KEYS[1])], pol)
    dead = fail_on_verdict == "live" and verdict is Verdict.REVOKED
    assert [f.secret.value for f in outcome.dead] == ([KEYS[0]] if dead else [])
    assert len(outcome.blocking) == (1 if dead else 2)
    gone = {f.fingerprint for f in outcome.dead}
    assert len(policy.failing([key_record(KEYS[0]), key_record(KEYS[1])], gone, pol)) == len(outcome.blocking)


# --- judge_keys: history's keys, judged place by place ------------------------------------------


def lines(texts: dict[str, str]) -> policy.LinesAt:
    return lambda blob, line: allowlist.lines_at(texts[blob], line) if blob in texts else None


def test_a_key_is_dropped_only_when_every_place_is() -> None:
    allowed = f'# prod\nk = "{KEYS[0]}"  # keylatch:allow\n'
    plain = f'# prod\nk = "{KEYS[0]}"\n'
    at = lines({"b1": allowed, "b2": plain})
    one = key_record(KEYS[0], ("a.py", "b1"))
    both = key_record(KEYS[0], ("a.py", "b1"), ("b.py", "b2"))
    excluded = key_record(KEYS[0], ("vendor/x.py", "b2"), ("a.py", "b1"))
    pol = Policy(allow=Allowlist(paths=("vendor",)))
    assert policy.judge_keys([one], pol, at)[0] == []
    assert policy.judge_keys([excluded], pol, at)[0] == []
    (kept,) = policy.judge_keys([both], pol, at)[0]
    assert [o.path for o in kept.locations] == ["b.py"]  # the allowed place is not reported
    # pragmas: false, or a blob that cannot be read: the comment does not count
    assert len(policy.judge_keys([one], Policy(allow=Allowlist(pragmas=False)), at)[0]) == 1
    assert len(policy.judge_keys([one], pol, lines({}))[0]) == 1
    assert len(policy.judge_keys([one], pol, None)[0]) == 1


def test_a_key_without_places_is_kept_unless_the_baseline_accepts_it() -> None:
    dangling = key_record(KEYS[0])
    assert policy.judge_keys([dangling], Policy(allow=Allowlist(paths=("*",))))[0] == [dangling]
    assert policy.judge_keys([dangling], Policy(known=Baseline((entry(KEYS[0]),)), today=TODAY))[0] == []
