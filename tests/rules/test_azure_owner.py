"""Whose 32-hex key is it: Azure OpenAI, multi-service AI services, or another Azure service."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_text
from keylatch.rules.synthetic import ALL_KINDS, make_key

EP = "https://contoso.openai.azure.com/"
# The services, as their keys are named in settings files and SDK clients.
OTHER_SERVICES = (
    "DOCUMENT_INTELLIGENCE", "DOCUMENTINTELLIGENCE", "FORM_RECOGNIZER", "ANOMALY_DETECTOR",
    "CONTENT_MODERATOR", "LUIS", "LUIS_AUTHORING", "PERSONALIZER", "SPEECH", "SEARCH", "TRANSLATOR",
    "MAPS", "TEXT_ANALYTICS", "LANGUAGE", "VISION", "FACE", "CONTENT_SAFETY", "IMMERSIVE_READER",
)  # fmt: skip
OTHER_CLIENTS = (
    "DocumentIntelligenceClient", "DocumentAnalysisClient", "FormRecognizerClient", "AnomalyDetectorClient",
    "ContentModeratorClient", "LUISRuntimeClient", "PersonalizerClient", "SearchClient", "TextTranslationClient",
    "MapsSearchClient", "TextAnalyticsClient", "ContentSafetyClient", "FaceClient",
)  # fmt: skip
GENERIC_NAMES = ("key", "key1", "key2", "api_key", "apiKey", "KEY", '"Key":', '"apiKey":')


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.secret.value) for f in scan_text(text)]


@pytest.mark.parametrize("service", OTHER_SERVICES)
@pytest.mark.parametrize("shape", ["AZURE_{s}_KEY={k}", "{s}_API_KEY={k}", "azure_{l}_key = '{k}'", '"{s}Key": "{k}"'])
def test_another_services_key_beside_azure_openai_is_not_reported(service: str, shape: str) -> None:
    key = make_key("azure-classic", seed=len(service))
    line = shape.format(s=service, l=service.lower(), k=key)
    assert _found(f"AZURE_OPENAI_ENDPOINT={EP}\n{line}\n") == []


@pytest.mark.parametrize("client", OTHER_CLIENTS)
@pytest.mark.parametrize("name", ["credential=AzureKeyCredential('{k}')", "key='{k}'", "api_key='{k}',"])
def test_a_key_passed_to_another_services_client_across_lines_is_not_reported(client: str, name: str) -> None:
    key = make_key("azure-classic", seed=len(client))
    text = (
        f"from openai import AzureOpenAI\nclient = AzureOpenAI(azure_endpoint='{EP}', api_key=os.environ['K'])\n"
        f"other = {client}(\n    endpoint='https://x.cognitiveservices.azure.com/',\n    {name.format(k=key)}\n)\n"
    )
    assert _found(text) == []


@pytest.mark.parametrize("name", GENERIC_NAMES)
@pytest.mark.parametrize(
    "endpoint",
    [EP, "https://res.cognitiveservices.azure.com/openai/deployments/gpt-4o", "https://x.openai.azure.com"],
)
def test_a_generic_name_next_to_an_azure_openai_endpoint_is_reported(name: str, endpoint: str) -> None:
    key = make_key("azure-classic", seed=len(name) + len(endpoint))
    sep = " " if name.endswith(":") else "="
    text = f'endpoint = "{endpoint}"\n{name}{sep}"{key}"\n'
    assert _found(text) == [("azure-openai-classic-key", key)]


@pytest.mark.parametrize(
    "name", ["AZURE_AI_SERVICES_KEY", "AI_SERVICES_API_KEY", "aiServicesKey", "COGNITIVE_SERVICES_KEY"]
)
def test_a_multi_service_key_is_reported_as_such(name: str) -> None:
    key = make_key("azure-classic", seed=len(name))
    text = f"AZURE_OPENAI_ENDPOINT={EP}\n{name}={key}\n"
    assert _found(text) == [("azure-ai-services-key", key)]


def test_an_ai_foundry_endpoint_is_evidence_for_a_generic_key() -> None:
    key = make_key("azure-classic", seed=5)
    assert _found(f"ENDPOINT=https://proj.services.ai.azure.com/\nKEY={key}\n") == [("azure-ai-services-key", key)]


def test_a_bare_cognitive_services_endpoint_is_not_evidence() -> None:
    # Every Azure AI service has one; without `/openai/`, an OpenAI client or kind, it says nothing.
    key = make_key("azure-classic", seed=6)
    assert _found(f"ENDPOINT=https://res.cognitiveservices.azure.com/\nKEY={key}\n") == []


@settings(max_examples=200, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(ALL_KINDS), max_size=4),
    seed=st.integers(0, 2**16),
    name=st.sampled_from(GENERIC_NAMES),
)
def test_other_keys_on_the_lines_before_do_not_change_the_verdict(kinds: list[str], seed: int, name: str) -> None:
    # A clue word inside a random token ("maps", "luis", "face") is not a name.
    key = make_key("azure-classic", seed=seed)
    between = "".join(f"x{i} = {make_key(k, seed=seed + i)}\n" for i, k in enumerate(kinds))
    sep = " " if name.endswith(":") else "="
    text = f'endpoint = "{EP}"\n{between}{name}{sep}"{key}"\n'
    assert ("azure-openai-classic-key", key) in _found(text)
