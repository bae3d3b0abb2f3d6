"""Shared example material: the texts a key must be found in, and the decoys it must not be.

Every rule's `examples` and `counterexamples` are built from these and from `synthetic.make_key`,
so no key-shaped literal is ever committed.
"""

from __future__ import annotations

from keylatch.rules.synthetic import MARKER, make_key


def contexts(key: str) -> tuple[str, ...]:
    """Texts in which `key` must be found whole; shared by rule examples and the tests."""
    return (
        key,
        f'OPENAI_API_KEY="{key}"',
        f"export OPENAI_API_KEY={key}",
        f'curl -H "Authorization: Bearer {key}" https://api.openai.com/v1/models',
        f"https://example.test/v1?key={key}&mode=x",
        f"%22{key}%22",
        f'"source": ["x = \\"{key}\\"\\n"]',
        f"[{key}]",
        # `_` and `-` are key characters: Markdown emphasis and a file name run on past the key
        f"Key: _{key}_",
        f"mv {key}-old.txt /tmp",
    )


def mutate_marker(key: str) -> str:
    return key.replace(MARKER, "T3BlbkFj")


PLACEHOLDERS = (
    "sk-...",
    "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "sk-your-key-here",
    "sk-proj-" + "X" * 74 + MARKER + "X" * 74,
    "sk-" + "x" * 20 + MARKER + "x" * 20,
    "sk-abcdefghijklmnopqrst" + MARKER + "abcdefghijklmnopqrst",
    # Words around the marker, as a README's template writes them.
    "sk-proj-YOUR_OPENAI_API_KEY_GOES_HERE_PLEASE" + MARKER + "YOUR_OPENAI_API_KEY_GOES_HERE_PLEASE",
    "sk-proj-" + "your-openai-project-key-goes-here-ok" + MARKER + "your-openai-project-key-goes-here-ok",
    "sk-...abcd",
    "sk-no-key-required",
    "sk-1234",
    "EMPTY",
    "org-" + "A1b2C3d4E5f6G7h8I9j0K1l2",
    "proj_" + "A1b2C3d4E5f6G7h8I9j0K1l2",
)


