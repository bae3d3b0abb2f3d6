"""The detection classes of t-detect17 as each command sees them: `scan`, `staged`, `history` and
the detect-secrets plugin agree on every file (an upper-case Azure key, an `ek_` value named as an
identifier, a YAML record of data, an 84-character key in another service's long paragraph)."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

import keylatch.detect_secrets_plugin as adapter
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

EP = "https://contoso.openai.azure.com/"
UPPER = make_key("azure-classic", seed=1701).upper()
PADDING = "".join(f"SPEECH_OPTION_{i:02d}=value-{i:02d}-of-the-speech-paragraph\n" for i in range(14))
# path -> (content, line of the key that must be reported, or None)
FILES: dict[str, tuple[str, int | None]] = {
    "upper.env": (f"AZURE_OPENAI_ENDPOINT={EP}\nAZURE_OPENAI_API_KEY={UPPER}\n", 2),
    "upper_md5.env": (f"AZURE_OPENAI_ENDPOINT={EP}\nMD5={make_key('azure-classic', seed=1702).upper()}\n", None),
    "ek_id.py": (f'# openai realtime\nEPHEMERAL_KEY_ID = "{make_key("ek_", seed=1703)}"\n', None),
    "cache.yaml": (
        f"azure_openai:\n  endpoint: {EP}\nfiles:\n  - name: b.txt\n    key: {make_key('azure-classic', seed=1704)}\n",
        None,
    ),
    "speech.env": (
        f"AZURE_OPENAI_ENDPOINT={EP}\n\n# Azure Speech\n{PADDING}key={make_key('azure', seed=1705)}\n",
        None,
    ),
}


def _repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    repo = make_repo()
    for path, (content, _) in FILES.items():
        repo.write(path, content)
    return repo


def _expected() -> list[tuple[str, int]]:
    return sorted((p, line) for p, (_, line) in FILES.items() if line is not None)


def _lines(out: str) -> list[tuple[str, int]]:
    # history's findings hold their places under `locations`; scan's and staged's are the place
    places = (loc for f in json.loads(out)["findings"] for loc in f.get("locations", [f]))
    return sorted((p["path"].rsplit("/", 1)[-1], p["line"]) for p in places)


def test_scan_reports_only_the_upper_case_key(keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]) -> None:
    repo = _repo(make_repo)
    res = keylatch("scan", "--format", "json", str(repo.path))
    assert res.code == 1
    assert _lines(res.out) == _expected()


def test_staged_reports_only_the_upper_case_key(keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]) -> None:
    repo = _repo(make_repo)
    repo.git("add", "-A")
    res = keylatch("staged", "--format", "json", cwd=repo.path)
    assert res.code == 1
    assert _lines(res.out) == _expected()


def test_history_reports_only_the_upper_case_key(keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]) -> None:
    repo = _repo(make_repo)
    repo.commit("settings")
    res = keylatch("history", "--no-cache", "--format", "json", str(repo.path))
    assert res.code == 1
    assert _lines(res.out) == _expected()


def test_the_detect_secrets_plugin_reports_only_the_upper_case_key(make_repo: Callable[..., GitRepo]) -> None:
    repo = _repo(make_repo)
    plugin = adapter.KeylatchOpenAIDetector()
    found = []
    # Not speech.env: the plugin judges an 84-character key in detect-secrets' snippet (five lines
    # either side) and reads the file only when the snippet shows nothing, so a paragraph's clue
    # further back is out of its sight (docs/detect-secrets.md, what the line model cannot see).
    for path, (content, _) in FILES.items():
        if path == "speech.env":
            continue
        lines = content.splitlines()
        for n, line in enumerate(lines, start=1):
            if plugin.analyze_line(str(repo.path / path), line, n):
                found.append((path, n))
    assert sorted(found) == _expected()
