"""A generic `key` in a record of a YAML sequence is judged by its record, as in a JSON array.

QA: `files:\\n  - name: b.txt\\n    key: <32 hex>` beside Azure OpenAI settings was judged by the
file's evidence. Records are generated at several indentations (the item's dash flush with its
parent or indented) and field orders; a one-line item (`- Key: ...`, a Markdown bullet) stays a
list entry judged by its paragraph, and an env list's `- name: AZURE_OPENAI_API_KEY` / `value:`
is judged by its record's name.
"""

from __future__ import annotations

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key

EP = "https://contoso.openai.azure.com/"
HEAD = f"azure_openai:\n  endpoint: {EP}\n  deployment: gpt4\n"


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.secret.value) for f in scan_text(text)]


def _seq(array: str, records: list[list[tuple[str, str]]], dash: int) -> str:
    """`array:` then each record as a YAML sequence item, its dash indented `dash` spaces."""
    out = [f"{array}:"]
    for fields in records:
        for i, (name, value) in enumerate(fields):
            lead = " " * dash + ("- " if i == 0 else "  ")
            out.append(f"{lead}{name}: {value}")
    return HEAD + "\n".join(out) + "\n"


@pytest.mark.parametrize("dash", [0, 2, 4])
@pytest.mark.parametrize("name", ["key", "Key", "api_key", "apiKey", "cache_key"])
@pytest.mark.parametrize("array", ["files", "items", "blobs", "entries"])
@pytest.mark.parametrize("key_first", [False, True])
def test_a_generic_key_in_a_record_of_data_is_not_reported(array: str, name: str, dash: int, key_first: bool) -> None:
    k1, k2 = make_key("azure-classic", seed=len(name) + dash), make_key("azure-classic", seed=len(array) + 60)
    second = [(name, k2), ("name", "b.txt")] if key_first else [("name", "b.txt"), (name, k2)]
    assert _found(_seq(array, [[("name", "a.txt"), ("md5", k1)], second], dash)) == []


@pytest.mark.parametrize("dash", [0, 2])
@pytest.mark.parametrize(
    ("array", "fields"),
    [
        ("connections", [("name", "aoai"), ("endpoint", EP), ("key", "{k}")]),
        ("connections", [("key", "{k}"), ("endpoint", EP)]),
        ("connections", [("type", "AzureOpenAI"), ("api_key", "{k}")]),
        ("azure_openai_keys", [("region", "eastus"), ("key", "{k}")]),
        ("items", [("name", "prod"), ("azure_openai_key", "{k}")]),
        ("env", [("name", "AZURE_OPENAI_API_KEY"), ("value", "{k}")]),
        ("env", [("name", "API_KEY"), ("value", "{k}")]),  # a named setting: its paragraph judges
    ],
)
def test_a_record_or_sequence_that_names_azure_openai_is_reported(
    array: str, fields: list[tuple[str, str]], dash: int
) -> None:
    key = make_key("azure-classic", seed=len(array) + len(fields) + dash)
    text = _seq(array, [[(n, v.format(k=key)) for n, v in fields]], dash)
    assert _found(text) == [("azure-openai-classic-key", key)]


@pytest.mark.parametrize(
    "fields",
    [
        [("name", "speech"), ("endpoint", "https://s.cognitiveservices.azure.com"), ("key", "{k}")],
        [("name", "AZURE_SPEECH_KEY"), ("value", "{k}")],
        [("name", "BUILD_HASH"), ("value", "{k}")],
    ],
)
def test_a_record_that_names_another_service_or_no_key_is_not_reported(fields: list[tuple[str, str]]) -> None:
    key = make_key("azure-classic", seed=len(fields) + 70)
    assert _found(_seq("connections", [[(n, v.format(k=key)) for n, v in fields]], 2)) == []


@pytest.mark.parametrize("bullet", ["- ", "  - ", "* "])
def test_a_one_line_item_is_judged_by_its_paragraph(bullet: str) -> None:
    key = make_key("azure-classic", seed=len(bullet) + 80)
    text = f"Settings:\n{bullet}Endpoint: {EP}\n{bullet}Key: {key}\n"
    assert _found(text) == [("azure-openai-classic-key", key)]


@pytest.mark.parametrize(
    ("parent", "reported"), [("openAiKey", True), ("primary_access_key", True), ("deploymentHash", False)]
)
def test_a_yaml_value_entry_takes_its_parent_mappings_name(parent: str, reported: bool) -> None:
    key = make_key("azure-classic", seed=len(parent) + 90)
    text = f"{HEAD}{parent}:\n  type: string\n  value: {key}\n"
    assert _found(text) == ([("azure-openai-classic-key", key)] if reported else [])


@pytest.mark.parametrize("dash", [0, 2])
def test_an_84_character_key_in_a_record_stays_reported(dash: int) -> None:
    key = make_key("azure", seed=dash + 95)
    text = _seq("items", [[("name", "b"), ("key", key)]], dash)
    assert _found(text) == [("azure-openai-key", key)]
