"""Strings from scanned content on their way out: keys redacted, terminal controls escaped, bounded."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keylatch.encoded import BASE64_MARKERS
from keylatch.engine import scan_text
from keylatch.report import untrusted
from keylatch.report.untrusted import LIMIT, escape, for_data, for_terminal, redact
from keylatch.rules import DEFAULT_RULES, needles
from keylatch.rules.synthetic import CURRENT_KINDS, make_key
from tests.helpers.redaction import assert_redacted

KEYS = [make_key(kind, seed=41) for kind in (*CURRENT_KINDS, "sk-", "sk-named", "azure")]


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k[:8])
@pytest.mark.parametrize(
    "template",
    ["{k}", "add {k}", "conf/{k}.env", "refs/heads/feat/{k}", "\x1b]0;{k}\x07", "a {k} b {k} c"],
)
def test_every_key_the_engine_finds_is_redacted(key: str, template: str) -> None:
    text = template.format(k=key)
    (expected,) = {f.secret.redacted for f in scan_text(key)}
    for out in (redact(text), for_data(text), for_terminal(text)):
        assert key not in out
        assert expected in out
        assert_redacted(out, keys=[key])
    # Only the key changes: what surrounds it reads as before.
    assert redact(text) == text.replace(key, expected)


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k[:8])
@pytest.mark.parametrize("template", ["{k}{k}", "x{k}_{k}", "{k}-{k}", "v2{k}"])
def test_keys_the_engine_does_not_take_alone_are_still_hidden(key: str, template: str) -> None:
    # The engine wants a key to stand alone; on screen each glued key is still readable.
    out = for_terminal(template.format(k=key))
    assert not any(key[i : i + 16] in out for i in range(len(key) - 16)), out


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_rule_examples_are_redacted_in_context(rule: object) -> None:
    # Context-bound keys (Azure classic, sess-, whsec_) are found, and redacted, with their context.
    for ex in rule.examples:  # type: ignore[attr-defined]
        out = for_terminal(ex.text)
        assert ex.key not in out
        assert not scan_text(out)


def test_base64_encoded_key_is_redacted_as_a_whole() -> None:
    key = KEYS[0]
    blob = base64.b64encode(f"OPENAI_API_KEY={key}".encode()).decode()
    out = redact(f"fix: drop {blob} from the log")
    assert blob not in out and not scan_text(out)
    assert out.startswith("fix: drop [base64: sk-proj-") and out.endswith("] from the log")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;pwn\x07", "\\x1b]0;pwn\\x07"),  # OSC: set the terminal title
        ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),  # CSI: clear the screen
        ("ok\rforged", "ok\\rforged"),  # CR: overwrite the line
        ("a\nb\tc", "a\\nb\\tc"),
        ("\x00\x7f", "\\x00\\x7f"),
        ("\x9b31m", "\\x9b31m"),  # C1 CSI
        ("\u202egnp.exe", "\\u202egnp.exe"),  # RIGHT-TO-LEFT OVERRIDE
        ("\u2066x\u2069", "\\u2066x\\u2069"),  # isolates
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("line\u2028sep", "line\\u2028sep"),
        ("bad\udcffbyte", "bad\\udcffbyte"),  # surrogateescape'd byte: unprintable on a UTF-8 stdout
    ],
)
def test_control_characters_are_escaped(raw: str, shown: str) -> None:
    assert escape(raw) == shown
    assert for_terminal(raw) == shown
    # Structured output keeps the string (JSON escapes it by construction).
    assert for_data(raw) == raw


@pytest.mark.parametrize("text", ["src/app/settings.py", "Zoë Åström <zoe@example.test>", "日本語/ファイル.txt", ""])
def test_ordinary_strings_are_unchanged(text: str) -> None:
    assert for_terminal(text) == text == for_data(text)


@given(st.text())
def test_terminal_output_has_no_controls(text: str) -> None:
    out = for_terminal(text)
    assert out.isprintable()
    out.encode("utf-8")  # no lone surrogate left to crash the write


def test_long_strings_are_bounded_after_redaction() -> None:
    key = KEYS[0]
    # The key straddles the limit: cutting first would leave a long fragment of it.
    text = "x " * (LIMIT // 2 - 10) + key + " y" * 5_000
    out = for_terminal(text)
    assert len(out) < LIMIT + 40
    assert out.endswith(f"[+{len(redact(text)) - LIMIT} chars]")
    assert key[8:30] not in out
    assert len(for_data(text)) < LIMIT + 40


def test_the_gate_is_the_rules_one_needle_list() -> None:
    """Issue 9: one needle list. The text gate is rules.needles() (as text), and it lets through
    at least what the list it replaced did (every keyword and base64 marker): redaction is no weaker."""
    gate = set(untrusted._needles())
    assert gate == {n.decode("latin-1") for n in needles(DEFAULT_RULES)}
    # A text holding any old needle holds a gate needle (the gate may look for a needle's halves).
    for old in {kw for r in DEFAULT_RULES for kw in r.keywords} | {m.decode() for m in BASE64_MARKERS}:
        assert any(n in old for n in gate), old


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k[:8])
def test_every_spelling_the_engine_reads_in_text_is_redacted(key: str) -> None:
    encoded = base64.b64encode(f"OPENAI_API_KEY={key}".encode()).decode()
    for text in (key, f"commit {encoded} msg", f"path/{key}/x"):
        out = redact(text)
        assert key not in out and encoded not in out and not scan_text(out)
