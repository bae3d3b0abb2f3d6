"""Known findings, stored by the key's content hash: never the secret, never a line number.

API:

    known = load(Path(".keylatch-baseline.json"))              # UsageError (exit 2) if malformed
    new = subtract(findings, known, today())                    # findings not in the baseline
    write(path, from_findings(findings, previous=known, reason="rotated", expires=date(...)))
    expired(known, today)                                        # entries past their expiry date
    found = import_detect_secrets(Path(".secrets.baseline"))    # hashed_secret = SHA-1 of the key
    known = merge(found.openai, found.other)                     # (other: kept where a key matches)

An entry matches a finding when its rule id is the finding's (or `*`) and its `fingerprint` is the
sha256 of the key (`Secret.fingerprint`) or its `sha1` is one of `detect_secrets_hashes.sha1_hashes`
(only for entries imported from detect-secrets, which hashes the whole key or, in its
OpenAIDetector, the key cut 20 characters after the marker). A detect-secrets entry for a longer string that merely
contains a key (`"Bearer sk-…"`) cannot be matched and the key is reported again.

Matching ignores path and line, so the baseline is stable when lines move; a different key on a
baselined line has a different hash and is still reported (gitleaks' positional `.gitleaksignore`
entries would hide it). An entry past its `expires` date no longer matches.

The file is JSON, sorted, with `/` paths and no timestamps, so it changes only when findings do:

    {
      "version": 1,
      "entries": [
        {"rule_id": "openai-project-key", "fingerprint": "<sha256 hex>", "paths": ["app/settings.py"],
         "reason": "revoked 2024-05-01", "expires": "2025-01-31"}
      ]
    }

`paths` records where the key was seen, for reviewers; it is not used to match.

A baseline comes from the repository being scanned, so it is read as hostile input: at most
32 MiB (MAX_BYTES, about 100,000 entries), never from a FIFO or device; nesting too deep for the
JSON parser is a one-line error; messages quote at most 60 characters of a value, control
characters escaped.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from keylatch.detect_secrets_hashes import sha1_hashes
from keylatch.errors import UsageError, printable
from keylatch.model import Finding, Keyed

VERSION = 1
ANY_RULE = "*"

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")
_ENTRY_KEYS = ("rule_id", "fingerprint", "sha1", "paths", "reason", "expires")
MAX_BYTES = 32 << 20

K = TypeVar("K", bound=Keyed)


@dataclass(frozen=True, slots=True)
class Entry:
    rule_id: str
    fingerprint: str | None = None  # sha256 hex of the key
    sha1: str | None = None  # SHA-1 hex of the key (detect-secrets' hashed_secret)
    paths: tuple[str, ...] = ()
    reason: str | None = None
    # Last day on which the entry suppresses its finding.
    expires: dt.date | None = None

    def is_expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    @property
    def sort_key(self) -> tuple[str, str, str]:
        return (self.rule_id, self.fingerprint or "", self.sha1 or "")


@dataclass(frozen=True, slots=True)
class Baseline:
    entries: tuple[Entry, ...] = ()


def today() -> dt.date:
    """The day expiry dates are judged on (UTC, so every CI runner agrees)."""
    return dt.datetime.now(dt.timezone.utc).date()


def subtract(findings: Iterable[K], baseline: Baseline, today: dt.date) -> list[K]:
    """The keys (findings, or history's keys) no unexpired baseline entry matches, in their order."""
    if not baseline.entries:
        return list(findings)
    by_sha256 = {(e.rule_id, e.fingerprint) for e in baseline.entries if e.fingerprint and not e.is_expired(today)}
    by_sha1 = {(e.rule_id, e.sha1) for e in baseline.entries if e.sha1 and not e.is_expired(today)}
    out = []
    for f in findings:
        keys256 = {(f.rule_id, f.fingerprint), (ANY_RULE, f.fingerprint)}
        if keys256 & by_sha256:
            continue
        if by_sha1 and any({(f.rule_id, h), (ANY_RULE, h)} & by_sha1 for h in sha1_hashes(f.secret)):
            continue
        out.append(f)
    return out


def expired(baseline: Baseline, today: dt.date) -> tuple[Entry, ...]:
    return tuple(e for e in baseline.entries if e.is_expired(today))


def from_findings(
    findings: Iterable[Finding],
    previous: Baseline | None = None,
    *,
    reason: str | None = None,
    expires: dt.date | None = None,
    prune: bool = False,
) -> Baseline:
    """A baseline holding every finding; entries of `previous` keep their reason and expiry.

    Entries of `previous` that no finding matches stay unless `prune` (a scan of part of the
    tree must not forget the rest). An imported SHA-1 entry that matches a finding is replaced by
    a sha256 entry carrying its reason.
    """
    old = previous.entries if previous is not None else ()
    groups: dict[tuple[str, str], set[str]] = {}
    sha1_of: dict[tuple[str, str], tuple[str, ...]] = {}
    for f in findings:
        k = (f.rule_id, f.fingerprint)
        groups.setdefault(k, set()).add(f.location.path)
        sha1_of[k] = sha1_hashes(f.secret)
    used: set[Entry] = set()
    entries: dict[tuple[str, str, str], Entry] = {}
    index = _Index(old)
    for (rule_id, fp), paths in groups.items():
        prior = index.prior(rule_id, fp, sha1_of[(rule_id, fp)])
        if prior is None:
            entry = Entry(rule_id, fp, None, tuple(sorted(paths)), reason, expires)
        else:
            used.add(prior)
            if prior.fingerprint is not None and not prune:
                paths |= set(prior.paths)
            # A SHA-1 entry (rule `*`) becomes a sha256 entry of the rule that found the key.
            kept_rule = prior.rule_id if prior.fingerprint is not None else rule_id
            entry = Entry(kept_rule, fp, None, tuple(sorted(paths)), prior.reason, prior.expires)
        entries[entry.sort_key] = entry
    if not prune:
        for e in old:
            if e not in used and e.sort_key not in entries:
                entries[e.sort_key] = e
    return Baseline(tuple(entries[k] for k in sorted(entries)))


class _Index:
    """The entries of a previous baseline by (rule, fingerprint) and (rule, sha1), each with its
    position: `prior` answers in O(1) what a scan of every entry per finding answered (that made
    `baseline update` quadratic: 4,000 findings over 2,000 entries took 0.6 s, and it grows fourfold per doubling)."""

    def __init__(self, old: Sequence[Entry]) -> None:
        self.by_fp: dict[tuple[str, str], tuple[int, Entry]] = {}
        self.by_sha1: dict[tuple[str, str], tuple[int, Entry]] = {}
        for i, e in enumerate(old):
            if e.fingerprint is not None:
                self.by_fp.setdefault((e.rule_id, e.fingerprint), (i, e))
            if e.sha1 is not None:
                self.by_sha1.setdefault((e.rule_id, e.sha1), (i, e))

    def prior(self, rule_id: str, fp: str, sha1s: tuple[str, ...]) -> Entry | None:
        """The first entry (in the file's order) of this rule or `*` with this fingerprint, else
        the first with one of these SHA-1s."""
        rules = (rule_id, ANY_RULE)
        hits = [self.by_fp[k] for k in ((r, fp) for r in rules) if k in self.by_fp]
        if not hits:
            hits = [self.by_sha1[k] for k in ((r, h) for r in rules for h in sha1s) if k in self.by_sha1]
        return min(hits, key=lambda hit: hit[0])[1] if hits else None


def dumps(baseline: Baseline) -> str:
    doc = {"version": VERSION, "entries": [_entry_dict(e) for e in sorted(baseline.entries, key=lambda e: e.sort_key)]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, baseline: Baseline) -> None:
    try:
        path.write_text(dumps(baseline), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write baseline {path}: {exc.strerror or exc}") from exc


def _entry_dict(e: Entry) -> dict[str, object]:
    out: dict[str, object] = {"rule_id": e.rule_id}
    if e.fingerprint is not None:
        out["fingerprint"] = e.fingerprint
    if e.sha1 is not None:
        out["sha1"] = e.sha1
    out["paths"] = list(e.paths)
    if e.reason is not None:
        out["reason"] = e.reason
    if e.expires is not None:
        out["expires"] = e.expires.isoformat()
    return out


def _read_json(path: Path, what: str) -> object:
    from keylatch.sources.files import read_small

    try:
        data = read_small(path, MAX_BYTES)
    except FileNotFoundError:
        raise UsageError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    return _parse_json(data, path, what)


def _parse_json(data: bytes, path: Path, what: str = "baseline") -> object:
    if len(data) > MAX_BYTES:
        raise UsageError(f"{path}: larger than {MAX_BYTES >> 20} MiB; not a {what}")
    try:
        # utf-8-sig: a BOM, which Windows editors write, is no part of the JSON (RFC 8259 lets a
        # reader ignore it; json.loads refuses it).
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc}") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    except RecursionError:
        raise UsageError(f"{path}: not valid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer too long to convert
        raise UsageError(f"{path}: not valid JSON: {printable(str(exc), 120)}") from exc


def load(path: Path) -> Baseline:
    return _from_doc(_read_json(path, "baseline"), path)


def load_bytes(data: bytes, path: Path) -> Baseline:
    """A baseline from bytes read elsewhere (e.g. `git show BASE:file`); `path` names it in errors."""
    return _from_doc(_parse_json(data, path), path)


def _from_doc(doc: object, path: Path) -> Baseline:
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: a baseline is a JSON object with 'version' and 'entries'")
    unknown = sorted(set(doc) - {"version", "entries"})
    if unknown:
        raise UsageError(f"{path}: unknown key {_shown(unknown[0])}")
    if doc.get("version") != VERSION:
        raise UsageError(f"{path}: unsupported baseline version {_shown(doc.get('version'))} (expected {VERSION})")
    raw = doc.get("entries", [])
    if not isinstance(raw, list):
        raise UsageError(f"{path}: 'entries' must be a list")
    return Baseline(tuple(sorted((_parse_entry(path, i, e) for i, e in enumerate(raw)), key=lambda e: e.sort_key)))


def _parse_entry(path: Path, i: int, raw: object) -> Entry:
    where = f"{path}: entries[{i}]"
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: must be an object")
    unknown = sorted(set(raw) - set(_ENTRY_KEYS))
    if unknown:
        raise UsageError(f"{where}: unknown key {_shown(unknown[0])}")
    rule_id = _opt_str(raw, "rule_id", where)
    if rule_id is None:
        raise UsageError(f"{where}: 'rule_id' is required")
    fp, sha1 = _opt_str(raw, "fingerprint", where), _opt_str(raw, "sha1", where)
    if fp is None and sha1 is None:
        raise UsageError(f"{where}: needs 'fingerprint' (sha256 of the key) or 'sha1'")
    if fp is not None and not _SHA256.fullmatch(fp):
        raise UsageError(f"{where}: 'fingerprint' must be 64 lowercase hex digits")
    if sha1 is not None and not _SHA1.fullmatch(sha1):
        raise UsageError(f"{where}: 'sha1' must be 40 lowercase hex digits")
    paths = raw.get("paths", [])
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise UsageError(f"{where}: 'paths' must be a list of strings")
    expires_s = _opt_str(raw, "expires", where)
    expires = None
    if expires_s is not None:
        try:
            expires = dt.date.fromisoformat(expires_s)
        except ValueError:
            raise UsageError(f"{where}: 'expires' must be a date like 2025-01-31, not {_shown(expires_s)}") from None
    return Entry(rule_id, fp, sha1, tuple(sorted(set(paths))), _opt_str(raw, "reason", where), expires)


def _opt_str(raw: Mapping[str, object], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise UsageError(f"{where}: {key!r} must be a string")
    return value


def _shown(value: object) -> str:
    """A value from the file quoted for a message: keys in it redacted, then 60 characters at
    most, control characters escaped, containers by size only (a hostile file must not make
    keylatch print megabytes). Redaction comes first: a key cut short is no key to redact."""
    if isinstance(value, str):
        return f"'{_quoted(value, 60)}'"
    if isinstance(value, (list, dict)):
        return f"{type(value).__name__} of {len(value)} item{'s' if len(value) != 1 else ''}"
    return printable(repr(value) if not isinstance(value, int) or value.bit_length() < 200 else "(large int)", 60)


def _quoted(text: str, limit: int) -> str:
    """`text` from a baseline file for a message: every key the engine finds in it redacted, then
    cut to `limit` (report.untrusted.redact is the layer above; the engine is the same)."""
    from keylatch.engine import scan_text

    for f in scan_text(text):
        text = text.replace(f.secret.value, f.secret.redacted)
    return printable(text, limit)


# Plugins whose secrets are OpenAI keys: detect-secrets' own OpenAIDetector and keylatch's adapter
# (detect_secrets_plugin.py; its secret_type never changes).
OPENAI_TYPES = frozenset({"OpenAI Token", "keylatch OpenAI key"})


@dataclass(frozen=True, slots=True)
class Imported:
    """A detect-secrets baseline's secrets, as entries matched by SHA-1 (rule `*`).

    `openai` holds the secrets an OpenAI plugin listed: OpenAI keys, wherever they are now.
    `other` holds the rest (high-entropy strings, keywords, AWS keys, ...): such a hash is an
    OpenAI key only if keylatch finds a key with it, so the command keeps those entries only when
    they match a finding (then as sha256 entries of the rule that found the key).
    """

    openai: Baseline
    other: Baseline
    total: int  # distinct hashed secrets in the file


def import_detect_secrets(path: Path, *, reason: str | None = None, expires: dt.date | None = None) -> Imported:
    """Entries for every secret of a detect-secrets `.secrets.baseline` (matched by SHA-1).

    `reason` and `expires` apply to them as to any new entry; the reason also says where they came from.
    """
    doc = _read_json(path, "detect-secrets baseline")
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, dict):
        raise UsageError(f"{path}: not a detect-secrets baseline (no 'results' object)")
    seen: dict[str, tuple[set[str], set[str]]] = {}
    for filename, secrets in results.items():
        if not isinstance(secrets, list):
            raise UsageError(f"{path}: results[{_shown(filename)}] must be a list")
        for s in secrets:
            hashed = s.get("hashed_secret") if isinstance(s, dict) else None
            if not isinstance(hashed, str) or not _SHA1.fullmatch(hashed):
                raise UsageError(f"{path}: results[{_shown(filename)}]: an entry lacks a SHA-1 'hashed_secret'")
            paths, types = seen.setdefault(hashed, (set(), set()))
            paths.add(str(filename).replace("\\", "/"))
            kind = s.get("type")
            types.add(_quoted(kind, 100) if isinstance(kind, str) else "unknown type")
    openai: list[Entry] = []
    other: list[Entry] = []
    for h, (p, t) in seen.items():
        origin = f"imported from detect-secrets ({', '.join(sorted(t))})"
        entry = Entry(ANY_RULE, None, h, tuple(sorted(p)), f"{reason} ({origin})" if reason else origin, expires)
        (openai if t & OPENAI_TYPES else other).append(entry)
    return Imported(_sorted(openai), _sorted(other), len(seen))


def _sorted(entries: Iterable[Entry]) -> Baseline:
    return Baseline(tuple(sorted(entries, key=lambda e: e.sort_key)))


def merge(*baselines: Baseline) -> Baseline:
    entries = {e.sort_key: e for b in baselines for e in b.entries}
    return Baseline(tuple(entries[k] for k in sorted(entries)))
