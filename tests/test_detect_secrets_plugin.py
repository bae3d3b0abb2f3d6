"""The adapter against the real detect-secrets library, in-process (e2e/ runs the CLIs)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from detect_secrets import settings
from detect_secrets.audit import common
from detect_secrets.constants import VerifiedResult
from detect_secrets.core.plugins.util import (
    get_mapping_from_secret_type_to_class,
    get_plugins_from_file,
)
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.filters import heuristic
from detect_secrets.util.code_snippet import get_code_snippet

import keylatch.detect_secrets_plugin as adapter
from keylatch.engine import scan_text
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import ALL_KINDS, CURRENT_KINDS, make_key
from tests.helpers.contexts import cases, negatives
from tests.helpers.spellings import KINDS, glued, spellings

PLUGIN_FILE = Path(adapter.__file__).resolve()


@pytest.fixture(autouse=True)
def _fresh_detect_secrets() -> Iterator[None]:
    """detect-secrets keeps settings and its plugin catalogue in process-wide caches."""

    def clear() -> None:
        for cache in (settings.get_settings, settings.get_plugins, settings.get_filters):
            cache.cache_clear()
        get_mapping_from_secret_type_to_class.cache_clear()
        common.open_file.cache_clear()

    clear()
    yield
    clear()


def _found(text: str, filename: str = "f.py") -> dict[int, set[str]]:
    """line number -> secrets the plugin reports, line by line with detect-secrets' snippet."""
    plugin = adapter.KeylatchOpenAIDetector()
    lines = text.splitlines()
    out: dict[int, set[str]] = {}
    for n, line in enumerate(lines, start=1):
        hits = plugin.analyze_line(filename, line, n, get_code_snippet(lines, n))
        if hits:
            assert {h.type for h in hits} == {"keylatch OpenAI key"}
            assert {h.secret_hash for h in hits} == {hashlib.sha1(h.secret_value.encode()).hexdigest() for h in hits}  # type: ignore[union-attr]
            out[n] = {str(h.secret_value) for h in hits}
    return out


def test_the_file_registers_exactly_one_plugin_distinct_from_stock_ones() -> None:
    # Any: detect-secrets types both with a TypeVar nothing binds (type[Never]), and declares the
    # `secret_type` its plugin classes set as an abstract property (as detect_secrets_runner does).
    stock: dict[str, Any] = get_mapping_from_secret_type_to_class()
    plugins: list[Any] = list(get_plugins_from_file(str(PLUGIN_FILE)))  # as `--plugin` loads it
    (cls,) = plugins
    assert cls.__name__ == "KeylatchOpenAIDetector"
    assert cls.secret_type == "keylatch OpenAI key"
    assert cls.secret_type not in stock
    assert cls.__name__ not in {c.__name__ for c in stock.values()}


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_every_rule_example_gives_the_full_key(rule: object, tmp_path: Path) -> None:
    # In a file, as detect-secrets scans them: evidence more than 5 lines from the key (a
    # resource's kind in `az cognitiveservices account show`) is read from it.
    for i, example in enumerate(rule.examples):  # type: ignore[attr-defined]
        (path := tmp_path / f"example{i}.txt").write_text(example.text)
        found = set().union(*_found(example.text, filename=str(path)).values())
        assert found == {example.key}, example.text


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=lambda r: r.id)
def test_counterexamples_give_nothing(rule: object, tmp_path: Path) -> None:
    for i, text in enumerate(rule.counterexamples):  # type: ignore[attr-defined]
        (path := tmp_path / f"counter{i}.txt").write_text(text)
        assert _found(text, filename=str(path)) == {}, text


def test_every_format_in_every_context_gives_exactly_the_full_key() -> None:
    wrong = [(kind, ctx) for kind, ctx, text, key in cases() if set().union(*_found(text).values()) != {key}]
    assert not wrong


def test_negatives_give_nothing() -> None:
    assert {name: found for name, text in negatives().items() if (found := _found(text))} == {}


def test_every_format_in_one_file_reports_each_key_on_its_line() -> None:
    # Formats that need file evidence come first, within detect-secrets' 5-line snippet of it.
    kinds = sorted(ALL_KINDS, key=lambda k: k not in ("azure-classic", "sess-", "whsec_"))
    keys = {kind: make_key(kind, seed=11) for kind in kinds}
    lines = [
        'AZURE_OPENAI_ENDPOINT = "https://contoso.openai.azure.com/"  # OpenAI',
        *(f'{kind.strip("-_").replace("-", "_").upper()}_API_KEY = "{key}"' for kind, key in keys.items()),
    ]
    found = _found("\n".join(lines) + "\n")
    assert found == {i + 2: {key} for i, key in enumerate(keys.values())}


