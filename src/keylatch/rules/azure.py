"""Azure OpenAI keys: the self-identifying 84-character key and the classic 32-hex key.

Format sources (public):
- Azure OpenAI 84-character keys (`JQQJ99` ... `ACOG` signature): Microsoft "Azure AI services
  keys" format note, as used by gitleaks' and Microsoft Security DevOps' rules.
- 32-hex keys: Azure OpenAI REST reference (`api-key` header); the shape is shared by every
  Azure AI service and by hashes, hence the evidence the file and the line must show.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from keylatch.model import Severity
from keylatch.rules.examples import AZURE_AI_SERVICES_TEXTS, AZURE_OPENAI_TEXTS, AZURE_OTHER_TEXTS, contexts, fill
from keylatch.rules.owner import (
    BLOCK,
    OTHER_SERVICES,
    column_names_data,
    column_owner,
    named_as_data_key,
    named_as_id,
    owner,
)
from keylatch.rules.rule import ColumnValidator, Example, Regex, Rule, Validator
from keylatch.rules.shape import A_CHARS, AFTER_ESCAPE, LEFT, diverse, no_prefix, validate_diverse
from keylatch.rules.synthetic import make_key


def _validate_azure(m: re.Match[str]) -> str | None:
    """Every Azure AI service (Speech, Translator, Vision ...) issues 84-character keys of this
    format, so the 32-hex rule's judgement of whose key it is applies: a key that its name,
    client, paragraph or resource kind gives to another service is not reported. One that
    nothing near it assigns is (it may be Azure OpenAI's: `key = "..."` alone), and so is a
    multi-service AI services key, which authenticates Azure OpenAI too. `m.string` reaches as
    far around the key as the 32-hex rule's judgement looks (`judge_in_document`): a paragraph or a
    resource kind more than the engine's window (about 600 characters) before it counts too."""
    key, start = m.group("key"), m.start("key")
    if not diverse(key[:52]):
        return None
    if start and m.string[start - 1].isascii() and m.string[start - 1].isalnum():
        return key  # glued on the left in binary data (`glued`): the bytes before it are no name
    return key if owner(m.string, m.start("key"), m.end("key"), shape_only=True) != "other" else None


def _azure84_examples() -> tuple[Example, ...]:
    named = tuple(
        Example(text.format(k=key), key)
        for i, text in enumerate(
            (
                "AZURE_OPENAI_KEY={k}\n",
                "AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\nAZURE_SPEECH_KEY=x\nAZURE_OPENAI_API_KEY={k}\n",
                "AZURE_AI_SERVICES_KEY={k}\n",
                'client = AzureOpenAI(api_key="{k}", azure_endpoint="https://c.openai.azure.com")\n',
                'key = "{k}"\n',
            )
        )
        for key in (make_key("azure", seed=10 + i),)
    )
    return tuple(Example(t, k) for i in range(2) for k in (make_key("azure", seed=i),) for t in contexts(k)) + named


def _azure84_counterexamples() -> tuple[str, ...]:
    # Other services' 84-character keys (QA: Speech and Translator settings reported as Azure OpenAI).
    others = tuple(
        text.format(k=make_key("azure", seed=20 + i))
        for i, text in enumerate(
            (
                "AZURE_SPEECH_KEY={k}\nAZURE_SPEECH_REGION=eastus\n",
                'cfg = speechsdk.SpeechConfig(subscription="{k}", region="eastus")\n',
                "AZURE_TRANSLATOR_KEY={k}\nAZURE_TRANSLATOR_ENDPOINT=https://api.cognitive.microsofttranslator.com/\n",
                "AZURE_OPENAI_ENDPOINT=https://c.openai.azure.com/\nDOCUMENT_INTELLIGENCE_KEY={k}\n",
            )
        )
    )
    return (
        *others,
        make_key("azure", seed=5).replace("JQQJ99", "JQQJ98"),
        "A" * 52 + "JQQJ99" + "0A" + "B" * 12 + "AAABACOG" + "CCCC",
    )


AZURE_OPENAI_KEY = Rule(
    id="azure-openai-key",
    description="Azure OpenAI / Azure AI services key (84 characters) not named for another Azure service",
    severity=Severity.HIGH,
    keywords=("JQQJ99",),
    # Fixed offsets of JQQJ99 and ACOG make the shape self-identifying, so only letters and
    # digits (not base64 punctuation) need to bound it.
    pattern=Regex(
        rf"(?:(?<![A-Za-z0-9])|{AFTER_ESCAPE})"
        r"(?P<key>[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9][A-L][A-Za-z0-9]{12}AAA[AB]ACOG"
        r"[A-Za-z0-9]{4})(?![A-Za-z0-9])"
    ),
    anchored=True,
    make_examples=_azure84_examples,
    make_counterexamples=_azure84_counterexamples,
    references=("https://learn.microsoft.com/azure/ai-services/authentication",),
    prefix=no_prefix,
    validate=_validate_azure,
    token_chars=A_CHARS,
    key_len=(84, 84),
    # JQQJ99 at 52 and ACOG at 76 fix the key's start and end whatever bytes touch it.
    glued=Regex(r"(?P<key>[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9][A-L][A-Za-z0-9]{12}AAA[AB]ACOG[A-Za-z0-9]{4})"),
    # owner() looks back through a paragraph (800 characters) and a resource's block (BLOCK).
    judge_in_document=True,
)

# Lower case: Rule.file_context is searched in lower-cased text.
# Endpoints beyond openai.azure.com: a Cognitive Services endpoint's `/openai/` path, an AI Foundry
# (`*.services.ai.azure.com`) resource, a multi-service AI services resource by name, and a bare
# `*.cognitiveservices.azure.com` host when the resource's kind in the same block is OpenAI or
# AIServices (`"kind": "OpenAI"` of ARM and `az cognitiveservices account show`, Bicep
# `kind: 'OpenAI'`, Terraform `kind = "OpenAI"`, `--kind AIServices`): every Azure AI service has
# such a host, and its kind says which service it is.
_KIND = r"""kind["']?[ \t]*[:=]?[ \t]*["']?(?:openai|aiservices)(?![a-z0-9_-])"""
_HOST = r"cognitiveservices\.azure\.com"
# "The same block": within owner.BLOCK characters either way. `az cognitiveservices account show`
# prints the kind first and the endpoint after the resource's capabilities (2-4 KB).
_BLOCK = BLOCK
_AZURE_EVIDENCE = Regex(
    r"azure(?:[_ .-]?openai|_endpoint|_deployment|chatopenai|[_ .-]?ai[_ .-]?services)|openai\.azure\.com"
    rf"|services\.ai\.azure\.com|{_HOST}(?:/openai|[\s\S]{{0,{_BLOCK}}}?{_KIND})"
    rf"|{_KIND}[\s\S]{{0,{_BLOCK}}}?{_HOST}"
)
# A key-ish name before the value, or an Azure OpenAI client call on the same line; `key1`/`key2`
# (`az cognitiveservices account keys list`), and a JSON `"value"` or YAML `value:` whose object names the key
# (ARM and Terraform outputs; owner.py reads the object's name). A name glued in camel or Pascal
# case ends in `Key` after any letter or digit: an acronym's capital (`azureOpenAIKey`,
# `OpenAIAPIKey`, `AOAIKey`) as well as a lower-case word (`openAiKey`); all in capitals, `KEY`
# (`AZUREOPENAIKEY`).
_KEYISH_LINE = Regex(
    r"(?i)(?:api[_-]?key|[_.-]key\b|\bkey[12]?\b|secret|token|credential|password|authorization|bearer)"
    r"|(?-i:[A-Za-z0-9](?:Key|KEY)\b)"
    r"|AzureOpenAI\w*\(|AzureChatOpenAI\("
    r'|"value"\s*:'
    # a YAML `value:` entry: a Kubernetes or Compose env list's `- name: AZURE_OPENAI_API_KEY`
    # then `value: ...` (owner.py judges it by its record, or its parent mapping's name)
    r"|(?<![^\n])[ \t]*(?:- +)?value:"
)
# A line that _KEYISH_LINE matches holds one of these, case-insensitively (tests/rules check it).
_KEYISH_WORDS = tuple(
    "key secret token credential password authorization bearer azureopenai azurechatopenai value".split()
)
# Other Azure services share the 32-hex shape; hashes and ids are 32-hex too. `subscription` is an
# Azure subscription's id, but not in `Ocp-Apim-Subscription-Key`: the header that carries Azure AI
# services and Azure OpenAI keys (QA21: dropped on its header's line, found on a line of its own).
# Lower case (Rule.line_exclude is searched in the lower-cased line), and every alternative starts
# with a letter, so that the regex jumps from one candidate letter to the next.
_NOT_OPENAI_LINE = Regex(
    r"face|" + OTHER_SERVICES + r"|md5|sha(?<![a-z]sha)(?:\d|_|\b)|hash|checksum|digest|etag|commit|uuid|guid"
    r"|fingerprint|integrity|cache|nonce|tenant|subscription(?![ _-]?key)|client_?id|object_?id|trace|request_?id"
    r"|session_?id"
)


def _validate_classic(m: re.Match[str]) -> str | None:
    key = _named_key(m)
    return key if key and owner(m.string, m.start("key"), m.end("key")) in (None, "openai") else None


def _validate_ai_services(m: re.Match[str]) -> str | None:
    key = _named_key(m)
    return key if key and owner(m.string, m.start("key"), m.end("key")) == "ai-services" else None


def _named_key(m: re.Match[str]) -> str | None:
    """A diverse value not named as an identifier (`AZURE_OPENAI_KEY_ID`, `"keyId":`) or as a key of
    data (`row_key`, `"Idempotency-Key":`)."""
    key = validate_diverse(m)
    pos = m.start("key")
    return key if key and not named_as_id(m.string, pos) and not named_as_data_key(m.string, pos) else None


def _column_key(name: str, header: tuple[str, ...], m: re.Match[str]) -> str | None:
    """A diverse value whose table column is named as a key (`key`, `API Key`, `Key1`,
    `Ocp-Apim-Subscription-Key`), as a key's line would be (_KEYISH_LINE, _NOT_OPENAI_LINE), and not
    as an id or a key of data (`md5`, `etag`, `object_id`, `RowKey`: owner.column_names_data)."""
    return validate_diverse(m) if _names_a_key(name, header) else None


@functools.lru_cache(maxsize=256)
def _names_a_key(name: str, header: tuple[str, ...]) -> bool:
    """Memoised (a pure function of its arguments): every row of a table asks it of the same names."""
    if _KEYISH_LINE.search(name) is None or _NOT_OPENAI_LINE.search(name.lower()) is not None:
        return False
    return not column_names_data(name, header)


def _classic_by_column(name: str, header: tuple[str, ...], rows_start: int, m: re.Match[str]) -> str | None:
    key = _column_key(name, header, m)
    return (
        key
        if key and column_owner(m.string, m.start("key"), m.end("key"), name, rows_start) in (None, "openai")
        else None
    )


def _ai_services_by_column(name: str, header: tuple[str, ...], rows_start: int, m: re.Match[str]) -> str | None:
    key = _column_key(name, header, m)
    return (
        key if key and column_owner(m.string, m.start("key"), m.end("key"), name, rows_start) == "ai-services" else None
    )


def _classic_examples() -> tuple[Example, ...]:
    key = make_key("azure-classic", seed=1)
    upper = make_key("azure-classic", seed=5).upper()
    endpoint = 'AZURE_OPENAI_ENDPOINT="https://contoso.openai.azure.com/"\n'
    return (
        Example(endpoint + f'AZURE_OPENAI_API_KEY="{key}"\n', key),
        Example(
            "from openai import AzureOpenAI\n"
            f'client = AzureOpenAI(api_key="{key}", azure_endpoint="https://x.openai.azure.com")\n',
            key,
        ),
        # pasted upper-cased, or half of it
        Example(endpoint + f"AZURE_OPENAI_API_KEY={upper}\n", upper),
        Example(endpoint + f"AZURE_OPENAI_API_KEY={upper[:16] + key[16:]}\n", upper[:16] + key[16:]),
    ) + _filled(AZURE_OPENAI_TEXTS, 10)


def _filled(texts: tuple[str, ...], seed: int) -> tuple[Example, ...]:
    return tuple(
        Example(fill(t, key, seed + i), key)
        for i, t in enumerate(texts)
        for key in (make_key("azure-classic", seed=seed + i),)
    )


def _hex_rule(
    rule_id: str,
    description: str,
    validate: Validator,
    by_column: ColumnValidator,
    examples: Callable[[], tuple[Example, ...]],
) -> Rule:
    """A 32-hex key rule: the same candidates, evidence and line tests; `validate` says whose."""
    return Rule(
        id=rule_id,
        description=description,
        severity=Severity.HIGH,
        # "zure" covers "azure" and "Azure" in one pass over the bytes; the evidence regex decides.
        keywords=("zure", "ZURE"),
        # Azure issues lower case, but a value pasted upper-cased (or partly) is the same key
        # (QA: `AZURE_OPENAI_API_KEY=<32 upper-case hex>` missed): every case is a candidate, and
        # the same evidence, name and owner tests decide, so an upper-case hash or GUID beside
        # Azure OpenAI settings stays out as its lower-case spelling does.
        pattern=Regex(LEFT + r"(?P<key>[0-9a-fA-F]{32})(?![A-Za-z0-9_-])"),
        anchored=False,
        # The evidence is searched in the whole file, not only near "azure": a resource's kind may
        # be a few KB from its endpoint. Only files holding the keyword pay for it.
        run_chars="0123456789abcdefABCDEF",
        run_length=32,
        make_examples=examples,
        make_counterexamples=lambda: (
            # no Azure OpenAI evidence in the file
            f'API_KEY="{make_key("azure-classic", seed=2)}"\n',
            # evidence, but a Speech key
            'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\n'
            f'AZURE_SPEECH_KEY="{make_key("azure-classic", seed=3)}"\n',
            # evidence, but a hash
            f'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\nmd5 = "{make_key("azure-classic", seed=4)}"\n',
            'azure_endpoint = "https://c.openai.azure.com/"\napi_key = "' + "0" * 32 + '"\n',
            # upper case takes the same evidence: a hash, a GUID without dashes, another service
            'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\n'
            f'MD5="{make_key("azure-classic", seed=6).upper()}"\n'
            f"AZURE_CLIENT_ID={make_key('azure-classic', seed=7).upper()}\n"
            f"AZURE_SPEECH_KEY={make_key('azure-classic', seed=8).upper()}\n",
            f'API_KEY="{make_key("azure-classic", seed=9).upper()}"\n',
            # other services' keys beside Azure OpenAI settings
            *(fill(t, "", 40 + i) for i, t in enumerate(AZURE_OTHER_TEXTS)),
        ),
        references=(
            "https://learn.microsoft.com/azure/ai-services/openai/reference",
            "https://learn.microsoft.com/azure/ai-services/multi-service-resource",
        ),
        prefix=no_prefix,
        validate=validate,
        file_context=_AZURE_EVIDENCE,
        line_context=_KEYISH_LINE,
        line_words=_KEYISH_WORDS,
        line_exclude=_NOT_OPENAI_LINE,
        by_column=by_column,
    )


AZURE_OPENAI_CLASSIC_KEY = _hex_rule(
    "azure-openai-classic-key",
    "Azure OpenAI key (32 hex characters) next to Azure OpenAI configuration",
    _validate_classic,
    _classic_by_column,
    _classic_examples,
)

AZURE_AI_SERVICES_KEY = _hex_rule(
    "azure-ai-services-key",
    "Azure AI services multi-service key (32 hex characters): also authenticates Azure OpenAI",
    _validate_ai_services,
    _ai_services_by_column,
    lambda: _filled(AZURE_AI_SERVICES_TEXTS, 30),
)
