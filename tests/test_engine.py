"""engine.scan_*: every format in every context is found whole; the negatives give nothing."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from keylatch.encoded import UTF16_MARKER
from keylatch.engine import BASE64_MARKERS, scan_chunk, scan_text
from keylatch.engine.matching import REACH as _REACH
from keylatch.model import Chunk
from keylatch.rules import DEFAULT_RULES, Rule, utf32_spelling
from keylatch.rules.synthetic import ALL_KINDS, MARKER, make_key
from tests.helpers.contexts import cases, negatives
from tests.helpers.work import Counting

CASES = cases()


@pytest.mark.parametrize(("kind", "context", "text", "key"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_every_format_in_every_context_is_found_whole(kind: str, context: str, text: str, key: str) -> None:
    found = {f.secret.value for f in scan_text(text)}
    assert found == {key}


@pytest.mark.parametrize(("name", "text"), sorted(negatives().items()))
def test_negatives_report_nothing(name: str, text: str) -> None:
    assert scan_text(text) == []


def test_several_keys_on_one_line_each_found_with_its_column() -> None:
    a, b, c = make_key("sk-proj-", 1), make_key("sk-", 2), make_key("sk-admin-", 3)
    line = f"keys={a},{b};{c}\n"
    findings = scan_chunk(Chunk(line.encode(), "k.txt"))
    assert [(f.secret.value, f.location.column) for f in findings] == [
        (a, 6),
        (b, 7 + len(a)),
        (c, 8 + len(a) + len(b)),
    ]
    assert [f.rule_id for f in findings] == ["openai-project-key", "openai-user-key", "openai-admin-key"]


def test_line_and_column_are_counted_in_bytes_across_crlf_and_non_ascii() -> None:
    key = make_key("sk-svcacct-", 4)
    data = f"héllo\r\nwörld\r\n  x = '{key}'\r\n".encode()
    (f,) = scan_chunk(Chunk(data, "a.py", first_line=10))
    assert (f.location.line, f.location.column) == (12, 8)
    assert data[f.span[0] : f.span[1]] == key.encode()


def test_binary_content_is_scanned() -> None:
    key = make_key("sk-proj-", 5)
    data = bytes(range(256)) * 40 + key.encode() + b"\x00\xff" * 100
    (f,) = scan_chunk(Chunk(data, "blob.bin"))
    assert f.secret.value == key


@pytest.mark.parametrize("kind", ["sk-", "sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-", "sk-named"])
@pytest.mark.parametrize("shift", [0, 1, 2])
def test_keys_inside_base64_values_are_found(kind: str, shift: int) -> None:
    key = make_key(kind, seed=shift)
    env = ("#" * shift + f"OPENAI_API_KEY={key}\nMODEL=gpt-4o\n").encode()
    manifest = f"apiVersion: v1\nkind: Secret\ndata:\n  .env: {base64.b64encode(env).decode()}\n"
    (f,) = scan_text(manifest)
    assert f.secret.value == key
    assert f.encoding == "base64"
    assert (f.location.line, f.location.column) == (4, 9)


def test_key_inside_wrapped_base64_file_is_found() -> None:
    # `base64 .env` wraps at 76 columns, so the encoded marker may straddle a line break.
    key = make_key("sk-proj-", 11)
    encoded = base64.b64encode(f"OPENAI_API_KEY={key}\n".encode()).decode()
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    assert {f.secret.value for f in scan_text(wrapped)} == {key}


def test_base64_markers_are_the_three_alignments_of_the_marker() -> None:
    for pad in range(3):
        encoded = base64.b64encode(b"x" * pad + MARKER.encode() + b"tail")
        assert BASE64_MARKERS[pad] in encoded


def test_a_key_written_twice_is_reported_twice_with_one_fingerprint() -> None:
    key = make_key("sk-proj-", 6)
    findings = scan_text(f"a={key}\nb={key}\n")
    assert [f.location.line for f in findings] == [1, 2]
    assert len({f.fingerprint for f in findings}) == 1


def test_rules_have_unique_kebab_case_ids_and_cite_a_source() -> None:
    ids = [r.id for r in DEFAULT_RULES]
    assert len(ids) == len(set(ids))
    for rule in DEFAULT_RULES:
        assert rule.id == rule.id.lower() and " " not in rule.id and "_" not in rule.id
        assert rule.references and rule.description and rule.keywords


def test_admin_keys_are_critical() -> None:
    (f,) = scan_text(make_key("sk-admin-", 1))
    assert f.severity.value == "critical"


@pytest.mark.parametrize("n", [20, 46, 58, 74, 90])
def test_current_key_lengths_are_not_hard_coded(n: int) -> None:
    key = make_key("sk-proj-", seed=n, n=n)
    assert [f.secret.value for f in scan_text(f"k={key}\n")] == [key]


def test_unequal_halves_are_not_a_key() -> None:
    key = make_key("sk-proj-", seed=1, n=58)
    head, tail = key.split(MARKER)
    assert scan_text(head + MARKER + tail[:-6]) == []


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_keys_in_utf16_files_are_found(codec: str) -> None:
    key = make_key("sk-proj-", 12)
    data = f"# PowerShell profile\r\n$env:OPENAI_API_KEY = '{key}'\r\n".encode(codec)
    (f,) = scan_chunk(Chunk(data, "profile.ps1"))
    assert f.secret.value == key
    assert (f.location.line, f.location.column, f.encoding) == (2, 24, "utf-16")


def test_hash_names_near_azure_evidence_are_not_keys_but_shared_names_are() -> None:
    evidence = 'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\n'
    key = make_key("azure-classic", 21)
    assert scan_text(evidence + f'git_sha = "{key}"\n') == []
    assert [f.secret.value for f in scan_text(evidence + f'shared_key = "{key}"\n')] == [key]


@pytest.mark.parametrize("before", ["%22", "\\x22", "\\n", '"', "="])
def test_azure_hex_key_after_an_escape_that_ends_in_hex_digits(before: str) -> None:
    key = make_key("azure-classic", 40)
    text = f'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\napi_key={before}{key}%22\n'
    assert [f.secret.value for f in scan_text(text)] == [key]


def test_azure_evidence_far_from_the_key_still_counts_and_hex_runs_longer_than_32_do_not() -> None:
    key = make_key("azure-classic", 41)
    filler = "x = 1\n" * 5000
    text = f"from openai import AzureOpenAI\n{filler}api_key = '{key}'\nsha = '{key}{key}'\n"
    assert [(f.secret.value, f.location.line) for f in scan_text(text)] == [(key, 5002)]


@pytest.mark.parametrize("seed", range(12))
def test_wrapped_base64_file_is_found_wherever_the_line_breaks_fall(seed: int) -> None:
    # `base64 .env` output: the encoded marker straddles a line break for some keys.
    key = make_key("sk-proj-", seed)
    env = f"# {'prod' * seed}\nOPENAI_API_KEY={key}\nMODEL=gpt-4o\n".encode()
    encoded = base64.b64encode(env).decode()
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76)) + "\n"
    findings = scan_chunk(Chunk(wrapped.encode(), "env.b64"))
    assert [(f.secret.value, f.encoding) for f in findings] == [(key, "base64")]


@pytest.mark.parametrize("kind", ["sk-", "sk-named", "sk-proj-early", "sk-None-early"])
@pytest.mark.parametrize("template", ["_{k}_", "__{k}__", "{k}_old", "{k}-backup", "*{k}*"])
def test_alphanumeric_keys_end_at_underscore_or_dash(kind: str, template: str) -> None:
    key = make_key(kind, 60)
    assert [f.secret.value for f in scan_text(template.format(k=key))] == [key]


# Adversarial shapes for the engine (bench/complexity_bench.py times the same classes).
def _fill(n: int, unit: bytes, head: bytes = b"") -> bytes:
    return (head + unit * (n // len(unit) + 1))[:n]


def _joined(n: int, unit: Callable[[int], bytes], head: bytes = b"") -> bytes:
    parts, size, i = [head], len(head), 0
    while size < n:
        parts.append(unit(i))
        size += len(parts[-1])
        i += 1
    return b"".join(parts)[:n]


def _hex(i: int) -> bytes:
    return make_key("azure-classic", seed=i).encode()


_M = MARKER.encode()
_AZURE = b"AZURE_OPENAI_ENDPOINT=https://x.openai.azure.com/\n"
SHAPES: dict[str, Callable[[int], bytes]] = {
    "marker repeated": lambda n: _fill(n, _M),
    "marker on every line": lambda n: _fill(n, _M + b"\n"),
    "key without its tail on every line": lambda n: _joined(
        n, lambda i: make_key("sk-proj-", i)[:-74].encode() + b"\n"
    ),
    "prefix and marker repeated in one token": lambda n: _fill(n, b"sk-proj-" + _M),
    "sess- repeated": lambda n: _fill(n, b"sess-", b"openai\n"),
    "whsec_ repeated": lambda n: _fill(n, b"whsec_", b"openai\n"),
    "azure repeated": lambda n: _fill(n, b"azure "),
    "azure evidence repeated": lambda n: _fill(n, b"AZURE_OPENAI "),
    "hex values on one line": lambda n: _joined(n, lambda i: b"api_key=" + _hex(i) + b" ", _AZURE),
    "hash lines": lambda n: _joined(n, lambda i: b"hash = " + _hex(i) + b"\n", _AZURE),
    "JQQJ99 repeated": lambda n: _fill(n, b"JQQJ99"),
    "encoded markers in one base64 run": lambda n: _fill(n, b"".join(BASE64_MARKERS) + b"AA"),
    "base64 of the marker repeated": lambda n: base64.b64encode(_fill(n * 3 // 4, _M))[:n],
    "UTF-16 marker repeated": lambda n: _fill(n, UTF16_MARKER + b"\0"),
    "UTF-32 marker repeated": lambda n: _fill(n, utf32_spelling(_M) + b"\0\0\0"),
    "UTF-32 key per line": lambda n: _joined(n, lambda i: f"k={make_key('sk-proj-', i)}\n".encode("utf-32-le")),
    "hex marker repeated in one run": lambda n: _fill(n, _M.hex().encode()),
    "hex marker on every line": lambda n: _fill(n, _M.hex().encode() + b"\n"),
    "hex keys in one run": lambda n: _joined(n, lambda i: make_key("sk-proj-", i).encode().hex().encode()),
    "escaped marker repeated": lambda n: _fill(n, "".join(f"\\u{c:04x}" for c in _M).encode()),
    "escaped marker then escapes": lambda n: _fill(n, b"\\x41", "".join(f"\\x{c:02x}" for c in _M).encode()),
    "escaped key per line": lambda n: _joined(
        n, lambda i: "".join(f"\\u{ord(c):04x}" for c in make_key("sk-proj-", i)).encode() + b"\n"
    ),
    "block scalar lines after a keyword": lambda n: _fill(n, b"  " + _M + b"\n", b"k: >-\n"),
    "block scalar headers with a keyword": lambda n: _fill(n, b"k: |\n  " + _M + b"\n"),
    "hex key per line": lambda n: _joined(n, lambda i: b"k=" + make_key("sk-proj-", i).encode().hex().encode() + b"\n"),
    "keys on one line": lambda n: _fill(n, b" ".join(make_key("sk-", seed=i).encode() for i in range(64)) + b" "),
    "a key per line": lambda n: _joined(n, lambda i: make_key("azure", seed=i).encode() + b"\n"),
    "a hex key per line": lambda n: _joined(n, lambda i: b"api_key = " + _hex(i) + b"\n", _AZURE),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_scan_work_is_linear_in_the_input_whatever_its_shape(shape: str) -> None:
    # No clock: the bytes of the chunk that searches, slices and conversions read, and how many
    # such operations there were, at 16 and 32 KiB. A whole-line search per key or a per-byte
    # walk per hit grows 4x per doubling; a Python step per keyword hit shows in the calls.
    n = 1 << 14
    small, large = Counting(SHAPES[shape](n)), Counting(SHAPES[shape](2 * n))
    found = len(scan_chunk(Chunk(small, "x")))
    scan_chunk(Chunk(large, "x"))
    assert large.read <= 2.5 * small.read
    assert small.read <= 32 * n
    assert small.calls <= 16 * n // 1024 + 8 * found


@pytest.mark.parametrize("rule", [r for r in DEFAULT_RULES if r.token_chars], ids=lambda r: r.id)
def test_token_rules_keep_their_keys_within_their_declared_runs(rule: Rule) -> None:
    # The engine only searches the last key_len[1] characters of a run of token_chars.
    shortest, longest = rule.key_len
    assert 0 < shortest <= longest <= _REACH
    for example in rule.examples:
        assert set(example.key) <= set(rule.token_chars)
        assert shortest <= len(example.key) <= longest


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_keys_after_long_tokens_and_dense_keywords_are_found(kind: str) -> None:
    key = make_key(kind, seed=70)
    context = "openai azure_openai api_key = " if kind in ("azure-classic", "sess-", "whsec_") else ""
    for noise in ("x" * 3000, MARKER * 300, "sk-proj-" * 300, "JQQJ99" * 300, "sess-" * 300):
        text = f"{context}{noise} {key}\n{noise}\n"
        assert [f.secret.value for f in scan_text(text)] == [key], noise[:12]


def test_many_keys_on_one_line_keep_their_columns() -> None:
    keys = [make_key(kind, seed=i) for i in range(40) for kind in ("sk-proj-", "sk-", "azure", "sk-svcacct-")]
    line = " ".join(keys)
    found = scan_chunk(Chunk(f"x\n{line}\n".encode(), "k.txt"))
    assert [f.secret.value for f in found] == keys
    assert [f.location.column for f in found] == [line.index(k) + 1 for k in keys]
    assert {f.location.line for f in found} == {2}


def test_many_base64_values_and_a_long_base64_run_are_all_decoded() -> None:
    keys = [make_key("sk-proj-", seed=i) for i in range(30)]
    values = [base64.b64encode(f"OPENAI_API_KEY={k}\n".encode()).decode() for k in keys]
    assert {f.secret.value for f in scan_text("\n".join(f"v{i}: {v}" for i, v in enumerate(values)))} == set(keys)
    # One run longer than a decoding piece (64 KiB), keys near its start, middle and end.
    filler = base64.b64encode(b"\x00" * 30000)
    run = filler + base64.b64encode(f"a={keys[0]}".encode()) + filler * 2 + base64.b64encode(b"b=" + keys[1].encode())
    found = scan_chunk(Chunk(run + filler + base64.b64encode(keys[2].encode()), "big.b64"))
    assert {f.secret.value for f in found} == set(keys[:3])


def test_a_key_before_an_excluded_word_on_its_line_is_still_found() -> None:
    # rule.py: line_exclude drops a key only when the line's first match ends before the key.
    key, other = make_key("azure-classic", 50), make_key("azure-classic", 51)
    text = f"azure_openai_endpoint = x\napi_key = {key}  # not the hash {other}\n"
    assert [f.secret.value for f in scan_text(text)] == [key]


_B64_GATED = (b"T3BlbkFJ", b"JQQJ99", b"sess-", b"whsec_")  # rules.base64_gates: keywords inside the key
_B64_KINDS = [k for k in (*ALL_KINDS, "ek_") if any(w.decode() in make_key(k, 1) for w in _B64_GATED)]
_B64_LAYOUTS: dict[str, Callable[[str], str]] = {
    "kubernetes-secret": lambda v: f"apiVersion: v1\nkind: Secret\ndata:\n  app.env: {v}\n  other: c2VjcmV0\n",
    "json-value": lambda v: f'{{\n  "name": "svc",\n  "config": "{v}",\n  "replicas": 2\n}}\n',
    "shell-export": lambda v: f"#!/bin/sh\nset -e\nexport APP_ENV_B64='{v}'\necho done\n",
}


@pytest.mark.parametrize("kind", _B64_KINDS)
@pytest.mark.parametrize("layout", sorted(_B64_LAYOUTS))
@pytest.mark.parametrize("lead", ["", "#", "# x\n"])
def test_every_self_identifying_key_in_base64_anywhere_in_a_file_is_found(kind: str, layout: str, lead: str) -> None:
    key = make_key(kind, 4)
    env = f"{lead}AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\nOPENAI_API_KEY={key}\n"
    text = "# " + "filler line\n# " * 40 + "\n" + _B64_LAYOUTS[layout](base64.b64encode(env.encode()).decode())
    found = {(f.secret.value, f.encoding) for f in scan_chunk(Chunk(text.encode(), "deploy.yaml"))}
    assert found == {(key, "base64")}
