"""History reports: what each line says, what the summary admits was skipped, never a full key."""

from __future__ import annotations

import dataclasses
import json

from keylatch.history.model import CommitInfo, HistoryResult, KeyFinding, Occurrence
from keylatch.model import Secret, Severity
from keylatch.report.history_report import render
from keylatch.rules.synthetic import make_key
from tests.helpers.redaction import assert_redacted

C1 = CommitInfo("a" * 40, "Alice Example", "alice@example.test", "2024-01-02T12:00:00+00:00", "add key")
KEY = make_key("sk-proj-", seed=71)


def result(**kw: object) -> HistoryResult:
    k = KeyFinding(
        rule_id="openai-project-key",
        severity=Severity.HIGH,
        secret=Secret(KEY, len("sk-proj-")),
        introduced=C1,
        last_seen=C1,
        locations=(Occurrence(C1.sha, "app/settings.py", 3, 9, C1.author_name, C1.author_email, "b" * 40),),
        in_head=True,
        refs=("refs/heads/main",),
        at_shallow_boundary=bool(kw.pop("boundary", False)),
    )
    base: dict[str, object] = {"findings": (k,), "commits": 12, "blobs": 30, "bytes": 2_500_000, "seconds": 1.25}
    base.update(kw)
    return HistoryResult(**base)  # type: ignore[arg-type]


def test_text_lines_and_summary_notes() -> None:
    skipped = {"gitlinks": 2, "lfs_pointers": 1, "missing_blobs": 4, "shallow_boundary": ("c" * 40,)}
    out = render("text", result(**skipped, boundary=True))
    lines = out.splitlines()
    assert lines[0] == f"high openai-project-key {Secret(KEY, 8).redacted} sha256:{Secret(KEY).fingerprint[:12]}"
    assert lines[1] == (
        "  introduced aaaaaaaaaaaa 2024-01-02T12:00:00+00:00 Alice Example <alice@example.test>: add key"
        " (shallow boundary: may be older)"
    )
    assert lines[2] == "  at app/settings.py:3:9 aaaaaaaaaaaa Alice Example"
    assert lines[4] == "  in HEAD: yes; refs: refs/heads/main"
    assert lines[-1] == (
        "keylatch: 1 key found in history; 12 commits, 30 blobs (2.5 MB) scanned in 1.2s"
        "; shallow clone: history before cccccccccccc is missing"
        "; partial clone: 4 blobs not present locally, not scanned"
        "; 2 submodule commits skipped (use --recurse-submodules for checked-out ones)"
        "; 1 LFS pointer files: their content lives on the LFS server, not scanned"
    )
    assert_redacted(out, keys=[KEY])


def test_json_shape_and_reveal() -> None:
    doc = json.loads(render("json", result()))
    (f,) = doc["findings"]
    assert f["introduced"]["sha"] == C1.sha and f["locations"][0]["path"] == "app/settings.py"
    assert doc["stats"]["complete"] is True and doc["notes"] == []
    assert f["secret"] != KEY
    assert json.loads(render("json", result(), reveal=True))["findings"][0]["secret"] == KEY


def test_clean_summary() -> None:
    assert render("text", result(findings=())) == (
        "keylatch: no keys found in history; 12 commits, 30 blobs (2.5 MB) scanned in 1.2s\n"
    )


ESC = "\x1b]0;pwn\x07"
PLANTED = {
    field: make_key("sk-proj-", seed=seed) for seed, field in enumerate(("summary", "name", "email", "path", "ref"), 72)
}


def hostile() -> HistoryResult:
    """Each string the repository controls holds a key and a terminal escape (issue 8)."""
    p = PLANTED
    c = CommitInfo(
        "a" * 40,
        f"Eve {p['name']}{ESC}",
        f"e+{p['email']}@x",
        "2024-01-02T12:00:00+00:00",
        f"add {p['summary']}\r{ESC}",
    )
    occ = Occurrence(c.sha, f"conf/{ESC}{p['path']}.env", 3, 9, c.author_name, c.author_email, "b" * 40)
    return dataclasses.replace(
        result(),
        findings=(
            dataclasses.replace(
                result().findings[0], introduced=c, last_seen=c, locations=(occ,), refs=(f"refs/heads/{p['ref']}",)
            ),
        ),
    )


def test_strings_from_the_repository_are_redacted_and_escaped() -> None:
    text = render("text", hostile())
    assert_redacted(text, keys=[KEY, *PLANTED.values()])
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    red = {f: Secret(k, 8).redacted for f, k in PLANTED.items()}
    assert f": add {red['summary']}\\r\\x1b]0;pwn\\x07\n" in text
    assert f"Eve {red['name']}\\x1b]0;pwn\\x07 <e+{red['email']}@x>" in text
    assert f"  at conf/\\x1b]0;pwn\\x07{red['path']}.env:3:9 " in text
    assert f"refs: refs/heads/{red['ref']}\n" in text

    raw = render("json", hostile())
    assert_redacted(raw, keys=[KEY, *PLANTED.values()])
    (f,) = json.loads(raw)["findings"]
    # JSON keeps the characters (escaped by json itself) and only redacts.
    assert f["introduced"]["summary"] == f"add {red['summary']}\r{ESC}"
    assert f["locations"][0]["path"] == f"conf/{ESC}{red['path']}.env"
    assert f["refs"] == [f"refs/heads/{red['ref']}"]
    # --show-secrets reveals the reported key, not keys in other strings.
    assert PLANTED["summary"] not in render("json", hostile(), reveal=True)


def test_recursing_into_submodules_does_not_suggest_recursing() -> None:
    plain = render("text", result(gitlinks=3)).splitlines()[-1]
    assert "use --recurse-submodules" in plain
    recursed = render("text", result(gitlinks=3, submodules=("vendor/lib", "ext"))).splitlines()[-1]
    assert "--recurse-submodules" not in recursed
    assert recursed.endswith(
        "; 3 submodule commits recorded; checked-out submodules scanned as repositories of their own "
        "(vendor/lib, ext), others not scanned"
    )


def test_summary_counts_distinct_keys_and_places() -> None:
    one = result()
    (k,) = one.findings
    twice = dataclasses.replace(k, locations=(*k.locations, dataclasses.replace(k.locations[0], path="b.env")))
    out = render("text", dataclasses.replace(one, findings=(twice,))).splitlines()[-1]
    assert out.startswith("keylatch: 1 distinct key at 2 places, found in history; 12 commits")
