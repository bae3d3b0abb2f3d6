from __future__ import annotations

import re
from pathlib import Path

import pytest

from keylatch import config
from keylatch.config import Config
from keylatch.errors import UsageError
from keylatch.model import Severity

PYPROJECT = """[project]
name = "demo"

[tool.keylatch]
exclude = ["tests/fixtures/*"]
baseline = "ci/baseline.json"
disable = ["openai-session-key"]
fail-on = "high"
format = "sarif"
pragmas = false
"""


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    cfg = config.discover(tmp_path)
    assert cfg == Config(
        source=tmp_path.resolve() / "pyproject.toml",
        exclude=("tests/fixtures/*",),
        baseline=tmp_path.resolve() / "ci" / "baseline.json",
        disable=("openai-session-key",),
        fail_on=Severity.HIGH,
        format="sarif",
        pragmas=False,
    )
    assert "openai-session-key" not in {r.id for r in cfg.rules}
    assert cfg.allowlist.paths == ("tests/fixtures/*",) and not cfg.allowlist.pragmas
    assert cfg.fails(Severity.CRITICAL) and not cfg.fails(Severity.MEDIUM)


def test_yaml_file_found_from_a_subdirectory_up_to_the_repo_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".keylatch.yaml").write_text("enable: [openai-project-key]\nformat: github\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    cfg = config.discover(sub)
    assert [r.id for r in cfg.rules] == ["openai-project-key"] and cfg.format == "github"


def test_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / ".keylatch.yaml").write_text("format: json\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    assert config.discover(repo) == Config()


def test_pyproject_without_the_table_is_not_a_config(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "keylatch-demo"\n')
    assert config.discover(tmp_path) == Config()


def test_flags_override_the_file(tmp_path: Path) -> None:
    (tmp_path / ".keylatch.yaml").write_text("fail-on: critical\nformat: json\n")
    cfg = config.load(tmp_path / ".keylatch.yaml").override(fail_on=Severity.LOW, format=None)
    assert cfg.fail_on is Severity.LOW and cfg.format == "json"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("pyproject.toml", '[tool.keylatch]\nfail_on = "high"\n',
         "unknown key 'fail_on' in [tool.keylatch] (did you mean 'fail-on'?)"),
        (".keylatch.yaml", "excludes: [a]\n", "unknown key 'excludes' in config (did you mean 'exclude'?)"),
        (".keylatch.yaml", "exclude: vendor\n", "'exclude' must be a list of strings, not str 'vendor'"),
        ("pyproject.toml", "[tool.keylatch]\nexclude = [1]\n", "'exclude' must be a list of strings"),
        (".keylatch.yaml", "fail-on: severe\n", "'fail-on' must be one of low, medium, high, critical, not 'severe'"),
        (".keylatch.yaml", "format: xml\n", "'format' must be one of text, json, sarif, github, not 'xml'"),
        (".keylatch.yaml", "pragmas: 'no'\n", "'pragmas' must be true or false"),
        (".keylatch.yaml", "baseline: 3\n", "'baseline' must be a path string, not int 3"),
        (".keylatch.yaml", "disable: [openai-key]\n", "'disable' names unknown rule 'openai-key'"),
        (".keylatch.yaml", "- a\n- b\n", "must be a mapping"),
        (".keylatch.yaml", "exclude: [a\n", "not valid YAML"),
        ("pyproject.toml", "[tool.keylatch\n", "not valid TOML"),
    ],
)  # fmt: skip
def test_errors_name_the_key_and_file(tmp_path: Path, name: str, text: str, message: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        config.discover(tmp_path)
    assert str(info.value).startswith(str(tmp_path.resolve() / name))


def test_two_config_files_are_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.keylatch]\n")
    (tmp_path / ".keylatch.yaml").write_text("{}\n")
    with pytest.raises(UsageError, match="configured in both"):
        config.discover(tmp_path)


def test_explicit_file_must_exist_and_have_the_table(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        config.load(tmp_path / "nope.yaml")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(UsageError, match=r"no \[tool.keylatch\] table"):
        config.load(tmp_path / "pyproject.toml")


def test_allow_lines_are_read_and_validated(tmp_path: Path) -> None:
    (tmp_path / ".keylatch.yaml").write_text("allow-lines: ['(?i)dummy']\n")
    assert config.discover(tmp_path).allowlist.lines == ("(?i)dummy",)
    (tmp_path / ".keylatch.yaml").write_text("allow-lines: ['(unclosed']\n")
    with pytest.raises(UsageError, match=r"'allow-lines' pattern '\(unclosed' is not a valid regex"):
        config.discover(tmp_path)
