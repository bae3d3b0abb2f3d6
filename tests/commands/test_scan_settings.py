"""`keylatch scan` with configuration, allow comments and report formats (through the real CLI)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.redaction import assert_files_redacted
from tests.helpers.run import RunKeylatch

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
    "page.html": f'<!-- pragma: allowlist nextline secret -->\n<meta content="{KEY}">\n',
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


# --- paths in configuration are relative to the configuration file ------------------------------

FIXTURE_KEY = make_key("sk-proj-", seed=43)
TEST_KEY = make_key("sk-proj-", seed=44)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A repository whose config excludes tests/fixtures/*, with one key excluded and one not."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / ".keylatch.yaml").write_text("exclude: ['tests/fixtures/*']\n")
    (repo / "tests" / "fixtures").mkdir(parents=True)
    (repo / "tests" / "fixtures" / "x.py").write_text(f'k = "{FIXTURE_KEY}"\n')
    (repo / "tests" / "test_a.py").write_text(f'k = "{TEST_KEY}"\n')
    return repo


@pytest.mark.parametrize(
    ("cwd", "args", "reported"),
    [
        ("", ["."], "tests/test_a.py"),
        ("", [], "tests/test_a.py"),
        ("", ["tests"], "tests/test_a.py"),
        ("", ["tests/fixtures"], None),
        ("", ["tests/fixtures/x.py"], None),
        ("tests", ["."], "test_a.py"),
        ("tests", [], "test_a.py"),
        ("tests", ["fixtures"], None),
        ("tests", ["../tests"], "../tests/test_a.py"),
        ("tests/fixtures", ["."], None),
        ("tests/fixtures", ["x.py"], None),
        ("tests/fixtures", [".."], "../test_a.py"),
    ],
)  # fmt: skip
def test_config_excludes_hold_from_any_directory_and_reports_keep_typed_paths(
    tree: Path, keylatch: RunKeylatch, cwd: str, args: list[str], reported: str | None
) -> None:
    r = keylatch("scan", *args, "--format", "json", cwd=tree / cwd)
    paths = [f["path"] for f in json.loads(r.out)["findings"]]
    assert paths == ([reported] if reported else []), r.err
    assert r.code == (1 if reported else 0)


def test_absolute_paths_are_excluded_relative_to_the_config_too(tree: Path, keylatch: RunKeylatch) -> None:
    r = keylatch("scan", str(tree / "tests"), "--format", "json", cwd=tree / "tests" / "fixtures")
    assert [f["path"] for f in json.loads(r.out)["findings"]] == [str(tree / "tests" / "test_a.py")]


def test_a_config_glob_never_matches_relative_to_the_current_directory(tmp_path: Path, keylatch: RunKeylatch) -> None:
    # `fixtures/*` in the root config names ROOT/fixtures; run from ROOT/tests, the path as typed
    # (`fixtures/x.py`) matches the glob text but is another directory: still reported.
    (tmp_path / ".git").mkdir()
    (tmp_path / ".keylatch.yaml").write_text("exclude: ['fixtures/*']\n")
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "x.py").write_text(f'k = "{FIXTURE_KEY}"\n')
    r = keylatch("scan", cwd=tmp_path / "tests")
    assert r.code == 1 and r.out.startswith("fixtures/x.py:1:6: high openai-project-key")


def test_command_line_excludes_are_relative_to_what_was_typed(tree: Path, keylatch: RunKeylatch) -> None:
    sub = tree / "tests"
    assert keylatch("scan", "--exclude", "test_a.py", cwd=sub).code == 0
    assert keylatch("scan", ".", "--exclude", "./test_a.py", cwd=sub).code == 1  # globs are not paths
    assert keylatch("scan", "..", "--exclude", "../tests/test_*", cwd=sub).code == 0
    assert keylatch("scan", "..", "--exclude", "tests/test_*", cwd=sub).code == 0  # below the PATH given


@pytest.mark.parametrize("with_config", [False, True], ids=["no-config", "config"])
def test_the_default_baseline_is_found_from_a_subdirectory(
    tmp_path: Path, keylatch: RunKeylatch, with_config: bool
) -> None:
    (tmp_path / ".git").mkdir()
    if with_config:
        (tmp_path / ".keylatch.yaml").write_text("format: text\n")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "k.py").write_text(f'k = "{KEY}"\n')
    assert keylatch("baseline", "create", cwd=tmp_path).code == 0
    assert (tmp_path / ".keylatch-baseline.json").is_file()
    for cwd in (tmp_path, tmp_path / "sub", tmp_path / "sub" / "deeper"):
        r = keylatch("scan", cwd=cwd)
        assert (r.code, r.out) == (0, "keylatch: no keys found\n"), cwd
        assert "suppressed" not in r.err
        r = keylatch("scan", "--no-baseline", cwd=cwd)
        assert r.code == 1 and r.out.splitlines()[0].split(":")[0] == str(
            (tmp_path / "sub" / "deeper" / "k.py").relative_to(cwd)
        )


def test_the_default_baseline_search_stops_at_the_repository_root(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "k.py").write_text(f'k = "{KEY}"\n')
    assert keylatch("baseline", "create", cwd=tmp_path).code == 0
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "k.py").write_text(f'k = "{KEY}"\n')
    assert keylatch("scan", cwd=repo).code == 1  # the parent directory's baseline is not this repo's


# --- a configuration that turns detection off is a configuration error in every command --------

OFF = {
    "allow-lines": "allow-lines: ['.*']\n",
    "exclude": "exclude: ['**']\n",
    "disable": "disable: [" + ", ".join(r.id for r in DEFAULT_RULES) + "]\n",
}


@pytest.mark.parametrize("off", sorted(OFF))
@pytest.mark.parametrize("command", ["scan", "baseline", "history", "ci", "staged", "pre-push"])
def test_a_config_that_turns_detection_off_fails_every_command(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, off: str, command: str
) -> None:
    origin = make_repo("origin.git", "--bare")
    repo = make_repo("work")
    repo.git("remote", "add", "origin", str(origin.path))
    repo.write(".keylatch.yaml", OFF[off])
    repo.write("README", "hi\n")
    base = repo.commit("base with a config that allows everything")
    repo.git("push", "-q", "origin", "main")
    repo.write("app.py", f'k = "{KEY}"\n')
    if command != "staged":
        repo.commit("a key")
    else:
        repo.git("add", "app.py")
    argv = {
        "scan": ["scan"],
        "baseline": ["baseline", "create"],
        "history": ["history"],
        "ci": ["ci", "--range", f"{base}..HEAD"],
        "staged": ["staged"],
        "pre-push": ["pre-push", "origin"],
    }[command]
    r = keylatch(*argv, cwd=repo.path)
    assert r.code == 2, r
    errors = [line for line in r.err.splitlines() if line.startswith("keylatch: error: ")]
    # ci names the file by its absolute path and the commit it judged (the range's head here).
    assert len(errors) == 1 and r.err.endswith(errors[0] + "\n"), r.err
    assert ".keylatch.yaml: " in errors[0]
    assert "so no key would be reported" in errors[0] or "nothing would be scanned" in errors[0]
    assert not (repo.path / ".keylatch-baseline.json").exists()
