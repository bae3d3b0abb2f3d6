"""Notices in every report format (report/notice.py): escaped, redacted, schema-valid."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from keylatch.report import render
from keylatch.report.notice import ALLOWED_BY_COMMENT, JUDGED_WITH, SETTINGS_CHANGED, Notice, safe
from keylatch.rules.synthetic import make_key
from tests.helpers.redaction import assert_redacted

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "sarif-schema-2.1.0.json").read_text())
KEY = make_key("sk-proj-", seed=91)
NOTICES = (
    Notice(JUDGED_WITH, "note", "judged with the settings of the base commit 0123456789ab", commit="0" * 40),
    Notice(SETTINGS_CHANGED, "warning", "this range changes keylatch's configuration a,b:c.yaml", path="a,b:c.yaml"),
    Notice(ALLOWED_BY_COMMENT, "warning", "t.py:3 allowed\nby a comment 100%", path="t.py", line=3, commit="1" * 40),
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("line\nbreak\r", "line\\x0abreak\\x0d"),
        ("bidi\u202eevil", "bidi\\u202eevil"),
        ("nul\x00", "nul\\x00"),
        ("plain/path.py", "plain/path.py"),
    ],
)
def test_safe_escapes_control_and_bidi_characters(raw: str, shown: str) -> None:
    assert safe(raw) == shown


def test_safe_redacts_keys() -> None:
    out = safe(f"src/{KEY}.py:1 allowed")
    assert KEY not in out and out.startswith("src/sk-proj-") and out.endswith(".py:1 allowed")
    assert_redacted(out)


def test_json_carries_notices_only_when_given() -> None:
    assert "notices" not in json.loads(render("json", []))
    doc = json.loads(render("json", [], notices=NOTICES))
    assert doc["notices"][0] == {"kind": JUDGED_WITH, "level": "note", "message": NOTICES[0].message,
                                 "path": None, "line": None, "commit": "0" * 40}  # fmt: skip
    assert [n["kind"] for n in doc["notices"]] == [JUDGED_WITH, SETTINGS_CHANGED, ALLOWED_BY_COMMENT]


def test_sarif_notifications_validate() -> None:
    doc = json.loads(render("sarif", [], notices=NOTICES))
    jsonschema.validate(doc, SCHEMA)
    (run,) = doc["runs"]
    (inv,) = run["invocations"]
    assert inv["executionSuccessful"] is True
    assert [n["descriptor"]["id"] for n in inv["toolConfigurationNotifications"]] == [JUDGED_WITH, SETTINGS_CHANGED]
    (allowed,) = inv["toolExecutionNotifications"]
    assert allowed["locations"][0]["physicalLocation"]["region"] == {"startLine": 3}
    assert "invocations" not in json.loads(render("sarif", []))["runs"][0]


def test_github_annotations_escape_properties_and_data() -> None:
    lines = render("github", [], notices=NOTICES).splitlines()
    assert lines[0] == f"::notice title=keylatch judged-with::{NOTICES[0].message}"
    assert lines[1].startswith("::warning file=a%2Cb%3Ac.yaml,title=keylatch settings-changed::")
    assert lines[2] == (
        "::warning file=t.py,line=3,title=keylatch allowed-by-comment::t.py:3 allowed%0Aby a comment 100%25"
    )
    assert lines[3] == "keylatch: no keys found"
