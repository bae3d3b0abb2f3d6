"""A server that repeats the key it was sent: nothing of the answer that reaches the report or the
verdict cache holds it (verify/classify.py `unechoed`).

The real API masks a key it quotes ("sk-ab***wxyz"); a proxy, a mock or a hostile endpoint may
echo it whole in a header (`openai-organization`, `openai-project`) or an error code, and
keylatch quoted those (reduced to [A-Za-z0-9_.:,- ], which a key passes) into every format.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.openai_emulator import Emulator, Reply
from tests.helpers.redaction import pieces
from tests.helpers.run import RunKeylatch


def _err(code: str, message: str = "") -> dict[str, object]:
    return {"error": {"code": code, "message": message, "type": "invalid_request_error", "param": None}}


# Where an answer can put the key it received, as keylatch would quote it.
ECHOES: dict[str, Callable[[str], Reply]] = {
    "organization-header": lambda k: Reply(200, {"data": []}, {"openai-organization": k}),
    "project-header": lambda k: Reply(200, {"data": []}, {"openai-project": f"proj {k} x"}),
    "both-headers-on-a-refusal": lambda k: Reply(
        401, _err("invalid_api_key"), {"openai-organization": k, "openai-project": k}
    ),  # fmt: skip
    "error-code": lambda k: Reply(400, _err(k)),
    "error-code-rate-limit-then": lambda k: Reply(404, _err(f"x{k}")),
    "missing-scopes": lambda k: Reply(401, _err("", f"Missing scopes: {k.replace('-', '.')}, {k}.")),
}
KEYS = {
    "user": make_key("sk-", 5),  # 51 characters: fits the 64 kept of a header
    "project": make_key("sk-proj-", 6),
    "admin": make_key("sk-admin-", 2),
}


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
@pytest.mark.parametrize("place", sorted(ECHOES))
@pytest.mark.parametrize("kind", sorted(KEYS))
def test_an_echoed_key_is_not_printed_nor_cached(
    api: Emulator, tmp_path: Path, keylatch: RunKeylatch, kind: str, place: str, fmt: str
) -> None:
    key = KEYS[kind]
    api.answer(key, ECHOES[place](key))
    (tmp_path / "k.env").write_text(f"OPENAI_API_KEY={key}\n")
    cache = tmp_path / "xdg"
    r = keylatch("scan", "k.env", "--verify", "--verify-url", api.url, "-f", fmt, cwd=tmp_path,
                 env={"XDG_CACHE_HOME": str(cache)})  # fmt: skip
    assert r.code == 1 and len(api.seen(key)) == 1
    written = r.out + r.err + "".join(p.read_text() for p in cache.rglob("*") if p.is_file())
    assert not [p for p in pieces(key) if p in written], written
    if fmt == "json":
        (finding,) = json.loads(r.out)["findings"]
        assert finding["verification"]["verdict"] and finding["secret"].endswith(key[-4:])


@pytest.mark.parametrize("place", ["error-code", "error-code-rate-limit-then"])
def test_an_echoed_azure_key_is_not_printed(api: Emulator, tmp_path: Path, keylatch: RunKeylatch, place: str) -> None:
    key = make_key("azure-classic", 3)  # 32 hex digits: a whole key in the 40 kept of an error code
    api.answer(key, ECHOES[place](key))
    (tmp_path / "a.env").write_text(
        f"AZURE_OPENAI_ENDPOINT=https://contoso.openai.azure.com/\nAZURE_OPENAI_API_KEY={key}\n"
    )
    r = keylatch("scan", "a.env", "--verify", "--verify-url", api.url, "--verify-azure-url", api.url,
                 "--no-verify-cache", cwd=tmp_path)  # fmt: skip
    assert r.code == 1 and len(api.seen(key)) == 1 and "contoso.openai.azure.com: HTTP 4" in r.out
    assert not [p for p in pieces(key) if p in r.out + r.err], r.out
