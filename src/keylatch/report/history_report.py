"""History findings as text or JSON: same redaction rules and JSON conventions as `keylatch scan`.

Full keys appear only when the cli passes reveal=True (`--show-secrets`). Summaries, paths, ref
and author names come from the repository: they are shown through report.untrusted, redacted
even with --show-secrets (which reveals the reported keys, not whatever else a string holds).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from keylatch import __version__
from keylatch.history.model import CommitInfo, HistoryResult, KeyFinding, UnreadBlob
from keylatch.model import KeyCheck
from keylatch.report.exposure import as_dict, by_urgency, expose, exposures
from keylatch.report.exposure import text_lines as exposure_lines
from keylatch.report.json_report import verification_dict
from keylatch.report.labels import (
    IN_PATH,
    counted,
    encoding_label,
    expiry_iso,
    expiry_text,
    in_path,
    no_file_place,
    path_shown,
)
from keylatch.report.notice import Notice, unread
from keylatch.report.text import verdict_text
from keylatch.report.untrusted import PATH_LIMIT, for_data, for_terminal
from keylatch.rules import rule_by_id

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.policy import SetAside

# 2: `encoding` moved from the key to each of its `locations` (one key can be plain in one place
# and encoded in another); locations gained `ref` (a key reached by a tag, in no commit).
SCHEMA_VERSION = 2
Verdicts = Mapping[str, KeyCheck]
_NONE: Verdicts = MappingProxyType({})


def summary(result: HistoryResult) -> str:
    n = len(result.findings)
    places = sum(len(k.locations) for k in result.findings)
    if n == 0:
        keys = "no keys"
    elif places == n:
        keys = counted(n, "key")
    else:  # distinct keys, and the places commits put them
        keys = f"{counted(n, 'distinct key')} at {places} places,"
    parts = [
        f"keylatch: {keys} found in history; {result.commits} commits,",
        f"{result.blobs} blobs ({result.bytes / 1e6:.1f} MB) scanned",
    ]
    if result.cached_blobs:
        parts.append(f"+ {result.cached_blobs} cached clean")
    parts.append(f"in {result.seconds:.1f}s")
    return " ".join(parts) + "".join(f"; {note}" for note in notes(result))


def notes(result: HistoryResult) -> list[str]:
    """What was not scanned, in words: a report that omits these would overstate coverage."""
    out = []
    if result.shallow_boundary:
        out.append(f"shallow clone: history before {', '.join(s[:12] for s in result.shallow_boundary)} is missing")
    if result.missing_blobs:
        out.append(f"partial clone: {result.missing_blobs} blobs not present locally, not scanned")
    if result.gitlinks and result.submodules:
        out.append(
            f"{result.gitlinks} submodule commits recorded; checked-out submodules scanned as repositories of their "
            f"own ({', '.join(map(for_terminal, result.submodules))}), others not scanned"
        )
    elif result.gitlinks:
        out.append(f"{result.gitlinks} submodule commits skipped (use --recurse-submodules for checked-out ones)")
    if result.lfs_pointers:
        out.append(f"{result.lfs_pointers} LFS pointer files: their content lives on the LFS server, not scanned")
    if result.unreachable_keys:
        n = result.unreachable_keys
        out.append(
            f"{counted(n, 'more key')} only in objects no ref reaches (a reset, rebase or dropped stash; the "
            f"reflog), not reported: --include-unreachable shows {'it' if n == 1 else 'them'}"
        )
    if result.unread:
        n = len(result.unread)
        out.append(f"{counted(n, 'archive blob')} could not be read whole (exit 3)")
    if result.damaged:  # damage.py: every other object was scanned
        n = len(result.damaged)
        out.append(
            f"INCOMPLETE: the repository is damaged, {counted(n, 'object')} its commits need "
            f"{'is' if n == 1 else 'are'} missing or unreadable and not scanned (exit 3)"
        )
    return out


def unread_notices(blobs: Sequence[UnreadBlob]) -> tuple[Notice, ...]:
    """A `not-scanned` notice (level error) per archive blob not read whole, at most
    notice.UNREAD_SHOWN, then one counting the rest: text prints them on stderr, the other
    formats carry them as every command's notices."""
    return unread([(u.path, u.message) for u in blobs])


