"""`[tool.keylatch]` in pyproject.toml, or `.keylatch.yaml` -> a frozen Config.

    cfg = discover(Path.cwd())            # nearest config file up to the repository root, or defaults
    cfg = load(Path("ci/keylatch.yaml"))  # an explicit file (`--config`)
    cfg = cfg.override(fail_on=Severity.HIGH)   # command-line flags win over the file

Keys (all optional):

    exclude = ["tests/fixtures/*", "*.ipynb"]   # path globs: skipped and never reported
    baseline = ".keylatch-baseline.json"          # relative to the config file
    enable = ["openai-project-key"]               # only these rules (default: all)
    disable = ["openai-session-key"]              # never these rules
    fail-on = "high"                              # findings below this severity are reported, exit 0
    format = "sarif"                              # default report format
    pragmas = true                                # honour keylatch:allow / pragma: allowlist comments
    allow-lines = ["EXAMPLE_KEY", "dummy"]        # regexes: a key whose line matches is not reported
    verify = true                                 # --verify: ask the API about each key (hooks too)
    fail-on-verdict = "live"                      # keys found revoked do not fail (needs verify)

An unknown key, a wrong type or an unknown rule id is a UsageError (exit 2) naming the key and
the file. The module reads files only; it never looks at environment variables.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from keylatch.allowlist import Allowlist, compile_check
from keylatch.errors import UsageError
from keylatch.model import Severity
from keylatch.report import FORMATS
from keylatch.rules import DEFAULT_RULES, Rule

YAML_NAMES = (".keylatch.yaml", ".keylatch.yml")
# Used when no `baseline` is configured and this file exists next to the config (or in the
# current directory); `keylatch baseline create` writes it.
DEFAULT_BASELINE = ".keylatch-baseline.json"
KEYS = (
    "exclude", "baseline", "enable", "disable", "fail-on", "format", "pragmas", "allow-lines",
    "verify", "fail-on-verdict",
)  # fmt: skip
# No verify URL here: a repository's own config must not choose where its keys are sent.
VERDICT_POLICIES = ("any", "live")


@dataclass(frozen=True, slots=True)
class Config:
    source: Path | None = None  # the file it came from; None for defaults
    exclude: tuple[str, ...] = ()
    baseline: Path | None = None
    enable: tuple[str, ...] = ()
    disable: tuple[str, ...] = ()
    fail_on: Severity = Severity.LOW
    format: str | None = None
    pragmas: bool = True
    allow_lines: tuple[str, ...] = ()
    verify: bool = False
    fail_on_verdict: str = "any"  # VERDICT_POLICIES
    # Set only by flags (`--no-baseline`), never by a file.
    ignore_baseline: bool = False

    def override(
        self,
        *,
        exclude: tuple[str, ...] | None = None,
        baseline: Path | None = None,
        fail_on: Severity | None = None,
        format: str | None = None,
        ignore_baseline: bool | None = None,
    ) -> Config:
        """A copy with every flag that was given (not None) applied: flags beat the file."""
        return replace(
            self,
            exclude=self.exclude if exclude is None else exclude,
            baseline=self.baseline if baseline is None else baseline,
            fail_on=self.fail_on if fail_on is None else fail_on,
            format=self.format if format is None else format,
            ignore_baseline=self.ignore_baseline if ignore_baseline is None else ignore_baseline,
        )

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(
            r for r in DEFAULT_RULES if (not self.enable or r.id in self.enable) and r.id not in self.disable
        )

    @property
    def allowlist(self) -> Allowlist:
        return Allowlist(paths=self.exclude, pragmas=self.pragmas, lines=self.allow_lines)

    def fails(self, severity: Severity) -> bool:
        return severity.rank >= self.fail_on.rank


def discover(start: Path) -> Config:
    """Config from the nearest directory (from `start` up to the repository root) that has one."""
    for d in (start.resolve(), *start.resolve().parents):
        found = [_relative(d / n) for n in YAML_NAMES if (d / n).is_file()]
        pyproject = _relative(d / "pyproject.toml")
        if pyproject.is_file() and _toml_table(pyproject) is not None:
            found.append(pyproject)
        if len(found) > 1:
            raise UsageError(f"keylatch is configured in both {found[0]} and {found[1]}; keep one")
        if found:
            return load(found[0])
        if (d / ".git").exists():
            break
    return Config()


def _relative(path: Path) -> Path:
    """`path` as seen from the current directory when it lies below it (for messages)."""
    try:
        return path.relative_to(Path.cwd().resolve())
    except ValueError:
        return path


def load(path: Path) -> Config:
    return load_text(_read(path), path)


def load_bytes(data: bytes, path: Path) -> Config:
    """A config from bytes read elsewhere (e.g. `git show BASE:.keylatch.yaml`); `path` is where
    the file lives (its name picks the format; relative paths in it resolve against its parent)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from exc
    return load_text(text, path)


