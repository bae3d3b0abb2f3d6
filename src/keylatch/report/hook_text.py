"""Hook messages: short, fit a terminal, say where, what kind, and what to do next. Redacted only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from keylatch.report.labels import expiry_text

TYPE_CHECKING = False  # keylatch.model (and hashlib) stay off a clean commit's import path
if TYPE_CHECKING:
    from keylatch.model import Finding

_RED = "\033[1;31m"
_YELLOW = "\033[33m"
_RESET = "\033[0m"
ROTATE_URL = "https://platform.openai.com/api-keys"


def _paint(text: str, code: str, colour: bool) -> str:
    return f"{code}{text}{_RESET}" if colour else text


def _shown(text: str) -> str:
    """A path or remote name as the terminal may show it (report/untrusted.py)."""
    from keylatch.report.untrusted import PATH_LIMIT, for_terminal

    return for_terminal(text, PATH_LIMIT)


def _kind(f: Finding) -> str:
    from keylatch.rules import rule_by_id

    try:
        return rule_by_id(f.rule_id).description.split(" (")[0]
    except KeyError:
        return f.rule_id


# A hook's message must fit a terminal; the full list is one `--format json` (or ci) away.
MAX_LINES = 20


def _lines(
    findings: Sequence[Finding],
    notes: Mapping[Finding, str],
    with_commit: bool,
    more: str = "keylatch staged --format json",
) -> list[str]:
    rows = []
    for f in findings[:MAX_LINES]:
        loc = f.location
        where = f"{_shown(loc.path)}:{loc.line}"
        if with_commit and loc.commit:
            where = f"{loc.commit[:12]} {where}"
        enc = " base64-encoded" if f.encoding else ""
        # With `verify = true` the verdict shows beside the key (`[live; already in HEAD]`).
        note = "; ".join(n for n in (f.verified.verdict.label if f.verified else "", notes.get(f, "")) if n)
        rows.append((where, f"{f.secret.redacted}{enc}{expiry_text(f.secret.expires)}", _kind(f), note))
    width = max(len(r[0]) for r in rows)
    out = [f"  {w.ljust(width)}  {s}  {k}" + (f"  [{n}]" if n else "") for w, s, k, n in rows]
    if len(findings) > MAX_LINES:
        out.append(f"  ... and {len(findings) - MAX_LINES} more ({more} lists all)")
    return out


def _count(n: int) -> str:
    return f"{n} OpenAI key" + ("" if n == 1 else "s")


def staged_block(findings: Sequence[Finding], committed: Mapping[tuple[str, str], str], *, colour: bool) -> str:
    """The message of a refused commit. `committed` maps (path, fingerprint) to HEAD/MERGE_HEAD."""
    notes = {}
    old_paths: list[str] = []
    for f in findings:
        ref = committed.get((f.location.path, f.fingerprint))
        if ref:
            notes[f] = f"already in {ref}"
            old_paths.append(f.location.path)
    new = [f for f in findings if f not in notes]
    head = _paint("keylatch: commit blocked:", _RED, colour)
    out = [f"{head} {_count(len(findings))} in staged files", *_lines(findings, notes, with_commit=False)]
    if new:
        first = _shown(new[0].location.path)
        out += [
            "next:",
            f"  - remove it and `git add` again, or unstage: git restore --staged {first}",
            "  - load the key from an environment variable (OPENAI_API_KEY) or a secret store",
            "  - if it was ever pushed or shared, revoke and rotate it:",
            f"    {ROTATE_URL}",
        ]
    if old_paths:
        out += [
            f"already committed ({', '.join(sorted(set(map(_shown, old_paths))))}): not added by this commit. Either",
            "  - accept it (revoked or a test key): keylatch baseline update --reason '...'",
            "    and commit .keylatch-baseline.json, or add a `keylatch:allow` comment on its line; or",
            "  - remove it, revoke and rotate it, and purge it from history if it was pushed:",
            f"    {ROTATE_URL}",
        ]
    return "\n".join(out) + "\n"


def push_block(findings: Sequence[Finding], remote: str, *, exact: bool = True, colour: bool) -> str:
    """The message of a refused push: the key is still only local, so say how to take it out.

    `exact` is False when the pushed refs were unknown and every unpushed local commit was checked.
    """
    head = _paint("keylatch: push blocked:", _RED, colour)
    remote = _shown(remote)
    commits = {f.location.commit for f in findings if f.location.commit}
    scope = [] if exact else [f"(refs of this push not visible: checked every local branch and tag not on {remote})"]
    n = len(commits)
    out = [
        f"{head} {_count(len(findings))} in {n} commit{'s' if n != 1 else ''} not yet on {remote}",
        *_lines(findings, {}, with_commit=True, more=f"keylatch history --range {remote}/<branch>..<branch>"),
        *scope,
        "next:",
        "  - rewrite those commits without it: git rebase -i <base> (git commit --amend for the last)",
        "  - load the key from an environment variable (OPENAI_API_KEY) or a secret store",
        "  - if it was ever pushed or shared, revoke and rotate it:",
        f"    {ROTATE_URL}",
        "  - revoked or a test key: keylatch baseline update (commit it) or a `keylatch:allow` comment",
    ]
    return "\n".join(out) + "\n"


def warning(findings: Sequence[Finding], what: str, *, colour: bool) -> str:
    head = _paint("keylatch: warning:", _YELLOW, colour)
    out = [f"{head} {_count(len(findings))} {what}"]
    out += _lines(findings, {}, with_commit=False)
    return "\n".join(out) + "\n"
