"""A value whose name says it is an identifier (`*_ID`, `*Id`, `id:`) is not a secret.

QA: `EPHEMERAL_KEY_ID = "ek_..."` in a file about OpenAI was reported as a Realtime client
secret. The name before a value is read as other names are (rules/owner.py), in every case
style and every way a file kind writes a name, for the `ek_` secret and the 32-hex Azure key;
the same names without the identifier word stay reported.
"""

from __future__ import annotations

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key

ID_NAMES = ("EPHEMERAL_KEY_ID", "ephemeral_key_id", "ephemeralKeyId", "EphemeralKeyID", "ephemeral-key-id", "id",
            "Id", "ID", "key_ids", "keyIds", "key.id", "secret_guid", "KeyGuid", "key_uuid", "identifier")  # fmt: skip
KEY_NAMES = ("EPHEMERAL_KEY", "ephemeralKey", "client_secret", "value", "token", "key", "valid_key", "ANDROID_KEY")
# How a name meets its value in .env, shell, Python, JS/TS, JSON, YAML, TOML, a call, a mapping, a flag.
SHAPES = ("{n}={k}", "export {n}='{k}'", '{n} = "{k}"', "const {n} = '{k}';", '{{"{n}": "{k}"}}', "{n}: {k}",
          "- {n}: {k}", 'os.environ["{n}"] = "{k}"', "f({n}='{k}')", "$x->{n} => '{k}',", "--{n} {k}")  # fmt: skip


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.secret.value) for f in scan_text(text)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", ID_NAMES)
def test_an_ek_value_named_as_an_identifier_is_not_reported(name: str, shape: str) -> None:
    key = make_key("ek_", seed=len(name) + 7 * len(shape))
    assert _found(f"# OpenAI realtime\n{shape.format(n=name, k=key)}\n") == []


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", KEY_NAMES)
def test_an_ek_value_named_as_a_secret_stays_reported(name: str, shape: str) -> None:
    key = make_key("ek_", seed=len(name) + 11 * len(shape))
    assert _found(f"# OpenAI realtime\n{shape.format(n=name, k=key)}\n") == [("openai-realtime-client-secret", key)]


AZURE_ID_NAMES = ("AZURE_OPENAI_KEY_ID", "azureOpenAIKeyId", "openai_api_key_id", "AOAI_KEY_GUID", "keyId")
AZURE_KEY_NAMES = ("AZURE_OPENAI_KEY", "azureOpenAIKey", "openai_api_key", "AOAI_KEY", "key")


@pytest.mark.parametrize("shape", ["{n}={k}", '"{n}": "{k}",', "{n}: {k}", 'var {n} = "{k}";'])
@pytest.mark.parametrize(
    ("name", "reported"), [(n, False) for n in AZURE_ID_NAMES] + [(n, True) for n in AZURE_KEY_NAMES]
)
def test_a_32_hex_value_named_as_an_identifier_is_not_an_azure_key(name: str, reported: bool, shape: str) -> None:
    key = make_key("azure-classic", seed=len(name) + 13 * len(shape))
    text = f"AZURE_OPENAI_ENDPOINT=https://contoso.openai.azure.com/\n{shape.format(n=name, k=key)}\n"
    assert _found(text) == ([("azure-openai-classic-key", key)] if reported else [])
