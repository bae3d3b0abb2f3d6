"""The plugin's line gates against the engine: on a line, the plugin finds what `keylatch scan`
finds on that line, for every one-line spelling the engine's one pass gates on (byte lists,
base64 of base64, escapes, keys a character a literal). e2e/test_detect_secrets_spellings_e2e.py
runs the same class through stock detect-secrets."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from keylatch import detect_secrets_lines
from keylatch.detect_secrets_lines import line_findings
from keylatch.engine import scan_text
from keylatch.rules import BYTE_FORMS, DEFAULT_RULES, needles
from keylatch.rules.synthetic import make_key
from tests.helpers.spellings import EVIDENCE, KINDS


@dataclass(frozen=True, slots=True)
class Snippet:
    """detect-secrets' CodeSnippet as line_findings reads it."""

    lines: list[str]
    target_index: int


def test_every_encoded_needle_of_the_engine_is_a_line_gate() -> None:
    plain = {kw for r in DEFAULT_RULES for kw in (*r.keywords, *r.keyword_parts)}
    encoded = {n.decode("latin-1") for n in needles(DEFAULT_RULES)} - plain
    assert encoded <= set(detect_secrets_lines._B64_GATES)
    assert encoded > {"0x54, 0x33, 0x42, 0x6c", "'T', '3', 'B', 'l'", "84, 51, 66, 108"}  # byte lists among them


def _b64(data: bytes, times: int) -> str:
    for _ in range(times):
        data = base64.b64encode(data)
    return data.decode()


def _as_bytes(form: bytes, join: bytes) -> Callable[[str], str]:
    return lambda key: "k = {" + join.decode().join((form % c).decode("latin-1") for c in key.encode()) + "}"


def _base64(times: int, lead: str) -> Callable[[str], str]:
    return lambda key: "data: " + _b64(f"{lead}OPENAI_API_KEY={key}\n".encode(), times)


LINES: dict[str, Callable[[str], str]] = {
    **{f"bytes {form!r} {join!r}": _as_bytes(form, join) for form, join in BYTE_FORMS},
    "chars-plus": lambda key: "k = " + " + ".join(f'"{c}"' for c in key),
    "chars-comma": lambda key: "k = [" + ", ".join(f"'{c}'" for c in key) + "]",
    **{f"base64x{n} {lead!r}": _base64(n, lead) for n in (2, 3) for lead in ("", "K=", "KEY=")},
}


@pytest.mark.parametrize("evidence", [EVIDENCE, "# openai\n", ""], ids=["azure-evidence", "openai", "none"])
@pytest.mark.parametrize("spelling", sorted(LINES))
@pytest.mark.parametrize("kind", KINDS)
def test_the_plugin_finds_on_a_line_what_the_engine_finds_there(kind: str, spelling: str, evidence: str) -> None:
    key = make_key(kind, seed=17)
    text = evidence + LINES[spelling](key) + "\n"
    lines = text.splitlines()
    target = len(lines) - 1
    engine = {f.secret.value for f in scan_text(text) if f.location.line == target + 1}
    plugin = {f.secret.value for f in line_findings(lines[target], Snippet(lines, target))}
    assert plugin == engine


def test_the_matrix_is_not_vacuous() -> None:
    key = make_key("sk-proj-", seed=17)
    assert all(scan_text(LINES[s](key)) for s in LINES if s.startswith(("bytes", "base64x2")))
