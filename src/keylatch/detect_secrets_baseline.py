"""What a detect-secrets baseline may ask `keylatch detect-secrets` to load: no code of its own.

A baseline is repository content, so anyone who can open a pull request writes it. detect-secrets
imports whatever Python its `plugins_used[].path`, `filters_used[].path` (a `file://` URL or any
dotted name, including a module in the working directory) and legacy `custom_plugin_paths` name.
Here a baseline may name only keylatch's plugin (its recorded path is never used), detect-secrets'
built-in plugins, and the built-in filters below; code the user names on the command line
(`--plugin FILE`, `--filter PATH`) is trusted. Anything else is a configuration error (exit 2)
rather than an entry to skip: a baseline that loads a plugin or filter keylatch dropped would not
scan as its authors meant, and skipping quietly is how a hostile entry goes unnoticed in review.

Pure checks on JSON values and settings: no detect_secrets import, no state.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from keylatch.engine import scan_text
from keylatch.errors import UsageError

OUR_PLUGIN = "KeylatchOpenAIDetector"
# Recorded in baselines by module path (portable), not by file path.
OUR_FILTER = "keylatch.detect_secrets_plugin.is_indirect_reference"

_DS = "detect_secrets.filters."
# Every filter detect-secrets 1.5 itself records (its defaults and the ones its options add);
# test_detect_secrets_baseline.py checks each names a function of the installed detect-secrets.
BUILTIN_FILTERS = frozenset(
    {
        _DS + "allowlist.is_line_allowlisted",
        _DS + "common.is_baseline_file",
        _DS + "common.is_ignored_due_to_verification_policies",
        _DS + "common.is_invalid_file",
        _DS + "gibberish.should_exclude_secret",
        _DS + "heuristic.is_indirect_reference",
        _DS + "heuristic.is_likely_id_string",
        _DS + "heuristic.is_lock_file",
        _DS + "heuristic.is_non_text_file",
        _DS + "heuristic.is_not_alphanumeric_string",
        _DS + "heuristic.is_potential_uuid",
        _DS + "heuristic.is_prefixed_with_dollar_sign",
        _DS + "heuristic.is_sequential_string",
        _DS + "heuristic.is_swagger_file",
        _DS + "heuristic.is_templated_secret",
        _DS + "regex.should_exclude_file",
        _DS + "regex.should_exclude_line",
        _DS + "regex.should_exclude_secret",
        _DS + "wordlist.should_exclude_secret",
        OUR_FILTER,
    }
)
_REGEX_FILTERS = frozenset(p for p in BUILTIN_FILTERS if p.startswith(_DS + "regex."))
# Filters that read a file the baseline names: it must be a regular file of bounded size, or a
# FIFO or /dev/zero would hang the hook.
_FILE_SETTINGS = {_DS + "wordlist.should_exclude_secret": "file_name", _DS + "gibberish.should_exclude_secret": "model"}
_MAX_FILE = 16 << 20
# VerifiedResult: VERIFIED_FALSE, UNVERIFIED, VERIFIED_TRUE.
_VERIFICATION = (_DS + "common.is_ignored_due_to_verification_policies", "min_level", (1, 2, 3))


_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")


@dataclass(frozen=True, slots=True)
class Trusted:
    """What may load besides built-ins: what the user named on the command line."""

    builtin_plugins: frozenset[str]  # detect-secrets' plugin class names (and ours)
    plugin_files: frozenset[str] = frozenset()  # realpaths of `--plugin` files
    filters: frozenset[str] = frozenset()  # `--filter` paths, as detect-secrets stores them

    @classmethod
    def of(cls, builtin_plugins: Iterable[str], plugin_files: Iterable[str], filters: Iterable[str]) -> Trusted:
        return cls(frozenset(builtin_plugins), frozenset(map(os.path.realpath, plugin_files)), frozenset(filters))

    def plugin_file(self, path: object) -> bool:
        # Only `file://` paths: detect-secrets slices those seven characters off whatever it reads.
        return (
            isinstance(path, str)
            and path.startswith("file://")
            and os.path.realpath(path.removeprefix("file://")) in self.plugin_files
        )


def check_baseline(filename: str, data: object, trusted: Trusted) -> None:
    """Raise UsageError unless every plugin and filter `data` names may load.

    A plugin path that is not a `--plugin` file still passes when `--plugin` files were given: one
    of them may define a class of the same name, which then replaces the recorded path (stock
    precedence). `check_settings` decides that once detect-secrets has read the command line.
    """
    where = shown(filename)[1:-1]
    if not isinstance(data, dict):
        raise UsageError(f"not a valid detect-secrets baseline: {where} (not a JSON object)")
    version = data.get("version", "")
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise UsageError(f"{where}: version {shown(version)} is not a detect-secrets version (like 1.5.0)")
    if not _results_shaped(data.get("results", {})):
        raise UsageError(f"{where}: results is not a map of file names to lists of secrets")
    if "custom_plugin_paths" in data:
        raise UsageError(
            f"{where}: custom_plugin_paths {shown(data['custom_plugin_paths'])}: a baseline cannot load "
            "plugin files; give them with --plugin and re-create the baseline with scan"
        )
    for entry in _entries(where, data, "plugins_used", "name"):
        name, path = entry["name"], entry.get("path")
        if name == OUR_PLUGIN:
            if set(entry) - {"name", "path"}:  # our plugin takes no settings; the path is ignored
                raise UsageError(f"{where}: plugins_used {OUR_PLUGIN} takes no settings: {shown(entry)}")
        elif "path" in entry:
            if not (trusted.plugin_file(path) or (trusted.plugin_files and isinstance(path, str))):
                raise _untrusted_plugin(where, name, path)
        elif name not in trusted.builtin_plugins:
            raise UsageError(f"{where}: plugins_used {shown(name)} is not a detect-secrets plugin")
    for entry in _entries(where, data, "filters_used", "path"):
        _check_filter(where, entry, trusted)


def check_settings(
    plugins: Mapping[str, Mapping[str, Any]], filters: Mapping[str, Mapping[str, Any]], trusted: Trusted, source: str
) -> None:
    """The same rules on detect-secrets' settings once it has read the baseline and argv."""
    where = shown(source)[1:-1]
    for name, config in plugins.items():
        if name == OUR_PLUGIN:
            continue
        if "path" in config:
            if not trusted.plugin_file(config["path"]):
                raise _untrusted_plugin(where, name, config["path"])
        elif name not in trusted.builtin_plugins:
            raise UsageError(f"{where}: plugins_used {shown(name)} is not a detect-secrets plugin")
    for path, config in filters.items():
        _check_filter(where, {**config, "path": path}, trusted)


