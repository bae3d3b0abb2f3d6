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
    archive-depth = 4                             # archive layers opened (zip, tar, gzip...); 0: none
    archive-max-bytes = "256M"                    # expanded bytes per archive (an integer, or K/M/G)
    archive-max-ratio = 100                       # expanded / compressed bytes, per layer

An unknown key, a wrong type or an unknown rule id is a UsageError (exit 2) naming the key and
the file. The module reads files only; it never looks at environment variables.

Paths in the file are relative to the file's directory, whatever directory keylatch runs in:
`baseline`, and the `exclude` globs (`sources.files` matches them against each path relative to
that directory), and `.keylatch-baseline.json` is looked for next to the file.

The file comes from the repository being scanned, so it is read as hostile input: at most 1 MiB
(MAX_BYTES), never from a FIFO or device; YAML aliases (`*name`, the "billion laughs") and merge
keys are refused before anything is expanded; a duplicate key is an error, not "last one wins";
nesting too deep for the parser is a one-line error; and messages quote at most 60 characters of
a value, control characters escaped.

A configuration that turns detection off entirely is an error, not a pass (a pull request could
otherwise add a key and `allow-lines: [".*"]` together): `enable`/`disable` leaving no rule,
`allow-lines` patterns that between them match every probe line (a line holding a synthetic key
of each rule, from the rules' own examples), and `exclude` globs that between them match every
probe path (`a`, `x.env`, `dir/sub/file.py`, `.hidden`, ...).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from keylatch.allowlist import LINE_PATTERN_TIMEOUT, Allowlist, compile_check, path_excluded
from keylatch.errors import UsageError, printable
from keylatch.model import Record, Severity
from keylatch.report import FORMATS
from keylatch.sources.archives import DEFAULT_LIMITS, Limits

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.rules import Rule

YAML_NAMES = (".keylatch.yaml", ".keylatch.yml")
# Used when no `baseline` is configured and this file exists next to the config (or in the
# current directory); `keylatch baseline create` writes it.
DEFAULT_BASELINE = ".keylatch-baseline.json"
KEYS = (
    "exclude", "baseline", "enable", "disable", "fail-on", "format", "pragmas", "allow-lines",
    "verify", "fail-on-verdict", "archive-depth", "archive-max-bytes", "archive-max-ratio",
)  # fmt: skip
# No verify URL here: a repository's own config must not choose where its keys are sent.
VERDICT_POLICIES = ("any", "live")
# A configuration file is a few hundred bytes; this bounds what a hostile one can cost.
MAX_BYTES = 1 << 20
# Paths an `exclude` list may not cover all of: what is left would scan nothing.
PROBE_PATHS = ("a", "x.env", "dir/sub/file.py", ".hidden", "README.md", "src/main.go", "Makefile")


class Config(Record):
    __slots__ = (
        "source", "exclude", "baseline", "enable", "disable", "fail_on", "format", "pragmas", "allow_lines",
        "verify", "fail_on_verdict", "archives", "ignore_baseline", "flag_exclude",
    )  # fmt: skip
    source: Path | None  # the file it came from; None for defaults
    exclude: tuple[str, ...]
    baseline: Path | None
    enable: tuple[str, ...]
    disable: tuple[str, ...]
    fail_on: Severity
    format: str | None
    pragmas: bool
    allow_lines: tuple[str, ...]
    verify: bool
    fail_on_verdict: str  # VERDICT_POLICIES
    archives: Limits  # how far archives are opened (sources/archives.py)
    # Set only by flags (`--no-baseline`, `--exclude`), never by a file.
    ignore_baseline: bool
    flag_exclude: tuple[str, ...]  # relative to the paths as typed, not to the file

    def __init__(
        self,
        source: Path | None = None,
        exclude: tuple[str, ...] = (),
        baseline: Path | None = None,
        enable: tuple[str, ...] = (),
        disable: tuple[str, ...] = (),
        fail_on: Severity = Severity.LOW,
        format: str | None = None,
        pragmas: bool = True,
        allow_lines: tuple[str, ...] = (),
        verify: bool = False,
        fail_on_verdict: str = "any",
        archives: Limits = DEFAULT_LIMITS,
        ignore_baseline: bool = False,
        flag_exclude: tuple[str, ...] = (),
    ) -> None:
        self._set(
            source, exclude, baseline, enable, disable, fail_on, format, pragmas, allow_lines, verify,
            fail_on_verdict, archives, ignore_baseline, flag_exclude,
        )  # fmt: skip

    def override(
        self,
        *,
        exclude: tuple[str, ...] | None = None,
        baseline: Path | None = None,
        fail_on: Severity | None = None,
        format: str | None = None,
        ignore_baseline: bool | None = None,
        flag_exclude: tuple[str, ...] | None = None,
    ) -> Config:
        """A copy with every flag that was given (not None) applied: flags beat the file."""
        return self.replace(
            exclude=self.exclude if exclude is None else exclude,
            baseline=self.baseline if baseline is None else baseline,
            fail_on=self.fail_on if fail_on is None else fail_on,
            format=self.format if format is None else format,
            ignore_baseline=self.ignore_baseline if ignore_baseline is None else ignore_baseline,
            flag_exclude=self.flag_exclude if flag_exclude is None else flag_exclude,
        )

    @property
    def default_rules(self) -> bool:
        """Whether `rules` is every default rule: a scan can then test for their literals
        (prefilter.KEYWORDS) without building the rules (keylatch.rules), about 15 ms."""
        return not self.enable and not self.disable

    @property
    def rules(self) -> tuple[Rule, ...]:
        from keylatch.rules import DEFAULT_RULES  # compiled on first use (default_rules)

        return tuple(r for r in DEFAULT_RULES if (not self.enable or r.id in self.enable) and r.id not in self.disable)

    @property
    def allowlist(self) -> Allowlist:
        return Allowlist(paths=(*self.exclude, *self.flag_exclude), pragmas=self.pragmas, lines=self.allow_lines)

    def fails(self, severity: Severity) -> bool:
        return severity.rank >= self.fail_on.rank


def discover(start: Path) -> Config:
    """Config from the nearest directory (from `start` up to the repository root) that has one."""
    for d in (start.resolve(), *start.resolve().parents):
        found = [_relative(d / n) for n in YAML_NAMES if _present(d / n)]
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


def discover_baseline(start: Path) -> Path | None:
    """`.keylatch-baseline.json` in the nearest directory from `start` up to the repository root,
    for when no configuration file says where the baseline is."""
    for d in (start.resolve(), *start.resolve().parents):
        if _present(d / DEFAULT_BASELINE, "baseline"):
            return _relative(d / DEFAULT_BASELINE)
        if (d / ".git").exists():
            break
    return None


def _present(path: Path, what: str = "configuration") -> bool:
    """Whether keylatch's own file is there to read. A directory, FIFO, socket, device or broken
    link under its name is a UsageError, not absent: skipping it ran the scan on defaults without
    a word about the settings the user wrote (a FIFO is never opened: it could block)."""
    if path.is_file():
        return True
    if not os.path.lexists(path):
        return False
    kind = "a directory" if path.is_dir() else "a broken link" if path.is_symlink() else "not a regular file"
    raise UsageError(f"cannot read {what} {printable(str(_relative(path)), 200)}: {kind}")


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
    if len(data) > MAX_BYTES:
        raise UsageError(f"{path}: larger than {MAX_BYTES >> 20} MiB; not a keylatch configuration")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from exc
    return load_text(text, path)


def load_text(text: str, path: Path) -> Config:
    if len(text) > MAX_BYTES:
        raise UsageError(f"{path}: larger than {MAX_BYTES >> 20} MiB; not a keylatch configuration")
    if path.name.endswith(".toml"):
        table = _toml_table(path, text)
        if table is None:
            raise UsageError(f"{path}: no [tool.keylatch] table")
        return parse(table, path, "[tool.keylatch] ")
    return parse(_yaml_doc(path, text), path, "")


def _read(path: Path) -> str:
    from keylatch.sources.files import read_small

    try:
        data = read_small(path, MAX_BYTES)
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    if len(data) > MAX_BYTES:
        raise UsageError(f"{path}: larger than {MAX_BYTES >> 20} MiB; not a keylatch configuration")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from exc


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
    except ValueError as exc:  # TOMLDecodeError, or an integer too long to convert
        raise UsageError(f"{path}: not valid TOML: {_quoted(str(exc), 120)}") from exc
    except RecursionError:
        raise UsageError(f"{path}: not valid TOML: nested too deeply") from None
    table = doc.get("tool", {}).get("keylatch")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.keylatch] must be a table")
    return table


