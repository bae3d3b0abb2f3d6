from __future__ import annotations

import re
from pathlib import Path

import pytest

from keylatch import config
from keylatch.config import Config
from keylatch.errors import UsageError
from keylatch.model import Severity
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import make_key

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


# --- hostile configuration: a config file comes from the scanned repository -------------------

ALIAS_BOMB = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_yaml_aliases_are_refused_before_anything_is_expanded(tmp_path: Path) -> None:
    assert len(ALIAS_BOMB) < 600
    (tmp_path / ".keylatch.yaml").write_text(ALIAS_BOMB)
    message = ".keylatch.yaml: YAML aliases (*name) are not allowed (line 2)"
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        config.discover(tmp_path)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("exclude: [a]\nformat: json\nexclude: [b]\n", "duplicate key 'exclude' (line 3)"),
        ("exclude: [a]\n'exclude': [b]\n", "duplicate key 'exclude' (line 2)"),
        ("<<: {exclude: [a]}\n", "merge keys (<<) are not allowed (line 1)"),
        ("exclude: [{a: 1, a: 2}]\n", "duplicate key 'a' (line 1)"),
    ],
)
def test_duplicate_yaml_keys_are_errors_not_last_one_wins(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / ".keylatch.yaml").write_text(text)
    with pytest.raises(UsageError, match=re.escape(message)):
        config.discover(tmp_path)


def test_toml_duplicate_keys_are_errors_too(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.keylatch]\nformat = "json"\nformat = "text"\n')
    with pytest.raises(UsageError, match="not valid TOML"):
        config.discover(tmp_path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".keylatch.yaml", "exclude: " + "[" * 200_000 + "]" * 200_000 + "\n"),
        (".keylatch.yaml", "exclude:\n" + "- " * 200_000 + "x\n"),
        ("pyproject.toml", "[tool.keylatch]\nexclude = " + "[" * 200_000 + "]" * 200_000 + "\n"),
    ],
    ids=["yaml-flow", "yaml-block", "toml"],
)
def test_deeply_nested_config_is_one_line_error(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(UsageError, match="nested too deeply") as info:
        config.discover(tmp_path)
    assert "\n" not in str(info.value) and len(str(info.value)) < 200


def test_config_size_is_bounded(tmp_path: Path) -> None:
    big = "# " + "x" * config.MAX_BYTES + "\nformat: json\n"
    (tmp_path / ".keylatch.yaml").write_text(big)
    with pytest.raises(UsageError, match=r"\.keylatch\.yaml: larger than 1 MiB"):
        config.discover(tmp_path)
    with pytest.raises(UsageError, match="larger than 1 MiB"):
        config.load_bytes(big.encode(), tmp_path / ".keylatch.yaml")
    assert config.load_bytes(b"format: json\n", tmp_path / ".keylatch.yaml").format == "json"


def test_a_config_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "fifo.yaml")  # opening it plainly would wait for a writer for ever
    with pytest.raises(UsageError, match="cannot read config file .*fifo.yaml: not a regular file"):
        config.load(tmp_path / "fifo.yaml")
    with pytest.raises(UsageError, match="cannot read config file /dev/zero: not a regular file"):
        config.load(Path("/dev/zero"))


LONG = "x" * 5000 + "\x1b[2J"
Q = '"' + "x" * 5000 + '\\e[2J"'  # LONG as a YAML double-quoted scalar (`\e` is ESC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"? {Q}\n: 1\n", "unknown key 'xxxxxxxx"),  # `?`: a plain key is limited to 1024 characters
        (f"exclude: {Q}\n", "'exclude' must be a list of strings, not str 'xxxx"),
        (f"exclude: [{[[[1]] * 50] * 50}]\n", "'exclude' must be a list of strings, not list of 1 item"),
        (f"fail-on: {Q}\n", "'fail-on' must be one of low, medium, high, critical, not 'xxx"),
        (f"format: [{Q}]\n", "'format' must be one of text, json, sarif, github, not list of 1 item"),
        (f"disable: [{Q}]\n", "'disable' names unknown rule 'xxxx"),
        (f'allow-lines: ["({Q[1:]}]\n', "'allow-lines' pattern '(xxx"),
        (f"baseline:\n  ? {Q}\n  : 1\n", "'baseline' must be a path string, not dict of 1 item"),
        (f"pragmas: {Q}\n", "'pragmas' must be true or false, not str 'xxx"),
        ("fail-on: 2024-01-01\n", "'fail-on' must be one of low, medium, high, critical, not date datetime.date("),
        (f"format: !!binary {'A' * 8000}\n", "'format' must be one of text, json, sarif, github, not bytes b'"),
        (f"exclude: [a\n'{LONG}'", "not valid YAML"),
        ("exclude: [a]\x1b[2J\n", "not valid YAML"),
    ],
    ids=["key", "exclude", "exclude-nested", "fail-on", "format", "disable", "allow-lines", "baseline",
         "pragmas", "date", "binary", "yaml-error", "yaml-control"],
)  # fmt: skip
def test_errors_never_echo_values_whole_or_control_characters(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / ".keylatch.yaml").write_text(text)
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        config.discover(tmp_path)
    shown = str(info.value)
    assert len(shown) < len(str(tmp_path)) + 400, shown  # the longest: the list of rule ids
    assert "\x1b" not in shown and "\n" not in shown