def test_file_evidence_comes_from_the_snippet_or_else_the_file(tmp_path: Path) -> None:
    # detect-secrets hands a plugin 5 lines either side; evidence further away is read from the
    # file, which detect-secrets may also have transformed (YAML loses comments and parent keys).
    key = make_key("azure-classic", seed=5)
    near = 'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\n' + "\n" * 3 + f'api_key = "{key}"\n'
    far = 'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\n' + "\n" * 8 + f'api_key = "{key}"\n'
    assert _found(near, filename=str(tmp_path / "absent.py")) == {5: {key}}
    assert _found(far, filename=str(tmp_path / "absent.py")) == {}
    (tmp_path / "far.py").write_text(far)
    assert _found(far, filename=str(tmp_path / "far.py")) == {10: {key}}
    whsec = make_key("whsec_", seed=5)
    (tmp_path / "hooks.yaml").write_text(f"# OpenAI webhooks\nsigning:\n  secret: {whsec}\n")
    transformed = f'secret: "{whsec}"\n'  # what detect-secrets' YAML transformer leaves
    assert _found(transformed, filename=str(tmp_path / "hooks.yaml")) == {1: {whsec}}
    (tmp_path / "stripe.yaml").write_text(f"signing:\n  secret: {whsec}\n")
    assert _found(transformed, filename=str(tmp_path / "stripe.yaml")) == {}


def test_analyze_string_accepts_detect_secrets_keywords() -> None:
    key = make_key("sk-svcacct-", seed=2)
    plugin = adapter.KeylatchOpenAIDetector()
    assert list(plugin.analyze_string(f"k={key}", enable_eager_search=True)) == [key]
    # detect-secrets drops findings that verify() calls VERIFIED_FALSE; the plugin never checks.
    assert plugin.verify(key) == VerifiedResult.UNVERIFIED


def test_indirect_reference_filter_keeps_lines_with_a_key() -> None:
    key = make_key("sk-proj-", seed=4)
    line = f'client = OpenAI(api_key="{key}")'
    snippet = get_code_snippet([line], 1)
    assert heuristic.is_indirect_reference(line)  # the stock filter drops the line
    assert not adapter.is_indirect_reference(line, snippet, "app.py")
    other = "secret = get_secret_key()"
    assert adapter.is_indirect_reference(other, get_code_snippet([other], 1), "app.py")


def _through_detect_secrets(path: Path) -> set[str]:
    """What detect-secrets' own file scan (its reader, transformers and filters) reports with
    keylatch's plugin loaded by path, as `detect-secrets scan --plugin` does."""
    plugins = [{"name": "KeylatchOpenAIDetector", "path": f"file://{PLUGIN_FILE}"}]
    with settings.transient_settings({"plugins_used": plugins}):
        secrets = SecretsCollection()
        secrets.scan_file(str(path))
        return {str(s.secret_value) for name in secrets.files for s in secrets[name]}


@pytest.mark.parametrize("kind", KINDS)
def test_every_one_line_spelling_is_found_as_keylatch_scan_finds_it(kind: str, tmp_path: Path) -> None:
    # Escapes, literals joined on the line, a base64 value on the line: detect-secrets hands the
    # plugin that line, and the plugin finds what the engine finds in the whole file.
    wrong = {}
    for name, (text, key) in spellings(kind, seed=3).items():
        path = tmp_path / f"{name}.txt"
        path.write_text(text)
        found, engine = _through_detect_secrets(path), {f.secret.value for f in scan_text(text)}
        if key not in found or found != engine:
            wrong[name] = (len(found), len(engine))
    assert wrong == {}


@pytest.mark.parametrize("kind", ["sk-", "sk-proj-early", *CURRENT_KINDS])
def test_a_key_glued_in_a_row_with_nul_bytes_is_found_if_detect_secrets_reads_the_file(
    kind: str, tmp_path: Path
) -> None:
    data, key = glued(kind, seed=4)
    row = tmp_path / "rows.db"  # UTF-8 with NULs (a SQLite page of ASCII rows): read line by line
    row.write_bytes(data.replace(b"\xa4", b"\x01"))
    assert _through_detect_secrets(row) == {key}
    # Not UTF-8 (a marshal length byte): detect-secrets never reads it (the recipe's own pass
    # does, tests/e2e/test_detect_secrets_spellings_e2e.py).
    (tmp_path / "x.db").write_bytes(data)
    assert _through_detect_secrets(tmp_path / "x.db") == set()
    # In text, the same glued token is a damaged key: unreported.
    (tmp_path / "text.txt").write_bytes(data.replace(b"\0", b" ").replace(b"\xa4", b" "))
    assert _through_detect_secrets(tmp_path / "text.txt") == set()


def test_an_encoded_key_far_from_its_evidence_is_placed_by_the_file(tmp_path: Path) -> None:
    # The snippet (5 lines either side) lacks the evidence; the file on disk has it. An encoded
    # key is not written on the line as it is decoded, so its spelling places it.
    for name, (text, key) in spellings("sess-", seed=5).items():
        if name.startswith("base64"):  # the decoded value names the key: evidence of its own
            continue
        evidence, line = text.rsplit("\n", 2)[:2]
        line = line.replace("OPENAI_API_KEY", "SESSION")
        far = evidence + "\n" + "\n" * 8 + line + "\n"
        path = tmp_path / f"{name}.py"
        path.write_text(far)
        assert _found(far, filename=str(path)) == {len(far.splitlines()): {key}}, name
        assert _found(far, filename=str(tmp_path / "absent.py")) == {}, name