def _yaml_doc(path: Path, text: str) -> Mapping[str, object]:
    import yaml  # only when a YAML config exists

    try:
        doc = yaml.load(text, Loader=_strict_loader())  # a SafeLoader subclass: no Python objects
    except yaml.MarkedYAMLError as exc:
        line = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
        what = "" if exc.context == _REFUSED else "not valid YAML: "
        raise UsageError(f"{path}: {what}{_quoted(exc.problem or str(exc), 120)}{line}") from exc
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML: {_quoted(str(exc).splitlines()[0], 120)}") from exc
    except RecursionError:
        raise UsageError(f"{path}: not valid YAML: nested too deeply") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer or date too large to convert
        raise UsageError(f"{path}: not valid YAML: {_quoted(str(exc), 120)}") from exc
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: must be a mapping of keylatch settings")
    return doc


# The `context` of the errors _strict_loader raises itself: valid YAML that keylatch refuses.
_REFUSED = "keylatch"


def _strict_loader() -> type[Any]:
    """PyYAML's SafeLoader refusing aliases and merge keys, and duplicate keys in any mapping.

    Refusing an alias at composition, before anything is built, is what bounds the cost: a
    500-byte "billion laughs" otherwise expands to billions of references. Duplicate keys are
    errors because "last one wins" lets a second `allow-lines:` hide below the one a reviewer
    reads."""
    import yaml
    from yaml.composer import ComposerError
    from yaml.constructor import ConstructorError

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ComposerError(_REFUSED, None, "YAML aliases (*name) are not allowed", mark)
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise ConstructorError(_REFUSED, None, "merge keys (<<) are not allowed", key_node.start_mark)
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # unhashable: SafeLoader says so
                    continue
                if duplicate:
                    raise ConstructorError(_REFUSED, None, f"duplicate key {_shown(key)}", key_node.start_mark)
            return super().construct_mapping(node, deep)

    return Loader


