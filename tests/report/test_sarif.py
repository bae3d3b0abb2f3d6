from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from keylatch.engine import scan_chunk
from keylatch.model import Chunk, Finding
from keylatch.report import render
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import ALL_KINDS, make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.redaction import assert_files_redacted, assert_redacted
from tests.helpers.run import RunKeylatch

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "sarif-schema-2.1.0.json").read_text())


def every_kind() -> list[Finding]:
    text = 'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\nopenai\n' + "".join(
        f'api_key_{i} = "{make_key(kind, seed=i)}"\n' for i, kind in enumerate(ALL_KINDS)
    )
    # Rules whose key shape another rule shares: named as their kind of resource names it.
    text += f'AZURE_AI_SERVICES_KEY = "{make_key("azure-classic", seed=99)}"\n'
    text += f'realtime_secret = "{make_key("ek_", seed=98)}"\n'  # a default rule, not in ALL_KINDS
    # OAuth tokens: a refresh token is one only beside its access token.
    text += (
        f'codex = {{"access_token": "{make_key("openai-access-token-expired", 1)}", '
        f'"refresh_token": "{make_key("openai-refresh-token", 1)}"}}\n'
    )
    plain = scan_chunk(Chunk(text.encode(), "app/my settings.py"))
    committed = scan_chunk(Chunk(f'x = "{make_key("sk-admin-", 3)}"\n'.encode(), "old/x.py", 7, commit="a" * 40))
    return plain + committed


def sarif(findings: list[Finding], reveal: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render("sarif", findings, reveal=reveal))
    return doc


def test_validates_against_the_oasis_schema() -> None:
    found = every_kind()
    assert {f.rule_id for f in found} == {r.id for r in DEFAULT_RULES}
    jsonschema.validate(sarif(found), SCHEMA)
    jsonschema.validate(sarif([]), SCHEMA)


def test_what_github_code_scanning_reads() -> None:
    found = every_kind()
    (run,) = sarif(found)["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in DEFAULT_RULES]
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and "Revoke" in r["help"]["text"]
        assert float(r["properties"]["security-severity"]) > 0
    assert len(run["results"]) == len(found)
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] in ("app/my%20settings.py", "old/x.py")
        assert loc["region"]["startLine"] >= 3
        assert res["message"]["text"]
    by_fp = {f.fingerprint: f for f in found}
    assert {res["partialFingerprints"]["keylatchKeyHash/v1"] for res in run["results"]} == set(by_fp)
    committed = [r for r in run["results"] if r["ruleId"] == "openai-admin-key" and "commit" in r["properties"]]
    assert committed[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
    assert "in commit aaaaaaaaaaaa" in committed[0]["message"]["text"]


# Before the key: nothing, 2-byte UTF-8 (é), 3-byte (€), 4-byte (an emoji: 2 UTF-16 units), a
# mix, and bytes that are not UTF-8 at all.
PREFIXES = ["", "é", "€ € ", "\U0001f511 ", "naïve 🔑 €", b"\xff\xfe".decode("latin-1")]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_region_covers_the_key_in_utf16_code_units(prefix: str) -> None:
    """GitHub reads columns as UTF-16 code units (columnKind): multi-byte text before the key
    must not move the region off it."""
    key = make_key("sk-proj-", seed=5)
    line = f'{prefix}api_key = "{key}"'
    raw = line.encode("latin-1" if prefix.startswith("\xff") else "utf-8")
    (f,) = scan_chunk(Chunk(raw + b"\n", "a.py"))
    doc = json.loads(render("sarif", [f], line_of=lambda _: raw))
    jsonschema.validate(doc, SCHEMA)
    (run,) = doc["runs"]
    assert run["columnKind"] == "utf16CodeUnits"
    region = run["results"][0]["locations"][0]["physicalLocation"]["region"]
    shown = raw.decode("utf-8", "replace").encode("utf-16-le")
    start, end = (region["startColumn"] - 1) * 2, (region["endColumn"] - 1) * 2
    assert shown[start:end].decode("utf-16-le") == key


def test_region_without_the_line_names_the_line_only() -> None:
    """Standard input cannot be read again, and a file may have changed since: no column is
    better than a wrong one."""
    key = make_key("sk-proj-", seed=5)
    (f,) = scan_chunk(Chunk(f'€ api_key = "{key}"\n'.encode(), "a.py", 4))
    for line_of in (None, lambda _: None, lambda _: b"changed since"):
        region = sarif_with([f], line_of)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
        assert region == {"startLine": 4}


def sarif_with(findings: list[Finding], line_of: Callable[[Finding], bytes | None] | None) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render("sarif", findings, line_of=line_of))
    jsonschema.validate(doc, SCHEMA)
    return doc


