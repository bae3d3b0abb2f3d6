"""A key in an archive member, in SARIF: the artifact is the archive (a file in the repository,
which code scanning can open), the member is named as a logical location, in the message and in
the properties, never a percent-encoded `bundle.zip%21config/.env` that names no file. Every
command that writes SARIF, every nesting; valid against the OASIS schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.archives import tarred, zipped
from tests.helpers.gitrepo import GitRepo
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import RunKeylatch

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "sarif-schema-2.1.0.json").read_text())
KEY = make_key("sk-proj-", seed=301)
ENV = f"# settings\nOPENAI_API_KEY={KEY}\n".encode()
ZERO = "0" * 40

# name -> (archive path, its bytes, the member as labelled inside it)
BUNDLES: dict[str, tuple[str, bytes, str]] = {
    "zip": ("dist/bundle.zip", zipped({"config/.env": ENV}), "config/.env"),
    "tar-gz": ("dist/bundle.tar.gz", tarred({"config/.env": ENV}, "w:gz"), "config/.env"),
    "nested": ("dist/outer.zip", zipped({"inner.zip": zipped({"config/.env": ENV})}), "inner.zip!config/.env"),
}


def _sarif(keylatch: RunKeylatch, repo: GitRepo, base: str, command: str) -> dict[str, Any]:
    if command == "scan":
        res = keylatch("scan", "--no-baseline", "-f", "sarif", ".", cwd=repo.path)
    elif command == "history":
        res = keylatch("history", "--no-cache", "-f", "sarif", cwd=repo.path, input="")
    else:
        res = keylatch("ci", "--range", f"{base}..HEAD", "-f", "sarif", cwd=repo.path)
    assert res.code == 1, res
    assert_redacted(res.out, res.err, keys=[KEY])
    assert "%21" not in res.out
    doc: dict[str, Any] = json.loads(res.out)
    jsonschema.validate(doc, SCHEMA)
    return doc


@pytest.mark.parametrize("command", ["scan", "history", "ci"])
@pytest.mark.parametrize("bundle", sorted(BUNDLES))
def test_the_artifact_is_the_archive_and_the_member_is_named(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, bundle: str, command: str
) -> None:
    archive, data, member = BUNDLES[bundle]
    repo = make_repo()
    repo.write("README", "hello\n")
    base = repo.commit("base")
    repo.write(archive, data)
    repo.commit("add the bundle")
    (result,) = _sarif(keylatch, repo, base, command)["runs"][0]["results"]
    (place,) = result["locations"]
    uri = place["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == archive
    (logical,) = place["logicalLocations"]
    assert (logical["name"], logical["fullyQualifiedName"]) == (member, f"{archive}!{member}")
    props = result["properties"]
    assert (props["archive"], props["member"], props["memberLine"], props["memberColumn"]) == (archive, member, 2, 16)
    assert f"member {member} line 2" in result["message"]["text"]


def test_names_holding_a_bang_on_disk_stay_whole(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> None:
    """scan can look paths up: a file named `a!b.env` is that file, and an archive under `we!rd/`
    is cut after its own name. (A path from git cannot be looked up: it is cut at its first `!`.)"""
    repo = make_repo()
    repo.write("a!b.env", ENV.decode())
    repo.write("we!rd/bundle.zip", zipped({"config/.env": ENV}))
    repo.commit("both")
    results = _sarif(keylatch, repo, "", "scan")["runs"][0]["results"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert uris == ["a!b.env", "we!rd/bundle.zip"]
    assert "member" not in results[0]["properties"] and results[1]["properties"]["member"] == "config/.env"
