from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch import baseline
from keylatch.baseline import Baseline, Entry, from_findings, subtract
from keylatch.detect_secrets_hashes import sha1_hashes
from keylatch.engine import scan_chunk
from keylatch.errors import UsageError
from keylatch.model import Chunk, Finding
from keylatch.rules.synthetic import make_key
from tests.helpers.redaction import assert_files_redacted

TODAY = dt.date(2025, 6, 1)
KEY = make_key("sk-proj-", seed=21)
OTHER = make_key("sk-proj-", seed=22)


def findings(text: str, path: str = "app/settings.py") -> list[Finding]:
    return scan_chunk(Chunk(text.encode(), path))


def test_file_holds_hashes_sorted_without_secrets_or_lines(tmp_path: Path) -> None:
    found = findings(f'b = "{OTHER}"\na = "{KEY}"\n') + findings(f'x = "{KEY}"\n', "sub\\win.py".replace("\\", "/"))
    path = tmp_path / "baseline.json"
    baseline.write(path, from_findings(found, reason="rotated"))
    doc = json.loads(path.read_text())
    assert doc["version"] == 1
    entries = doc["entries"]
    assert [e["fingerprint"] for e in entries] == sorted(f.fingerprint for f in found[:2])
    by_fp = {e["fingerprint"]: e for e in entries}
    assert by_fp[found[1].fingerprint]["paths"] == ["app/settings.py", "sub/win.py"]
    assert all(e["reason"] == "rotated" and "line" not in json.dumps(e) for e in entries)
    assert_files_redacted(path, keys=[KEY, OTHER])
    assert baseline.load(path) == from_findings(found, reason="rotated")


def test_stable_when_lines_move_and_a_new_key_on_the_same_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    before = findings(f'key = "{KEY}"\n')
    baseline.write(path, from_findings(before))
    written = path.read_bytes()
    moved = findings("# filler\n" * 50 + f'key = "{KEY}"\n')
    assert moved[0].location.line == 51
    known = baseline.load(path)
    assert subtract(moved, known, TODAY) == []
    baseline.write(path, from_findings(moved, known))
    assert path.read_bytes() == written
    replaced = findings(f'key = "{OTHER}"\n')  # the same line now holds another key
    assert [f.secret for f in subtract(replaced, known, TODAY)] == [replaced[0].secret]


def test_expired_entries_stop_suppressing() -> None:
    found = findings(f'key = "{KEY}"\n')
    known = from_findings(found, expires=dt.date(2025, 5, 31))
    assert subtract(found, known, dt.date(2025, 5, 31)) == []
    assert subtract(found, known, TODAY) == found
    assert baseline.expired(known, TODAY) == known.entries


def test_rule_id_is_part_of_the_key() -> None:
    (f,) = findings(f'key = "{KEY}"\n')
    other_rule = Baseline((Entry("openai-user-key", f.fingerprint),))
    any_rule = Baseline((Entry("*", f.fingerprint),))
    assert subtract([f], other_rule, TODAY) == [f]
    assert subtract([f], any_rule, TODAY) == []