def test_scan_reads_the_line_again_for_columns(tmp_path: Path, keylatch: RunKeylatch) -> None:
    key = make_key("sk-proj-", seed=6)
    (tmp_path / "é.env").write_text(f'# clé 🔑\nOPENAI_API_KEY="ééé{key}"\n', encoding="utf-8")
    r = keylatch("scan", ".", "--format", "sarif", cwd=tmp_path)
    doc = json.loads(r.out)
    jsonschema.validate(doc, SCHEMA)
    region = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (r.code, region) == (1, {"startLine": 2, "startColumn": 20, "endLine": 2, "endColumn": 20 + len(key)})


@pytest.mark.parametrize("command", ["history", "ci"])
def test_history_and_ci_read_the_blob_line_again_for_columns(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, command: str
) -> None:
    key = make_key("sk-proj-", seed=7)
    repo = make_repo()
    base = repo.commit("base")
    repo.write("é.env", f'# clé 🔑\nOPENAI_API_KEY="ééé{key}"\n')
    repo.commit("add")
    argv = ("history", "--no-cache") if command == "history" else ("ci", "--range", f"{base}..HEAD")
    r = keylatch(*argv, "--format", "sarif", cwd=repo.path)
    doc = json.loads(r.out)
    jsonschema.validate(doc, SCHEMA)
    region = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert (r.code, region) == (1, {"startLine": 2, "startColumn": 20, "endLine": 2, "endColumn": 20 + len(key)})


def test_fingerprint_is_stable_when_the_line_moves() -> None:
    key = make_key("sk-svcacct-", seed=5)
    (a,) = scan_chunk(Chunk(f'k = "{key}"\n'.encode(), "a.py"))
    (b,) = scan_chunk(Chunk(("\n" * 30 + f'k = "{key}"\n').encode(), "a.py"))
    fa, fb = (sarif([x])["runs"][0]["results"][0]["partialFingerprints"] for x in (a, b))
    assert fa == fb


@pytest.mark.parametrize("reveal", [False, True])
def test_keys_only_with_reveal(reveal: bool) -> None:
    found = every_kind()
    out = render("sarif", found, reveal=reveal)
    if reveal:
        assert all(f.secret.value in out for f in found)
    else:
        assert_redacted(out, keys=[f.secret.value for f in found])


def test_history_range_to_a_sarif_file(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> None:
    """The issue's example: keylatch history --range BASE..HEAD --format sarif --output keylatch.sarif."""
    repo = make_repo()
    repo.write("README.md", "x\n")
    base = repo.commit("initial")
    key = make_key("sk-admin-", seed=71)
    repo.write("deploy/env.sh", f"export OPENAI_ADMIN_KEY={key}\n")
    leak = repo.commit("deploy script")
    r = keylatch("history", "--range", f"{base}..HEAD", "--format", "sarif", "--output", "keylatch.sarif",
                 cwd=repo.path)  # fmt: skip
    assert r.code == 1 and r.out == ""
    doc = json.loads((repo.path / "keylatch.sarif").read_text())
    jsonschema.validate(doc, SCHEMA)
    (res,) = doc["runs"][0]["results"]
    region = res["locations"][0]["physicalLocation"]["region"]
    assert (res["ruleId"], res["properties"]["commit"], region["startLine"]) == ("openai-admin-key", leak, 1)
    assert_files_redacted(repo.path / "keylatch.sarif", keys=[key])
