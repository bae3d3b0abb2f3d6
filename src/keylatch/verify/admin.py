"""The OpenAI Admin API, for `keylatch revoke`: list every key of the organisation, delete one.

Requests carry only the admin key (from the environment) and ids the API itself returned. A key
found in code is never sent: it is matched here, locally, against each listed key's
`redacted_value` and creation time (`match`).

    GET    /v1/organization/projects?limit=100&include_archived=true[&after=…]
    GET    /v1/organization/projects/{project}/api_keys?limit=100[&after=…]   (user and service-account keys)
    GET    /v1/organization/admin_api_keys?limit=100[&after=…]
    DELETE /v1/organization/projects/{project}/api_keys/{key}   or   /v1/organization/admin_api_keys/{key}

Lists are pages of {object: "list", data, first_id, last_id, has_more}; the next page is asked
with after=<last_id> (API reference, "Pagination").
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from keylatch.errors import ScanError
from keylatch.verify.classify import error_fields, safe
from keylatch.verify.transport import Unreachable, check_base_url, get

PAGE = 100
MAX_PAGES = 1000  # a loop guard against a server whose cursor never ends
# A page of 100 keys as the API writes it (indented, each with its owner) is about 60 KiB, and
# more with long names: cut at verify's 64 KiB it was "not JSON", and revoke failed (exit 3) for
# any project with 100 keys or so. A page is read whole up to this, and a larger one is refused.
MAX_PAGE_BYTES = 32 << 20
_GAP = re.compile(r"(?:\.{2,}|\*{2,}|…)+")


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as the Admin API lists it. Text fields come from the network: print via `show`."""

    id: str
    name: str
    redacted: str
    created_at: int
    last_used_at: int | None
    owner: str  # "Name <email> (user)" or "name (service account)"
    project_id: str = ""  # "" for admin keys
    project_name: str = ""

    @property
    def admin(self) -> bool:
        return not self.project_id

    @property
    def path(self) -> str:
        if self.admin:
            return f"/v1/organization/admin_api_keys/{quote(self.id, safe='')}"
        return f"/v1/organization/projects/{quote(self.project_id, safe='')}/api_keys/{quote(self.id, safe='')}"


@dataclass(frozen=True, slots=True)
class Wanted:
    """A found key as revoke knows it: its redacted form, the key itself only if found locally."""

    redacted: str
    admin: bool
    value: str | None = field(default=None, repr=False)
    first_seen: int | None = None  # unix time of its first commit, when known


def split_redacted(text: str) -> tuple[str, str] | None:
    """("sk-proj-ab", "wxyz") from "sk-proj-ab...wxyz" or "sk-proj-ab****wxyz"; None if no tail."""
    m = _GAP.search(text)
    if m is None or m.end() == len(text):
        return None
    return text[: m.start()], text[m.end() :]


def _compatible(known: str, shown: str, *, tail: bool) -> bool:
    """Two partial views of one key agree where both show characters."""
    if tail:
        return known.endswith(shown) or shown.endswith(known)
    return known.startswith(shown) or shown.startswith(known)


def match(wanted: Wanted, keys: Sequence[ApiKey]) -> list[ApiKey]:
    """The listed keys that can be `wanted`: same kind, redacted forms agree, created no later
    than its first commit."""
    ours = split_redacted(wanted.redacted)
    out = []
    for k in keys:
        if k.admin != wanted.admin:
            continue
        theirs = split_redacted(k.redacted)
        if theirs is None:
            continue
        head, tail = theirs
        if wanted.value is not None:
            fits = (
                wanted.value.startswith(head) and wanted.value.endswith(tail) and len(head + tail) < len(wanted.value)
            )
        elif ours is not None:
            fits = _compatible(ours[0], head, tail=False) and _compatible(ours[1], tail, tail=True)
        else:
            fits = False
        if fits and (wanted.first_seen is None or k.created_at <= wanted.first_seen):
            out.append(k)
    return out