def not_read_notices(result: HistoryResult) -> tuple[Notice, ...]:
    """unread_notices for the archive blobs not read whole and the objects a damaged repository
    lacks (each named once, with the first paths that need it), bounded as every command's."""
    entries = [(u.path, u.message) for u in result.unread]
    entries += [(d.places[0][0] if d.places else "", d.message) for d in result.damaged]
    # The commit that needs each (JSON `commit`), where the walk knows one.
    commits = [u.commit for u in result.unread] + [d.places[0][1] if d.places else "" for d in result.damaged]
    return unread(entries, commits=commits)


def _commit_text(c: CommitInfo) -> str:
    t = for_terminal
    if not c.sha:
        return t(c.summary)
    return f"{c.sha[:12]} {t(c.date)} {t(c.author_name)} <{t(c.author_email)}>: {t(c.summary)}"


def render_text(
    result: HistoryResult, *, reveal: bool = False, verdicts: Verdicts = _NONE, now: dt.datetime | None = None
) -> str:
    lines = []
    ex = exposures(result.findings, now or dt.datetime.now(dt.timezone.utc))
    # Most urgent first: live admin keys, live published, live local, unknown, revoked.
    for k in by_urgency(result.findings, verdicts, ex):
        secret = k.secret.value if reveal else k.secret.redacted
        checked = verdict_text(verdicts.get(k.fingerprint))
        expiry = expiry_text(k.secret.expires)
        lines.append(f"{k.severity.value} {k.rule_id} {secret} sha256:{k.fingerprint[:12]}{expiry}{checked}")
        boundary = " (shallow boundary: may be older)" if k.at_shallow_boundary else ""
        lines.append(f"  introduced {_commit_text(k.introduced)}{boundary}")
        for o in k.locations:
            enc = f" ({encoding_label(o.encoding)})" if o.encoding else ""
            enc += f" ({IN_PATH})" if in_path(o.line) else ""
            if o.path:
                shown = path_shown(o.path, o.line, k.secret.value, k.secret.redacted)
                where = f"{for_terminal(shown, PATH_LIMIT)}:{o.line}:{o.column}"
                if o.ref and not o.commit:  # in a tree only a ref reaches (labels.in_tree_of)
                    where = f"{for_terminal(o.ref)}:{where}"
            else:
                where = f"{for_terminal(no_file_place(o.commit, o.blob, o.ref, o.tag))} line {o.line}:{o.column}"
            author = for_terminal(o.author_name)
            if o.commit:
                by = f" {o.commit[:12]} {author}"
            elif o.tag:  # a tag's message (history/tags.py): the tagger
                by = f" {author}" if author else ""
            else:
                by = f" (blob {o.blob[:12]}, in no commit)" if o.path else ""
            lines.append(f"  at {where}{enc}{by}")
        if k.last_seen.sha:
            lines.append(f"  last seen {_commit_text(k.last_seen)}")
        refs = ", ".join(map(for_terminal, k.refs)) or "(none)"
        lines.append(f"  in HEAD: {'yes' if k.in_head else 'no'}; refs: {refs}")
        if k.fingerprint in ex:
            lines += exposure_lines(ex[k.fingerprint])
    lines.append(summary(result))
    return "\n".join(lines) + "\n"


def _commit_dict(c: CommitInfo) -> dict[str, str] | None:
    if not c.sha:
        return None
    return {
        "sha": c.sha,
        "author_name": for_data(c.author_name),
        "author_email": for_data(c.author_email),
        "date": for_data(c.date),
        "summary": for_data(c.summary),
    }


