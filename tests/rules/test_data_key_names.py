"""A 32-hex value named as a key of data is not an Azure OpenAI key, whatever the file configures.

QA (corpus21): apps beside Azure OpenAI hold table and database keys, object names, idempotency,
dedupe and conversation keys as 32 hex (`uuid4().hex`, an MD5); `row_key = "<hex>"` was reported
because its name ends in `_key`. The word before `key` decides, in every case style and setting form;
a credential's name (`api_key`, `azureOpenAIKey`, `primary_access_key`) stays reported.
"""

from __future__ import annotations

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key

HEAD = "AZURE_OPENAI_ENDPOINT=https://contoso.openai.azure.com/\n"
FORMS = ["{n}={k}\n", '{n} = "{k}"\n', '{{"{n}": "{k}"}}\n', "{n}: {k}\n", '{{"name": "{n}", "value": "{k}"}}\n']


def _found(text: str) -> list[str]:
    return [f.secret.value for f in scan_text(text)]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "name",
    [
        "row_key",
        "RowKey",
        "PartitionKey",
        "partition-key",
        "Idempotency-Key",
        "conversation_key",
        "conversationKey",
        "dedupe_key",
        "OBJECT_KEY",
        "blobKey",
        "s3_key",
        "correlation_key",
        "job.key",
    ],
)
def test_a_key_of_data_is_not_reported(name: str, form: str) -> None:
    key = make_key("azure-classic", seed=len(name) + 10 * len(form))
    assert _found(HEAD + form.format(n=name, k=key)) == []


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "name",
    ["api_key", "AZURE_OPENAI_API_KEY", "azureOpenAIKey", "primary_access_key", "profile_key", "key1", "apiKey"],
)
def test_a_credential_name_stays_reported(name: str, form: str) -> None:
    key = make_key("azure-classic", seed=len(name) + 10 * len(form) + 500)
    assert _found(HEAD + form.format(n=name, k=key)) == [key]
