"""Realtime ephemeral client secrets (`ek_`): exact spans in OpenAI files, nothing elsewhere."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_text
from keylatch.model import Severity
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import make_key

_KEY_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/")
noise = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]).filter(lambda c: c not in _KEY_CHARS and c != "\\"),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), left=noise, right=noise)
def test_exact_span_and_low_severity(seed: int, left: str, right: str) -> None:
    key = make_key("ek_", seed=seed)
    prefix = "openai realtime\n"
    (hit,) = scan_text(prefix + left + key + right, DEFAULT_RULES)
    assert hit.span == (len(prefix + left), len(prefix + left) + len(key))
    assert (hit.rule_id, hit.severity) == ("openai-realtime-client-secret", Severity.LOW)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32), cut=st.integers(1, 8), glue=st.sampled_from(["a", "Z", "_", "-", "7"]))
def test_truncated_glued_or_without_openai_is_not_found(seed: int, cut: int, glue: str) -> None:
    key = make_key("ek_", seed=seed)
    assert scan_text(f"openai\nsecret={key[:-cut]}\n", DEFAULT_RULES) == []
    assert scan_text(f"openai\nsecret={key}{glue}\n", DEFAULT_RULES) == []
    assert scan_text(f"openai\nsecret={glue}{key}\n", DEFAULT_RULES) == []
    assert scan_text(f"realtime\nsecret={key}\n", DEFAULT_RULES) == []
