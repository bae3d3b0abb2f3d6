"""A 32-hex Azure key as the `"value"` of a name/value record is named by the record's name field.

QA (corpus21): HTTP client exports write a header or variable as a flat record, `{"name": "api-key",
"value": …}` (HAR, Insomnia, App Service settings) or `{"key": "api-key", "value": …}` (Postman), on
one line or over several. An Azure OpenAI `api-key` there was judged as an unnamed object's
`"value"` and not reported; a Postman `deployment_id` variable beside the endpoint was judged by the
file's evidence and reported. And on a minified line, a record of a JSON array was judged by the
whole line before it (an endpoint member of the document named a file list Azure OpenAI's).
"""

from __future__ import annotations

import json

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key

EP = "https://contoso.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01"


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.secret.value) for f in scan_text(text)]


def _har(field: str, name: str, key: str, indent: int | None, value_first: bool) -> str:
    """A HAR/Postman/Insomnia-like export: the request URL, then a header record naming `key`."""
    record = {"value": key, field: name} if value_first else {field: name, "value": key}
    doc = {"request": {"url": EP, "headers": [{field: "content-type", "value": "application/json"}, record]}}
    return json.dumps(doc, indent=indent) + "\n"


LAYOUTS = [(indent, value_first) for indent in (None, 1, 2, 4) for value_first in (False, True)]


@pytest.mark.parametrize(("indent", "value_first"), LAYOUTS)
@pytest.mark.parametrize("field", ["name", "key"])
@pytest.mark.parametrize("name", ["api-key", "Api-Key", "AZURE_OPENAI_API_KEY", "azure_openai_key", "apiKey"])
def test_a_record_named_like_a_key_is_reported(field: str, name: str, indent: int | None, value_first: bool) -> None:
    key = make_key("azure-classic", seed=len(name) * 10 + (indent or 0) + value_first)
    assert _found(_har(field, name, key, indent, value_first)) == [("azure-openai-classic-key", key)]


@pytest.mark.parametrize("indent", [1, 2, 4])
def test_a_subscription_key_header_on_its_own_line_is_reported(indent: int) -> None:
    # `Ocp-Apim-Subscription-Key` (the Cognitive Services header) on the value's own line; on one
    # line with the value, "subscription" keeps the line out as it does for subscription ids.
    key = make_key("azure-classic", seed=indent + 300)
    assert _found(_har("name", "Ocp-Apim-Subscription-Key", key, indent, False)) == [("azure-openai-classic-key", key)]


@pytest.mark.parametrize(("indent", "value_first"), LAYOUTS)
@pytest.mark.parametrize("field", ["name", "key"])
@pytest.mark.parametrize(
    "name",
    ["deployment_id", "x-ms-client-request-id", "etag", "endpoint", "AZURE_OPENAI_KEY_ID", "keyId", "model"],
)
def test_a_record_named_otherwise_is_not_reported(field: str, name: str, indent: int | None, value_first: bool) -> None:
    key = make_key("azure-classic", seed=len(name) * 10 + (indent or 0) + value_first + 500)
    assert _found(_har(field, name, key, indent, value_first)) == []


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize("name", ["AZURE_SPEECH_KEY", "translator-key", "Search-Api-Key"])
def test_a_record_named_for_another_service_is_not_reported(name: str, indent: int | None) -> None:
    key = make_key("azure-classic", seed=len(name) + 900)
    assert _found(_har("name", name, key, indent, False)) == []


@pytest.mark.parametrize("indent", [None, 2])
def test_an_84_character_key_in_a_record_not_named_like_a_key_stays_reported(indent: int | None) -> None:
    # Its shape is a key's: a record that names no service leaves it unassigned, and so reported.
    key = make_key("azure", seed=7)
    assert _found(_har("key", "deployment", key, indent, False)) == [("azure-openai-key", key)]


@pytest.mark.parametrize(
    ("array", "record", "reported"),
    [
        ("files", {"name": "a.jsonl", "key": "{k}"}, False),
        ("blobs", {"path": "x/y", "key": "{k}"}, False),
        ("speech", {"region": "westus", "key": "{k}"}, False),
        ("connections", {"name": "speech", "key": "{k}"}, False),
        ("connections", {"endpoint": EP, "key": "{k}"}, True),
        ("azure_openai", {"region": "eastus", "key": "{k}"}, True),
        ("values", {"key": "api-key", "value": "{k}"}, True),
    ],
)
def test_a_record_on_a_minified_line_is_judged_by_itself_and_its_array(
    array: str, record: dict[str, str], reported: bool
) -> None:
    key = make_key("azure-classic", seed=len(array) + len(record) + 40)
    text = json.dumps({"endpoint": EP, array: [{k: v.format(k=key) for k, v in record.items()}]})
    assert _found(text) == ([("azure-openai-classic-key", key)] if reported else [])
