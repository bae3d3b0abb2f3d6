"""`keylatch scan` with configuration, allow comments and report formats (through the real CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.conftest import RunKeylatch
from tests.redaction import assert_files_redacted

KEY = make_key("sk-proj-", seed=41)
HOOK = make_key("whsec_", seed=42)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("pyproject.toml", "[tool.keylatch]\nexclud = []\n",
         "pyproject.toml: unknown key 'exclud' in [tool.keylatch] (did you mean 'exclude'?)"),
        (".keylatch.yaml", "fail-on: 3\n", ".keylatch.yaml: 'fail-on' must be one of low, medium, high, critical"),
        (".keylatch.yaml", "enable: openai-project-key\n", ".keylatch.yaml: 'enable' must be a list of strings"),
    ],
)  # fmt: skip
def test_config_errors_exit_2_naming_key_and_file(
    tmp_path: Path, keylatch: RunKeylatch, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text)
    r = keylatch("scan", ".", cwd=tmp_path)
    assert (r.code, r.out) == (2, "")
    assert r.err == f"keylatch: error: {message}" + r.err.split(message, 1)[1]
    assert r.err.count("\n") == 1


def test_config_excludes_rules_and_format(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / ".keylatch.yaml").write_text("exclude: ['fixtures']\nformat: json\ndisable: [openai-webhook-secret]\n")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "k.py").write_text(f'k = "{KEY}"\n')
    (tmp_path / "hook.py").write_text(f'OPENAI_WEBHOOK_SECRET = "{HOOK}"\n')
    r = keylatch("scan", cwd=tmp_path)
    assert r.code == 0 and json.loads(r.out)["findings"] == []
    (tmp_path / "app.py").write_text(f'k = "{KEY}"\n')
    r = keylatch("scan", "--format", "text", cwd=tmp_path)  # the flag beats the file
    assert r.code == 1 and r.out.startswith("app.py:1:6: high openai-project-key")


def test_fail_on_reports_but_passes_below_the_threshold(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "hook.py").write_text(f'OPENAI_WEBHOOK_SECRET = "{HOOK}"\n')
    (tmp_path / "pyproject.toml").write_text('[tool.keylatch]\nfail-on = "high"\n')
    r = keylatch("scan", cwd=tmp_path)
    assert r.code == 0 and "hook.py:1:26: medium openai-webhook-secret" in r.out
    assert "below fail-on=high" in r.err
    assert keylatch("scan", "--fail-on", "low", cwd=tmp_path).code == 1


COMMENTED = {
    "app.py": f'KEY = "{KEY}"  # keylatch:allow\n',
    "app.js": f'const key = "{KEY}"; // pragma: allowlist secret\n',
    "q.sql": f"-- pragma: allowlist nextline secret\nSELECT '{KEY}';\n",
    "app.c": f'char *k = "{KEY}"; /* keylatch:allow */\n',
    "page.html": f"<!-- pragma: allowlist nextline secret -->\n<meta content=\"{KEY}\">\n",
    "conf.ini": f"key = {KEY} ; keylatch:allow\n",
    "doc.tex": f"\\def\\key{{{KEY}}} % pragma: allowlist secret\n",
}


def test_allow_comments_in_every_syntax(tmp_path: Path, keylatch: RunKeylatch) -> None:
    for name, text in COMMENTED.items():
        (tmp_path / name).write_text(text)
    assert keylatch("scan", cwd=tmp_path).out == "keylatch: no keys found\n"
    # The same comments without the pragma: every key is reported.
    for name, text in COMMENTED.items():
        for pragma in ("keylatch:allow", "pragma: allowlist nextline secret", "pragma: allowlist secret"):
            text = text.replace(pragma, "reviewed")
        (tmp_path / name).write_text(text)
    r = keylatch("scan", cwd=tmp_path)
    assert r.code == 1 and sorted(line.split(":")[0] for line in r.out.splitlines()[:-1]) == sorted(COMMENTED)


@pytest.mark.parametrize("fmt", ["sarif", "github", "json", "text"])
def test_output_file_still_exits_1_and_is_redacted(tmp_path: Path, keylatch: RunKeylatch, fmt: str) -> None:
    (tmp_path / "app.py").write_text(f'k = "{KEY}"\n')
    r = keylatch("scan", "--format", fmt, "--output", "report.out", cwd=tmp_path)
    assert r.code == 1 and r.out == "" and "report written to report.out" in r.err
    text = (tmp_path / "report.out").read_text()
    assert "app.py" in text
    assert_files_redacted(tmp_path / "report.out", keys=[KEY])


@pytest.mark.prints_secrets("--show-secrets in a GitHub annotation, with a warning")
def test_show_secrets_warns_in_ci(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "app.py").write_text(f'k = "{KEY}"\n')
    r = keylatch("scan", "--show-secrets", "--format", "github", cwd=tmp_path, env={"CI": "true"})
    assert r.code == 1 and KEY in r.out
    assert "--show-secrets: full keys are printed in CI logs" in r.err
