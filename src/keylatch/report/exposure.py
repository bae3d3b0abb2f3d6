"""How exposed each key in a history is: who committed it, for how long, and whether it was published.

Computed from a KeyFinding alone (no I/O), so every history format says the same thing:

- authors: the distinct people (by e-mail) whose commits introduced the key; two or more is a
  *shared key*, against OpenAI's advice of one key per person (production best practices).
- exposed: from its first commit until the commit that removed it, or until today while HEAD or
  any ref still holds it (or when that is not known: the longer answer).
- published: a remote-tracking ref (refs/remotes/...) reaches a commit that introduced it, so a
  remote has it; otherwise it is only local (still: anyone with this clone has it).

Every key has one, also a key in no commit (an annotated tag's message, a blob only a tag or
another ref reaches, a dangling blob): its authors are the taggers, its first date the earliest
tag's (unknown, `days` None, for a blob no tag dates), and its refs those that reach it.

`urgency` orders keys for the text report: live admin keys, live published keys, live local
keys, then unknown (or unchecked), then revoked.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from keylatch.history.model import KeyFinding
from keylatch.model import Finding, KeyCheck, Verdict
from keylatch.report.text import summary_line
from keylatch.report.untrusted import for_data, for_terminal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.report.notice import Notice

_REMOTE = "refs/remotes/"


@dataclass(frozen=True, slots=True)
class Exposure:
    authors: tuple[str, ...]  # "Name <email>", first introducer first
    first: str  # author date of the first commit that has it (ISO 8601)
    last_seen: str  # the newest commit known to hold it
    removed: str  # ISO date of the commit that removed it; "" while present
    removed_sha: str
    days: int | None  # None: when it was first written is not known (a blob in no commit)
    in_head: bool
    published: bool
    refs: tuple[str, ...]

    @property
    def shared(self) -> bool:
        return len(self.authors) > 1


def _when(iso: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def expose(k: KeyFinding, now: dt.datetime) -> Exposure:
    authors: dict[str, str] = {}
    people = [(k.introduced.author_name, k.introduced.author_email)]
    people += [(o.author_name, o.author_email) for o in k.locations]
    for name, email in people:
        if name or email:
            authors.setdefault((email or name).lower(), f"{name} <{email}>" if email else name)
    first = _when(k.introduced.date)
    removed = k.removed.date if k.removed else ""
    end = _when(removed) if removed else now
    days = max(0, (end - first).days) if first and end else None if not first else 0
    return Exposure(
        authors=tuple(authors.values()),
        first=k.introduced.date,
        last_seen=k.last_seen.date,
        removed=removed,
        removed_sha=k.removed.sha if k.removed else "",
        days=days,
        in_head=k.in_head,
        published=any(r.startswith(_REMOTE) for r in k.refs),
        refs=k.refs,
    )


class _Ruled(Protocol):
    @property
    def rule_id(self) -> str: ...


def urgency(k: _Ruled, e: Exposure | None, check: KeyCheck | None) -> tuple[int, int]:
    """Sort key, most urgent first (keys never checked count as unknown)."""
    verdict = check.verdict if check else Verdict.UNKNOWN
    published = e is not None and e.published
    if verdict.live:
        group = 0 if k.rule_id == "openai-admin-key" else 1 if published else 2
    else:
        group = 4 if verdict is Verdict.REVOKED else 3
    return group, 0 if published else 1


def by_urgency(
    findings: tuple[KeyFinding, ...], verdicts: Mapping[str, KeyCheck], ex: Mapping[str, Exposure]
) -> list[KeyFinding]:
    """Stable: the walk's order (oldest first) within one level of urgency."""
    return sorted(findings, key=lambda k: urgency(k, ex.get(k.fingerprint), verdicts.get(k.fingerprint)))


