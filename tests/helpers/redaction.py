"""What users see holds no full key unless --show-secrets: the checks the suite applies.

Two complementary checks:

- `assert_redacted` runs keylatch's own engine on a text: a redacted key (`sk-proj-abcd...wxyz`)
  never matches a rule, a full key always does. Every CLI run of the `keylatch` fixture applies it.
- `Planted` / `leaks`: the suite-wide leak check (tests/conftest.py). Every key `make_key` makes
  in the session is recorded; after each test its captured stdout, stderr and log records, what
  capsys/capfd handed it, every `keylatch` run's output and the files those runs wrote are
  searched for every one of them, exactly, whatever the engine thinks of the context.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from keylatch.engine import scan_text


def assert_redacted(*texts: str, keys: Iterable[str] = ()) -> None:
    joined = "\n".join(texts)
    leaked = [f.secret.redacted for f in scan_text(joined)]
    assert not leaked, f"full keys printed: {leaked}"
    for key in keys:
        assert key not in joined, f"full key printed: {key[:8]}..."


def assert_files_redacted(*paths: Path, keys: Iterable[str] = ()) -> None:
    assert_redacted(*(p.read_text(errors="replace") for p in paths if p.exists()), keys=keys)


# Every synthetic key is at least 32 characters of these (synthetic.py's alphabets; `.` joins
# the three parts of a JWT).
_ANCHOR = 16
_TOKEN = re.compile(rf"[A-Za-z0-9+/=_.-]{{{_ANCHOR},}}")


@dataclass
class Planted:
    """The keys made in this session, indexed by their first characters.

    Finding any of thousands of keys in a text costs one pass over its key-alphabet tokens and
    one dict lookup per character of them, not one substring search per key.
    """

    _by_anchor: dict[str, set[str]] = field(default_factory=dict)

    def add(self, key: str) -> None:
        if len(key) >= _ANCHOR:
            self._by_anchor.setdefault(key[:_ANCHOR], set()).add(key)

    def __contains__(self, key: str) -> bool:
        return key in self._by_anchor.get(key[:_ANCHOR], ())

    def found_in(self, text: str) -> set[str]:
        hits = set()
        for m in _TOKEN.finditer(text):
            tok = m.group()
            for i in range(len(tok) - _ANCHOR + 1):
                for key in self._by_anchor.get(tok[i : i + _ANCHOR], ()):
                    if tok.startswith(key, i):
                        hits.add(key)
        return hits


def shown(key: str) -> str:
    """A planted key as a leak report names it: redacted, as keylatch would show it."""
    found = scan_text(key)
    return found[0].secret.redacted if len(found) == 1 else f"{key[:4]}...{key[-4:]}"


def leaks(planted: Planted, texts: Iterable[tuple[str, str]]) -> list[str]:
    """One line per (where, key) a planted key appears in; the report of a leak is no leak."""
    found = []
    for where, text in texts:
        found += [f"{where}: full key {shown(key)} (from make_key)" for key in sorted(planted.found_in(text))]
    return found


# Inside a repository's git directory only keylatch's own files (caches, hooks) are keylatch's
# output; objects, refs, logs and the index are git's, and hold what the test committed.
_KEYLATCH_IN_GIT = ("keylatch", "hooks")


def _is_git_dir(path: str, names: list[str]) -> bool:
    return os.path.basename(path) == ".git" or {"HEAD", "objects", "refs"} <= set(names)


def snapshot(root: Path) -> dict[str, tuple[int, int, bool]]:
    """Files under `root` (git internals pruned): size, mtime and whether it is a regular file."""
    out: dict[str, tuple[int, int, bool]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if _is_git_dir(dirpath, dirnames + filenames):
            dirnames[:] = [d for d in dirnames if d in _KEYLATCH_IN_GIT]
            filenames = []
        for name in filenames:
            p = os.path.join(dirpath, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            out[os.path.relpath(p, root)] = (st.st_size, st.st_mtime_ns, stat.S_ISREG(st.st_mode))
    return out


def written(root: Path, before: dict[str, tuple[int, int, bool]]) -> list[tuple[str, str]]:
    """(label, name and content) of each file under `root` created or changed since `before`."""
    from keylatch.report.untrusted import for_terminal

    out = []
    for rel, st in snapshot(root).items():
        if before.get(rel) == st:
            continue
        # Only regular files are read: opening a FIFO would block. Any name is checked.
        data = (root / rel).read_bytes()[: 1 << 24] if st[2] else b""
        out.append((f"file {for_terminal(rel)} written by keylatch", rel + "\n" + data.decode("latin-1")))
    return out


def pieces(key: str) -> list[str]:
    """16-character runs of `key`, every 4 characters: a report that holds any of them holds
    more of the key than a redacted form shows."""
    return [key[i : i + 16] for i in range(0, len(key) - 15, 4)]
