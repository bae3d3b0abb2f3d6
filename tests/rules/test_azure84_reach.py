"""An 84-character Azure key is judged on as much text as a 32-hex key: its paragraph, its
record and its resource's block, not only the ~600 characters of the engine's window before it.

QA: a generic `key = <84>` whose paragraph named another service more than a window back, or
whose resource kind (`az cognitiveservices account show`, 2-4 KB before `keys list`) was another
service's, was reported while the same 32-hex key was not. Each case is checked with both key
shapes at several distances, so a judgement that stops short of the 32-hex rule's fails.
"""

from __future__ import annotations

import pytest

from keylatch.rules.examples import AZURE_OTHER_TEXTS, fill
from keylatch.rules.synthetic import make_key
from tests.helpers.paragraphs import EP, SHAPES, found, in_another_services_paragraph, settings


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("distance", [0, 300, 700])
@pytest.mark.parametrize("service", ["# Azure Speech", "speech_config = speechsdk.SpeechConfig(", '"Translator": {'])
@pytest.mark.parametrize("line", ["key = '{k}'", "KEY={k}", '"Key": "{k}"'])
def test_a_generic_name_in_another_services_paragraph_is_not_reported_at_any_distance(
    shape: str, distance: int, service: str, line: str
) -> None:
    key = make_key(shape, seed=distance + len(service) + len(line))
    assert found(in_another_services_paragraph(service, distance, line.format(k=key))) == []


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("distance", [0, 300, 700])
def test_a_generic_name_in_an_azure_openai_paragraph_is_reported_at_any_distance(shape: str, distance: int) -> None:
    key = make_key(shape, seed=distance + 3)
    text = f"# Azure OpenAI\nAZURE_OPENAI_ENDPOINT={EP}\n{settings(distance)}key = '{key}'\n"
    assert found(text) == ["azure-openai-key" if shape == "azure" else "azure-openai-classic-key"]


# `az cognitiveservices account show` then `keys list` for a resource whose kind is another
# service's (examples.py): the kind is 1-2 KB before the key, beyond the engine's window.
KIND_TEXTS = [t for t in AZURE_OTHER_TEXTS if "account show" in t and '"capabilities"' in t]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("i", range(len(KIND_TEXTS)))
def test_a_key_of_a_resource_whose_kind_is_another_service_is_not_reported(shape: str, i: int) -> None:
    text = fill(KIND_TEXTS[i], "", 500 + i)
    others = [make_key("azure-classic", seed=1000 * (500 + i) + n) for n in range(1, 3)]
    if shape == "azure":
        text = text.replace(others[0], make_key("azure", seed=500 + i))
    assert found(text) == []


def test_the_kind_texts_put_the_kind_beyond_the_engines_window() -> None:
    # Otherwise the test above would pass with the old ~600-character judgement.
    assert KIND_TEXTS and all(t.index("{o}") - t.index('"kind"') > 1000 for t in KIND_TEXTS)


@pytest.mark.parametrize("distance", [0, 700, 3000])
def test_an_84_character_key_that_nothing_assigns_stays_reported_far_into_a_file(distance: int) -> None:
    key = make_key("azure", seed=distance)
    assert found(f"# Speech\nSPEECH_REGION=eastus\n\n{settings(distance)}key = '{key}'\n") == ["azure-openai-key"]