def load_text(text: str, path: Path) -> Config:
    if path.name.endswith(".toml"):
        table = _toml_table(path, text)
        if table is None:
            raise UsageError(f"{path}: no [tool.keylatch] table")
        return parse(table, path, "[tool.keylatch] ")
    return parse(_yaml_doc(path, text), path, "")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {getattr(exc, 'strerror', None) or exc}") from exc


def _toml_table(path: Path, text: str | None = None) -> Mapping[str, object] | None:
    if text is None:
        text = _read(path)
    if "keylatch" not in text:  # most pyproject.toml files: skip parsing
        return None
    # tomllib is 3.11+; on 3.10 the identical tomli package (a dependency there).
    try:
        toml: Any = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    except ImportError:
        raise UsageError(f"{path}: reading TOML on Python 3.10 needs tomli (`pip install tomli`)") from None
    try:
        doc = toml.loads(text)
    except ValueError as exc:  # TOMLDecodeError
        raise UsageError(f"{path}: not valid TOML: {exc}") from exc
    table = doc.get("tool", {}).get("keylatch")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.keylatch] must be a table")
    return table


def _yaml_doc(path: Path, text: str) -> Mapping[str, object]:
    import yaml  # only when a YAML config exists

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from exc
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: must be a mapping of keylatch settings")
    return doc


def parse(raw: Mapping[str, object], path: Path, where: str = "") -> Config:
    for key in raw:
        if key not in KEYS:
            hint = difflib.get_close_matches(str(key), KEYS, n=1)
            also = f" (did you mean {hint[0]!r}?)" if hint else f" (known keys: {', '.join(KEYS)})"
            raise UsageError(f"{path}: unknown key {key!r} in {where or 'config'}".rstrip() + also)

    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UsageError(f"{path}: {key!r} must be a list of strings, not {_kind(value)}")
        return tuple(value)

    def choice(key: str, allowed: tuple[str, ...]) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or value not in allowed:
            raise UsageError(f"{path}: {key!r} must be one of {', '.join(allowed)}, not {value!r}")
        return value

    known = tuple(r.id for r in DEFAULT_RULES)
    enable, disable = strings("enable"), strings("disable")
    for key, ids in (("enable", enable), ("disable", disable)):
        for rule_id in ids:
            if rule_id not in known:
                raise UsageError(f"{path}: {key!r} names unknown rule {rule_id!r} (rules: {', '.join(known)})")
    baseline = raw.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise UsageError(f"{path}: 'baseline' must be a path string, not {_kind(baseline)}")
    pragmas = raw.get("pragmas", True)
    if not isinstance(pragmas, bool):
        raise UsageError(f"{path}: 'pragmas' must be true or false, not {_kind(pragmas)}")
    fail_on = choice("fail-on", tuple(s.value for s in Severity))
    verify = raw.get("verify", False)
    if not isinstance(verify, bool):
        raise UsageError(f"{path}: 'verify' must be true or false, not {_kind(verify)}")
    fail_on_verdict = choice("fail-on-verdict", VERDICT_POLICIES) or "any"
    if fail_on_verdict != "any" and not verify:
        raise UsageError(f"{path}: 'fail-on-verdict' needs 'verify = true'")
    allow_lines = strings("allow-lines")
    for pattern in allow_lines:
        problem = compile_check(pattern)
        if problem is not None:
            raise UsageError(f"{path}: 'allow-lines' pattern {pattern!r} is not a valid regex: {problem}")
    return Config(
        source=path,
        exclude=strings("exclude"),
        baseline=(path.parent / baseline) if baseline else None,
        enable=enable,
        disable=disable,
        fail_on=Severity(fail_on) if fail_on else Severity.LOW,
        format=choice("format", FORMATS),
        pragmas=pragmas,
        allow_lines=allow_lines,
        verify=verify,
        fail_on_verdict=fail_on_verdict,
    )


def _kind(value: object) -> str:
    return f"{type(value).__name__} {value!r}"
