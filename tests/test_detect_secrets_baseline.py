"""What a detect-secrets baseline may name, checked in-process (e2e/test_detect_secrets_hostile.py
runs the CLI against hostile baselines)."""

from __future__ import annotations

import importlib
import inspect
import os
from pathlib import Path
from typing import Any

import pytest
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.settings import Settings

from keylatch.detect_secrets_baseline import (
    BUILTIN_FILTERS,
    OUR_FILTER,
    OUR_PLUGIN,
    Trusted,
    check_baseline,
    check_result_files,
    check_settings,
    shown,
)
from keylatch.errors import UsageError
from keylatch.rules.synthetic import make_key
from tests.helpers.redaction import assert_redacted

_STOCK: dict[str, Any] = get_mapping_from_secret_type_to_class()  # typed with an unbound TypeVar (type[Never])
STOCK = frozenset(c.__name__ for c in _STOCK.values()) | {OUR_PLUGIN}
TRUSTED = Trusted.of(STOCK, (), ())
VERIFICATION = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"


def baseline(plugins: list[Any] | None = None, filters: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "version": "1.5.0",
        "plugins_used": [{"name": "AWSKeyDetector"}, {"name": OUR_PLUGIN}] + (plugins or []),
        "filters_used": [{"path": "detect_secrets.filters.heuristic.is_sequential_string"}] + (filters or []),
        "results": {},
        **extra,
    }


def refused(data: object, trusted: Trusted = TRUSTED) -> str:
    with pytest.raises(UsageError) as caught:
        check_baseline(".secrets.baseline", data, trusted)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_every_builtin_filter_is_a_function_of_the_installed_detect_secrets() -> None:
    for path in BUILTIN_FILTERS:
        module, name = path.rsplit(".", 1)
        function = getattr(importlib.import_module(module), name, None)
        assert inspect.isfunction(function) and function.__module__ == module, path


def test_every_filter_detect_secrets_records_is_a_builtin() -> None:
    recorded = set(Settings().filters) | {
        # added by its options (--exclude-*, --word-list, --gibberish-*, verification) and --baseline
        "detect_secrets.filters.regex.should_exclude_line",
        "detect_secrets.filters.regex.should_exclude_file",
        "detect_secrets.filters.regex.should_exclude_secret",
        "detect_secrets.filters.wordlist.should_exclude_secret",
        "detect_secrets.filters.gibberish.should_exclude_secret",
        "detect_secrets.filters.common.is_ignored_due_to_verification_policies",
        "detect_secrets.filters.common.is_baseline_file",
    }
    assert recorded | {OUR_FILTER} == BUILTIN_FILTERS


def test_a_stock_baseline_passes() -> None:
    check_baseline(".secrets.baseline", baseline(), TRUSTED)
    check_baseline(".secrets.baseline", baseline([{"name": OUR_PLUGIN, "path": "file:///elsewhere/x.py"}]), TRUSTED)


@pytest.mark.parametrize(
    "path", ["file:///tmp/evil.py", "/tmp/evil.py", "evil.py", "file://evil.py", "file:///tmp/../tmp/evil.py", 7]
)
def test_a_plugin_path_is_refused_unless_the_user_named_the_file(tmp_path: Path, path: object) -> None:
    message = refused(baseline([{"name": "EvilDetector", "path": path}]))
    assert "EvilDetector" in message and "--plugin" in message
    evil = tmp_path / "evil.py"
    evil.touch()
    named = Trusted.of(STOCK, [str(evil)], ())
    check_baseline("b", baseline([{"name": "EvilDetector", "path": f"file://{evil}"}]), named)
    # Another path with --plugin given: detect-secrets may replace it by class name, so the
    # decision waits for check_settings, which sees the settings after the command line.
    check_baseline("b", baseline([{"name": "EvilDetector", "path": "file:///other/evil.py"}]), named)
    with pytest.raises(UsageError, match="EvilDetector"):
        check_settings({"EvilDetector": {"path": "file:///other/evil.py"}}, {}, named, "b")
    check_settings({"EvilDetector": {"path": f"file://{tmp_path}/../{tmp_path.name}/evil.py"}}, {}, named, "b")
    # A plain path is not a `file://` URL: detect-secrets would cut seven characters off it.
    with pytest.raises(UsageError):
        check_settings({"EvilDetector": {"path": str(evil)}}, {}, named, "b")


@pytest.mark.parametrize(
    "path",
    [
        "file:///tmp/evil.py::should_exclude_line",
        "evil.py::should_exclude_line",
        "evil.should_exclude_line",
        "os.system",
        "doctest.testfile",
        "detect_secrets.main.main",
        "detect_secrets.filters.wordlist.initialize",
        "keylatch.detect_secrets_plugin.KeylatchOpenAIDetector",
    ],
)
def test_a_filter_is_refused_unless_builtin_or_named_by_the_user(path: str) -> None:
    message = refused(baseline(filters=[{"path": path}]))
    assert "--filter" in message
    check_baseline("b", baseline(filters=[{"path": path}]), Trusted.of(STOCK, (), [path]))
    check_settings({}, {path: {}}, Trusted.of(STOCK, (), [path]), "b")
    with pytest.raises(UsageError):
        check_settings({}, {path: {}}, TRUSTED, "b")


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"version": "1.5"},
        {"version": 1},
        {"results": []},
        {"results": {"a": [{}]}},
        {"plugins_used": {}},
        {"plugins_used": [1]},
        {"plugins_used": [{"name": 1}]},
        {"plugins_used": [{"name": "NoSuchDetector"}]},
        {"plugins_used": [{"name": OUR_PLUGIN, "limit": 3}]},
        {"filters_used": [{"path": 3}]},
        {"filters_used": [{"path": "detect_secrets.filters.regex.should_exclude_line", "pattern": "x"}]},
        {"filters_used": [{"path": "detect_secrets.filters.regex.should_exclude_line", "pattern": ["("]}]},
        {"filters_used": [{"path": "detect_secrets.filters.regex.should_exclude_line"}]},
        {"filters_used": [{"path": VERIFICATION, "min_level": 0}]},
        {"filters_used": [{"path": "detect_secrets.filters.wordlist.should_exclude_secret", "file_name": "/dev/zero"}]},
        {"filters_used": [{"path": "detect_secrets.filters.gibberish.should_exclude_secret", "model": "/nonexistent"}]},
        {"custom_plugin_paths": ["evil.py"]},
    ],
)  # fmt: skip
def test_malformed_or_unsafe_settings_are_configuration_errors(data: Any) -> None:
    refused({**baseline(), **data} if isinstance(data, dict) else data)


def test_a_fifo_among_the_results_is_refused_before_audit_opens_it(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "file.py").touch()
    check_result_files("b", {"results": {str(tmp_path / "file.py"): [], str(tmp_path / "gone.py"): []}})
    with pytest.raises(UsageError, match="not a regular file"):
        check_result_files("b", {"results": {str(fifo): []}})


def test_shown_escapes_cuts_and_redacts() -> None:
    key = make_key("sk-proj-", seed=70)
    for value in [f"a\x1b[31m\n{key}", "x" * 5000 + key, key + "y" * 5000, f"{'z' * 45}{key}{'z' * 45}"]:
        text = shown(value)
        assert_redacted(text, keys=[key])
        assert len(text) <= 110 and "\x1b" not in text and "\n" not in text
    assert shown("/very/long/" + "d/" * 100 + "evil.py").endswith("/evil.py'")
    assert shown({"name": 3}) == repr(repr({"name": 3}))