def text_lines(e: Exposure) -> list[str]:
    # Author names and ref names are the repository's text (report/untrusted.py).
    who = ", ".join(map(for_terminal, e.authors)) or "(unknown)"
    if e.shared:
        who += f": shared key ({len(e.authors)} people committed it; OpenAI advises one key per person)"
    if e.removed:
        span = f"until it was removed in {e.removed_sha[:12]} ({e.removed[:10]})"
    else:
        span = "and still present" if e.in_head else "and still in a ref (or removal unknown)"
    where = (
        f"published: {', '.join(for_terminal(r) for r in e.refs if r.startswith(_REMOTE))}"
        if e.published
        else "local only: no remote-tracking ref reaches it"
    )
    since = f"exposed {e.days} days: since {e.first[:10]}" if e.days is not None else "exposed since an unknown date"
    return [f"  committed by {who}", f"  {since} {span}; {where}"]


def as_dict(e: Exposure) -> dict[str, Any]:
    return {
        "authors": [for_data(a) for a in e.authors],
        "shared": e.shared,
        "first_commit": e.first or None,
        "last_seen": e.last_seen or None,
        "removed": {"sha": e.removed_sha, "date": e.removed} if e.removed else None,
        "days_exposed": e.days,
        "in_head": e.in_head,
        "published": e.published,
        "refs": [for_data(r) for r in e.refs],
    }


def exposures(findings: tuple[KeyFinding, ...], now: dt.datetime) -> Mapping[str, Exposure]:
    """Every key's, a key in no commit's too (one format, whatever the place)."""
    return {k.fingerprint: expose(k, now) for k in findings}


# `keylatch ci` reports one Finding per place (as scan does) and adds each key's exposure: text
# groups a key's places and ranks keys by urgency, JSON adds `exposure` to each finding, SARIF
# to each result's properties (and a few words to its message).


def render_places(
    fmt: str,
    findings: Sequence[Finding],
    ex: Mapping[str, Exposure],
    *,
    colour: bool = False,
    reveal: bool = False,
    notices: Sequence[Notice] = (),
    skipped: int = 0,
    line_of: Callable[[Finding], bytes | None] | None = None,
) -> str:
    """report.render with each key's exposure (`ex`: fingerprint -> Exposure)."""
    from keylatch.report import render

    if fmt == "text":
        return _places_text(findings, ex, colour=colour, reveal=reveal)
    out = render(fmt, findings, colour=colour, reveal=reveal, notices=notices, skipped=skipped, line_of=line_of)
    if fmt == "json":
        doc = json.loads(out)
        # json_report renders findings in the given order, one dict per finding.
        for d, f in zip(doc["findings"], findings, strict=True):
            e = ex.get(f.fingerprint)
            d["exposure"] = as_dict(e) if e else None
        return json.dumps(doc, indent=2) + "\n"
    if fmt == "sarif":
        from keylatch.report.sarif import FINGERPRINT

        doc = json.loads(out)
        for result in doc["runs"][0]["results"]:
            e = ex.get(result["partialFingerprints"][FINGERPRINT])
            if e is not None:
                result["properties"]["exposure"] = as_dict(e)
                result["message"]["text"] += f". {_brief(e)}"
        return json.dumps(doc, indent=2) + "\n"
    return out


def _brief(e: Exposure) -> str:
    where = "published" if e.published else "local only"
    shared = f"; shared key ({len(e.authors)} people committed it)" if e.shared else ""
    days = f"Exposed {e.days} days" if e.days is not None else "Exposed since an unknown date"
    return f"{days}, {where}, {'in' if e.in_head else 'not in'} HEAD{shared}"


def _places_text(findings: Sequence[Finding], ex: Mapping[str, Exposure], *, colour: bool, reveal: bool) -> str:
    from keylatch.report import text

    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.fingerprint, []).append(f)
    ranked = sorted(groups.values(), key=lambda g: urgency(g[0], ex.get(g[0].fingerprint), g[0].verified))
    lines = []
    for group in ranked:
        # One line per place as `keylatch scan` prints it (its last line is the summary).
        lines += text.render(group, colour=colour, reveal=reveal).splitlines()[:-1]
        e = ex.get(group[0].fingerprint)
        if e is not None:
            refs = ", ".join(map(for_terminal, e.refs)) or "(none)"
            lines += [f"  in HEAD: {'yes' if e.in_head else 'no'}; refs: {refs}", *text_lines(e)]
    lines.append(summary_line(findings))  # the same count as every other report's
    return "\n".join(lines) + "\n"
