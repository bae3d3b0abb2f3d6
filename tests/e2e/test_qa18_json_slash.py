"""JSON's `\\/` escape inside a key: PHP's json_encode writes every `/` as `\\/` by default (so do
Laravel's cached config and many PHP APIs' responses saved as fixtures), and a webhook secret is
base64, so about one in three holds a `/`. Each such file was reported clean by every command;
now the key is found as an `escaped` spelling, as `\\u002f` already was."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

# Seeds whose secret holds one `/` (1800) or several (1803).
SECRETS = [make_key("whsec_", seed=s) for s in (1800, 1803)]


def _php_json(document: object) -> str:
    """What PHP's json_encode writes: every `/` escaped."""
    return json.dumps(document).replace("/", "\\/") + "\n"


# name -> the file's text for a secret
CONTEXTS: dict[str, Callable[[str], str]] = {
    "flat": lambda s: _php_json({"openai_webhook_secret": s}),
    "nested": lambda s: _php_json({"services": {"openai": {"webhook_secret": s, "url": "https://api.openai.com/v1"}}}),
    "pretty": lambda s: json.dumps({"OPENAI_WEBHOOK_SECRET": s}, indent=4).replace("/", "\\/") + "\n",
}


@pytest.mark.parametrize("secret", SECRETS, ids=["one-slash", "slashes"])
@pytest.mark.parametrize("context", sorted(CONTEXTS))
@pytest.mark.parametrize("command", ["scan", "staged", "history"])
def test_a_webhook_secret_with_json_escaped_slashes_is_found(
    command: str, context: str, secret: str, keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    assert "/" in secret
    repo = make_repo()
    repo.write("config.json", CONTEXTS[context](secret))
    repo.git("add", "config.json")
    if command == "history":
        repo.commit("config")
    args = {"scan": ["scan", "-f", "json", "config.json"], "staged": ["staged"], "history": ["history", "-f", "json"]}
    r = keylatch(*args[command], cwd=repo.path)
    assert r.code == 1, r.out + r.err
    line = 2 if context == "pretty" else 1
    if command == "staged":
        assert f"config.json:{line} " in r.out and "webhook" in r.out
        return
    (finding,) = json.loads(r.out)["findings"]
    assert finding["rule_id"] == "openai-webhook-secret"
    places = finding.get("locations", [finding])
    assert [(p["path"], p["line"]) for p in places] == [("config.json", line)]


def test_a_json_escaped_slash_next_to_a_plain_key_reports_it_once(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    """The plain key is the plain scan's; a `\\/` elsewhere on its line adds no second place."""
    key = make_key("sk-proj-", seed=1804)
    repo = make_repo()
    repo.write("config.json", _php_json({"url": "https://api.openai.com/v1", "key": key}))
    r = keylatch("scan", "-f", "json", "config.json", cwd=repo.path)
    assert r.code == 1, r.err
    (finding,) = json.loads(r.out)["findings"]
    assert finding["rule_id"] == "openai-project-key"
    assert finding.get("encoding") in (None, "")
