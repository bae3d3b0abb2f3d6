"""File names that are not UTF-8, in every report format of `scan` and `history`.

Linux names are bytes; Python hands keylatch such a name with surrogates in it. `scan --format
sarif` raised on the first one (`quote()` cannot encode a surrogate), exit 3 with no report at all,
so one odd file name in a repository lost every finding of a CI upload. Each name holds a key;
every format reports all of them, and SARIF's uri is the name's own bytes, percent-encoded.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1951)
# Latin-1, a cut UTF-8 sequence, an encoded surrogate (CESU-8), and plain UTF-8 for reference.
NAMES = {b"caf\xe9.py": "caf%E9.py", b"ok\xc3.py": "ok%C3.py", b"\xed\xa0\x80.py": "%ED%A0%80.py", b"ok.py": "ok.py"}
FORMATS = ("text", "json", "sarif", "github")


@pytest.fixture
def repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    repo = make_repo()
    for name in NAMES:
        with open(os.path.join(os.fsencode(repo.path), name), "w") as fh:
            fh.write(f"OPENAI_API_KEY = '{KEY}'\n")
    repo.commit("names")
    return repo


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("command", ["scan", "history"])
def test_every_format_reports_a_key_under_a_name_that_is_not_utf8(
    command: str, fmt: str, repo: GitRepo, keylatch: RunKeylatch
) -> None:
    args = (command, ".", "--format", fmt) if command == "history" else (command, ".", "--format", fmt, "-x", ".git")
    result = keylatch(*args, cwd=repo.path)
    assert result.code == 1, result.err
    assert scan_text(KEY)[0].secret.redacted in result.out
    if fmt == "sarif" and command == "scan":  # history's paths are git's text, `\xe9` for a byte
        locations = [loc for r in json.loads(result.out)["runs"][0]["results"] for loc in r["locations"]]
        uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for loc in locations}
        assert uris == set(NAMES.values())


def test_the_sarif_uri_names_the_file(repo: GitRepo, keylatch: RunKeylatch) -> None:
    """A percent-decoded uri is the file's name, bytes for bytes: code scanning can open it."""
    from urllib.parse import unquote_to_bytes

    result = keylatch("scan", ".", "--format", "sarif", "-x", ".git", cwd=repo.path)
    results = json.loads(result.out)["runs"][0]["results"]
    names = {unquote_to_bytes(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in results}
    assert names == set(NAMES)
    assert all((Path(os.fsdecode(repo.path)) / os.fsdecode(n)).is_file() for n in names)