def parse(raw: Mapping[str, object], path: Path, where: str = "") -> Config:
    for key in raw:
        if key not in KEYS:
            import difflib  # only for the message

            hint = difflib.get_close_matches(str(key)[:100], KEYS, n=1)
            also = f" (did you mean {hint[0]!r}?)" if hint else f" (known keys: {', '.join(KEYS)})"
            raise UsageError(f"{path}: unknown key {_shown(key)} in {where or 'config'}".rstrip() + also)

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
            raise UsageError(f"{path}: {key!r} must be one of {', '.join(allowed)}, not {_shown(value)}")
        return value

    enable, disable = strings("enable"), strings("disable")
    known = _rule_ids() if enable or disable else ()
    for key, ids in (("enable", enable), ("disable", disable)):
        for rule_id in ids:
            if rule_id not in known:
                raise UsageError(f"{path}: {key!r} names unknown rule {_shown(rule_id)} (rules: {', '.join(known)})")
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
            raise UsageError(f"{path}: 'allow-lines' pattern {_shown(pattern)} is not a valid regex: {problem}")
    cfg = Config(
        source=path,
        archives=_archive_limits(raw, path),
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
    problem = _detection_off(cfg, "enable" in raw)
    if problem is not None:
        raise UsageError(f"{path}: {problem}")
    return cfg


_NONE = "so no key would be reported"
_UNITS = {"": 0, "K": 10, "M": 20, "G": 30}


def _archive_limits(raw: Mapping[str, object], path: Path) -> Limits:
    """archive-depth, archive-max-bytes (`268435456`, `"256M"`, `"1G"`), archive-max-ratio."""
    default = Limits()

    def count(key: str, value: object, low: int) -> int:
        if isinstance(value, str):
            text = value.strip().upper().removesuffix("IB").removesuffix("B")
            unit = text[-1:] if text[-1:] in _UNITS else ""
            digits = text[: len(text) - len(unit)].strip()
            if key == "archive-max-bytes" and digits.isdigit() and len(digits) < 20:
                value = int(digits) << _UNITS[unit]
        if not isinstance(value, int) or isinstance(value, bool) or value < low or value.bit_length() > 62:
            what = "a size (bytes, or a number with K, M or G)" if key == "archive-max-bytes" else "an integer"
            raise UsageError(f"{path}: {key!r} must be {what} of at least {low}, not {_kind(value)}")
        return value

    return Limits(
        depth=count("archive-depth", raw.get("archive-depth", default.depth), 0),
        max_bytes=count("archive-max-bytes", raw.get("archive-max-bytes", default.max_bytes), 1),
        max_ratio=count("archive-max-ratio", raw.get("archive-max-ratio", default.max_ratio), 1),
    )


def _detection_off(cfg: Config, has_enable: bool) -> str | None:
    """Why `cfg` would report no key at all, or None. See the module docstring."""
    if has_enable and not cfg.enable:
        return "'enable' is empty, so no rule would run (leave it out to run every rule)"
    if not cfg.rules:
        return f"no rule is left enabled by 'enable' and 'disable', {_NONE}"
    if cfg.allow_lines:
        probes = _probe_lines()
        matched = _lines_matched(cfg.allow_lines, ("", *probes))  # line 0: the empty line
        covering = _covering({p: hits - {0} for p, hits in matched.items()}, len(probes))
        if covering:
            if len(covering) > 1:
                names = ", ".join(_shown(p) for p in covering)
                return f"'allow-lines' patterns {names} together match every line that holds a key, {_NONE}"
            # Matching an empty line means matching anywhere in any line (search, not match).
            every = "every line" if 0 in matched[covering[0]] else "every line that holds a key"
            return f"'allow-lines' pattern {_shown(covering[0])} matches {every}, {_NONE}"
    if cfg.exclude:
        paths = {g: {i + 1 for i, p in enumerate(PROBE_PATHS) if path_excluded(p, (g,))} for g in cfg.exclude}
        covering = _covering(paths, len(PROBE_PATHS))
        if covering:
            names = ", ".join(_shown(g) for g in covering)
            which = f"glob {names} matches" if len(covering) == 1 else f"globs {names} together match"
            return f"'exclude' {which} every path, so nothing would be scanned"
    return None


def _lines_matched(patterns: tuple[str, ...], lines: tuple[str, ...]) -> dict[str, set[int]]:
    """For each pattern, the indexes of the lines it is found in, searched as allowlist does.
    A pattern that times out (allowlist.LINE_PATTERN_TIMEOUT) on a line allows nothing there;
    it is not tried further, so each costs at most one timeout."""
    import regex

    matched: dict[str, set[int]] = {}
    for pat in dict.fromkeys(patterns):
        hits = matched.setdefault(pat, set())
        for i, line in enumerate(lines):
            try:
                if regex.search(pat, line, timeout=LINE_PATTERN_TIMEOUT):
                    hits.add(i)
            except TimeoutError:
                hits.clear()
                break
    return matched


def _covering(hits: dict[str, set[int]], probes: int) -> tuple[str, ...]:
    """The items that between them match all `probes` (numbered 1..probes) — those that match
    any — or () if some probe is matched by none."""
    used = tuple(item for item, found in hits.items() if found)
    covered = set().union(*(hits[item] for item in used))
    return used if probes and covered >= set(range(1, probes + 1)) else ()


def _rule_ids() -> tuple[str, ...]:
    from keylatch.rules import DEFAULT_RULES

    return tuple(r.id for r in DEFAULT_RULES)


def _probe_lines() -> tuple[str, ...]:
    """A line holding a synthetic key of every rule, in every context its examples show."""
    from keylatch.rules import DEFAULT_RULES

    lines = []
    for rule in DEFAULT_RULES:
        for example in rule.examples:
            lines += [line for line in example.text.splitlines() if example.key in line]
    return tuple(dict.fromkeys(lines))


def _kind(value: object) -> str:
    """A value's type and, for a scalar, the value: for messages (never whole: see _shown)."""
    if isinstance(value, (list, tuple, dict, set)):
        n = len(value)
        return f"{type(value).__name__} of {n} item{'s' if n != 1 else ''}"
    if isinstance(value, (str, int, float)) or value is None:  # bool is an int
        return f"{type(value).__name__} {_shown(value)}"
    return _shown(value)  # a date, bytes...: says its type


def _shown(value: object) -> str:
    """A value from the file quoted for a message: keys in it redacted, then 60 characters at
    most, control characters escaped. A hostile file must not make keylatch print megabytes or
    drive the terminal; redaction comes before the cut, since a key cut short (60 of an Azure
    key's 84 characters) is no longer a key to redact (QA t-qa17)."""
    if isinstance(value, str):
        return f"'{_quoted(value, 60)}'"
    if isinstance(value, (bool, float)) or value is None:
        return repr(value)
    if isinstance(value, int):
        return printable(str(value) if value.bit_length() < 200 else "a very large integer", 60)
    if isinstance(value, (list, tuple, dict, set)):
        return _kind(value)
    return f"{type(value).__name__} {_quoted(repr(value), 60)}"


def _quoted(text: str, limit: int) -> str:
    """`text` from a config file (or a parser's message quoting it) for a message: redacted, then cut."""
    from keylatch.report.untrusted import redact

    return printable(redact(text), limit)
