"""`keylatch revoke [REPORT.json | PATH ...]`: find each leaked OpenAI key in the organisation and
delete it through the Admin API. A dry run unless `--yes`.

    export OPENAI_ADMIN_KEY=...        # only from the environment: never a file or an argument
    keylatch history -f json -o leaks.json && keylatch revoke leaks.json
    keylatch revoke --yes leaks.json

The organisation's keys are listed (projects, their user and service-account keys, admin keys)
and each found key is matched locally: its redacted form (prefix and last characters) against
each listed key's, and the listed key's creation time not after the found key's first commit
(when the report knows it: `keylatch history` reports do). Only a key with exactly one match is
deleted; several or none are reported with the dashboard link. The found key is never sent to
the Admin API. Azure keys get the `az` command that regenerates them, never run.

Exit status: 0 every key found has exactly one match (deleted with --yes); 1 some key is left to
do by hand; 2 usage (no admin key, not a report); 3 the Admin API failed, or a path scanned had
entries that could not be read (each named; the keys found in the rest are still handled).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keylatch.commands.options import ConfigArgs, add_config_arguments, config_flags
from keylatch.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from keylatch.report.notice import Notice
    from keylatch.verify.admin import AdminClient, ApiKey
    from keylatch.verify.context import Context

HELP = "revoke found OpenAI keys through the Admin API (a dry run unless --yes; admin key from OPENAI_ADMIN_KEY)"
DASHBOARD = "https://platform.openai.com/settings/organization/api-keys"
ADMIN_DASHBOARD = "https://platform.openai.com/settings/organization/admin-keys"
_OPENAI = {"openai-project-key", "openai-service-account-key", "openai-user-key", "openai-admin-key"}
_AZURE = {"azure-openai-key", "azure-openai-classic-key"}


class Args(ConfigArgs):
    sources: list[Path]
    yes: bool
    admin_url: str
    exclude: list[str]


@dataclass(frozen=True, slots=True)
class Found:
    rule_id: str
    fingerprint: str
    redacted: str
    where: str  # path:line or commit, for the user
    value: str | None = field(default=None, repr=False)  # only when found here (or --show-secrets)
    first_seen: int | None = None  # unix time of the first commit that has it

    def shown(self) -> tuple[str, str, str]:
        """redacted, rule id and place for a terminal: a path (or a report's fields) is the scanned
        repository's text, so control characters are escaped and keys in it redacted."""
        from keylatch.report.untrusted import for_terminal

        return for_terminal(self.redacted), for_terminal(self.rule_id), for_terminal(self.where)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "sources", nargs="*", type=Path, default=[Path(".")], metavar="REPORT.json|PATH",
        help="a keylatch JSON report (scan, ci or history), or files and directories to scan (default: .)",
    )  # fmt: skip
    parser.add_argument("--yes", action="store_true", help="delete each key that has exactly one match")
    parser.add_argument(
        "--admin-url", default="https://api.openai.com", metavar="URL",
        help="Admin API base URL (https; plain http only to loopback)",
    )  # fmt: skip
    parser.add_argument("--exclude", "-x", action="append", default=[], metavar="GLOB", help="when scanning: skip")
    add_config_arguments(parser, fail_on=False)


def run(args: Args) -> ExitCode:
    from keylatch.verify.admin import AdminClient

    admin_key = os.environ.get("OPENAI_ADMIN_KEY", "").strip()
    if not admin_key:
        raise UsageError(
            "keylatch revoke needs an OpenAI admin key in OPENAI_ADMIN_KEY (from the environment only: "
            f"never a file or an argument); create one at {ADMIN_DASHBOARD}"
        )
    found, unread = _load(args)
    out = sys.stdout
    mode = "deleting keys with exactly one match" if args.yes else "dry run: nothing is deleted (--yes deletes)"
    print(f"keylatch revoke: {len(found)} key(s); {mode}", file=out)
    openai = [f for f in found if f.rule_id in _OPENAI]
    client = AdminClient(args.admin_url, admin_key)
    listed = (
        client.keys(
            admin=any(f.rule_id == "openai-admin-key" for f in openai),
            project=any(f.rule_id != "openai-admin-key" for f in openai),
        )
        if openai
        else []
    )
    done = 0
    # Admin keys first: they manage the whole organisation.
    for f in sorted(openai, key=lambda f: f.rule_id != "openai-admin-key"):
        done += _revoke(f, listed, client if args.yes else None, out)
    for f in found:
        if f.rule_id in _AZURE:
            _azure(f, out)
        elif f.rule_id not in _OPENAI:
            redacted, rule_id, where = f.shown()
            print(f"{redacted} ({rule_id}) at {where}: not an API key the Admin API lists; rotate it by hand",
                  file=out)  # fmt: skip
    left = len(found) - done
    print(f"keylatch revoke: {done} {'deleted' if args.yes else 'to delete'}, {left} left to do by hand", file=out)
    if unread:  # as scan: named after all the rest was done; 3 wins over 1
        from keylatch.report.notice import text_lines

        sys.stderr.write(text_lines(unread))
        print("keylatch revoke: only the keys in what could be read were handled (exit 3)", file=sys.stderr)
        return ExitCode.SCAN_FAILED
    return ExitCode.CLEAN if left == 0 else ExitCode.LEAKS