def test_update_keeps_reasons_and_entries_not_seen_unless_pruned() -> None:
    a, b = findings(f'a = "{KEY}"\nb = "{OTHER}"\n')
    known = from_findings([a, b], reason="accepted in review")
    updated = from_findings([a], known, reason="new reason")
    assert updated == known
    pruned = from_findings([a], known, prune=True)
    assert [e.fingerprint for e in pruned.entries] == [a.fingerprint]
    assert pruned.entries[0].reason == "accepted in review"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("{", "not valid JSON"),
        ('{"version": 2, "entries": []}', "unsupported baseline version 2"),
        ('{"version": 1, "entries": [], "extra": 1}', "unknown key 'extra'"),
        ('{"version": 1, "entries": [{"rule_id": "x", "fingerprint": "ab"}]}', "64 lowercase hex"),
        ('{"version": 1, "entries": [{"rule_id": "x"}]}', "needs 'fingerprint'"),
        ('{"version": 1, "entries": [{"rule_id": "x", "sha1": "' + "a" * 40 + '", "expires": "soon"}]}',
         "entries[0]: 'expires' must be a date"),
        ('{"version": 1, "entries": [{"rule_id": "x", "sha1": "' + "a" * 40 + '", "line": 3}]}',
         "entries[0]: unknown key 'line'"),
    ],
)  # fmt: skip
def test_malformed_baseline_is_a_usage_error_naming_the_file(tmp_path: Path, doc: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(doc)
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        baseline.load(path)
    assert str(path) in str(info.value)


def test_missing_baseline_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        baseline.load(tmp_path / "nope.json")


@pytest.mark.e2e
def test_import_real_detect_secrets_baseline(tmp_path: Path) -> None:
    # Every kind of key, quoted and unquoted: detect-secrets hashes the whole key or (its
    # OpenAIDetector, on unquoted values) the key cut after the marker.
    kinds = ("sk-", "sk-proj-", "sk-svcacct-", "sk-None-", "sk-admin-", "sk-named", "azure")
    lines = [f'K{i} = "{make_key(k, seed=i)}"' for i, k in enumerate(kinds)]
    # Unquoted current keys: only the OpenAIDetector sees them, and only when the 20 characters
    # after the marker are alphanumeric; it hashes the key cut there.
    lines += [f"U{i}={make_key('sk-proj-', seed=40 + i)}" for i in range(6)]
    src = tmp_path / "src"
    src.mkdir()
    (src / "config.env").write_text("\n".join(lines) + "\n")
    proc = subprocess.run(["detect-secrets", "scan", "config.env"], cwd=src, capture_output=True, text=True, check=True)
    ds_baseline = tmp_path / ".secrets.baseline"
    ds_baseline.write_text(proc.stdout)
    listed = {r["line_number"] for r in json.loads(proc.stdout)["results"]["config.env"]}
    found = findings((src / "config.env").read_text(), "config.env")
    assert len(found) == len(lines)
    assert {n for n in listed if n > len(kinds)}, "no unquoted key was listed: pick other seeds"
    read = baseline.import_detect_secrets(ds_baseline)
    imported = baseline.merge(read.openai, read.other)
    assert all(e.rule_id == "*" and e.sha1 and e.paths == ("config.env",) for e in imported.entries)
    # Every key detect-secrets listed is suppressed; the ones it missed are still reported.
    reported = subtract(found, imported, TODAY)
    assert {f.location.line for f in reported} == {f.location.line for f in found} - listed
    # A key detect-secrets never saw is still reported.
    (fresh,) = findings(f'N = "{make_key("sk-proj-", seed=99)}"\n', "config.env")
    assert subtract([fresh], imported, TODAY) == [fresh]
    # Updating from current findings turns the SHA-1 entries into sha256 ones, keeping the reason.
    seen = [f for f in found if f.location.line in listed]
    upgraded = from_findings(seen, imported, prune=True)
    assert {e.fingerprint for e in upgraded.entries} == {f.fingerprint for f in seen}
    assert all(e.sha1 is None and e.reason and "detect-secrets" in e.reason for e in upgraded.entries)


def test_import_rejects_a_file_that_is_not_a_detect_secrets_baseline(tmp_path: Path) -> None:
    path = tmp_path / ".secrets.baseline"
    path.write_text('{"version": 1, "entries": []}')
    with pytest.raises(UsageError, match="not a detect-secrets baseline"):
        baseline.import_detect_secrets(path)


# --- hostile baselines: a baseline comes from the scanned repository ---------------------------

SHA1 = "a" * 40


@pytest.mark.parametrize(
    "doc",
    ["[" * 100_000 + "]" * 100_000, '{"version": 1, "entries": ' + "[" * 100_000 + "]" * 100_000 + "}"],
    ids=["top", "entries"],
)
def test_a_deeply_nested_baseline_is_a_one_line_error(tmp_path: Path, doc: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(doc)
    loaders: tuple[Callable[[], Baseline], ...] = (
        lambda: baseline.load(path),
        lambda: baseline.load_bytes(doc.encode(), path),
    )
    for load in loaders:
        with pytest.raises(UsageError, match="nested too deeply") as info:
            load()
        assert str(info.value) == f"{path}: not valid JSON: nested too deeply"


def test_baseline_size_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    entry = '{"rule_id": "x", "sha1": "' + SHA1 + '"}'
    doc = '{"version": 1, "entries": [' + ", ".join([entry] * (baseline.MAX_BYTES // len(entry) + 1)) + "]}"
    path.write_text(doc)
    with pytest.raises(UsageError, match=r"b\.json: larger than 32 MiB"):
        baseline.load(path)
    with pytest.raises(UsageError, match=r"larger than 32 MiB"):
        baseline.load_bytes(doc.encode(), path)


def test_a_baseline_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(UsageError, match="cannot read baseline .*fifo.json: not a regular file"):
        baseline.load(tmp_path / "fifo.json")


LONG = "x" * 5000 + "\x1b[2J"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"version": LONG, "entries": []}, "unsupported baseline version 'xxx"),
        ({"version": [[1] * 9000], "entries": []}, "unsupported baseline version list of 1 item"),
        ({"version": 1, "entries": [], LONG: 1}, "unknown key 'xxx"),
        ({"version": 1, "entries": [{"rule_id": "x", "sha1": SHA1, LONG: 1}]}, "entries[0]: unknown key 'xxx"),
        ({"version": 1, "entries": [{"rule_id": "x", "sha1": SHA1, "expires": LONG}]},
         "entries[0]: 'expires' must be a date like 2025-01-31, not 'xxx"),
        ({"version": 1, "entries": [1e999]}, "entries[0]: must be an object"),
    ],
    ids=["version", "version-list", "key", "entry-key", "expires", "number"],
)  # fmt: skip
def test_errors_never_echo_values_whole_or_control_characters(tmp_path: Path, doc: object, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        baseline.load(path)
    assert "\x1b" not in str(info.value) and len(str(info.value)) < len(str(path)) + 200


def test_a_huge_number_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text('{"version": ' + "1" * 10_000 + ', "entries": []}')
    with pytest.raises(UsageError, match="not valid JSON"):
        baseline.load(path)


def test_detect_secrets_import_does_not_echo_or_store_hostile_values(tmp_path: Path) -> None:
    path = tmp_path / ".secrets.baseline"
    path.write_text(json.dumps({"results": {LONG: [{"hashed_secret": "zz"}]}}))
    with pytest.raises(UsageError, match=re.escape("results['xxxx")) as info:
        baseline.import_detect_secrets(path)
    assert "\x1b" not in str(info.value) and len(str(info.value)) < len(str(path)) + 200
    path.write_text(json.dumps({"results": {"a.py": [{"hashed_secret": SHA1, "type": [[LONG] * 10] * 10}]}}))
    (entry,) = baseline.import_detect_secrets(path).other.entries
    assert entry.reason == "imported from detect-secrets (unknown type)"


@pytest.mark.parametrize("kind", ["azure", "sk-proj-", "sk-admin-", "sk-"])
@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"version": "{k}", "entries": []}, "unsupported baseline version"),
        ({"version": 1, "entries": [], "{k}": 1}, "unknown key"),
        ({"version": 1, "entries": [{"rule_id": "r", "sha1": "0" * 40, "{k}": 1}]}, "unknown key"),
        ({"version": 1, "entries": [{"rule_id": "r", "sha1": "0" * 40, "expires": "{k}"}]}, "'expires' must be"),
    ],
    ids=["version", "key", "entry-key", "expires"],
)
def test_a_key_in_a_baseline_value_is_never_quoted_even_in_part(
    tmp_path: Path, kind: str, doc: dict[str, object], message: str
) -> None:
    """Redacted, then cut (QA t-qa17 p11): 60 characters of an 84-character key are no key to redact."""
    key = make_key(kind, 98)
    path = tmp_path / "b.json"
    path.write_text(json.dumps(doc).replace("{k}", key))
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        baseline.load(path)
    shown = str(info.value)
    assert not any(key[i : i + 16] in shown for i in range(len(key) - 15)), shown


