"""A generic name is judged by its whole paragraph, also one longer than the 800 characters
owner.py first reads back: a heading over thirty settings (`# Azure Speech`, then `key=<84>`)
named the key's service more than 800 characters back and the key was reported as Azure
OpenAI's (QA corpus17, t12). The paragraph is read on to its start, at most 3,000 characters
back; a blank line still ends it, and the nearest clue still wins.
"""

from __future__ import annotations

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.paragraphs import EP, SHAPES, found, in_another_services_paragraph, settings

REACH = 3000  # owner._PARAGRAPH
FAR = [900, 2000, REACH - 400]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("distance", FAR)
@pytest.mark.parametrize("service", ["# Azure Speech", "speech_config = speechsdk.SpeechConfig(", '"Translator": {'])
@pytest.mark.parametrize("line", ["key={k}", "key = '{k}'", '"Key": "{k}"'])
def test_another_services_heading_far_back_in_the_keys_paragraph_is_its_owner(
    shape: str, distance: int, service: str, line: str
) -> None:
    key = make_key(shape, seed=distance + len(service) + len(line))
    assert found(in_another_services_paragraph(service, distance, line.format(k=key))) == []


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("distance", FAR)
def test_an_azure_openai_heading_far_back_keeps_the_key_reported(shape: str, distance: int) -> None:
    key = make_key(shape, seed=distance + 7)
    speech = "# Azure Speech\nSPEECH_REGION=eastus\n\n"
    text = f"{speech}# Azure OpenAI\nAZURE_OPENAI_ENDPOINT={EP}\n{settings(distance)}key={key}\n"
    assert found(text) == ["azure-openai-key" if shape == "azure" else "azure-openai-classic-key"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("distance", FAR)
def test_a_blank_line_still_ends_the_paragraph_far_back(shape: str, distance: int) -> None:
    # The Speech heading is in the paragraph before: it says nothing about this key.
    key = make_key(shape, seed=distance + 11)
    text = f"AZURE_OPENAI_ENDPOINT={EP}\n# Azure Speech\nSPEECH_REGION=eastus\n\n{settings(distance)}key={key}\n"
    assert found(text) == ["azure-openai-key" if shape == "azure" else "azure-openai-classic-key"]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_heading_beyond_the_block_is_not_read(shape: str) -> None:
    key = make_key(shape, seed=17)
    text = f"AZURE_OPENAI_ENDPOINT={EP}\n\n# Azure Speech\n{settings(REACH + 400)}key={key}\n"
    assert found(text) == ["azure-openai-key" if shape == "azure" else "azure-openai-classic-key"]


@pytest.mark.parametrize("distance", FAR)
@pytest.mark.parametrize(("heading", "reported"), [("# Stripe webhooks", False), ("# OpenAI webhooks", True)])
def test_a_webhook_secrets_paragraph_is_read_to_its_heading(distance: int, heading: str, reported: bool) -> None:
    secret = make_key("whsec_", seed=distance)
    text = f"OPENAI_API_KEY=sk-x\n\n{heading}\n{settings(distance)}WEBHOOK_SECRET={secret}\n"
    assert found(text) == (["openai-webhook-secret"] if reported else [])


# A setting's name glued by `=` to a value with a digit (`westus2`, `eastus2`: common regions) was
# blanked as one random token, and the service it names with it: the key after it was reported.
GLUED_SETTINGS = [
    "AZURE_SPEECH_REGION=westus2",
    "SPEECH_REGION=eastus2",
    "TRANSLATOR_REGION=westeurope2",
    "AZURE_SEARCH_INDEX=docs-v2",
    "DOCUMENT_INTELLIGENCE_API_VERSION=2024-11-30",
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("setting", GLUED_SETTINGS)
@pytest.mark.parametrize("line", ["KEY={k}", "key = '{k}'", "export KEY={k}"])
def test_a_setting_glued_to_its_value_names_its_service(shape: str, setting: str, line: str) -> None:
    key = make_key(shape, seed=len(setting) + len(line))
    text = f"AZURE_OPENAI_ENDPOINT={EP}\n\n{setting}\n{line.format(k=key)}\n"
    assert found(text) == []


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("setting", ["AZURE_OPENAI_API_VERSION=2024-02-01", "AZURE_OPENAI_DEPLOYMENT=gpt-4o-2024"])
def test_an_azure_openai_setting_glued_to_its_value_keeps_the_key_reported(shape: str, setting: str) -> None:
    key = make_key(shape, seed=len(setting))
    text = f"# Azure Speech\nSPEECH_REGION=westus\n\n{setting}\nKEY={key}\n"
    assert found(text) == ["azure-openai-key" if shape == "azure" else "azure-openai-classic-key"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("padding", ["", "=", "=="])
def test_a_random_token_with_padding_still_names_nothing(shape: str, padding: str) -> None:
    # A clue word inside a random base64 token (`maps`) says nothing, padded or not.
    token = make_key("whsec_", seed=3)[6:20] + "maps" + make_key("whsec_", seed=4)[6:20] + padding
    key = make_key(shape, seed=len(padding))
    text = f"AZURE_OPENAI_ENDPOINT={EP}\n\nSESSION_BLOB={token}\nKEY={key}\n"
    assert found(text) == ["azure-openai-key" if shape == "azure" else "azure-openai-classic-key"]


@pytest.mark.parametrize(
    ("head", "name"), [("", "k{i} = "), ("", "key: "), (f"AZURE_OPENAI_ENDPOINT={EP}\n", "api_key_{i} = ")]
)
@pytest.mark.parametrize("count", [150, 300])
def test_keys_one_a_line_in_a_long_paragraph_are_all_reported(head: str, name: str, count: int) -> None:
    # A paragraph with no start within reach is judged by its last 800 characters: read further
    # back, cut inside another key, a piece of it spelled a clue (`maps`, `face`) and one of
    # tests/test_allowlist.py's 300 keys, one a line, went unreported.
    shape = "azure" if not head else "azure-classic"
    keys = [make_key(shape, seed=i) for i in range(count)]
    text = head + "".join(f"{name.format(i=i)}{k}\n" for i, k in enumerate(keys))
    assert found(text) == ["azure-openai-key" if shape == "azure" else "azure-openai-classic-key"] * count