class AdminClient:
    def __init__(self, base_url: str, admin_key: str, timeout: float = 20.0) -> None:
        self._base = check_base_url(base_url, "--admin-url")
        self._headers = {"Authorization": f"Bearer {admin_key}"}
        self._timeout = timeout

    def _call(self, path: str, method: str = "GET") -> dict[str, Any]:
        try:
            answer = get(self._base + path, self._headers, self._timeout, method, MAX_PAGE_BYTES + 1)
        except Unreachable as exc:
            raise ScanError(f"Admin API: no answer from {self._base}: {exc}") from None
        where = f"Admin API: {method} {path.split('?')[0]}"
        if len(answer.body) > MAX_PAGE_BYTES:
            raise ScanError(f"{where}: an answer larger than {MAX_PAGE_BYTES >> 20} MiB")
        if answer.status != 200:
            code = error_fields(answer.body)[0]
            what = f"HTTP {answer.status} {safe(code)}".rstrip()
            if answer.status in (401, 403):
                what += " (is OPENAI_ADMIN_KEY an admin key with the permissions to list and delete keys?)"
            raise ScanError(f"{where}: {what}")
        try:
            doc = json.loads(answer.body)
        except (ValueError, RecursionError):  # nested too deep for json is no answer either
            raise ScanError(f"{where}: not JSON") from None
        if not isinstance(doc, dict):
            raise ScanError(f"{where}: unexpected answer")
        return doc

    def _pages(self, path: str, **query: str) -> Iterator[dict[str, Any]]:
        after = ""
        asked: set[str] = set()
        for _ in range(MAX_PAGES):
            asked.add(after)
            q = {"limit": str(PAGE), **query, **({"after": after} if after else {})}
            doc = self._call(f"{path}?{urlencode(q)}")
            items = doc.get("data") or []
            # A list of objects, or no answer: `data: 5` was "unexpected TypeError", and an entry
            # skipped in silence could leave one candidate of two to be deleted.
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ScanError(f"Admin API: GET {path}: a page whose data is not a list of objects")
            yield from items
            after = str(doc.get("last_id") or (items[-1].get("id") if items else ""))
            if not doc.get("has_more") or not after:
                return
            if after in asked:  # a cursor that comes back would list the same keys until MAX_PAGES
                raise ScanError(f"Admin API: GET {path}: the next page's cursor goes back to a page already read")
        raise ScanError(f"Admin API: {path}: more than {MAX_PAGES} pages")

    def keys(self, admin: bool = True, project: bool = True) -> list[ApiKey]:
        """Every project key (users' and service accounts') and every admin key."""
        out = []
        if project:
            for p in self._pages("/v1/organization/projects", include_archived="true"):
                pid, pname = str(p.get("id", "")), str(p.get("name", ""))
                for k in self._pages(f"/v1/organization/projects/{quote(pid, safe='')}/api_keys"):
                    out.append(_key(k, pid, pname))
        if admin:
            out += [_key(k) for k in self._pages("/v1/organization/admin_api_keys")]
        return out

    def delete(self, key: ApiKey) -> None:
        doc = self._call(key.path, method="DELETE")
        if doc.get("deleted") is not True:
            raise ScanError(f"Admin API: DELETE {key.path}: the answer does not say deleted")


def _key(k: dict[str, Any], project_id: str = "", project_name: str = "") -> ApiKey:
    created = k.get("created_at") or 0
    # The creation time decides a match (not after the found key's first commit): one that is
    # not a number is no answer, not "unexpected ValueError" (nor 0, which would match anything).
    if isinstance(created, bool) or not isinstance(created, (int, float)) or not math.isfinite(created):
        raise ScanError(f"Admin API: key {safe(str(k.get('id', '')))!r}: created_at is not a time")
    return ApiKey(
        id=str(k.get("id", "")),
        name=str(k.get("name") or ""),
        redacted=str(k.get("redacted_value") or ""),
        created_at=int(created),
        last_used_at=int(k["last_used_at"]) if isinstance(k.get("last_used_at"), (int, float)) else None,
        owner=_owner(k.get("owner")),
        project_id=project_id,
        project_name=project_name,
    )


def _owner(owner: object) -> str:
    if not isinstance(owner, dict):
        return ""
    if owner.get("type") == "service_account" or isinstance(owner.get("service_account"), dict):
        sa = owner.get("service_account") or {}
        return f"{sa.get('name', '') if isinstance(sa, dict) else ''} (service account)".strip()
    user = owner.get("user") if isinstance(owner.get("user"), dict) else owner
    assert isinstance(user, dict)
    name, email = str(user.get("name") or ""), str(user.get("email") or "")
    return f"{name} <{email}> (user)" if email else f"{name} (user)"
