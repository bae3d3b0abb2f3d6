"""Exposure of keys in history: who committed them, how long they were exposed, published or local,
and the order of urgency. Unit cases on records, then real repositories through `keylatch history`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest

from keylatch.history.model import CommitInfo, KeyFinding, Occurrence
from keylatch.model import KeyCheck, Secret, Severity, Verdict
from keylatch.report.exposure import by_urgency, expose
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.openai_emulator import Emulator
from tests.helpers.run import RunKeylatch

NOW = dt.datetime(2024, 3, 1, tzinfo=dt.timezone.utc)
ALICE = CommitInfo("a" * 40, "Alice", "alice@example.test", "2024-01-01T00:00:00+00:00", "add")
BOB = CommitInfo("b" * 40, "Bob", "BOB@example.test", "2024-01-11T00:00:00+02:00", "copy")
GONE = CommitInfo("c" * 40, "Bob", "bob@example.test", "2024-01-31T00:00:00+00:00", "remove")


def key(
    rule: str = "openai-project-key",
    *,
    seed: int = 1,
    by: tuple[CommitInfo, ...] = (ALICE,),
    refs: tuple[str, ...] = ("refs/heads/main",),
    in_head: bool = True,
    removed: CommitInfo | None = None,
) -> KeyFinding:
    value = make_key("sk-admin-" if rule == "openai-admin-key" else "sk-proj-", seed)
    places = tuple(Occurrence(c.sha, f"f{i}.env", 1, 3, c.author_name, c.author_email) for i, c in enumerate(by))
    return KeyFinding(rule, Severity.HIGH, Secret(value, 8), by[0], by[-1], places, in_head, refs, removed=removed)


def test_authors_are_distinct_people_and_two_make_a_shared_key() -> None:
    alone = expose(key(by=(ALICE, ALICE)), NOW)
    assert alone.authors == ("Alice <alice@example.test>",) and not alone.shared
    shared = expose(key(by=(ALICE, BOB, GONE)), NOW)  # Bob twice, e-mail in two cases
    assert shared.authors == ("Alice <alice@example.test>", "Bob <BOB@example.test>") and shared.shared


@pytest.mark.parametrize(
    ("in_head", "removed", "days"),
    [(True, None, 60), (False, GONE, 30), (False, None, 60)],  # still present / removed / not known: today
)
def test_days_exposed_run_from_the_first_commit_to_removal_or_today(
    in_head: bool, removed: CommitInfo | None, days: int
) -> None:
    e = expose(key(in_head=in_head, removed=removed), NOW)
    assert e.days == days and e.removed == (removed.date if removed else "")


def test_a_remote_tracking_ref_means_published() -> None:
    assert expose(key(refs=("refs/heads/main", "refs/remotes/origin/main")), NOW).published
    assert not expose(key(refs=("refs/heads/main", "refs/tags/v1")), NOW).published


def test_urgency_order() -> None:
    live, dead = KeyCheck(Verdict.LIVE_RESTRICTED, "x"), KeyCheck(Verdict.REVOKED, "x")
    published = ("refs/remotes/origin/main",)
    keys = {
        "revoked": (key(seed=1, refs=published), dead),
        "unknown": (key(seed=2), None),
        "live-local": (key(seed=3), live),
        "live-published": (key(seed=4, refs=published), live),
        "live-admin": (key("openai-admin-key", seed=5), live),
    }
    findings = tuple(k for k, _ in keys.values())
    verdicts = {k.fingerprint: v for k, v in keys.values() if v}
    ex = {k.fingerprint: expose(k, NOW) for k in findings}
    order = [next(n for n, (k, _) in keys.items() if k is f) for f in by_urgency(findings, verdicts, ex)]
    assert order == ["live-admin", "live-published", "live-local", "unknown", "revoked"]


# --- real repositories ----------------------------------------------------------------------------


def test_history_reports_exposure(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> None:
    k = make_key("sk-proj-", 81)
    repo = make_repo()
    repo.write("a.env", f"K={k}\n")
    repo.commit("alice adds", author="alice", date="2024-01-01T00:00:00Z")
    repo.write("b.env", f"K={k}\n")
    repo.commit("bob copies", author="bob", date="2024-01-05T00:00:00Z")
    repo.git("update-ref", "refs/remotes/origin/main", "HEAD")  # as after a push
    repo.write("a.env", "K=\n")
    repo.write("b.env", "K=\n")
    removed = repo.commit("bob removes", author="bob", date="2024-01-21T00:00:00Z")
    doc = json.loads(keylatch("history", str(repo.path), "-f", "json").out)
    (f,) = doc["findings"]
    e = f["exposure"]
    assert e["authors"] == ["Alice Example <alice@example.test>", "Bob Example <bob@example.test>"]
    assert e["shared"] and e["published"] and e["refs"] == ["refs/heads/main", "refs/remotes/origin/main"]
    # origin/main still has it: exposure has not ended.
    assert e["removed"] is None and not e["in_head"]
    repo.git("update-ref", "-d", "refs/remotes/origin/main")  # e.g. history rewritten and force-pushed
    doc = json.loads(keylatch("history", str(repo.path), "-f", "json").out)
    e = doc["findings"][0]["exposure"]
    assert e["removed"] == {"sha": removed, "date": "2024-01-21T00:00:00+00:00"} and e["days_exposed"] == 20
    assert not e["published"]
    text = keylatch("history", str(repo.path)).out
    assert "shared key (2 people committed it" in text
    assert f"exposed 20 days: since 2024-01-01 until it was removed in {removed[:12]}" in text
    assert "local only: no remote-tracking ref reaches it" in text


def test_history_text_puts_live_published_keys_first(
    api: Emulator, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    dead, local, published = (make_key("sk-proj-", s) for s in (82, 83, 84))
    api.answer(local, "live")
    api.answer(published, "live")
    repo = make_repo()
    for name, k in (("dead", dead), ("published", published)):
        repo.write(f"{name}.env", f"K={k}\n")
        repo.commit(name)
    repo.git("update-ref", "refs/remotes/origin/main", "HEAD")
    repo.write("local.env", f"K={local}\n")
    repo.commit("local")
    out = keylatch("history", str(repo.path), "--verify", "--verify-url", api.url, "--no-verify-cache").out
    heads = [line for line in out.splitlines() if line.startswith("high ")]
    assert [h.split()[2] for h in heads] == [Secret(k, 8).redacted for k in (published, local, dead)]
