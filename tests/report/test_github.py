from __future__ import annotations

import re

from keylatch.engine import scan_chunk
from keylatch.model import Chunk
from keylatch.report import render
from keylatch.rules.synthetic import make_key
from tests.helpers.redaction import assert_redacted

ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]*),line=(\d+),col=(\d+),title=([^:]*)::(.*)$")


def test_one_annotation_per_finding_with_file_and_line() -> None:
    key, other = make_key("sk-proj-", seed=1), make_key("sk-admin-", seed=2)
    findings = scan_chunk(Chunk(f'a = "{key}"\n\nb = "{other}"\n'.encode(), "src/app,v1.py", commit="b" * 40))
    out = render("github", findings)
    lines = out.splitlines()
    assert lines[-1] == "keylatch: 2 keys found in 1 file"
    parsed = [ANNOTATION.match(line) for line in lines[:-1]]
    assert all(parsed)
    assert [(m.group(1), m.group(2), m.group(3)) for m in parsed if m] == [
        ("error", "src/app%2Cv1.py", "1"),
        ("error", "src/app%2Cv1.py", "3"),
    ]
    assert "in commit bbbbbbbbbbbb" in lines[0] and "openai-project-key" in lines[0]
    assert_redacted(out, keys=[key, other])


def test_webhook_secret_is_a_warning_and_no_findings_is_one_line() -> None:
    key = make_key("whsec_", seed=1)
    (f,) = scan_chunk(Chunk(f'OPENAI_WEBHOOK_SECRET="{key}"\n'.encode(), "e.env"))
    assert render("github", [f]).startswith("::warning file=e.env,line=1,")
    assert render("github", []) == "keylatch: no keys found\n"