class _CountingEntries(tuple[Entry, ...]):
    """A previous baseline's entries that count how often they are walked whole."""

    walks = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        type(self).walks += 1
        return super().__iter__()


@pytest.mark.parametrize("kind", ["fingerprint", "sha1"])
def test_update_walks_the_previous_baseline_a_fixed_number_of_times(kind: str) -> None:
    """`baseline update` used to scan every previous entry once per finding: quadratic (4,000
    findings over 2,000 entries: 0.6 s, fourfold per doubling). Counted, not timed."""
    found = [f for i in range(200) for f in findings(f'k = "{make_key("sk-proj-", seed=1000 + i)}"\n', f"f{i}.py")]
    known = from_findings(found[:100], reason="accepted")
    if kind == "sha1":
        sha1s = [sha1_hashes(f.secret)[0] for f in found[:100]]
        known = Baseline(tuple(Entry("*", None, h, ("old.py",), "imported") for h in sha1s))
    _CountingEntries.walks = 0
    updated = from_findings(found, Baseline(_CountingEntries(known.entries)), reason="new")
    assert _CountingEntries.walks <= 3
    reasons = {e.fingerprint: e.reason for e in updated.entries}
    assert [reasons[f.fingerprint] for f in found] == ["accepted" if kind == "fingerprint" else "imported"] * 100 + [
        "new"
    ] * 100
