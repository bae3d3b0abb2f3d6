"""History's literal gate hands the engine every object scan would: a file that starts as
wrapped base64 (`base64 .env`) is read whole even when its bytes hold no needle, and `ek_`
inside a word (`lseek_`) is read by neither."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest

from keylatch.prefilter import KEYWORDS, present_each
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

# kind -> the .env line that holds it (an `ek_` key needs OpenAI context in the file)
ENVS = {
    "ek_": "# openai realtime\nEPHEMERAL={k}\n",
    "sk-proj-": "OPENAI_API_KEY={k}\n",
    "sess-": "# openai\nSESSION={k}\n",
}


def _wrapped(text: str, width: int) -> bytes:
    encoded = base64.b64encode(text.encode())
    return b"\n".join(encoded[i : i + width] for i in range(0, len(encoded), width)) + b"\n"


def _places(out: str) -> list[tuple[str, int]]:
    places = (loc for f in json.loads(out)["findings"] for loc in f.get("locations", [f]))
    return sorted((p["path"].rsplit("/", 1)[-1], p["line"]) for p in places)


@pytest.mark.parametrize("width", [64, 76, 120])
@pytest.mark.parametrize("kind", sorted(ENVS))
def test_history_and_scan_find_the_same_keys_in_a_wrapped_base64_file(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], kind: str, width: int
) -> None:
    key = make_key(kind, seed=width)
    wrapped = _wrapped(f"# {'prod ' * (width // 8)}\n" + ENVS[kind].format(k=key), width)
    if kind == "ek_":
        assert not present_each(wrapped, KEYWORDS)  # only the wrapped start makes it a candidate
    repo = make_repo()
    repo.write("env.b64", wrapped)
    repo.write("io.c", "off_t lseek_(int fd);\nint peek_x;\n")
    repo.commit("files")
    scanned = keylatch("scan", "--format", "json", str(repo.path))
    history = keylatch("history", "--no-cache", "--format", "json", str(repo.path))
    assert (scanned.code, history.code) == (1, 1), history.err
    assert _places(history.out) == _places(scanned.out) != []
    assert {p for p, _ in _places(history.out)} == {"env.b64"}
    assert key not in scanned.out + scanned.err + history.out + history.err


def test_history_and_scan_agree_on_azure_keys_with_and_without_their_evidence(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    key = make_key("azure-classic", seed=14)
    repo = make_repo()
    repo.write("azure-pipelines.yml", f"# Azure Pipelines\nvariables:\n  api_key: {key}\n")
    repo.write("app/.env", f"AZURE_OPENAI_ENDPOINT=https://x.openai.azure.com/\nAZURE_OPENAI_API_KEY={key}\n")
    repo.commit("files")
    scanned = keylatch("scan", "--format", "json", str(repo.path))
    history = keylatch("history", "--no-cache", "--format", "json", str(repo.path))
    assert (scanned.code, history.code) == (1, 1), history.err
    assert _places(history.out) == _places(scanned.out) == [(".env", 2)]
