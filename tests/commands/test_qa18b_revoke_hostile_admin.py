"""`keylatch revoke` against an Admin API that puts keys where it should put names: the text it
lists (key names, project names, owners, `redacted_value`) and its error codes never make
keylatch print a key, the found one or the operator's admin key.

The Admin API's text was only cut to 120 characters and its control characters escaped; a
`redacted_value` that hides one character of the key matched it and was printed, as was a key
name that is the key, and an error code that echoes the admin key (80 characters of it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.openai_emulator import Emulator, Org, Reply, api_key, user
from tests.helpers.redaction import pieces
from tests.helpers.run import Result, RunKeylatch

ADMIN = make_key("sk-admin-", 80)
TARGET = make_key("sk-proj-", 81)
LEGACY = make_key("sk-", 82)
JAN_1 = 1704067200


def _listed(key: str, place: str) -> dict[str, object]:
    item = api_key("key_target", key, JAN_1)
    if place == "redacted-value":
        item["redacted_value"] = f"{key[:-5]}...{key[-4:]}"
    elif place == "name":
        item["name"] = f"deploy {key}"
    elif place == "owner":
        item["owner"] = user(key, f"{key}@example.test")
    return item


PLACES = ["redacted-value", "name", "owner", "project-name"]


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("key", [TARGET, LEGACY], ids=["project", "legacy"])
def test_a_key_in_the_listing_is_not_printed(
    api: Emulator, keylatch: RunKeylatch, tmp_path: Path, place: str, key: str
) -> None:
    org = Org(ADMIN)
    org.project("proj_x", f"Prod {key}" if place == "project-name" else "Prod", _listed(key, place))
    api.org = org
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={key}\n")
    r = keylatch("revoke", "--admin-url", api.url, ".env", cwd=tmp_path, env={"OPENAI_ADMIN_KEY": ADMIN})
    assert r.code in (0, 1), r.err
    shown = r.out + r.err
    assert "key_target" in shown or "no key of this organisation matches" in shown
    assert not [p for p in pieces(key) if p in shown], shown


Answer = Callable[[str], Reply]
ECHOES: dict[str, Answer] = {
    "code": lambda k: Reply(401, {"error": {"code": k, "message": "no", "type": "x", "param": None}}),
    "code-403": lambda k: Reply(403, {"error": {"code": f"bad {k}", "message": k, "type": "x", "param": None}}),
    "code-500": lambda k: Reply(500, {"error": {"code": k[9:], "message": k, "type": "x", "param": None}}),
}


@pytest.mark.parametrize("echo", sorted(ECHOES))
def test_an_admin_key_echoed_in_an_error_is_not_printed(
    api: Emulator, keylatch: RunKeylatch, tmp_path: Path, echo: str
) -> None:
    api.answer(ADMIN, ECHOES[echo](ADMIN))  # no org: every Admin API call is answered with the echo
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={TARGET}\n")
    r: Result = keylatch("revoke", "--admin-url", api.url, ".env", cwd=tmp_path, env={"OPENAI_ADMIN_KEY": ADMIN})
    assert r.code == 3 and "Admin API" in r.err
    assert not [p for p in pieces(ADMIN) if p in r.out + r.err], r.err
