"""A generic `key` in a record of a JSON array: the file's Azure OpenAI evidence does not make
every record's key an Azure OpenAI key (QA: a blob cache's `{"name": "b.txt", "key": <32 hex>}`
beside an Azure OpenAI endpoint). The record, or the array's name, must say whose it is."""

from __future__ import annotations

import json

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key

EP = "https://contoso.openai.azure.com/"
HEAD = {"azure_openai": {"endpoint": EP, "deployment": "gpt4"}}


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.secret.value) for f in scan_text(text)]


def _doc(array: str, records: list[dict[str, str]], indent: int | None) -> str:
    return json.dumps({**HEAD, array: records}, indent=indent) + "\n"


@pytest.mark.parametrize("indent", [None, 1, 2, 4])
@pytest.mark.parametrize("name", ["key", "Key", "api_key", "apiKey", "cache_key"])
@pytest.mark.parametrize("array", ["files", "items", "blobs", "entries"])
def test_a_generic_key_in_a_record_of_data_is_not_reported(array: str, name: str, indent: int | None) -> None:
    k1, k2 = make_key("azure-classic", seed=len(name)), make_key("azure-classic", seed=len(array) + 50)
    records = [{"name": "a.txt", "md5": k1}, {"name": "b.txt", name: k2}]
    assert _found(_doc(array, records, indent)) == []


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize(
    ("array", "record"),
    [
        ("connections", {"name": "aoai", "endpoint": EP, "key": "{k}"}),
        ("connections", {"key": "{k}", "endpoint": EP}),
        ("connections", {"type": "AzureOpenAI", "api_key": "{k}"}),
        ("azure_openai_keys", {"region": "eastus", "key": "{k}"}),
        ("items", {"name": "prod", "azure_openai_key": "{k}"}),
    ],
)
def test_a_record_or_array_that_names_azure_openai_is_reported(
    array: str, record: dict[str, str], indent: int | None
) -> None:
    key = make_key("azure-classic", seed=len(array) + len(record))
    text = _doc(array, [{k: v.format(k=key) for k, v in record.items()}], indent)
    assert _found(text) == [("azure-openai-classic-key", key)]


def test_a_record_that_names_another_service_is_not_reported() -> None:
    key = make_key("azure-classic", seed=7)
    text = _doc("connections", [{"name": "speech", "endpoint": "https://s.cognitiveservices.azure.com", "key": key}], 2)
    assert _found(text) == []


def test_an_object_outside_arrays_still_takes_the_files_evidence() -> None:
    key = make_key("azure-classic", seed=8)
    text = json.dumps({"azure_openai": {"endpoint": EP, "key": key}}, indent=2)
    assert _found(text) == [("azure-openai-classic-key", key)]


@pytest.mark.parametrize("indent", [None, 2])
def test_an_84_character_key_in_a_record_stays_reported(indent: int | None) -> None:
    # Its shape is a key's: a record that names nothing leaves it unassigned, not another's.
    key = make_key("azure", seed=9)
    assert _found(_doc("items", [{"name": "b", "key": key}, {"name": "c", "value": key}], indent)) == [
        ("azure-openai-key", key),
        ("azure-openai-key", key),
    ]


def test_an_84_character_value_of_a_key_vault_secret_stays_reported() -> None:
    key = make_key("azure", seed=10)
    text = json.dumps(
        {"attributes": {"enabled": True}, "id": "https://v.vault.azure.net/secrets/k/1", "value": key}, indent=2
    )
    assert _found(text) == [("azure-openai-key", key)]
