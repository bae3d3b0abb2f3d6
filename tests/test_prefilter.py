"""prefilter.py must stay exactly the engine's prefilter for the default rules."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keylatch import encoded, prefilter
from keylatch.engine import BASE64_MARKERS, scan_chunk
from keylatch.model import Chunk
from keylatch.prefilter import KEYWORDS, may_hold_key, present, present_each
from keylatch.rules import (
    DEFAULT_RULES,
    Rule,
    base64_gates,
    base64_spellings,
    base64_twice_gates,
    byte_gates,
    escape_gates,
    hex_gates,
    needles,
)
from keylatch.rules.azure import _AZURE_EVIDENCE as AZURE_RULE_EVIDENCE
from keylatch.rules.synthetic import ALL_KINDS, MARKER, make_key


def test_keywords_are_the_rules_needles() -> None:
    assert tuple(sorted(KEYWORDS)) == needles(DEFAULT_RULES)


def test_the_rules_needles_are_the_engines_gates() -> None:
    expected = {kw for rule in DEFAULT_RULES for kw in rule.keyword_bytes}
    expected |= set(base64_gates(DEFAULT_RULES)) | set(encoded.UTF16_NEEDLES) | set(encoded.UTF32_NEEDLES)
    expected |= set(hex_gates(DEFAULT_RULES)) | set(escape_gates(DEFAULT_RULES))
    expected |= set(byte_gates(DEFAULT_RULES)) | set(base64_twice_gates(DEFAULT_RULES))
    # the halves of the keywords an escape or a split may fall inside (Rule.keyword_parts)
    expected |= {b"T3Bl", b"bkFJ", b"JQQ", b"J99", b"eyJhb", b"GciOi"}
    assert set(needles(DEFAULT_RULES)) == expected
    assert base64_spellings(MARKER.encode()) == BASE64_MARKERS
    # Every keyword that lies inside its key and is long enough gates the base64 decoder, and so
    # does the 32-hex key's Azure context; each spelling as its two halves when they have 4+ characters.
    gated = {b"T3BlbkFJ", b"JQQJ99", b"sess-", b"whsec_", b"eyJhbGciOi", b"zure", b"ZURE"}
    spelled = {s[:-1] if len(s) > 10 else s for kw in gated for s in base64_spellings(kw)}  # rules._gate
    halves = {p for s in spelled for p in ((s[: (len(s) + 1) // 2], s[len(s) // 2 :]) if len(s) >= 7 else (s,))}
    assert set(base64_gates(DEFAULT_RULES)) == halves


@pytest.mark.parametrize("gate", base64_gates(DEFAULT_RULES))
def test_every_base64_gate_survives_any_line_break_inside_its_spelling(gate: bytes) -> None:
    spellings = [s for kw in (b"T3BlbkFJ", b"JQQJ99", b"whsec_", b"eyJhbGciOi") for s in base64_spellings(kw)]
    for s in (s for s in spellings if gate in s):
        for cut in range(1, len(s)):
            broken = s[:cut] + b"\n    " + s[cut:]
            assert present(broken, NEEDLES) & set(base64_gates(DEFAULT_RULES)), (s, cut)


NEEDLES = needles(DEFAULT_RULES)
# Needles glued, overlapping and cut: the one pass must see exactly what `in` sees.
PIECES = st.lists(st.sampled_from([*NEEDLES, *(n[:-1] for n in NEEDLES), *(n[1:] for n in NEEDLES), b"\0", b"e", b"x"]))


@given(st.binary(max_size=64), PIECES, st.binary(max_size=64))
def test_one_pass_finds_exactly_the_needles_that_in_finds(left: bytes, pieces: list[bytes], right: bytes) -> None:
    data = left + b"".join(pieces) + right
    assert present(data, NEEDLES) == present_each(data, NEEDLES)


# The same pieces in other cases: the fallback groups needles by their lower-cased spelling.
CASED = st.lists(st.sampled_from([*NEEDLES, *(n.swapcase() for n in NEEDLES), *(n.upper() for n in NEEDLES), b"0X"]))


@given(st.binary(max_size=64), CASED, st.binary(max_size=64), PIECES)
def test_the_hook_s_fallback_finds_exactly_the_needles_that_in_finds(
    left: bytes, cased: list[bytes], right: bytes, pieces: list[bytes]
) -> None:
    data = left + b"".join(cased) + right + b"".join(pieces)
    expected = present_each(data, NEEDLES)
    assert present(data, NEEDLES, min_size=len(data) + 1) == expected  # below HOOK_ONE_PASS_MIN
    assert prefilter.may_hold_key(data) == (bool(expected) or prefilter.wrapped_base64_width(data) > 0)


@pytest.mark.parametrize("needle", NEEDLES)
def test_the_hook_s_fallback_finds_each_needle_alone_and_in_text(needle: bytes) -> None:
    for data in (needle, b"x = " + needle + b"\n", needle.swapcase() + b" " + needle):
        assert present(data, NEEDLES, min_size=1 << 30) == present_each(data, NEEDLES) >= {needle}
    assert present(needle[:-1], NEEDLES, min_size=1 << 30) == present_each(needle[:-1], NEEDLES)


@pytest.mark.parametrize("size", [1, 7, 1 << 16, 3 << 20])
def test_one_pass_sees_needles_at_both_ends_of_large_data(size: int) -> None:
    for needle in NEEDLES:
        for data in (needle + b"-" * size, b"-" * size + needle):
            assert present(data, NEEDLES) == {needle} | present_each(needle, NEEDLES)


@given(st.binary(max_size=64), PIECES, st.binary(max_size=64))
def test_any_present_answers_as_present_does(left: bytes, pieces: list[bytes], right: bytes) -> None:
    data = left + b"".join(pieces) + right
    assert prefilter.any_present(NEEDLES)(data) == bool(present_each(data, NEEDLES))


@pytest.mark.parametrize("one_pass", [True, False], ids=["hyperscan", "in-tests"])
def test_any_present_answers_alike_on_every_thread(monkeypatch: pytest.MonkeyPatch, one_pass: bool) -> None:
    from concurrent.futures import ThreadPoolExecutor

    if not one_pass:
        monkeypatch.setattr(prefilter, "_database", lambda needles: None)
    texts = [b"-" * i + n + b"-" * (i % 7) for i, n in enumerate(NEEDLES)] + [b"", b"clean text\n" * 500]
    texts += [t[1:-1] for t in texts]
    test = prefilter.any_present(NEEDLES)
    expected = [bool(present_each(t, NEEDLES)) for t in texts]
    # Each task tests every text in turn: the four threads call `test` at once all the same,
    # without a pool future per text (10,000 of them were most of this test's CPU).
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda _: [test(t) for t in texts], range(20))) == [expected] * 20
    assert any(expected) and not all(expected)


def test_without_hyperscan_the_engine_finds_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [e.text.encode("latin-1") for r in DEFAULT_RULES for e in r.examples]
    texts += [b"data: " + base64.b64encode(t) + b"\n" for t in texts]
    texts += [t.decode("latin-1").encode("utf-16") for t in texts[:5]]
    with_one_pass = [scan_chunk(Chunk(t, "x")) for t in texts]
    monkeypatch.setattr(prefilter, "_database", lambda needles: None)
    assert [scan_chunk(Chunk(t, "x")) for t in texts] == with_one_pass
    assert all(with_one_pass[: len(texts) // 2])


def test_every_rule_example_passes_the_prefilter() -> None:
    for rule in DEFAULT_RULES:
        for example in rule.examples:
            assert may_hold_key(example.text.encode("latin-1")), rule.id


ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-8": lambda t: t.encode(),
    "utf-16-le": lambda t: t.encode("utf-16-le"),
    "utf-16": lambda t: t.encode("utf-16"),
    "utf-32-be": lambda t: t.encode("utf-32-be"),
    "utf-32": lambda t: t.encode("utf-32"),
    "hex": lambda t: t.encode().hex().encode(),
    "json-escaped": lambda t: "".join(f"\\u{ord(c):04x}" for c in t).encode(),
    "base64": lambda t: b"data: " + base64.b64encode(t.encode()),
}


@given(
    st.binary(max_size=200),
    st.sampled_from(ALL_KINDS),
    st.integers(0, 1000),
    st.sampled_from(sorted(ENCODINGS)),
    st.sampled_from(["", "OPENAI_API_KEY=", "azure_endpoint = 'x.openai.azure.com'\napi_key = "]),
)
def test_whatever_the_engine_finds_passes_the_prefilter(
    noise: bytes, kind: str, seed: int, encoding: str, context: str
) -> None:
    data = noise + ENCODINGS[encoding](context + make_key(kind, seed) + "\n") + noise
    if scan_chunk(Chunk(data, "x")):
        assert may_hold_key(data)


def test_wrapped_base64_files_pass_the_prefilter_even_when_the_marker_straddles_a_break() -> None:
    import base64

    from keylatch.engine import scan_chunk
    from keylatch.model import Chunk
    from keylatch.prefilter import may_hold_key
    from keylatch.rules.synthetic import make_key

    for seed in range(12):
        env = f"# {'prod' * seed}\nOPENAI_API_KEY={make_key('sk-proj-', seed)}\n".encode()
        encoded = base64.b64encode(env)
        wrapped = b"\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + b"\n"
        assert scan_chunk(Chunk(wrapped, "env.b64"))
        assert may_hold_key(wrapped)


EK_RULE = "openai-realtime-client-secret"
# What may stand before an `ek_` key, written as a file holds it: the rule's left edges (no key
# character, an escape that ends in a letter or digit) and the start of the file.
EK_BEFORE = ["", " ", '"', "'", "=", ":", "(", "\n", "\t", "\\n", "\\t", "%22", "\\u0022", "\\x22", "\x80"]
# Inside a word: the rule reports none of these, and the gate lets none through alone.
EK_INSIDE = ["s", "see", "pe", "we", "_", "-", "+", "/", "9", "Z", "\\q", "%2", "\\u002", "\\x2"]


@pytest.fixture(params=[True, False], ids=["hyperscan", "in-tests"])
def gate(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Callable[[bytes], bool]:
    if not request.param:
        monkeypatch.setattr(prefilter, "_database", lambda needles: None)
    return prefilter.scan_gate()


@pytest.mark.parametrize("before", EK_BEFORE)
@pytest.mark.parametrize("quoted", [False, True], ids=["plain", "quoted"])
def test_the_scan_gate_passes_every_ek_key_the_engine_reports(
    gate: Callable[[bytes], bool], before: str, quoted: bool
) -> None:
    key = make_key("ek_", seed=len(before))
    value = f'"{key}"' if quoted else key
    # In a long word first: a `seek_` earlier in the file must not hide the key after it.
    data = f"const seek_x = 1; // openai realtime\nvalue = {before}{value}\n".encode("latin-1")
    assert [f.rule_id for f in scan_chunk(Chunk(data, "x"))] == [EK_RULE], before
    assert gate(data)


@pytest.mark.parametrize("before", EK_INSIDE)
def test_the_scan_gate_passes_over_ek_inside_a_word(gate: Callable[[bytes], bool], before: str) -> None:
    data = f"// openai\noff_t {before}ek_{make_key('ek_', 1)[3:]} = lseek_to(fd);\n".encode()
    assert not scan_chunk(Chunk(data, "x"))
    assert not gate(data)
    assert prefilter.any_present(KEYWORDS)(data)  # the plain literal test would have passed it


@given(st.binary(max_size=40), st.lists(st.sampled_from([*EK_BEFORE, *EK_INSIDE, "ek_", "openai\n"]), max_size=6))
def test_the_scan_gate_passes_whatever_the_ek_rule_reports(noise: bytes, pieces: list[str]) -> None:
    data = noise + "".join(pieces).encode("latin-1") + make_key("ek_", seed=len(pieces)).encode() + b"\nopenai\n"
    passes = prefilter.scan_gate()(data)
    assert passes <= prefilter.any_present(KEYWORDS)(data)  # never more than the literals
    if any(f.rule_id == EK_RULE for f in scan_chunk(Chunk(data, "x"))):
        assert passes


@given(
    st.binary(max_size=200),
    st.sampled_from([*ALL_KINDS, "ek_"]),
    st.integers(0, 1000),
    st.sampled_from(sorted(ENCODINGS)),
    st.sampled_from(["", "OPENAI_API_KEY=", "# openai\nseek_ = ", "azure_endpoint = 'x.openai.azure.com'\napi_key = "]),
)
def test_whatever_the_engine_finds_passes_the_scan_gate(
    noise: bytes, kind: str, seed: int, encoding: str, context: str
) -> None:
    data = noise + ENCODINGS[encoding](context + make_key(kind, seed) + "\n") + noise
    if scan_chunk(Chunk(data, "x")):
        assert prefilter.scan_gate()(data)


def _keyless(key: str) -> list[str]:
    """`key` spelled so that its keyword is not in the plain text: escaped or split inside it."""
    return [
        f'"\\x73{key[1:]}"',
        f'"\\u0073{key[1:]}"',
        f'"%73{key[1:]}"',
        f'"\\163{key[1:]}"',
        f'"&#115;{key[1:]}"',
        f'"se" "{key[2:]}"',
        f'"ses" + "{key[3:]}"',
    ]


@pytest.mark.parametrize("spelled", _keyless(make_key("sess-", 1)))
@pytest.mark.parametrize("before", EK_INSIDE)
def test_ek_inside_a_word_opens_no_decoder_window(gate: Callable[[bytes], bool], before: str, spelled: str) -> None:
    # A key that holds no keyword of its own (its `sess-` escaped or split) is decoded only in a
    # window around another keyword hit; `seek_` is none, for the engine as for scan's gate, so
    # scan (which drops the file) and history or staged (which give it to the engine) agree.
    data = f"openai\n{before}ek_ x = {spelled}\n".encode()
    assert not scan_chunk(Chunk(data, "x"))
    assert not gate(data)


@pytest.mark.parametrize("spelled", _keyless(make_key("sess-", 1)))
@pytest.mark.parametrize("before", EK_BEFORE)
def test_ek_where_a_key_may_start_opens_a_decoder_window(
    gate: Callable[[bytes], bool], before: str, spelled: str
) -> None:
    data = f"openai\n{before}ek_ = {spelled}\n".encode("latin-1")
    assert [f.rule_id for f in scan_chunk(Chunk(data, "x"))] == ["openai-session-key"]
    assert gate(data)
    assert not scan_chunk(Chunk(f"openai\nx = {spelled}\n".encode(), "x"))  # the window is ek_'s


def _starts_found(data: bytes) -> bool:
    database = prefilter.compiled_starts((b"ek_",))
    assert database is not None, "hyperscan is a dependency on this platform"
    found: list[int] = []
    database.scan(data, match_event_handler=lambda *a: found.append(1))
    return bool(found)


@given(st.binary(max_size=20), st.lists(st.sampled_from([*EK_BEFORE, *EK_INSIDE, "ek_", "\\042", "\\"]), max_size=8))
def test_history_s_pattern_of_a_starting_ek_is_the_engine_s_test(noise: bytes, pieces: list[str]) -> None:
    # prefilter.EK_START (history's readers, one Hyperscan pass) against ek_starts_at (the
    # engine's windows and scan's gate) at every `ek_` of the text.
    data = noise + "".join(pieces).encode("latin-1") + b"ek_"
    at = [i for i in range(len(data)) if data.startswith(b"ek_", i)]
    assert _starts_found(data) == any(prefilter.ek_starts_at(data, i) for i in at)


@pytest.mark.parametrize("before", [*EK_BEFORE, *EK_INSIDE])
def test_history_s_pattern_of_a_starting_ek_at_each_left_edge(before: str) -> None:
    data = f"x = {before}ek_".encode("latin-1")
    assert _starts_found(data) == prefilter.ek_starts_at(data, len(data) - 3) == (before in EK_BEFORE)


def _history_gate(data: bytes) -> bool:
    """History's test of one object no larger than a block (history/hsgate.py): its database
    (`ek_` where a key may start, `zure` as Azure OpenAI evidence), or a wrapped base64 start."""
    database = prefilter.compiled_starts(NEEDLES)
    assert database is not None, "hyperscan is a dependency on this platform"
    found: list[int] = []
    database.scan(data, match_event_handler=lambda *a: found.append(1))
    return bool(found) or prefilter.wrapped_base64_width(data) > 0


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_every_rule_example_passes_history_s_gate(rule: Rule, encoding: str) -> None:
    for example in rule.examples:
        data = ENCODINGS[encoding](example.text)
        if scan_chunk(Chunk(data, "x")):
            assert _history_gate(data), (rule.id, example.text)


@given(
    st.binary(max_size=200),
    st.sampled_from([*ALL_KINDS, "ek_", "azure-classic"]),
    st.integers(0, 1000),
    st.sampled_from(sorted(ENCODINGS)),
    st.sampled_from(
        [
            "",
            "OPENAI_API_KEY=",
            "# openai\nseek_ = ",
            "# Azure Pipelines\nAZURE_OPENAI_ENDPOINT=https://x.openai.azure.com\nazure_openai_api_key = ",
            "azure_endpoint = 'x.openai.azure.com'\napi_key = ",
            "Azure.AI.Services\nkey = ",
        ]
    ),
)
def test_whatever_the_engine_finds_passes_history_s_gate(
    noise: bytes, kind: str, seed: int, encoding: str, context: str
) -> None:
    data = noise + ENCODINGS[encoding](context + make_key(kind, seed) + "\n") + noise
    if scan_chunk(Chunk(data, "x")):
        assert _history_gate(data)


@given(st.from_regex(AZURE_RULE_EVIDENCE.compiled()), st.sampled_from([str.lower, str.upper, str.title, str.swapcase]))
def test_history_s_azure_evidence_passes_every_evidence_the_rule_accepts(text: str, case: Callable[[str], str]) -> None:
    # The 32-hex rules search their evidence in the lower-cased text; history's gate, caseless.
    data = case(text).encode("utf-8", "replace")
    if AZURE_RULE_EVIDENCE.search(data.lower().decode("latin-1")):
        database = prefilter.compiled_starts((b"zure",))
        assert database is not None
        found: list[int] = []
        database.scan(data, match_event_handler=lambda *a: found.append(1))
        assert found, text


@pytest.mark.parametrize(
    "text", ["# Azure Pipelines\nazure-pipelines.yml", "AZURE_CLIENT_ID=x", "microsoft azure", "Azure OpenAl"]
)
def test_azure_without_openai_evidence_is_not_history_s_candidate(text: str) -> None:
    data = f"{text}\nkey = {make_key('azure-classic', seed=1)}\n".encode()
    assert not scan_chunk(Chunk(data, "x"))
    assert prefilter.any_present(NEEDLES)(data) and not _history_gate(data)
