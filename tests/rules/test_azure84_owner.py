"""Whose 84-character Azure key is it: every Azure AI service issues this format.

QA found `AZURE_SPEECH_KEY=<84>`, `speechsdk.SpeechConfig(subscription=<84>)` and
`AZURE_TRANSLATOR_KEY=<84>` reported as Azure OpenAI keys in files that never mention OpenAI.
The 32-hex rule's judgement (own name, client, paragraph, resource kind) now applies; a key
nothing assigns stays reported, as does a multi-service key.
"""

from __future__ import annotations

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key

SERVICES = ("SPEECH", "TRANSLATOR", "DOCUMENT_INTELLIGENCE", "FORM_RECOGNIZER", "VISION", "FACE", "LANGUAGE",
            "CONTENT_SAFETY", "SEARCH", "MAPS", "PERSONALIZER", "ANOMALY_DETECTOR", "CONTENT_MODERATOR")  # fmt: skip
SHAPES = ("AZURE_{s}_KEY={k}", "{s}_SUBSCRIPTION_KEY={k}", "azure_{l}_key = '{k}'", '"{c}Key": "{k}"', "{c}Key: {k}")
CLIENTS = ('speechsdk.SpeechConfig(subscription="{k}", region="eastus")',
           "TextTranslationClient(credential=TranslatorCredential('{k}', 'eastus'))",
           "DocumentIntelligenceClient(endpoint, AzureKeyCredential('{k}'))",
           "new SpeechConfig.FromSubscription(\"{k}\", \"westus\");")  # fmt: skip


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.secret.value) for f in scan_text(text)]


def _camel(service: str) -> str:
    return "".join(w.capitalize() for w in service.split("_"))


@pytest.mark.parametrize("evidence", ["", "AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\n"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("service", SERVICES)
def test_another_services_84_character_key_is_not_reported(service: str, shape: str, evidence: str) -> None:
    key = make_key("azure", seed=len(service) + len(shape))
    line = shape.format(s=service, l=service.lower(), c=_camel(service), k=key)
    assert _found(f"{evidence}{line}\n") == []


@pytest.mark.parametrize("client", CLIENTS)
def test_an_84_character_key_passed_to_another_services_client_is_not_reported(client: str) -> None:
    key = make_key("azure", seed=len(client))
    assert _found(f"import os\ncfg = {client.format(k=key)}\n") == []


def test_a_generic_name_in_another_services_paragraph_is_not_reported() -> None:
    key = make_key("azure", seed=3)
    text = f"# Azure Translator\nendpoint = 'https://api.cognitive.microsofttranslator.com/'\nkey = '{key}'\n"
    assert _found(text) == []


@pytest.mark.parametrize(
    "line",
    [
        "AZURE_OPENAI_KEY={k}",
        "AZURE_OPENAI_API_KEY={k}",
        "azureOpenAIKey = '{k}'",
        "AZURE_AI_SERVICES_KEY={k}",
        "COGNITIVE_SERVICES_KEY={k}",
        'client = AzureOpenAI(api_key="{k}")',
        "key = '{k}'",
        "api-key: {k}",
        "{k}",
    ],
)
@pytest.mark.parametrize("evidence", ["", "# Speech\nAZURE_SPEECH_REGION=eastus\n\n"])
def test_an_openai_multi_service_or_unassigned_84_character_key_is_reported(line: str, evidence: str) -> None:
    # Unassigned (a bare key, a generic name with nothing near it): reported, it may be Azure
    # OpenAI's. Another service's paragraph ends at a blank line.
    key = make_key("azure", seed=len(line))
    assert _found(f"{evidence}{line.format(k=key)}\n") == [("azure-openai-key", key)]
