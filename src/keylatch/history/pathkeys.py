"""Keys written in paths: a file or directory name is pushed with the content, so a key there leaks.

    found = keys_in_paths([("config/sk-proj-.../x", None), ("a.txt", "1a2b...")], rules)
    # Finding at Location("config/sk-proj-...", line=0, column=8, commit=None): line 0 is "in the path"

Every command gives its new paths here (scan: the walk's long names and archive members; staged:
added and renamed paths; history, ci, pre-push: the paths each commit introduced). The paths go
to the engine as documents of one path a line, a document per up to `_BATCH` bytes of paths, not
a call per path (git/git's history adds ~400k paths: a call each cost seconds). So the same rules,
decoders and Azure evidence apply as in text: a 32-hex Azure key in a name needs owner evidence
in the names near it, and git's object-id and hash file names never alarm.

A finding is placed at the path cut after the name that holds the key (`config/<key>` for a
directory named by a key, reported once however many files are below it), line 0 (the key is in
no line of a file: reports say "in the path", docs/reports.md), column its first character in
the path (1-based). History sits above the engine and below every command, so all share this.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence

from keylatch.engine import scan_chunk
from keylatch.model import Chunk, Finding, Location
from keylatch.rules import DEFAULT_RULES, Rule

# Bytes of paths per engine call: large enough that the call's set-up is noise, small enough
# that memory does not follow the size of a tree or a history.
_BATCH = 1 << 20
# Line breaks inside a name (git and POSIX allow them) become spaces in the document, the same
# length, so offsets still map to the path and a name cannot split into two lines.
_BREAKS = bytes.maketrans(b"\n\r", b"  ")
# Where a name ends in a displayed path: a directory separator, or an archive's `!member`.
_ENDS = ("/", "!")


def keys_in_paths(places: Iterable[tuple[str, str | None]], rules: Sequence[Rule] = DEFAULT_RULES) -> list[Finding]:
    """Findings for the keys written in `places` ((path, commit or None)), once per key and
    cut path and commit, in the order found."""
    seen: set[tuple[str, str | None, str, str]] = set()
    out: list[Finding] = []
    for f in _scan(places, rules):
        k = (f.location.path, f.location.commit, f.rule_id, f.fingerprint)
        if k not in seen:
            seen.add(k)
            out.append(f)
    return out


def _scan(places: Iterable[tuple[str, str | None]], rules: Sequence[Rule]) -> Iterator[Finding]:
    batch: list[tuple[str, str | None]] = []
    size = 0
    for place in places:
        batch.append(place)
        size += len(place[0]) + 1
        if size >= _BATCH:
            yield from _batch(batch, rules)
            batch, size = [], 0
    if batch:
        yield from _batch(batch, rules)


def _batch(places: list[tuple[str, str | None]], rules: Sequence[Rule]) -> Iterator[Finding]:
    encoded = [p.encode("utf-8", "surrogateescape").translate(_BREAKS) for p, _ in places]
    starts = []
    at = 0
    for e in encoded:
        starts.append(at)
        at += len(e) + 1
    for f in scan_chunk(Chunk(b"\n".join(encoded), ""), rules):
        i = bisect.bisect_right(starts, f.span[0]) - 1
        path, commit = places[i]
        raw = encoded[i]
        offset = f.span[0] - starts[i]
        column = len(raw[:offset].decode("utf-8", "surrogateescape")) + 1
        # No key (nor a name) holds `/`; no key holds `!`: the name ends at the first after it.
        cut = min((j for j in (path.find(c, column - 1) for c in _ENDS) if j >= 0), default=len(path))
        yield f.replace(location=Location(path[:cut], 0, column, commit), span=(offset, offset + len(f.secret.value)))
