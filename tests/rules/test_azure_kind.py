"""A bare `*.cognitiveservices.azure.com` endpoint is evidence only with a resource kind of
OpenAI or AIServices in its block; another service's kind keeps its keys unreported."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_text
from keylatch.rules.examples import _KIND_TEXTS, fill
from keylatch.rules.synthetic import make_key

OWNED = {"OpenAI": "azure-openai-classic-key", "AIServices": "azure-ai-services-key"}
# Kinds of other Azure AI resources (az cognitiveservices account list-kinds), and the legacy
# multi-service kind, whose keys do not authenticate Azure OpenAI.
OTHER_KINDS = (
    "SpeechServices", "FormRecognizer", "TextAnalytics", "TextTranslation", "ComputerVision", "Face",
    "ContentSafety", "AnomalyDetector", "ContentModerator", "Personalizer", "LUIS", "CognitiveServices",
)  # fmt: skip
# Lines a key's neighbours may be: other settings, comments, blank lines, JSON punctuation. None
# names a kind, a service, or holds a 32-hex value.
NEIGHBOURS = st.lists(
    st.sampled_from(
        ["", "# deployed by ci", '  "location": "westeurope",', "  sku: { name: 'S0' }", "}", "{",
         'tags = { env = "dev" }', "x = 1", "    provisioningState: Succeeded", "--", "name: res"]
    ),
    max_size=6,
).map(lambda lines: "".join(ln + "\n" for ln in lines))  # fmt: skip


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.secret.value) for f in scan_text(text)]


# Example counts are half what they were (the suite's CPU, issue 9): every example draws a fresh
# key, template and neighbours; the CI profile replays a fixed set, local runs explore new ones.
@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(sorted(OWNED)),
    template=st.sampled_from(_KIND_TEXTS),
    seed=st.integers(0, 2**16),
    before=NEIGHBOURS,
    after=NEIGHBOURS,
)
def test_a_generic_key_of_an_openai_or_ai_services_resource_is_reported(
    kind: str, template: str, seed: int, before: str, after: str
) -> None:
    key = make_key("azure-classic", seed=seed)
    text = before + fill(template.replace("{kind}", kind), key, seed) + after
    assert _found(text) == [(OWNED[kind], key)]


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(OTHER_KINDS),
    template=st.sampled_from(_KIND_TEXTS),
    seed=st.integers(0, 2**16),
    before=NEIGHBOURS,
    after=NEIGHBOURS,
    strong=st.booleans(),
)
def test_a_key_of_another_kind_of_resource_is_not_reported(
    kind: str, template: str, seed: int, before: str, after: str, strong: bool
) -> None:
    # Even in a file that configures Azure OpenAI elsewhere: the block's kind says whose key it is.
    evidence = "AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\n\n" if strong else ""
    text = (
        evidence + before + fill(template.replace("{kind}", kind), make_key("azure-classic", seed=seed), seed) + after
    )
    assert _found(text) == []


@pytest.mark.parametrize("template", _KIND_TEXTS)
def test_a_bare_endpoint_without_a_kind_is_not_evidence(template: str) -> None:
    key = make_key("azure-classic", seed=9)
    text = fill(template.replace("{kind}", "OpenAI"), key, 9)
    for spelling in ('"kind": "OpenAI"', "kind: 'OpenAI'", 'kind     = "OpenAI"'):
        text = text.replace(spelling, "")
    assert "OpenAI" not in text and _found(text) == []


@pytest.mark.parametrize("template", _KIND_TEXTS)
def test_a_kind_beyond_the_block_is_not_evidence(template: str) -> None:
    # The same text with the endpoint moved a block away from the kind.
    key = make_key("azure-classic", seed=10)
    text = fill(template.replace("{kind}", "OpenAI"), key, 10)
    host = "https://res.cognitiveservices.azure.com/"
    far = text.replace(host, "https://res.example.test/") + "\n" + "# padding\n" * 700 + f"endpoint: {host}\n"
    assert _found(far) == []