def check_result_files(filename: str, data: Mapping[str, Any]) -> None:
    """audit reads every file the baseline lists: a FIFO or a device there would hang it."""
    for name in data.get("results", {}):
        try:
            mode = os.stat(name).st_mode
        except (OSError, ValueError):
            continue  # gone: detect-secrets reports that in its own words
        if not stat.S_ISREG(mode):
            raise UsageError(f"{shown(filename)[1:-1]}: results lists {shown(name)}, which is not a regular file")


def _results_shaped(results: object) -> bool:
    return isinstance(results, dict) and all(
        isinstance(entries, list)
        and all(isinstance(e, dict) and isinstance(e.get("hashed_secret"), str) for e in entries)
        for entries in results.values()
    )


def _untrusted_plugin(where: str, name: object, path: object) -> UsageError:
    return UsageError(
        f"{where}: plugins_used {shown(name)} loads {shown(path)}: a baseline may name only keylatch's "
        "and detect-secrets' own plugins (give a plugin file with --plugin to trust it)"
    )


def _entries(where: str, data: Mapping[str, Any], section: str, key: str) -> list[dict[str, Any]]:
    entries = data.get(section, [])
    if not isinstance(entries, list):
        raise UsageError(f"{where}: {section} is not a list: {shown(entries)}")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get(key), str):
            raise UsageError(f"{where}: {section}[{i}] has no {key}: {shown(entry)}")
    return entries


def _check_filter(where: str, entry: Mapping[str, Any], trusted: Trusted) -> None:
    path = entry["path"]
    if path in trusted.filters:
        return
    if path not in BUILTIN_FILTERS:
        raise UsageError(
            f"{where}: filters_used {shown(path)} is not a detect-secrets filter: a baseline cannot "
            "load code (give a custom filter with --filter to trust it)"
        )
    if path in _REGEX_FILTERS:
        patterns = entry.get("pattern")
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise UsageError(f"{where}: filters_used {path}: pattern is not a list of strings")
        for pattern in patterns:
            try:
                re.compile(pattern)
            except (re.error, RecursionError, OverflowError) as exc:
                raise UsageError(f"{where}: filters_used {path}: bad pattern {shown(pattern)}: {exc}") from None
    if path in _FILE_SETTINGS and _FILE_SETTINGS[path] in entry:
        _check_file(where, path, entry[_FILE_SETTINGS[path]])
    name, setting, allowed = _VERIFICATION
    if path == name and setting in entry and entry[setting] not in allowed:
        raise UsageError(f"{where}: filters_used {path}: {setting} {shown(entry[setting])} is not 1, 2 or 3")


def _check_file(where: str, path: str, value: object) -> None:
    if not isinstance(value, str):
        raise UsageError(f"{where}: filters_used {path}: {shown(value)} is not a file name")
    try:
        info = os.stat(value)
    except OSError as exc:
        raise UsageError(f"{where}: filters_used {path}: cannot read {shown(value)}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_FILE:
        raise UsageError(f"{where}: filters_used {path}: {shown(value)} is not a regular file under 16 MiB")


def shown(value: object, limit: int = 100) -> str:
    """A value from a baseline, safe on one line: keys redacted, control characters escaped, and
    the middle of a long value cut (the end of a path names the file)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 8 * limit:  # bound the redaction work; a key near a cut is cut away below
        text = text[: 4 * limit] + text[-4 * limit :]
    redacted = {f.secret.value: f.secret.redacted for f in scan_text(text)}
    for key in sorted(redacted, key=len, reverse=True):  # before cutting: no stub of a key survives
        text = text.replace(key, redacted[key])
    if len(text) > limit:
        text = text[: limit // 2 - 2] + "..." + text[-(limit // 2 - 1) :]
    return repr(text)
