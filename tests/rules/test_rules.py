"""Each rule proves itself: its examples match exactly, its counterexamples do not."""

from __future__ import annotations

import pytest

from keylatch.engine import scan_text
from keylatch.rules import DEFAULT_RULES, Example, Rule

# Optional rules prove themselves too, scanned with every rule on.
EXAMPLES = [(r, e) for r in DEFAULT_RULES for e in r.examples]
COUNTEREXAMPLES = [(r, c) for r in DEFAULT_RULES for c in r.counterexamples]


@pytest.mark.parametrize(("rule", "example"), EXAMPLES, ids=[f"{r.id}-{i}" for i, (r, _) in enumerate(EXAMPLES)])
def test_example_yields_exactly_its_key(rule: Rule, example: Example) -> None:
    findings = scan_text(example.text, DEFAULT_RULES)
    assert [(f.rule_id, f.secret.value) for f in findings] == [(rule.id, example.key)]


@pytest.mark.parametrize(
    ("rule", "text"), COUNTEREXAMPLES, ids=[f"{r.id}-{i}" for i, (r, _) in enumerate(COUNTEREXAMPLES)]
)
def test_counterexample_yields_nothing(rule: Rule, text: str) -> None:
    assert scan_text(text, DEFAULT_RULES) == []


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_every_rule_has_examples_and_counterexamples(rule: Rule) -> None:
    assert rule.examples and rule.counterexamples


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_redacted_form_of_each_example_is_not_a_finding(rule: Rule) -> None:
    for example in rule.examples:
        (finding,) = scan_text(example.text, DEFAULT_RULES)
        redacted = finding.secret.redacted
        assert example.key not in redacted
        assert len(redacted) < len(example.key)
        if example.key in example.text:  # written plain (an encoded example has no plain key to redact)
            assert scan_text(example.text.replace(example.key, redacted), DEFAULT_RULES) == []
