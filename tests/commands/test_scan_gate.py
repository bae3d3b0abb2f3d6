"""scan's one-call file test (prefilter.scan_gate / any_present with `wrapped`) answers as the
gate and the wrapped-base64 test asked one after the other, with Hyperscan and without."""

from __future__ import annotations

import base64

import pytest

from keylatch import prefilter
from keylatch.rules.synthetic import make_key

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
