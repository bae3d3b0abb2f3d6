"""Verdicts remembered between runs, so `--verify` does not ask again on every commit.

One JSON file in the user's cache directory ($XDG_CACHE_HOME/keylatch, else ~/.cache/keylatch),
mode 0600. An entry is keyed by sha256(key fingerprint + the URL asked), so a verdict from a test
server or another endpoint is never reused for the real one. It holds the verdict, keylatch's
reason, the organisation/project ids and the time: never the key. "unknown" is never stored (it
says nothing lasting). Entries older than the time limit are ignored and dropped. A missing,
unreadable or corrupt file just means asking again; a failed write is logged, not fatal.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from keylatch.model import KeyCheck, Verdict

log = logging.getLogger(__name__)

TTL_SECONDS = 24 * 3600
_NAME = "verdicts.json"
_VERSION = 1


def default_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "keylatch" / _NAME


def entry_key(fingerprint: str, url: str) -> str:
    return hashlib.sha256(f"{fingerprint}\0{url}".encode()).hexdigest()


@dataclass(slots=True)
class VerdictCache:
    """Local to one run (loaded, consulted, saved once); never shared between threads' writes."""

    path: Path
    ttl: float = TTL_SECONDS
    entries: dict[str, dict[str, object]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, ttl: float = TTL_SECONDS, now: float | None = None) -> VerdictCache:
        cache = cls(path, ttl)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cache
        except (OSError, ValueError, RecursionError) as exc:  # RecursionError: `[[[...`, too deep
            log.debug("verdict cache %s unreadable (%s): starting afresh", path, exc)
            return cache
        if not isinstance(doc, dict) or doc.get("version") != _VERSION or not isinstance(doc.get("entries"), dict):
            return cache
        now = time.time() if now is None else now
        for k, e in doc["entries"].items():
            if isinstance(e, dict) and isinstance(e.get("time"), (int, float)) and now - e["time"] < ttl:
                cache.entries[str(k)] = e
        return cache

    def get(self, key: str) -> KeyCheck | None:
        e = self.entries.get(key)
        if e is None:
            return None
        try:
            verdict = Verdict(e["verdict"])
        except (KeyError, ValueError):
            return None
        reason = str(e.get("reason", ""))
        return KeyCheck(verdict, f"{reason} (cached)", str(e.get("organization", "")), str(e.get("project", "")))

    def put(self, key: str, check: KeyCheck, now: float | None = None) -> None:
        if check.verdict is Verdict.UNKNOWN:
            return
        self.entries[key] = {
            "verdict": check.verdict.value,
            "reason": check.reason,
            "organization": check.organization,
            "project": check.project,
            "time": time.time() if now is None else now,
        }

    def save(self) -> None:
        doc = {"version": _VERSION, "entries": self.entries}
        tmp = ""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".verdicts-")  # created 0600
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)  # atomic: a concurrent run reads the old or the new file
        except OSError as exc:
            log.warning("cannot write the verdict cache %s: %s", self.path, exc.strerror or exc)
            if tmp:
                Path(tmp).unlink(missing_ok=True)