# --- a configuration that turns detection off is an error, not a pass --------------------------

OFF = [
    ("allow-lines: ['.*']\n", "'allow-lines' pattern '.*' matches every line, so no key would be reported"),
    ("allow-lines: ['']\n", "'allow-lines' pattern '' matches every line"),
    ("allow-lines: ['^']\n", "'allow-lines' pattern '^' matches every line"),
    ("allow-lines: ['x?']\n", "'allow-lines' pattern 'x?' matches every line"),
    ("allow-lines: ['.']\n", "'allow-lines' pattern '.' matches every line that holds a key"),
    ("allow-lines: ['[A-Za-z0-9]{20}']\n", "pattern '[A-Za-z0-9]{20}' matches every line that holds a key"),
    ("allow-lines: ['dummy', 'sk-', '[0-9A-Za-z]{32}']\n",
     "'allow-lines' patterns 'sk-', '[0-9A-Za-z]{32}' together match every line that holds a key"),
    ("exclude: ['*']\n", "'exclude' glob '*' matches every path, so nothing would be scanned"),
    ("exclude: ['**']\n", "'exclude' glob '**' matches every path"),
    ("exclude: ['?*']\n", "'exclude' glob '?*' matches every path"),
    ("exclude: ['vendor', '[!.]*', '.*']\n", "'exclude' globs '[!.]*', '.*' together match every path"),
    ("enable: []\n", "'enable' is empty, so no rule would run (leave it out to run every rule)"),
    ("enable: [openai-user-key]\ndisable: [openai-user-key]\n", "no rule is left enabled"),
]  # fmt: skip
ALL_RULES = "disable: [" + ", ".join(r.id for r in DEFAULT_RULES) + "]\n"


@pytest.mark.parametrize(("text", "message"), [*OFF, (ALL_RULES, "no rule is left enabled")])
def test_a_config_that_turns_detection_off_is_an_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / ".keylatch.yaml").write_text(text)
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        config.discover(tmp_path)
    assert str(info.value).startswith(str(tmp_path.resolve() / ".keylatch.yaml") + ": ")


@pytest.mark.parametrize(
    "text",
    [
        "allow-lines: ['(?i)example', 'dummy', '^$', 'sk-', 'T3BlbkFJ', 'test_[a-z]+ = ']\n",
        "exclude: ['*.env', 'tests/*', 'dir', '.hidden', 'a', '*.*']\n",
        "enable: [openai-project-key]\n",
        "disable: [azure-openai-key, openai-session-key]\n",
    ],
)
def test_configs_that_narrow_detection_are_accepted(tmp_path: Path, text: str) -> None:
    (tmp_path / ".keylatch.yaml").write_text(text)
    assert config.discover(tmp_path).rules


def test_the_check_covers_toml_and_bytes_loaded_configs(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.keylatch]\nexclude = ["**"]\n')
    with pytest.raises(UsageError, match="matches every path"):
        config.discover(tmp_path)
    with pytest.raises(UsageError, match="matches every line"):
        config.load_bytes(b"allow-lines: ['.*']\n", tmp_path / ".keylatch.yaml")


# --- a value holding a key is quoted redacted, then cut (QA t-qa17 p11) ------------------------

QUOTED = [
    ("fail-on: '{k}'\n", "'fail-on' must be one of"),
    ("'{k}': 1\n", "unknown key"),
    ("exclude: '{k}'\n", "'exclude' must be a list of strings"),
    ("disable: ['{k}']\n", "'disable' names unknown rule"),
    ("allow-lines: ['{k}(']\n", "'allow-lines' pattern"),
    ("pragmas: 'x {k}'\n", "'pragmas' must be true or false"),
]


@pytest.mark.parametrize("kind", ["azure", "sk-proj-", "sk-admin-", "sk-", "sk-svcacct-"])
@pytest.mark.parametrize(("text", "message"), QUOTED, ids=[m.split()[0] for _, m in QUOTED])
def test_a_key_in_a_config_value_is_never_quoted_even_in_part(
    tmp_path: Path, kind: str, text: str, message: str
) -> None:
    key = make_key(kind, 97)
    (tmp_path / ".keylatch.yaml").write_text(text.format(k=key))
    with pytest.raises(UsageError, match=re.escape(message)) as info:
        config.discover(tmp_path)
    shown = str(info.value)
    assert not any(key[i : i + 16] in shown for i in range(len(key) - 15)), shown