# Azure configurations in which a 32-hex key `{k}` must be found, and the keys of other services
# `{o}` in the same text must not (fill() puts a different key in each). Each is a class seen in
# the wild: a retrieval-augmented `.env`, SDK clients called across lines, `az cognitiveservices
# account keys list`, ARM and Terraform outputs, appsettings.json, Spring application.yml and
# properties, a Cognitive Services endpoint with the `/openai/` path.
_EP = "https://contoso.openai.azure.com/"
# A resource whose endpoint is a bare `*.cognitiveservices.azure.com` host, with its `{kind}` in the
# same block: `az cognitiveservices account show` then `keys list`, an ARM deployment's JSON,
# Bicep, Terraform. With kind OpenAI or AIServices the generic key is reported, with another
# service's kind it is not.
_KIND_TEXTS = (
    "$ az cognitiveservices account show -n res -g rg\n{\n"
    '  "id": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/res",\n'
    '  "kind": "{kind}",\n  "location": "swedencentral",\n  "name": "res",\n  "properties": {\n'
    + '    "capabilities": [\n'
    + "".join(f'      {{"name": "Capability{i}", "value": "true"}},\n' for i in range(30))
    + '    ],\n    "endpoint": "https://res.cognitiveservices.azure.com/"\n  }\n}\n'
    '$ az cognitiveservices account keys list -n res -g rg\n{\n  "key1": "{k}"\n}\n',
    '{\n  "resources": [{\n    "type": "Microsoft.CognitiveServices/accounts",\n    "kind": "{kind}",\n'
    '    "properties": {"endpoint": "https://res.cognitiveservices.azure.com/"}\n  }],\n'
    '  "outputs": {"key1": {"type": "String", "value": "{k}"}}\n}\n',
    "resource res 'Microsoft.CognitiveServices/accounts@2024-10-01' = {\n  name: 'res'\n  kind: '{kind}'\n"
    "  properties: {\n    customSubDomainName: 'res'\n  }\n}\n"
    "// https://res.cognitiveservices.azure.com/\nvar key1 = '{k}'\n",
    'resource "azurerm_cognitive_account" "res" {\n  name     = "res"\n  kind     = "{kind}"\n'
    '  sku_name = "S0"\n}\n# terraform output\nendpoint = "https://res.cognitiveservices.azure.com/"\n'
    'primary_access_key = "{k}"\n',
)
AZURE_OPENAI_TEXTS = (
    f"AZURE_OPENAI_ENDPOINT={_EP}\nAZURE_OPENAI_API_KEY={{k}}\nAZURE_DOCUMENT_INTELLIGENCE_KEY={{o}}\n"
    "ANOMALY_DETECTOR_KEY={o}\nCONTENT_MODERATOR_SUBSCRIPTION_KEY={o}\nLUIS_AUTHORING_KEY={o}\n"
    "PERSONALIZER_API_KEY={o}\nAZURE_MAPS_KEY={o}\nAZURE_TRANSLATOR_KEY={o}\nAZURE_SEARCH_ADMIN_KEY={o}\n"
    "AZURE_SPEECH_KEY={o}\nFORM_RECOGNIZER_KEY={o}\n",
    "from openai import AzureOpenAI\nfrom azure.ai.documentintelligence import DocumentIntelligenceClient\n"
    "di = DocumentIntelligenceClient(\n    endpoint='https://fr.cognitiveservices.azure.com/',\n"
    f"    credential=AzureKeyCredential('{{o}}'),\n)\noai = AzureOpenAI(\n    azure_endpoint='{_EP}',\n"
    "    api_key='{k}',\n)\n",
    "$ az cognitiveservices account show -n oai -g rg --query properties.endpoint\n"
    f'"{_EP}"\n$ az cognitiveservices account keys list -n oai -g rg\n{{\n  "key1": "{{k}}",\n',
    f'"endpoint": "{_EP}",\n"key2": "{{k}}"\n',
    f'{{"outputs": {{\n  "endpoint": {{"type": "String", "value": "{_EP}"}},\n'
    '  "openAiKey": {\n    "type": "String",\n    "value": "{k}"\n  }\n}}\n',
    f'{{\n  "openai_endpoint": {{"type": "string", "value": "{_EP}"}},\n'
    '  "primary_access_key": {\n    "sensitive": true,\n    "type": "string",\n    "value": "{k}"\n  }\n}\n',
    f'{{\n  "AzureOpenAI": {{\n    "Endpoint": "{_EP}",\n    "Key": "{{k}}"\n  }},\n'
    '  "DocumentIntelligence": {\n    "Endpoint": "https://fr.cognitiveservices.azure.com/",\n    "Key": "{o}"\n  },\n'
    '  "Search": {\n    "Endpoint": "https://s.search.windows.net",\n    "ApiKey": "{o}"\n  }\n}\n',
    f"spring:\n  ai:\n    azure:\n      openai:\n        api-key: {{k}}\n        endpoint: {_EP}\n",
    f"spring.ai.azure.openai.api-key={{k}}\nspring.ai.azure.openai.endpoint={_EP}\n",
    "ENDPOINT=https://res.cognitiveservices.azure.com/openai/deployments/gpt-4o\nAPI_KEY={k}\n",
    # a record of a JSON array that names Azure OpenAI itself
    f'{{"connections": [\n  {{"name": "speech", "key": "{{o}}"}},\n  {{"endpoint": "{_EP}", "key": "{{k}}"}}\n]}}\n',
    # an acronym before `Key` (Azure-Samples/openai's C#), another service's camel-case name beside it
    f'var azureOpenAIEndpoint = "{_EP}";\nvar azureOpenAIKey = "{{k}}";\nvar azureSpeechAIKey = "{{o}}";\n',
    *(t.replace("{kind}", "OpenAI") for t in _KIND_TEXTS),
    # a header record of a HAR (Postman writes "key" for "name"), one field a line (corpus21)
    f'{{"request": {{\n  "url": "{_EP}openai/deployments/gpt/chat/completions",\n  "headers": [\n    {{\n'
    '      "name": "api-key",\n      "value": "{k}"\n    }\n  ]\n}}\n',
    # a table whose header row alone names the key's column (QA21: the row's line names nothing):
    # CSV, a spreadsheet's quoted export, Markdown, a SQL insert's rows, `az ... -o table` (CRLF rows:
    # tests/rules/test_table_columns.py; escaped, a CR stays `\u000d` and ends no line)
    f"service,endpoint,key\nopenai,{_EP},{{k}}\n",
    f'"Service Name","Endpoint URL","API Key"\n"Azure OpenAI, prod","{_EP}","{{k}}"\n',
    f"| name | endpoint | key |\n|---|---|---|\n| prod | {_EP} | `{{k}}` |\n",
    f"INSERT INTO creds (name, endpoint, api_key) VALUES\n  ('prod', '{_EP}', '{{k}}');\n",
    f"# {_EP}\n$ az cognitiveservices account keys list -n oai -g rg -o table\n"
    "Name        Key1\n----------  --------------------------------\noai         {k}\n",
    # the header that carries Azure AI services and Azure OpenAI keys, on the key's own line
    f'curl {_EP}openai/deployments/gpt/chat/completions -H "Ocp-Apim-Subscription-Key: {{k}}"\n',
)
# A multi-service Azure AI services key (it authenticates Azure OpenAI too) in the same settings.
AZURE_AI_SERVICES_TEXTS = (
    f"AZURE_OPENAI_ENDPOINT={_EP}\nAZURE_AI_SERVICES_KEY={{k}}\nAZURE_SPEECH_KEY={{o}}\n",
    "AZURE_AI_ENDPOINT=https://proj.services.ai.azure.com/\nAZURE_AI_KEY={k}\n",
    f"azure_endpoint = '{_EP}'\ncognitive_services_key = '{{k}}'\n",
    *(t.replace("{kind}", "AIServices") for t in _KIND_TEXTS),
)
# Other services' keys beside Azure OpenAI configuration, and 32-hex values that are not keys.
AZURE_OTHER_TEXTS = (
    AZURE_OPENAI_TEXTS[0].replace("AZURE_OPENAI_API_KEY={k}\n", ""),
    AZURE_OPENAI_TEXTS[1].replace("    api_key='{k}',\n", ""),
    AZURE_OPENAI_TEXTS[6].replace('    "Key": "{k}"\n', '    "Deployment": "gpt-4o"\n'),
    "ENDPOINT=https://speech1.cognitiveservices.azure.com/\nSPEECH_KEY={o}\nkey={o}\n",
    "ENDPOINT=https://res.cognitiveservices.azure.com/\nAPI_KEY={o}\n",
    f'{{"outputs": {{\n  "endpoint": {{"value": "{_EP}"}},\n  "deploymentHash": {{\n    "value": "{{o}}"\n  }}\n}}}}\n',
    f"AZURE_OPENAI_ENDPOINT={_EP}\n\n# Maps\nAZURE_MAPS_CLIENT=web\nkey={{o}}\n",
    # records of a JSON array (a blob cache) in a file that configures Azure OpenAI
    f'{{\n "azure_openai": {{"endpoint": "{_EP}"}},\n "files": [\n  {{\n   "name": "a.txt",\n   "md5": "{{o}}"\n  }},\n'
    '  {\n   "name": "b.txt",\n   "key": "{o}"\n  }\n ]\n}\n',
    # keys of data held as 32 hex beside Azure OpenAI settings, and a Postman variable named
    # otherwise (corpus21)
    f"AZURE_OPENAI_ENDPOINT={_EP}\nrow_key = '{{o}}'\nPartitionKey={{o}}\n"
    'headers = {"Idempotency-Key": "{o}"}\nconversation_key: {o}\n',
    f'{{"values": [\n  {{"key": "endpoint", "value": "{_EP}"}},\n  {{"key": "deployment_id", "value": "{{o}}"}}\n]}}\n',
    # tables whose columns hold ids, hashes and keys of data beside an Azure OpenAI endpoint; a
    # row with more cells than its header (no name shifts onto it); another service's column
    f"name,endpoint,etag,md5\nblob,{_EP},{{o}},{{o}}\n",
    f"| deployment | endpoint | id | object_id |\n|---|---|---|---|\n| gpt | {_EP} | {{o}} | {{o}} |\n",
    f"PartitionKey,RowKey,Endpoint\n{{o}},{{o}},{_EP}\n",
    f"| key | value |\n|---|---|\n| {{o}} | {_EP} |\n",
    f"service,endpoint,key\nopenai,{_EP},{{o}},extra\n",
    f"service,endpoint,speech_key\nprod,{_EP},{{o}}\n",
    f"INSERT INTO files (name, endpoint, checksum) VALUES\n  ('a', '{_EP}', '{{o}}');\n",
    # a bare Cognitive Services host whose kind is another service (or the legacy multi-service
    # kind, whose keys do not authenticate Azure OpenAI)
    *(
        t.replace("{kind}", kind).replace("{k}", "{o}")
        for kind in ("SpeechServices", "FormRecognizer", "TextAnalytics", "CognitiveServices")
        for t in _KIND_TEXTS
    ),
)


def fill(template: str, key: str, seed: int) -> str:
    """`template` with `{k}` as `key` and each `{o}` as another synthetic 32-hex key."""
    parts = template.replace("{k}", key).split("{o}")
    others = (make_key("azure-classic", seed=1000 * seed + i) for i in range(1, len(parts)))
    return "".join(p + o for p, o in zip(parts, others, strict=False)) + parts[-1]
