"""A key written in a path (a file or directory name, an archive member's name) is reported by
`scan`, redacted, at the path cut after the name that holds it, line 0 (docs/scan.md)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KINDS = {
    "project": make_key("sk-proj-", seed=31),
    "service": make_key("sk-svcacct-", seed=32),
    "admin": make_key("sk-admin-", seed=33),
    "legacy": make_key("sk-", seed=34),
}


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _plant(root: Path, place: str, key: str) -> str:
    """Write a tree holding `key` in a name; return the path keylatch should report."""
    if place == "file":
        (root / "backup").mkdir()
        (root / "backup" / f"backup.{key}.txt").write_text("nothing here\n")
        return f"backup/backup.{key}.txt"
    if place == "directory":
        (root / "config" / key / "inner").mkdir(parents=True)
        for name in ("a.txt", "b.txt"):  # reported once, at the directory
            (root / "config" / key / "inner" / name).write_text("x\n")
        return f"config/{key}"
    assert place == "member"
    (root / "a.zip").write_bytes(_zip({f"dir/{key}.txt": b"plain\n"}))
    return f"a.zip!dir/{key}.txt"


@pytest.mark.parametrize("place", ["file", "directory", "member"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_scan_reports_a_key_in_a_name(keylatch: RunKeylatch, tmp_path: Path, kind: str, place: str) -> None:
    key = KINDS[kind]
    tree = tmp_path / "tree"
    tree.mkdir()
    want = _plant(tree, place, key)
    result = keylatch("scan", ".", "--format", "json", cwd=tree)
    assert result.code == 1, result.err
    findings = json.loads(result.out)["findings"]
    # An archive's own bytes (its member names among them) are scanned too: `a.zip:LINE` as well.
    (finding,) = [f for f in findings if f.get("in") == "path"]
    assert len(findings) == 1 or place == "member"
    assert {f["fingerprint"] for f in findings} == {finding["fingerprint"]}
    redacted = finding["secret"]
    assert finding["path"] == want.replace(key, redacted)
    assert (finding["line"], finding["in"]) == (0, "path")
    assert finding["column"] == want.index(key) + 1
    text = keylatch("scan", ".", cwd=tree)
    assert text.code == 1
    assert f"{want.replace(key, redacted)}:0:{want.index(key) + 1}:" in text.out
    assert "(in the path)" in text.out
    assert key not in result.out + result.err + text.out + text.err


def test_excluded_name_is_not_reported(keylatch: RunKeylatch, tmp_path: Path) -> None:
    key = KINDS["project"]
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / f"{key}.txt").write_text("x\n")
    assert keylatch("scan", ".", "--exclude", "vendor/*", cwd=tmp_path).code == 0


@pytest.mark.parametrize(
    "name",
    [
        "0123456789abcdef0123456789abcdef01234567",  # a loose object's name (40 hex)
        "d41d8cd98f00b204e9800998ecf8427e",  # an md5 (32 hex)
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.tar",  # a sha256
        "build-0123456789abcdef0123456789abcdef",  # a hex-named build directory
    ],
)
def test_hex_names_never_alarm(keylatch: RunKeylatch, tmp_path: Path, name: str) -> None:
    (tmp_path / name).mkdir()
    (tmp_path / name / name).write_text("x\n")
    assert keylatch("scan", ".", cwd=tmp_path).code == 0


SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "sarif-schema-2.1.0.json").read_text())


@pytest.mark.parametrize("place", ["file", "directory"])
def test_sarif_places_a_key_in_a_name_at_line_1(keylatch: RunKeylatch, tmp_path: Path, place: str) -> None:
    key = KINDS["project"]
    _plant(tmp_path, place, key)
    result = keylatch("scan", ".", "--format", "sarif", cwd=tmp_path)
    assert result.code == 1
    doc = json.loads(result.out)
    jsonschema.validate(doc, SCHEMA)
    (res,) = doc["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert res["properties"]["in"] == "path"
    assert "in the path" in res["message"]["text"]
    assert key not in result.out


# (what the commit does, the path it adds): a new file, a new directory, the new side of a
# rename, an archive member.
GIT_PLACES = ["file", "directory", "renamed", "member"]


def _stage(repo: GitRepo, place: str, key: str) -> str:
    """Stage `key` in a name the next commit adds; return the path keylatch should report."""
    if place == "file":
        repo.write(f"backup.{key}.txt", "x\n")
        want = f"backup.{key}.txt"
    elif place == "directory":
        repo.write(f"config/{key}/a.txt", "x\n")
        repo.write(f"config/{key}/b.txt", "y\n")
        want = f"config/{key}"
    elif place == "renamed":
        repo.git("mv", "README.md", f"{key}.md")
        want = f"{key}.md"
    else:
        repo.write("a.zip", _zip({f"dir/{key}.txt": b"plain\n"}))
        want = f"a.zip!dir/{key}.txt"
    repo.git("add", "-A")
    return want


@pytest.mark.parametrize("place", GIT_PLACES)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_staged_blocks_a_key_in_a_name(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], kind: str, place: str
) -> None:
    key = KINDS[kind]
    repo = make_repo()
    repo.write("README.md", "hello\n")
    repo.commit("base")
    want = _stage(repo, place, key)
    result = keylatch("staged", "--format", "json", cwd=repo.path)
    assert result.code == 1, result.err
    findings = json.loads(result.out)["findings"]
    (finding,) = [f for f in findings if f.get("in") == "path"]
    assert finding["path"] == want.replace(key, finding["secret"])
    assert (finding["line"], finding["column"]) == (0, want.index(key) + 1)
    text = keylatch("staged", cwd=repo.path)
    assert text.code == 1
    assert "(in the path)" in text.out + text.err
    assert key not in result.out + result.err + text.out + text.err


def test_staged_passes_a_commit_that_adds_no_name(keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo()
    repo.write("0123456789abcdef0123456789abcdef01234567", "x\n")  # a hex name: no key
    repo.git("add", "-A")
    assert keylatch("staged", cwd=repo.path).code == 0


def test_github_annotates_the_file_without_a_line(keylatch: RunKeylatch, tmp_path: Path) -> None:
    key = KINDS["admin"]
    _plant(tmp_path, "directory", key)
    result = keylatch("scan", ".", "--format", "github", cwd=tmp_path)
    assert result.code == 1
    (line,) = [x for x in result.out.splitlines() if x.startswith("::")]
    assert ",line=" not in line and "in the path, column 8" in line
    assert key not in result.out


def test_baseline_accepts_a_key_in_a_name(keylatch: RunKeylatch, tmp_path: Path) -> None:
    key = KINDS["project"]
    _plant(tmp_path, "file", key)
    assert keylatch("baseline", "update", "--reason", "test key", cwd=tmp_path).code == 0
    assert keylatch("scan", ".", cwd=tmp_path).code == 0


@pytest.mark.parametrize("evidence", [True, False])
def test_azure_key_in_a_name_needs_azure_evidence_beside_it(
    keylatch: RunKeylatch, tmp_path: Path, evidence: bool
) -> None:
    """The same rule as in text: written as a setting (`api_key=<hex>`), and Azure OpenAI evidence
    in the names around it (here a sibling named by the resource's endpoint)."""
    key = make_key("azure-classic", seed=11)
    (tmp_path / "azure" / f"api_key={key}").mkdir(parents=True)
    (tmp_path / "azure" / f"api_key={key}" / "x").write_text("x\n")
    (tmp_path / "azure" / ("endpoint-myres.openai.azure.com" if evidence else "endpoint-myres.example.org")).touch()
    result = keylatch("scan", ".", "--format", "json", cwd=tmp_path)
    assert result.code == (1 if evidence else 0), result.err
    if evidence:
        (finding,) = json.loads(result.out)["findings"]
        assert (finding["rule_id"], finding["in"]) == ("azure-openai-classic-key", "path")
        assert finding["path"] == f"azure/api_key={finding['secret']}"
    assert key not in result.out + result.err
