"""scan's one-call file test (prefilter.scan_gate / any_present with `wrapped`) answers as the
gate and the wrapped-base64 test asked one after the other, with Hyperscan and without; and
whatever the engine reports in a file passes it (`zure` only with the Azure OpenAI evidence)."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch import prefilter
from keylatch.engine import scan_chunk
from keylatch.model import Chunk
from keylatch.rules import DEFAULT_RULES, Rule
from keylatch.rules.azure import _AZURE_EVIDENCE as AZURE_RULE_EVIDENCE
from keylatch.rules.synthetic import ALL_KINDS, make_key

KEY = make_key("sk-proj-", seed=14)
WRAPPED = b"\n".join(base64.b64encode(f"OPENAI_API_KEY={KEY}\n".encode() * 3)[i : i + 76] for i in range(0, 300, 76))
SAMPLES = [
    b"",
    b"plain text\n",
    KEY.encode(),
    b"static int seek_end(void);\n",
    b"x = ek_" + b"a" * 40,
    WRAPPED,
    b"A" * 59 + b"\n",
    b"A" * 76 + b"\n" + b"B" * 76 + b"\n",
    b"A" * 200,
    b"Azure docs\n",
]


@pytest.mark.parametrize("hyperscan", [True, False], ids=["hyperscan", "in-tests"])
@pytest.mark.parametrize("data", SAMPLES)
def test_the_one_call_gate_is_the_gate_or_the_wrapped_test(
    monkeypatch: pytest.MonkeyPatch, hyperscan: bool, data: bytes
) -> None:
    if not hyperscan:
        monkeypatch.setattr(prefilter, "_database", lambda needles: None)
    expected = prefilter.scan_gate()(data) or prefilter.wrapped_base64_width(data) > 0
    assert prefilter.scan_gate(wrapped=True)(data) == expected
    needles = (b"sk-", b"zure")
    expected = prefilter.any_present(needles)(data) or prefilter.wrapped_base64_width(data) > 0
    assert prefilter.any_present(needles, wrapped=True)(data) == expected


def test_the_samples_hold_both_answers() -> None:
    answers = {prefilter.scan_gate(wrapped=True)(d) for d in SAMPLES}
    assert answers == {True, False}
    assert prefilter.wrapped_base64_width(WRAPPED) == 76


# What scan's gate must let through: whatever the engine reports in a file, however it is written.
ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda t: t.encode(),
    "upper": lambda t: t.upper().encode(),
    "utf-16-le": lambda t: t.encode("utf-16-le"),
    "utf-32-be": lambda t: t.encode("utf-32-be"),
    "hex": lambda t: t.encode().hex().encode(),
    "json-escaped": lambda t: "".join(f"\\u{ord(c):04x}" for c in t).encode(),
    "base64": lambda t: b"data: " + base64.b64encode(t.encode()),
}
CONTEXTS = [
    "",
    "OPENAI_API_KEY=",
    "# Azure Pipelines\nkey = ",
    "# Azure Pipelines\nAZURE_OPENAI_ENDPOINT=https://x.openai.azure.com\nazure_openai_api_key = ",
    "azure_endpoint = 'x.openai.azure.com'\napi_key = ",
    "Azure.AI.Services\nkey = ",
    "AzureChatOpenAI(api_key=",
    "https://westus.cognitiveservices.azure.com/\nsubscription_key = ",
]


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_every_rule_example_the_engine_reports_passes_scan_s_gate(rule: Rule, encoding: str) -> None:
    gate = prefilter.scan_gate(wrapped=True)
    for example in rule.examples:
        data = ENCODINGS[encoding](example.text)
        if scan_chunk(Chunk(data, "x")):
            assert gate(data), (rule.id, example.text)


@settings(max_examples=300)
@given(
    st.binary(max_size=100),
    st.sampled_from([*ALL_KINDS, "ek_", "azure-classic", "azure-classic"]),
    st.integers(0, 1000),
    st.sampled_from(sorted(ENCODINGS)),
    st.sampled_from(CONTEXTS),
    st.booleans(),
)
def test_whatever_the_engine_finds_passes_scan_s_gate(
    noise: bytes, kind: str, seed: int, encoding: str, context: str, hyperscan: bool
) -> None:
    data = noise + ENCODINGS[encoding](context + make_key(kind, seed) + "\n") + noise
    if scan_chunk(Chunk(data, "x")):
        gate = prefilter.scan_gate(wrapped=True) if hyperscan else _fallback_gate()
        assert gate(data)


def _fallback_gate() -> Callable[[bytes], bool]:
    real = prefilter._database
    prefilter._database = lambda needles: None  # type: ignore[assignment]
    try:
        return prefilter.scan_gate(wrapped=True)
    finally:
        prefilter._database = real


@given(st.from_regex(AZURE_RULE_EVIDENCE.compiled()), st.sampled_from([str.lower, str.upper, str.title, str.swapcase]))
def test_azure_evidence_in_any_case_passes_scan_s_gate(text: str, case: Callable[[str], str]) -> None:
    # The 32-hex rules search their evidence in the lower-cased text; scan's gate in any ASCII case.
    data = case(text).encode("utf-8", "replace")
    if AZURE_RULE_EVIDENCE.search(data.lower().decode("latin-1")):
        assert prefilter.azure_evidence(data), text
        assert prefilter.scan_gate()(data) and _fallback_gate()(data)


@pytest.mark.parametrize(
    "text", ["# Azure Pipelines\nazure-pipelines.yml", "AZURE_CLIENT_ID=x", "microsoft azure", "Azure OpenAl"]
)
@pytest.mark.parametrize("hyperscan", [True, False], ids=["hyperscan", "in-tests"])
def test_azure_without_openai_evidence_does_not_reach_the_engine(text: str, hyperscan: bool) -> None:
    data = f"{text}\nkey = {make_key('azure-classic', seed=1)}\n".encode()
    assert not scan_chunk(Chunk(data, "x"))
    gate = prefilter.scan_gate() if hyperscan else _fallback_gate()
    assert prefilter.any_present((b"zure", b"ZURE"))(data) and not gate(data)
    assert gate(data + b"\nendpoint: https://r.openai.AZURE.com\n")
