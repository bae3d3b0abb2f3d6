"""A 32-hex value in a table row is judged by its column's name in the header row, however the table
is spelled (QA21: `service,endpoint,key` then `openai,https://…,<key>` was not judged: the row's line
holds no key-like word). Ids, hashes, etags and keys of data stay quiet in every spelling, and a row
with more or fewer cells than its header is named by no column.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key
from tests.helpers.run import RunKeylatch

EP = "https://contoso.openai.azure.com/"


def _fixed(cells: list[tuple[str, str]]) -> str:
    """`az ... -o table`: columns padded to their widest cell, dashes under the header."""
    widths = [max(len(h), len(v)) + 2 for h, v in cells]
    header = "".join(h.ljust(w) for (h, _), w in zip(cells, widths, strict=True)).rstrip()
    dashes = "  ".join("-" * (w - 2) for w in widths)
    row = "".join(v.ljust(w) for (_, v), w in zip(cells, widths, strict=True)).rstrip()
    return f"{header}\n{dashes}\n{row}\n"


# (header name, value) -> the table's text; the value's row is the table's last line.
SPELLINGS: dict[str, Callable[[str, str], str]] = {
    "csv": lambda h, v: f"service,endpoint,{h}\nopenai,{EP},{v}\n",
    "tsv": lambda h, v: f"service\tendpoint\t{h}\nopenai\t{EP}\t{v}\n",
    "semicolon": lambda h, v: f"service;endpoint;{h}\nopenai;{EP};{v}\n",
    "spreadsheet": lambda h, v: f'"Service","Endpoint","{h}","Notes"\r\n"openai, prod","{EP}","{v}","a, b"\r\n',
    "markdown": lambda h, v: f"| service | endpoint | {h} |\n|:---|---|---:|\n| openai | {EP} | `{v}` |\n",
    "sql": lambda h, v: f"INSERT INTO creds (service, endpoint, \"{h}\") VALUES\n  ('openai', '{EP}', '{v}');\n",
    "fixed": lambda h, v: f"# {EP}\n" + _fixed([("Name", "openai"), (h, v), ("Region", "eastus")]),
    "far header": lambda h, v: (
        f"service,endpoint,{h}\n" + "".join(f"s{i},{EP},x{i}\n" for i in range(3000)) + f"openai,{EP},{v}\n"
    ),
}
KEY_NAMES = ["key", "api_key", "API Key", "Key1", "secret", "Ocp-Apim-Subscription-Key", "azureOpenAIKey"]
DATA_NAMES = ["md5", "sha256", "etag", "id", "object_id", "Key ID", "RowKey", "Partition Key", "checksum", "speech_key"]


def _found(text: str) -> list[tuple[str, int]]:
    return [(f.secret.value, f.location.line) for f in scan_text(text)]


@pytest.mark.parametrize("name", KEY_NAMES)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_key_named_by_its_column_is_reported_on_its_row(spelling: str, name: str) -> None:
    key = make_key("azure-classic", seed=len(spelling) * 31 + len(name))
    text = SPELLINGS[spelling](name, key)
    assert _found(text) == [(key, text.rstrip("\n").count("\n") + 1)]


@pytest.mark.parametrize("name", DATA_NAMES)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_column_of_ids_hashes_or_data_keys_stays_quiet(spelling: str, name: str) -> None:
    value = make_key("azure-classic", seed=len(spelling) * 37 + len(name) + 900)
    assert _found(SPELLINGS[spelling](name, value)) == []


@pytest.mark.parametrize(
    "text",
    [
        # a row with more or fewer cells than its header: no column's name shifts onto it
        "service,endpoint,key\nopenai,{ep},{v},extra\n",
        "service,endpoint,notes,key\nopenai,{ep},{v}\n",
        "| service | endpoint | key |\n|---|---|---|\n| openai | {ep} | {v} | x |\n",
        # no header row: the first row is data, not names
        "openai,{ep},{v}\nspeech,{ep},{v}\n",
        # a key/value table: its `key` column names the values beside it
        "| key | value |\n|---|---|\n| {v} | {ep} |\n",
        # a blank line ends a table
        "service,endpoint,key\n\nopenai,{ep},{v}\n",
        # a call's arguments are no SQL row
        "INSERT INTO t (name, endpoint, key) VALUES ('a', '{ep}', 'b');\nf(\n  g('{ep}', '{v}'))\n",
    ],
)
def test_no_header_names_the_value(text: str) -> None:
    assert _found(text.format(ep=EP, v=make_key("azure-classic", seed=len(text)))) == []


def test_the_row_or_the_column_names_another_service() -> None:
    key = make_key("azure-classic", seed=77)
    assert _found(f"service,endpoint,key\nspeech,https://eastus.api.cognitive.microsoft.com/,{key}\n# {EP}\n") == []
    assert _found(f"service,speech_key,openai_key\nprod,{key},{make_key('azure-classic', seed=78)}\n# {EP}\n") == [
        (make_key("azure-classic", seed=78), 2)
    ]


@pytest.mark.parametrize(
    "line",
    [
        'curl {ep}openai/deployments/gpt/chat/completions -H "Ocp-Apim-Subscription-Key: {k}"',
        "Ocp-Apim-Subscription-Key: {k}",
        '{{"headers": [{{"name": "Ocp-Apim-Subscription-Key", "value": "{k}"}}]}}  // {ep}',
    ],
)
def test_the_subscription_key_header_names_a_key_on_its_line(line: str) -> None:
    key = make_key("azure-classic", seed=len(line))
    assert _found(f"# {EP}\n" + line.format(ep=EP, k=key) + "\n") == [(key, 2)]


def test_subscription_ids_stay_quiet() -> None:
    text = f"AZURE_OPENAI_ENDPOINT={EP}\nAZURE_SUBSCRIPTION_ID={make_key('azure-classic', seed=1)}\n"
    assert _found(text + f"subscription: {make_key('azure-classic', seed=2)}\n") == []


def test_scan_reports_a_table_row_at_its_path_and_line(keylatch: RunKeylatch, tmp_path: Path) -> None:
    key = make_key("azure-classic", seed=91)
    (tmp_path / "services.csv").write_text(SPELLINGS["csv"]("key", key))
    result = keylatch("scan", str(tmp_path / "services.csv"))
    assert result.code == 1
    assert "services.csv:2" in result.out
    assert key not in result.out + result.err
