"""A key in a UTF-32 file (either byte order, with or without a BOM) through every command:
`scan`, `staged`, `history`, `ci`, `pre-push` and the detect-secrets recipe each report it once,
as UTF-32-encoded, at its line and column; SARIF's columns cover the key. A key written in hex
digits likewise, at the start of its digits, and one written wholly as JSON escapes, at its first."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.pushing import push_in_process, pushing_clone
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import RunKeylatch
from tests.helpers.spellings import UTF32

pytestmark = pytest.mark.e2e

MakeRepo = Callable[..., GitRepo]
# One key kind per file, so a key reported from the wrong file shows.
KINDS = {"le-bom": "sk-proj-", "le": "sk-svcacct-", "be-bom": "sk-admin-", "be": "sk-"}
KEYS = {order: make_key(kind, seed=3200 + i) for i, (order, kind) in enumerate(KINDS.items())}
COLUMN = len("$env:OPENAI_API_KEY = '") + 1
HEXED = make_key("sk-proj-", seed=3210)
ESCAPED = make_key("sk-proj-", seed=3211)


def _write(repo: GitRepo) -> None:
    for order, key in KEYS.items():
        repo.write(f"{order}.ps1", UTF32[order](f"# profile\r\n$env:OPENAI_API_KEY = '{key}'\r\n"))
    repo.write("hex.env", f"# hex\nOPENAI_API_KEY_HEX={HEXED.encode().hex()}\n")
    escaped = "".join(f"\\u{ord(c):04x}" for c in ESCAPED)
    repo.write("escaped.json", f'{{\n  "OPENAI_API_KEY": "{escaped}"\n}}\n')


def _expected() -> list[tuple[str, int, int, str]]:
    hexed = ("hex.env", 2, len("OPENAI_API_KEY_HEX=") + 1, "hex")
    escaped = ("escaped.json", 2, len('  "OPENAI_API_KEY": "') + 1, "escaped")
    return sorted([*((f"{order}.ps1", 2, COLUMN, "utf-32") for order in KEYS), hexed, escaped])


def _places(out: str) -> list[tuple[str, int, int, str]]:
    # history's and ci's findings may hold their places under `locations`; scan's are the place
    doc = json.loads(out)
    places: list[dict[str, Any]] = [
        loc | {"encoding": loc.get("encoding", f.get("encoding"))}
        for f in doc["findings"]
        for loc in f.get("locations", [f])
    ]
    return sorted((p["path"].rsplit("/", 1)[-1], p["line"], p["column"], p["encoding"]) for p in places)


def _committed(make_repo: MakeRepo) -> tuple[GitRepo, str]:
    repo = make_repo()
    repo.write("README", "hi\n")
    base = repo.commit("base")
    _write(repo)
    repo.commit("profiles")
    return repo, base


def test_scan(keylatch: RunKeylatch, make_repo: MakeRepo) -> None:
    repo = make_repo()
    _write(repo)
    res = keylatch("scan", "--format", "json", str(repo.path))
    assert res.code == 1, res.err
    assert _places(res.out) == _expected()
    text = keylatch("scan", "--no-color", str(repo.path))
    assert text.code == 1 and text.out.count("(UTF-32-encoded)") == 4 and "UTF-16" not in text.out
    assert text.out.count("(hex-encoded)") == 1
    assert_redacted(text.out, text.err)


def test_staged(keylatch: RunKeylatch, make_repo: MakeRepo) -> None:
    repo = make_repo()
    _write(repo)
    repo.git("add", "-A")
    res = keylatch("staged", "--format", "json", cwd=repo.path)
    assert res.code == 1, res.err
    assert _places(res.out) == _expected()


def test_history(keylatch: RunKeylatch, make_repo: MakeRepo) -> None:
    repo, _ = _committed(make_repo)
    res = keylatch("history", "--no-cache", "--format", "json", str(repo.path))
    assert res.code == 1, res.err
    assert _places(res.out) == _expected()


def test_ci_range(keylatch: RunKeylatch, make_repo: MakeRepo) -> None:
    repo, base = _committed(make_repo)
    res = keylatch("ci", "--range", f"{base}..HEAD", "--format", "json", cwd=repo.path)
    assert res.code == 1, res.err
    assert _places(res.out) == _expected()


def test_pre_push(keylatch: RunKeylatch, make_repo: MakeRepo) -> None:
    repo = pushing_clone(make_repo, keylatch)
    _write(repo)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "profiles")
    res = push_in_process(repo, keylatch)
    assert res.code == 1, res.out
    for name in (*(f"{order}.ps1" for order in KEYS), "hex.env", "escaped.json"):
        assert f"{name}:2" in res.out
    assert_redacted(res.out)


@pytest.mark.parametrize("command", ["scan", "history"])
def test_sarif_columns_cover_the_key(keylatch: RunKeylatch, make_repo: MakeRepo, command: str) -> None:
    repo, _ = _committed(make_repo)
    args = ("--no-cache",) if command == "history" else ()
    res = keylatch(command, *args, "--format", "sarif", str(repo.path))
    assert res.code == 1, res.err
    regions = {
        loc["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1]: loc["physicalLocation"]["region"]
        for r in json.loads(res.out)["runs"][0]["results"]
        for loc in r["locations"]
    }
    for order, key in KEYS.items():
        want = {"startLine": 2, "startColumn": COLUMN, "endLine": 2, "endColumn": COLUMN + len(key)}
        assert {k: regions[f"{order}.ps1"].get(k) for k in want} == want


def test_the_detect_secrets_recipe(keylatch: RunKeylatch, make_repo: MakeRepo) -> None:
    repo, _ = _committed(make_repo)
    names = [f"{order}.ps1" for order in KEYS]  # hex and escapes: one line, the plugin's own tests
    res = keylatch("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector", *names, cwd=repo.path)
    assert res.code == 0, res.err
    results = json.loads(res.out)["results"]
    got = {n: {r["hashed_secret"] for r in results.get(n, []) if r["type"] == "keylatch OpenAI key"} for n in names}
    assert got == {f"{o}.ps1": {hashlib.sha1(k.encode()).hexdigest()} for o, k in KEYS.items()}