def _revoke(f: Found, listed: Sequence[ApiKey], client: AdminClient | None, out: Any) -> int:
    from keylatch.verify.admin import Wanted, match

    admin = f.rule_id == "openai-admin-key"
    wanted = Wanted(f.redacted, admin, f.value, f.first_seen)
    candidates = match(wanted, listed)
    since = (
        f", first committed {_date(f.first_seen)}"
        if f.first_seen
        else " (first commit unknown: creation time not checked)"
    )
    redacted, rule_id, where = f.shown()
    print(f"{redacted} ({rule_id}, sha256:{f.fingerprint[:12]}) at {where}{since}", file=out)
    link = ADMIN_DASHBOARD if admin else DASHBOARD
    if not candidates:
        print(f"  no key of this organisation matches (another organisation's, or already deleted); see {link}",
              file=out)  # fmt: skip
        return 0
    for c in candidates:
        print(f"  {'match' if len(candidates) == 1 else 'candidate'}: {_describe(c)}", file=out)
    if len(candidates) > 1:
        print(f"  {len(candidates)} keys match: not deleting any; delete the right one at {link}", file=out)
        return 0
    (key,) = candidates
    if client is None:
        print(f"  would delete: DELETE {key.path}", file=out)
        return 1
    client.delete(key)
    print(f"  deleted: {_show(key.id)}", file=out)
    return 1


def _describe(k: ApiKey) -> str:
    where = f"project '{_show(k.project_name)}' ({_show(k.project_id)})" if k.project_id else "admin key"
    used = _date(k.last_used_at) if k.last_used_at else "never"
    return (
        f"{where}, key '{_show(k.name)}' ({_show(k.id)}, {_listed_redacted(k.redacted)}), "
        f"owner {_show(k.owner) or '?'}, created {_date(k.created_at)}, last used {used}"
    )


def _show(text: str) -> str:
    """Text from the Admin API, safe for a terminal: a key in it redacted (a key named after the
    key, a hostile --admin-url), control characters escaped, length capped."""
    from keylatch.report.untrusted import for_terminal

    return for_terminal(text, 120)


# The Admin API's `redacted_value` shows a prefix and the last few characters ("sk-abc...def",
# "sk-proj-...wxyz", "sk-proj-ab****wxyz"). A longer head or tail is no redacted form: one that
# hid a single character still matched the key and was printed nearly whole.
_HEAD, _TAIL = 16, 8


def _listed_redacted(text: str) -> str:
    from keylatch.report.untrusted import NOT_REDACTED
    from keylatch.verify.admin import split_redacted

    parts = split_redacted(text)
    if parts is not None and (len(parts[0]) > _HEAD or len(parts[1]) > _TAIL):
        return NOT_REDACTED
    return _show(text)


