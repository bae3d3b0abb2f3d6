"""`keylatch remediate REPORT.json`: what to do about each key, most urgent first.

Per key: revoke it (the `keylatch revoke` or `az` command), replace it in code (the environment
variable the OpenAI and Azure SDKs read), purge it from history (`git filter-repo
--replace-text`, with the caveats that no rewrite reaches), and a short incident note to paste.
Nothing is changed and nothing is sent anywhere. The replacements file for filter-repo holds the
keys themselves, so it is written only when asked (`--write-replacements FILE`), with mode 0600,
never over an existing file, and with a warning.

`--replace-text` rewrites file contents only. A key is also stored in commit and tag messages and
in path names (keylatch reports all three), so the printed command adds `--replace-message` (the
same file: filter-repo reads one format for both) and, when a key is in a path, a
`--filename-callback` that applies the same file to every path: following the plan must leave no
copy of a key that the report names.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from keylatch.errors import ExitCode, ScanError, UsageError
from keylatch.report.notice import Notice, text_lines

HELP = "print a remediation plan for the keys in a keylatch JSON report: revoke, replace, purge, incident note"

# What the SDKs read when no key is passed in code (openai-python, Azure OpenAI quickstarts).
ENV_VAR = {
    "openai-project-key": "OPENAI_API_KEY",
    "openai-service-account-key": "OPENAI_API_KEY",
    "openai-user-key": "OPENAI_API_KEY",
    "openai-admin-key": "OPENAI_ADMIN_KEY",
    "azure-openai-key": "AZURE_OPENAI_API_KEY",
    "azure-openai-classic-key": "AZURE_OPENAI_API_KEY",
    "openai-webhook-secret": "OPENAI_WEBHOOK_SECRET",
}
REPLACEMENT = "***REMOVED-BY-KEYLATCH***"
CAVEATS = (
    "Rewriting history does not make a leaked key safe: revoke it first. A rewrite does not reach:",
    "  - forks and existing clones (every collaborator must re-clone; old clones still hold the key),",
    "  - pull-request refs (refs/pull/*, merge request refs) and cached views on the hosting service:",
    "    GitHub and GitLab remove those only through their support,",
    "  - CI caches and artifacts, package builds, container images, backups, search engines and mirrors.",
    "Coordinate first: after `git filter-repo` every branch must be force-pushed and every clone replaced.",
)


class Args(argparse.Namespace):
    report: Path
    write_replacements: Path | None
    repo: Path


@dataclass(frozen=True, slots=True)
class Item:
    rule_id: str
    fingerprint: str
    redacted: str
    places: tuple[str, ...]
    value: str | None = field(default=None, repr=False)
    verdict: str = ""  # "" when not verified
    reason: str = ""
    authors: tuple[str, ...] = ()
    first: str = ""
    days: int | None = None
    published: bool | None = None
    shared: bool = False
    in_path: bool = False  # a place is in a file or directory name, which --replace-text never rewrites


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report", type=Path, metavar="REPORT.json", help="keylatch scan|ci|history --format json")
    parser.add_argument(
        "--write-replacements", type=Path, metavar="FILE",
        help="write the git filter-repo --replace-text file (mode 0600; it holds the keys themselves)",
    )  # fmt: skip
    parser.add_argument(
        "--repo", type=Path, default=Path("."), metavar="DIR",
        help="with --write-replacements: the repository whose history holds the keys (default: .)",
    )  # fmt: skip


def run(args: Args) -> ExitCode:
    items = sorted(load(args.report), key=_urgency)
    unread = list(not_scanned(args.report))
    out = sys.stdout
    print(f"keylatch remediate: {len(items)} key(s) in {_arg(args.report)}, most urgent first", file=out)
    for n, item in enumerate(items, 1):
        _plan(n, item, args.report, out)
    unread += _purge(items, args, out)
    print("\nIncident note (paste it where your team tracks incidents):\n", file=out)
    print(incident_note(items), file=out)
    if unread:
        # As scan: the plan covers every key that was found; what could not be read is named, exit 3.
        sys.stderr.write(text_lines(unread))
        print("keylatch remediate: the plan covers only the keys in what could be read (exit 3)", file=sys.stderr)
        return ExitCode.SCAN_FAILED
    return ExitCode.CLEAN


def not_scanned(path: Path) -> Iterator[Notice]:
    """The report's own `not-scanned` notices (scan, ci, history --format json), as this run's errors:
    a plan made from an incomplete scan must not look complete."""
    from keylatch.report.notice import NOT_SCANNED, safe

    doc = json.loads(path.read_text(encoding="utf-8"))  # load() has read it as a report already
    notices = doc.get("notices") if isinstance(doc, dict) else None
    for n in notices if isinstance(notices, list) else ():
        if isinstance(n, dict) and n.get("kind") == NOT_SCANNED:
            where = f"{n.get('path')}: " if n.get("path") else ""
            message = safe(f"{path}: the report's scan did not read {where}{n.get('message', '')}")
            yield Notice(NOT_SCANNED, "error", message)


def _urgency(i: Item) -> tuple[int, int]:
    """As `keylatch history` orders keys: live admin, live published, live local, unknown, revoked."""
    if i.verdict.startswith("live"):
        group = 0 if i.rule_id == "openai-admin-key" else 1 if i.published else 2
    else:
        group = 4 if i.verdict == "revoked" else 3
    return group, 0 if i.published else 1


def _plan(n: int, i: Item, report: Path, out: Any) -> None:
    facts = [f"[{i.verdict}]" if i.verdict else "[not verified]"]
    if i.published is not None:
        facts.append("published" if i.published else "local only")
    if i.shared:
        facts.append(f"shared key ({len(i.authors)} people)")
    if i.days is not None:
        facts.append(f"exposed {i.days} days")
    print(f"\n{n}. {i.redacted}  {i.rule_id}  sha256:{_short(i.fingerprint)}  {'; '.join(facts)}", file=out)
    for place in i.places[:5]:
        print(f"   at {place}", file=out)
    if len(i.places) > 5:
        print(f"   ... and {len(i.places) - 5} more places", file=out)
    print(f"   1) revoke:  {_revoke_step(i, report)}", file=out)
    var = ENV_VAR.get(i.rule_id)
    if var:
        print(f"   2) replace: read it from the environment ({var}; the SDK reads it when no key is passed),",
              file=out)  # fmt: skip
        print("      and keep the value in a secret store, not in the repository", file=out)
    else:
        print("   2) replace: do not store this secret in code at all", file=out)
    print("   3) purge:   from history with git filter-repo (below), after revoking", file=out)


def _arg(value: Path | str) -> str:
    """A path (or argument) in a command the plan prints for copy and paste: shell-quoted, so a
    space or `;` in it stays one argument, and escaped, so a control character in a file name
    cannot steer the terminal."""
    from keylatch.report.untrusted import escape

    return escape(shlex.quote(str(value)))


def _short(fingerprint: str) -> str:
    """A fingerprint's first 12 characters for a terminal: the report's text, escaped."""
    from keylatch.report.untrusted import escape

    return escape(fingerprint[:12])


def _revoke_step(i: Item, report: Path) -> str:
    if i.rule_id in ("openai-project-key", "openai-service-account-key", "openai-user-key", "openai-admin-key"):
        return f"OPENAI_ADMIN_KEY=... keylatch revoke --yes {_arg(report)}   (a dry run without --yes)"
    if i.rule_id.startswith("azure-"):
        return (
            "az cognitiveservices account keys regenerate --name <resource> --resource-group <resource-group> "
            "--key-name key1|key2   (`keylatch revoke` names the resource when the endpoint is next to the key)"
        )
    return "rotate it where it was issued (webhook secrets: the webhook's settings; session keys: sign out everywhere)"


def _purge(items: Sequence[Item], args: Args, out: Any) -> tuple[Notice, ...]:
    """Print the purge steps (writing the replacements file when asked); the archive blobs of
    the repository that could not be read while finding the keys again."""
    print("\nPurge from history (after every key above is revoked):\n", file=out)
    target = args.write_replacements or Path("replacements.txt")
    unread: tuple[Notice, ...] = ()
    if args.write_replacements is None:
        hint = f"keylatch remediate {_arg(args.report)} --write-replacements {_arg(target)}"
        print(f"  {hint}   # mode 0600: holds the keys", file=out)
    else:
        n, unread = write_replacements(items, args.write_replacements, args.repo)
        print(f"  wrote {_arg(target)} ({n} key(s), mode 0600)", file=out)
    print(f"  {filter_repo_command(target, paths=any(i.in_path for i in items))}   # filter-repo 2.47+", file=out)
    print("  git push --force --all origin && git push --force --tags origin", file=out)
    print(f"  shred -u {_arg(target)}   # or delete it: it holds the keys", file=out)
    print("", file=out)
    for line in CAVEATS:
        print(f"  {line}", file=out)
    return unread


def filter_repo_command(target: Path, *, paths: bool) -> str:
    """The `git filter-repo` command that removes every key of `target` from file contents, commit
    and tag messages, and (with `paths`) file and directory names.

    filter-repo has no option that applies an expressions file to paths, so the callback reads
    the file itself (by absolute path: filter-repo runs at the repository's top level) and the
    keys never appear on the command line."""
    quoted = _arg(target)
    command = f"git filter-repo --sensitive-data-removal --replace-text {quoted} --replace-message {quoted}"
    if not paths:
        return command
    # Double quotes inside, so the shell's single quotes wrap it plainly; json.dumps spells the
    # path as a Python string literal too.
    callback = (
        'return __import__("functools").reduce(lambda name, pair: name.replace(*pair), '
        f'[line.split(b"==>", 1) for line in __import__("pathlib").Path({json.dumps(os.path.abspath(target))})'
        ".read_bytes().splitlines() "
        'if b"==>" in line], filename)'
    )
    return f"{command} --filename-callback {_arg(callback)}"


def write_replacements(items: Sequence[Item], path: Path, repo: Path) -> tuple[int, tuple[Notice, ...]]:
    """Write `key==>REPLACEMENT` lines (git filter-repo --replace-text) with mode 0600; the
    number written, and the archive blobs that could not be read while finding keys again."""
    values = {i.fingerprint: i.value for i in items if i.value}
    missing = {i.fingerprint for i in items} - set(values)
    unread: tuple[Notice, ...] = ()
    if missing:
        recovered, unread = _recover(missing, repo)
        values.update(recovered)
    missing -= set(values)
    if missing and unread:
        # They may be in the blobs that could not be read: say so, not "wrong repository".
        sys.stderr.write(text_lines(unread))
        raise ScanError(
            f"{len(missing)} key(s) of the report were not found again in {repo}'s history, and "
            f"{len(unread)} entr{'ies' if len(unread) != 1 else 'y'} of it could not be read; nothing written"
        )
    if missing:
        example = _short(sorted(missing)[0])
        raise UsageError(
            f"{len(missing)} key(s) of the report are not in {repo}'s history (e.g. sha256:{example}); "
            "run remediate in the repository the report came from, or give --repo"
        )
    lines = "".join(f"{v}==>{REPLACEMENT}\n" for v in sorted(values.values()))
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"{path} exists: not overwriting a file that may hold keys; pick another name") from None
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(lines)
    print(f"keylatch: warning: {path} holds {len(values)} full key(s): keep it out of every repository and "
          "delete it after git filter-repo", file=sys.stderr)  # fmt: skip
    return len(values), unread


def _recover(fingerprints: set[str], repo: Path) -> tuple[Mapping[str, str], tuple[Notice, ...]]:
    """The keys with these fingerprints, found again in `repo`'s history (never printed), and
    what the walk could not read (it goes on past them): archive blobs not read whole, objects
    a damaged repository lacks (history/damage.py), as `not-scanned` notices."""
    from keylatch.history import scan_history
    from keylatch.report.history_report import not_read_notices
    from keylatch.sources import gitdir

    gitdir.check(str(repo))  # before any git process: a FIFO in .git would hang it
    result = scan_history(repo, report_unread=True, report_damage=True)
    found = {k.fingerprint: k.secret.value for k in result.findings if k.fingerprint in fingerprints}
    return found, not_read_notices(result)


def incident_note(items: Sequence[Item]) -> str:
    live = sum(i.verdict.startswith("live") for i in items)
    lines = [f"Secret exposure: {len(items)} OpenAI/Azure credential(s) found committed to the repository by keylatch."]
    if any(i.verdict for i in items):
        lines.append(f"Verified: {live} live, {sum(i.verdict == 'revoked' for i in items)} revoked or never valid, "
                     f"{sum(i.verdict not in ('', 'revoked') and not i.verdict.startswith('live') for i in items)} "
                     "other or unknown.")  # fmt: skip
    for i in items:
        parts = [f"- {i.redacted} ({i.rule_id}, sha256:{_short(i.fingerprint)})"]
        if i.first:
            parts.append(f"first committed {i.first[:10]}")
        if i.authors:
            parts.append(f"by {', '.join(i.authors)}")
        if i.days is not None:
            parts.append(f"exposed {i.days} days")
        if i.published is not None:
            parts.append("published to a remote" if i.published else "local only")
        if i.verdict:
            parts.append(f"verdict: {i.verdict}")
        lines.append("; ".join(parts))
    lines += [
        "Actions: [ ] revoke/rotate each key  [ ] replace with environment variables  "
        "[ ] purge history (git filter-repo) and force-push  [ ] check usage logs for the exposure window",
    ]
    return "\n".join(lines)


def load(path: Path) -> list[Item]:
    """Items of a keylatch JSON report (scan, ci or history), one per key.

    A report is anyone's file: every field an item shows (rule id, places, authors, dates,
    verdicts) is made safe for a terminal here (report.untrusted.for_terminal), and its `secret`
    is the key only when it hashes to its fingerprint, else a redacted form (revoke.report_secret)."""
    from keylatch.commands.revoke import _where, from_report, report_secret
    from keylatch.report.untrusted import PATH_LIMIT, for_terminal

    from_report(path)  # the same validation as `keylatch revoke`
    doc = json.loads(path.read_text(encoding="utf-8"))
    items: dict[str, Item] = {}
    places: dict[str, list[str]] = {}
    in_path: set[str] = set()
    for f in doc["findings"]:
        fp, rule = str(f["fingerprint"]), for_terminal(str(f.get("rule_id", "")))
        value, redacted = report_secret(f.get("secret", ""), fp)
        locs = f.get("locations")
        here = [_place(o) for o in locs if isinstance(o, dict)] if isinstance(locs, list) else [_where(f)]
        places.setdefault(fp, []).extend(for_terminal(p, limit=PATH_LIMIT) for p in here)
        rows = [o for o in locs if isinstance(o, dict)] if isinstance(locs, list) else [f]
        if any(o.get("in") == "path" for o in rows):
            in_path.add(fp)
        if fp in items:
            continue
        check = f.get("verification") if isinstance(f.get("verification"), dict) else {}
        exposure = f.get("exposure") if isinstance(f.get("exposure"), dict) else {}
        authors = exposure.get("authors")
        items[fp] = Item(
            rule_id=rule,
            fingerprint=fp,
            redacted=for_terminal(redacted),
            places=(),
            value=value,
            verdict=for_terminal(str(check.get("verdict") or "")),
            reason=for_terminal(str(check.get("reason") or "")),
            authors=tuple(for_terminal(str(a)) for a in (authors if isinstance(authors, list) else ())),
            first=for_terminal(str(exposure.get("first_commit") or "")),
            days=exposure.get("days_exposed") if isinstance(exposure.get("days_exposed"), int) else None,
            published=exposure.get("published") if isinstance(exposure.get("published"), bool) else None,
            shared=bool(exposure.get("shared")),
        )
    return [
        replace(i, places=tuple(dict.fromkeys(places[i.fingerprint])), in_path=i.fingerprint in in_path)
        for i in items.values()
    ]


def _place(o: Mapping[str, Any]) -> str:
    """A history report's location as the text report names it: a path, a commit's message, a
    tag's message (JSON `"path": null`; it used to read `None:1`)."""
    commit = str(o.get("commit") or "")[:12]
    if o.get("path"):
        return f"{o.get('path')}:{o.get('line')} ({commit})"
    if o.get("tag"):
        return f"message of tag {o.get('tag')} line {o.get('line')}"
    if commit:
        return f"message of commit {commit} line {o.get('line')}"
    reached = f" reached by {o.get('ref')}" if o.get("ref") else ""
    return f"blob {str(o.get('blob') or '')[:12]}{reached} line {o.get('line')}"
