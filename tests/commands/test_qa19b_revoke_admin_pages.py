"""`keylatch revoke` against Admin API pages as big as the API writes them, and of odd shape.

A page of 100 keys (each with its owner) is about 60 KiB as the API indents it; it was cut at
verify's 64 KiB, read as "not JSON", and revoke failed (exit 3) for a project with many keys. A
page whose `data` is not a list of objects, a `created_at` that is no time and a cursor that
comes back were "unexpected TypeError/ValueError", an entry skipped in silence, or 1,000 pages
of the same keys; each is now one line naming what the API answered, and exit 3.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.openai_emulator import Emulator, Org, Reply, api_key, user
from tests.helpers.run import RunKeylatch

ADMIN = make_key("sk-admin-", 90)
TARGET = make_key("sk-proj-", 91)
JAN_1 = 1704067200


@pytest.mark.parametrize("keys", [60, 100, 150])
def test_a_full_page_of_keys_is_read_whole(api: Emulator, keylatch: RunKeylatch, tmp_path: Path, keys: int) -> None:
    others = [
        api_key(f"key_{n:03}", make_key("sk-proj-", 1000 + n), JAN_1, name=f"service {n} " + "x" * 300,
                owner=user(f"Person {n}", f"person.{n}@example.test"))
        for n in range(keys)
    ]  # fmt: skip
    org = Org(ADMIN, page_size=100)
    org.project("proj_big", "Big", *others, api_key("key_target", TARGET, JAN_1))
    api.org = org
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={TARGET}\n")
    res = keylatch("revoke", "--yes", "--admin-url", api.url, ".env", cwd=tmp_path, env={"OPENAI_ADMIN_KEY": ADMIN})
    assert res.code == 0, res.err
    assert org.deleted == ["key_target"]


ODD_PAGES = {
    "data-a-number": {"object": "list", "data": 5, "has_more": False},
    "data-a-string": {"object": "list", "data": "keys", "has_more": False},
    "an-entry-not-an-object": {"object": "list", "data": ["junk", {"id": "p1", "name": "P"}], "has_more": False},
    "created-at-a-word": {"object": "list", "data": [{"id": "p1", "created_at": "yesterday"}], "has_more": False},
    "created-at-true": {"object": "list", "data": [{"id": "p1", "created_at": True}], "has_more": False},
    "cursor-comes-back": {"object": "list", "data": [{"id": "p1", "name": "P"}], "has_more": True, "last_id": "p1"},
}


@pytest.mark.parametrize("page", ODD_PAGES.values(), ids=ODD_PAGES.keys())
def test_an_odd_page_is_one_line_and_exit_3(
    api: Emulator, keylatch: RunKeylatch, tmp_path: Path, page: dict[str, object]
) -> None:
    api.answer(ADMIN, Reply(200, page))  # every Admin API call gets this page
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={TARGET}\n")
    res = keylatch("revoke", "--yes", "--admin-url", api.url, ".env", cwd=tmp_path, env={"OPENAI_ADMIN_KEY": ADMIN})
    assert res.code == 3, res.err
    (line,) = [x for x in res.err.splitlines() if x.startswith("keylatch: error:")]
    assert "Admin API" in line and "unexpected" not in line
    assert len(api.seen(ADMIN)) <= 3
    assert not [r for r in api.seen(ADMIN) if r.method == "DELETE"]