def _date(t: int | None) -> str:
    return dt.datetime.fromtimestamp(t or 0, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _azure(f: Found, out: Any) -> None:
    from keylatch.verify import azure
    from keylatch.verify.context import files

    host = azure.nearest(_texts(f, files))
    resource = host.split(".", 1)[0] if host else "<resource>"
    slot = "key2" if "key2" in _line(f).lower() else "key1"
    redacted, rule_id, where = f.shown()
    print(f"{redacted} ({rule_id}) at {where}: Azure keys are regenerated, not deleted. Run:", file=out)
    print(f"  az cognitiveservices account keys regenerate --name {resource} --resource-group <resource-group> "
          f"--key-name {slot}", file=out)  # fmt: skip
    if not host:
        print("  (no Azure endpoint next to the key: fill in the resource name)", file=out)
    if slot == "key1":
        print("  (key1 unless this key is the resource's key2: `az cognitiveservices account keys list` shows both)",
              file=out)  # fmt: skip


def _texts(f: Found, context: Context) -> Iterator[tuple[bytes, int]]:
    from keylatch.model import Finding, Location, Secret, Severity

    path, _, line = f.where.rpartition(":")
    if not path or not line.isdigit():
        return iter(())
    return context(Finding(f.rule_id, Severity.HIGH, Secret(""), Location(path, int(line), 1)))


def _line(f: Found) -> str:
    from keylatch.verify.context import files

    for data, line in _texts(f, files):
        lines = data.split(b"\n")
        if 0 < line <= len(lines):
            return lines[line - 1].decode("utf-8", "replace")
    return ""


# --- what to revoke: a keylatch JSON report, or a scan ------------------------------------------


def _load(args: Args) -> tuple[list[Found], tuple[Notice, ...]]:
    """The keys to revoke, and a `not-scanned` notice for each entry of a scan that could not be read."""
    if len(args.sources) == 1 and args.sources[0].suffix == ".json" and args.sources[0].is_file():
        return from_report(args.sources[0]), ()
    from keylatch import policy
    from keylatch.commands.scan import Unreadable
    from keylatch.commands.scanning import in_files
    from keylatch.commands.settings import policy_of, settle
    from keylatch.report.notice import unread

    cfg = settle(config_flags(args, exclude=args.exclude), Path("."))
    pol = policy_of(cfg)
    entries = Unreadable()
    found = policy.known(in_files(args.sources, cfg, pol, unread=entries)[0], pol)
    keys: dict[str, Found] = {}
    for f in found:
        keys.setdefault(
            f.fingerprint,
            Found(f.rule_id, f.fingerprint, f.secret.redacted, f"{f.location.path}:{f.location.line}", f.secret.value),
        )
    return list(keys.values()), unread(entries.shown, entries.count)


def from_report(path: Path) -> list[Found]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"cannot read {path} as a JSON report: {exc}") from exc
    except RecursionError:  # `[[[...` deeper than json's recursion limit: not a report either
        raise UsageError(f"cannot read {path} as a JSON report: nested too deeply") from None
    if not (isinstance(doc, dict) and isinstance(doc.get("tool"), dict) and doc["tool"].get("name") == "keylatch"
            and isinstance(doc.get("findings"), list)):  # fmt: skip
        raise UsageError(f"{path} is not a keylatch JSON report (keylatch scan|ci|history --format json)")
    keys: dict[str, Found] = {}
    for item in doc["findings"]:
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise UsageError(f"{path}: a finding without a fingerprint")
        fp = item["fingerprint"]
        value, redacted = report_secret(item.get("secret", ""), fp)
        first = _time((item.get("introduced") or {}).get("date")) if isinstance(item.get("introduced"), dict) else None
        where = _where(item)
        old = keys.get(fp)
        if old is None or (first is not None and (old.first_seen is None or first < old.first_seen)):
            keys[fp] = Found(str(item.get("rule_id", "")), fp, redacted, where, value, first)
    return list(keys.values())


def report_secret(secret: object, fingerprint: str) -> tuple[str | None, str]:
    """A report's `secret` field: the key (for local use only) and its redacted form.

    A report written with --show-secrets holds the key itself: it is used, locally, when its
    sha256 is the finding's fingerprint. Anything else is taken for a redacted form and the key
    is unknown: a whole key under another fingerprint (a report is anyone's file) is neither used
    nor shown (report.untrusted.redacted_form; docs/reports.md)."""
    from keylatch.report.untrusted import redacted_form

    text = str(secret)
    if hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest() == fingerprint:
        return text, _redact(text)
    return None, redacted_form(text)


def _redact(value: str) -> str:
    from keylatch.engine import scan_text

    for f in scan_text(value):
        if f.secret.value == value:
            return f.secret.redacted
    return value[:3] + "****"


def _where(item: dict[str, Any]) -> str:
    if item.get("path"):
        return f"{item['path']}:{item.get('line', 0)}"
    locations = item.get("locations")
    if isinstance(locations, list) and locations and isinstance(locations[0], dict):
        first = locations[0]
        commit = str(first.get("commit") or "")[:12]
        return f"{first.get('path')}:{first.get('line', 0)}" + (f" ({commit})" if commit else "")
    return "?"


def _time(text: object) -> int | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return int(when.timestamp())
