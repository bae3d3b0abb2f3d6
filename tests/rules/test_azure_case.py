"""A 32-hex Azure key in any letter case: Azure issues lower case, users paste it upper-cased.

QA: `AZURE_OPENAI_API_KEY=<32 upper-case hex>` beside an Azure OpenAI endpoint was missed. The
case of the value must not change the judgement either way: the same file evidence, name and
owner that a lower-case key needs are needed, so an upper-case hash, a GUID without dashes or
another service's key stays unreported exactly as its lower-case spelling does.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keylatch.engine import scan_text
from keylatch.rules.examples import AZURE_AI_SERVICES_TEXTS, AZURE_OPENAI_TEXTS, AZURE_OTHER_TEXTS, fill
from keylatch.rules.synthetic import make_key

EP = "https://contoso.openai.azure.com/"
CASES: dict[str, Callable[[str], str]] = {
    "lower": str.lower,
    "upper": str.upper,
    "upper-head": lambda k: k[:16].upper() + k[16:],
    "alternating": lambda k: "".join(c.upper() if i % 2 else c for i, c in enumerate(k)),
}


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.secret.value) for f in scan_text(text)]


def _key(seed: int, case: str) -> str:
    # A key with letters in both halves, so every case style changes it.
    return CASES[case](make_key("azure-classic", seed=seed))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("i", range(len(AZURE_OPENAI_TEXTS)))
def test_an_azure_openai_key_is_found_in_every_letter_case(i: int, case: str) -> None:
    key = _key(100 + i, case)
    found = _found(fill(AZURE_OPENAI_TEXTS[i], key, 100 + i))
    assert found == [("azure-openai-classic-key", key)]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("i", range(len(AZURE_AI_SERVICES_TEXTS)))
def test_a_multi_service_key_is_found_in_every_letter_case(i: int, case: str) -> None:
    key = _key(200 + i, case)
    assert _found(fill(AZURE_AI_SERVICES_TEXTS[i], key, 200 + i)) == [("azure-ai-services-key", key)]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("i", range(len(AZURE_OTHER_TEXTS)))
def test_other_services_keys_stay_unreported_in_every_letter_case(i: int, case: str) -> None:
    text = fill(AZURE_OTHER_TEXTS[i], "", 300 + i)
    others = {make_key("azure-classic", seed=1000 * (300 + i) + n) for n in range(1, 40)}
    for other in others:
        text = text.replace(other, CASES[case](other))
    assert _found(text) == []


@pytest.mark.parametrize("case", ["upper", "alternating"])
@pytest.mark.parametrize(
    "line",
    [
        "MD5={k}",
        "sha256_prefix = '{k}'",
        "AZURE_CLIENT_ID={k}",
        "AZURE_SUBSCRIPTION_ID={k}",
        "AZURE_TENANT_ID={k}",
        "CorrelationId: {k}",
        '"etag": "{k}"',
        '"x-ms-request-id": "{k}"',
        "ProjectGuid = {k}",
        "AZURE_SPEECH_KEY={k}",
        "AZURE_SEARCH_API_KEY={k}",
        "hash = {k}",
    ],
)
def test_upper_case_hashes_and_ids_beside_azure_openai_are_not_keys(line: str, case: str) -> None:
    key = _key(len(line), case)
    assert _found(f"AZURE_OPENAI_ENDPOINT={EP}\n{line.format(k=key)}\n") == []


@pytest.mark.parametrize("case", CASES)
def test_without_azure_openai_evidence_no_case_is_reported(case: str) -> None:
    assert _found(f"API_KEY={_key(7, case)}\nENDPOINT=https://example.com\n") == []


@pytest.mark.parametrize(
    "value",
    [
        "0123456789ABCDEF0123456789ABCDEF",
        "00000000000000000000000000000000",
        "ABCDEFABCDEFABCDEFABCDEFABCDEFAB",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        "DEADBEEFDEADBEEFDEADBEEFDEADBEEF",
    ],
)
def test_upper_case_placeholders_are_not_keys(value: str) -> None:
    assert _found(f"AZURE_OPENAI_ENDPOINT={EP}\nAZURE_OPENAI_API_KEY={value}\n") == []


@pytest.mark.parametrize("case", ["upper", "alternating"])
def test_a_key_run_on_into_more_hex_is_not_a_key(case: str) -> None:
    key = _key(9, case)
    assert _found(f"AZURE_OPENAI_ENDPOINT={EP}\nAZURE_OPENAI_API_KEY={key}ABCD\n") == []
