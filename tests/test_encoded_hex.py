"""Keys written as hex digits (`bytes.hex()`, `xxd -p`, a hex-dumped `.env`): found at the start
of their run of digits, labelled `hex`, in either case and at either parity; hex that holds no
key stays clean, and a hex-dumped text finds the keys of the text plain."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_chunk, scan_text
from keylatch.model import Chunk
from keylatch.prefilter import may_hold_key
from keylatch.rules import DEFAULT_RULES, hex_gates
from keylatch.rules.synthetic import ALL_KINDS, make_key

_EVIDENCE = "AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\n"
# `ek_` (3 bytes) has no hex gate, and the 32-hex Azure key no keyword: both are found when a
# gated keyword is hexed with them (the name `AZURE_...`, another key), not alone.
_ALONE = tuple(k for k in ALL_KINDS if k not in ("ek_", "azure-classic"))


@pytest.mark.parametrize("kind", _ALONE)
@pytest.mark.parametrize("case", ["lower", "upper"])
@pytest.mark.parametrize("lead", ["", "0", "ab"])  # digits before the key's: either parity
def test_a_key_written_in_hex_is_found_at_its_run(kind: str, case: str, lead: str) -> None:
    key = make_key(kind, 9)
    digits = lead + key.encode().hex()
    digits = digits.upper() if case == "upper" else digits
    data = f"{_EVIDENCE}OPENAI_API_KEY_HEX = '{digits}'\n".encode()
    found = [(f.secret.value, f.encoding, f.location.line, f.location.column) for f in scan_chunk(Chunk(data, "x"))]
    assert found == [(key, "hex", 2, len("OPENAI_API_KEY_HEX = '") + 1)]
    assert may_hold_key(data)


@pytest.mark.parametrize("kind", ["azure-classic", "ek_", "sk-proj-"])
def test_a_hex_dumped_env_finds_every_key_in_it(kind: str) -> None:
    key = make_key(kind, 4)
    other = make_key("sk-svcacct-", 4)
    env = f"# openai realtime\nAZURE_OPENAI_API_KEY={key}\nOTHER={other}\n"
    data = f"{_EVIDENCE}dump: {env.encode().hex()}\n".encode()
    assert sorted((f.secret.value, f.encoding) for f in scan_chunk(Chunk(data, "x"))) == sorted(
        [(key, "hex"), (other, "hex")]
    )


def test_hex_that_holds_no_key_stays_clean() -> None:
    # Digests and dumps that hold every gate's spelling (decoded: no key in the bytes).
    gates = "".join(g.decode() for g in hex_gates(DEFAULT_RULES))
    digests = "\n".join(hashlib.sha256(bytes([i])).hexdigest() for i in range(50))
    for text in (gates, f"{digests}\n{gates}{digests[:64]}\n", make_key("sk-proj-", 2)[:-6].encode().hex()):
        assert scan_chunk(Chunk(text.encode(), "x")) == []


_EXAMPLES = sorted({e.text for r in DEFAULT_RULES for e in r.examples})


@settings(max_examples=60, deadline=None)  # a scan under a loaded machine's scheduler
@given(example=st.sampled_from(_EXAMPLES), upper=st.booleans())
def test_a_hex_dumped_text_finds_the_keys_of_the_text(example: str, upper: bool) -> None:
    digits = example.encode("utf-8").hex()
    data = (digits.upper() if upper else digits).encode()
    plain = {f.secret.value for f in scan_text(example) if not f.encoding}
    found = scan_chunk(Chunk(data, "x"))
    assert {f.encoding for f in found} <= {"hex"}
    gated = any(g in data for g in hex_gates(DEFAULT_RULES))
    assert {f.secret.value for f in found} == (plain if gated else set())
