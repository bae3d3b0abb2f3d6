"""prefilter.py must stay exactly the engine's prefilter for the default rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from keylatch.engine import BASE64_MARKERS, scan_chunk
from keylatch.model import Chunk
from keylatch.prefilter import KEYWORDS, may_hold_key
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import ALL_KINDS, make_key


def test_keywords_are_the_rules_keywords_and_the_base64_markers() -> None:
    expected = {kw for rule in DEFAULT_RULES for kw in rule.keyword_bytes} | set(BASE64_MARKERS)
    assert set(KEYWORDS) == expected


def test_every_rule_example_passes_the_prefilter() -> None:
    for rule in DEFAULT_RULES:
        for example in rule.examples:
            assert may_hold_key(example.text.encode("latin-1")), rule.id


@given(st.binary(max_size=400), st.sampled_from(ALL_KINDS), st.integers(0, 1000))
def test_data_failing_the_prefilter_has_no_findings(noise: bytes, kind: str, seed: int) -> None:
    data = noise + make_key(kind, seed).encode() + noise
    if not may_hold_key(data):
        assert scan_chunk(Chunk(data, "x")) == []
