"""The contexts a key is written in, as text templates; shared by the engine and e2e tests.

Each template has `{k}` where the key goes. Self-identifying formats must be found whole in every
one; formats that need evidence get an evidence line and a key-ish name (see EVIDENCE).
"""

from __future__ import annotations

import random
import string
from urllib.parse import quote

from keylatch.rules.synthetic import ALL_KINDS, make_key

# (comment start, comment end) of each comment syntax an allow comment may follow
# (docs/configuration.md, "Allow comments").
COMMENTS: dict[str, tuple[str, str]] = {
    "hash": ("#", ""),
    "slashes": ("//", ""),
    "sql": ("--", ""),
    "c-block": ("/*", " */"),
    "html": ("<!--", " -->"),
    "ini": (";", ""),
    "tex": ("%", ""),
}

CONTEXTS: dict[str, str] = {
    "bare": "{k}\n",
    "dotenv": "OPENAI_API_KEY={k}\n",
    "dotenv-quoted": "OPENAI_API_KEY='{k}'\n",
    "export": 'export OPENAI_API_KEY="{k}"\n',
    "yaml": "openai:\n  api_key: {k}\n  model: gpt-4o\n",
    "yaml-quoted": "api_key: '{k}'\n",
    "toml": '[openai]\napi_key = "{k}"\n',
    "json": '{{"api_key": "{k}", "model": "gpt-4o"}}\n',
    "notebook": '{{"cells": [{{"source": ["import openai\\n", "client = OpenAI(api_key=\\"{k}\\")\\n"]}}]}}\n',
    "markdown": "Set the key: `{k}`\n\n```sh\nexport OPENAI_API_KEY={k}\n```\n",
    "dockerfile": "FROM python:3.12\nENV OPENAI_API_KEY={k}\n",
    "curl": 'curl https://api.openai.com/v1/models -H "Authorization: Bearer {k}"\n',
    "url-query": "https://example.test/proxy?key={k}&model=gpt-4o\n",
    "url-encoded": "payload=%7B%22api_key%22%3A%22{k}%22%7D\n",
    "escaped-newline": '"config": "line one\\n{k}\\nline three"\n',
    "python-call": 'client = OpenAI(api_key="{k}")\n',
    "xml": "<config><api_key>{k}</api_key></config>\n",
    "crlf": 'OPENAI_API_KEY="{k}"\r\nOTHER=1\r\n',
    "eof-no-newline": "OPENAI_API_KEY={k}",
    "comma": "keys = [{k}, None]\n",
    "paren": "api_key=({k})\n",
    "bracket": "keys=[{k}]\n",
    "brace": "api_key={{{k}}}\n",
    "angle": "key=<{k}>\n",
    "amp": "key={k}&x=1\n",
    "pipe": "echo key={k}| api\n",
    "semicolon": "OPENAI_API_KEY={k}; export OPENAI_API_KEY\n",
    "js": "const openaiKey = `{k}`;\n",
}

# Formats that are not self-identifying: evidence placed before the context, as users write it.
EVIDENCE: dict[str, str] = {
    "azure-classic": 'AZURE_OPENAI_ENDPOINT="https://contoso.openai.azure.com/"\n',
    "sess-": "# OpenAI dashboard session\n",
    "whsec_": "# OpenAI webhooks\n",
}

# Contexts in which a 32-hex Azure key has no key-ish name or client call on its line: by design
# that shape alone is not reported (it is also every MD5 hash).
NO_NAME_CONTEXTS = frozenset({"bare", "markdown", "escaped-newline", "comma", "bracket", "url-encoded"})

SELF_IDENTIFYING = tuple(k for k in ALL_KINDS if k not in EVIDENCE)


def url_encode(text: str) -> str:
    return quote(text, safe="")


def cases() -> list[tuple[str, str, str, str]]:
    """(kind, context name, file text, key) for every format in every applicable context."""
    out = []
    for i, kind in enumerate(ALL_KINDS):
        for j, (name, template) in enumerate(CONTEXTS.items()):
            if kind in EVIDENCE and (kind != "azure-classic" or name not in NO_NAME_CONTEXTS):
                key = make_key(kind, seed=100 * i + j)
                out.append((kind, name, EVIDENCE[kind] + template.format(k=key), key))
            elif kind not in EVIDENCE:
                key = make_key(kind, seed=100 * i + j)
                out.append((kind, name, template.format(k=key), key))
    return out


def noise(n: int, seed: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


def negatives() -> dict[str, str]:
    """Texts in which nothing may be reported."""
    proj = make_key("sk-proj-", seed=7)
    legacy = make_key("sk-", seed=7)
    hexkey = make_key("azure-classic", seed=7)
    return {
        "ellipsis": "OPENAI_API_KEY=sk-...\n",
        "xxxx": "OPENAI_API_KEY=sk-" + "x" * 48 + "\n",
        "your-key-here": 'api_key="sk-your-key-here"\n',
        "proj-xxxx": "OPENAI_API_KEY=sk-proj-" + "X" * 74 + "T3BlbkFJ" + "X" * 74 + "\n",
        "repeated": "OPENAI_API_KEY=sk-" + "aaaa" * 5 + "T3BlbkFJ" + "bbbb" * 5 + "\n",
        "sequential": "OPENAI_API_KEY=sk-abcdefghijklmnopqrst" + "T3BlbkFJ" + "0123456789ABCDEFGHIJ\n",
        "redacted": "OPENAI_API_KEY=sk-...abcd and sk-proj-abcd...wxyz and " + proj[:12] + "…" + proj[-4:] + "\n",
        "stripe": f"STRIPE=sk_live_{noise(24, 1)}\nsk_test_{noise(24, 2)}\n",
        "anthropic": f"ANTHROPIC_API_KEY=sk-ant-api03-{noise(93, 3, string.ascii_letters + string.digits + '_-')}AA\n",
        "sk-hex32": f"DEEPSEEK_API_KEY=sk-{noise(32, 4, '0123456789abcdef')}\n",
        "sk-alnum48": f"OTHER_KEY=sk-{noise(48, 5)}\n",
        "local-dummies": 'OpenAI(api_key="EMPTY")\nOpenAI(api_key="sk-no-key-required")\napi_key="sk-1234"\n',
        "identifiers": (
            "organization=org-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8\nproject=proj_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8\n"
            "key_Ab1Cd2Ef3Gh4Ij5Kl6 asst_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8 file-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8\n"
        ),
        "mutated-marker": "OPENAI_API_KEY=" + proj.replace("T3BlbkFJ", "T3BlbkFj") + "\n",
        "truncated": "OPENAI_API_KEY=" + legacy[:-2] + "\n",
        "hex-without-azure": 'API_KEY="' + hexkey + '"\n',
        "azure-speech": 'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\nAZURE_SPEECH_KEY="' + hexkey + '"\n',
        "azure-search": 'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\nAZURE_SEARCH_KEY="' + hexkey + '"\n',
        "azure-storage": 'azure_endpoint="https://c.openai.azure.com/"\nAZURE_STORAGE_KEY="' + hexkey + '"\n',
        "md5-near-azure": 'azure_endpoint="https://c.openai.azure.com/"\nchecksum_md5 = "' + hexkey + '"\n',
        "uuid-near-azure": 'AzureOpenAI(azure_endpoint=x)\napi_key = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"\n',
        "sess-without-openai": "SESSION_TOKEN=" + make_key("sess-", seed=7) + "\n",
        "whsec-stripe": "STRIPE_WEBHOOK_SECRET=" + make_key("whsec_", seed=7) + "\n",
    }