def finding_dict(
    k: KeyFinding, reveal: bool = False, verdicts: Verdicts = _NONE, now: dt.datetime | None = None
) -> dict[str, Any]:
    exposure = expose(k, now or dt.datetime.now(dt.timezone.utc))  # every key's, in a commit or not
    return {
        "rule_id": k.rule_id,
        "description": rule_by_id(k.rule_id).description,
        "severity": k.severity.value,
        "secret": k.secret.value if reveal else k.secret.redacted,
        "fingerprint": k.fingerprint,
        "introduced": _commit_dict(k.introduced),
        "last_seen": _commit_dict(k.last_seen),
        "locations": [
            {
                "commit": o.commit or None,
                "path": for_data(path_shown(o.path, o.line, k.secret.value, k.secret.redacted), PATH_LIMIT) or None,
                "line": o.line,
                "column": o.column,
                "author_name": for_data(o.author_name) or None,
                "author_email": for_data(o.author_email) or None,
                "blob": o.blob,
                "encoding": o.encoding or None,
                "ref": for_data(o.ref) or None,
                "tag": for_data(o.tag) or None,
                **({"in": "path"} if in_path(o.line) else {}),  # additive: a key in a file or directory name
            }
            for o in k.locations
        ],
        "in_head": k.in_head,
        "refs": [for_data(r) for r in k.refs],
        "at_shallow_boundary": k.at_shallow_boundary,
        "verification": verification_dict(verdicts.get(k.fingerprint)),
        "exposure": as_dict(exposure),
        "expires": expiry_iso(k.secret.expires),  # additive: null unless the key says when it expires
    }


def render_json(
    result: HistoryResult, *, reveal: bool = False, verdicts: Verdicts = _NONE, set_aside: SetAside | None = None
) -> str:
    now = dt.datetime.now(dt.timezone.utc)
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "keylatch", "version": __version__},
        "findings": [finding_dict(k, reveal, verdicts, now) for k in result.findings],
        "stats": {
            "commits": result.commits,
            "blobs": result.blobs,
            "bytes": result.bytes,
            "seconds": round(result.seconds, 3),
            "cached_blobs": result.cached_blobs,
            "missing_blobs": result.missing_blobs,
            "gitlinks": result.gitlinks,
            "lfs_pointers": result.lfs_pointers,
            "shallow_boundary": list(result.shallow_boundary),
            "unreachable_included": result.unreachable_included,
            "complete": result.complete,
            "unread_blobs": len(result.unread),  # additive: archive blobs not read whole (exit 3)
            "damaged_objects": len(result.damaged),  # additive: lost or unreadable objects (exit 3)
        },
        "notes": notes(result),
    }
    if result.failed:  # the same `notices` as scan's and ci's JSON (report/notice.py)
        doc["notices"] = [n.as_dict() for n in not_read_notices(result)]
    if set_aside:  # additive: what the settings kept out of `findings`, as scan's JSON says it
        from keylatch.report import set_aside as said

        doc["notices"] = [*doc.get("notices", []), *(n.as_dict() for n in said.notices(set_aside))]
        doc["set_aside"] = said.as_dict(set_aside)
    if result.damaged:  # additive: each lost object once, with the places that need it
        doc["damaged"] = [
            {
                "object": d.oid,
                "kind": d.kind,
                "needed_by": [{"path": for_data(p, PATH_LIMIT), "commit": c} for p, c in d.places],
                "places": d.needed,
                **({"refs": [for_data(r) for r in d.refs]} if d.refs else {}),  # additive: refs naming it
            }
            for d in result.damaged
        ]
    return json.dumps(doc, indent=2) + "\n"


def render(
    fmt: str, result: HistoryResult, *, reveal: bool = False, verdicts: Verdicts = _NONE,
    set_aside: SetAside | None = None,
) -> str:  # fmt: skip
    """`verdicts` (fingerprint -> KeyCheck) come from --verify; keys without one were not checked.
    `set_aside`: JSON's `set_aside` counts (the text report's caller says it on stderr)."""
    if fmt == "json":
        return render_json(result, reveal=reveal, verdicts=verdicts, set_aside=set_aside)
    return render_text(result, reveal=reveal, verdicts=verdicts)
