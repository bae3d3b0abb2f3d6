"""A generic name is judged by its whole paragraph, also one longer than the 800 characters
owner.py first reads back: a heading over thirty settings (`# Azure Speech`, then `key=<84>`)
named the key's service more than 800 characters back and the key was reported as Azure
OpenAI's (QA corpus17, t12). The paragraph is read on to its start, at most owner.BLOCK back;
a blank line still ends it, and the nearest clue still wins.
"""

from __future__ import annotations

import pytest

from keylatch.engine import scan_text
from keylatch.rules.owner import BLOCK
from keylatch.rules.synthetic import make_key

SHAPES = ("azure", "azure-classic")
EP = "https://contoso.openai.azure.com/"
FAR = [900, 2000, BLOCK - 600]


def _found(text: str) -> list[str]:
    return [f.rule_id for f in scan_text(text)]


def _settings(chars: int) -> str:
    """Settings that name no service, about `chars` long, without a blank line."""
    return "".join(f"SETTING_{i:03d}=value-{i:03d}-of-the-paragraph\n" for i in range(chars // 36 + 1))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("distance", FAR)
@pytest.mark.parametrize("service", ["# Azure Speech", "speech_config = speechsdk.SpeechConfig(", '"Translator": {'])
@pytest.mark.parametrize("line", ["key={k}", "key = '{k}'", '"Key": "{k}"'])
def test_another_services_heading_far_back_in_the_keys_paragraph_is_its_owner(
    shape: str, distance: int, service: str, line: str
) -> None:
    key = make_key(shape, seed=distance + len(service) + len(line))
    text = f"AZURE_OPENAI_ENDPOINT={EP}\n\n{service}\n{_settings(distance)}{line.format(k=key)}\n"
    assert _found(text) == []


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("distance", FAR)
def test_an_azure_openai_heading_far_back_keeps_the_key_reported(shape: str, distance: int) -> None:
    key = make_key(shape, seed=distance + 7)
    speech = "# Azure Speech\nSPEECH_REGION=eastus\n\n"
    text = f"{speech}# Azure OpenAI\nAZURE_OPENAI_ENDPOINT={EP}\n{_settings(distance)}key={key}\n"
    assert _found(text) == ["azure-openai-key" if shape == "azure" else "azure-openai-classic-key"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("distance", FAR)
def test_a_blank_line_still_ends_the_paragraph_far_back(shape: str, distance: int) -> None:
    # The Speech heading is in the paragraph before: it says nothing about this key.
    key = make_key(shape, seed=distance + 11)
    text = f"AZURE_OPENAI_ENDPOINT={EP}\n# Azure Speech\nSPEECH_REGION=eastus\n\n{_settings(distance)}key={key}\n"
    assert _found(text) == ["azure-openai-key" if shape == "azure" else "azure-openai-classic-key"]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_heading_beyond_the_block_is_not_read(shape: str) -> None:
    key = make_key(shape, seed=17)
    text = f"AZURE_OPENAI_ENDPOINT={EP}\n\n# Azure Speech\n{_settings(BLOCK + 400)}key={key}\n"
    assert _found(text) == ["azure-openai-key" if shape == "azure" else "azure-openai-classic-key"]


@pytest.mark.parametrize("distance", FAR)
@pytest.mark.parametrize(("heading", "reported"), [("# Stripe webhooks", False), ("# OpenAI webhooks", True)])
def test_a_webhook_secrets_paragraph_is_read_to_its_heading(distance: int, heading: str, reported: bool) -> None:
    secret = make_key("whsec_", seed=distance)
    text = f"OPENAI_API_KEY=sk-x\n\n{heading}\n{_settings(distance)}WEBHOOK_SECRET={secret}\n"
    assert _found(text) == (["openai-webhook-secret"] if reported else [])
