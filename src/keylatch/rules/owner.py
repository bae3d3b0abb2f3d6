"""Whose key is a 32-hex value: Azure OpenAI, a multi-service Azure AI services resource, or
another service.

Every Azure AI service (Speech, Search, Document Intelligence, Translator, Maps ...) issues
32-hex keys, and a retrieval-augmented app configures several of them in the file that also
configures Azure OpenAI. The file says "Azure OpenAI is here"; which key belongs to it is said
by the key's own name, and for a generic name (`key`, `key1`, `api_key`, `"value"`,
`AzureKeyCredential(...)`) by the nearest client, section or endpoint before it in its
paragraph (or, failing that, after it).
"""

from __future__ import annotations

import re
from typing import Literal

from keylatch.rules.rule import Regex

Owner = Literal["openai", "ai-services", "other"]

# Other Azure AI services (and Azure services whose keys are 32-hex), as they are named in
# variables, sections, SDK clients and hosts. Lower case: searched in lower-cased text. Each
# alternative starts with a letter, so the regex jumps between candidate letters. `vision` alone
# only as a word's start: `provisioningState`, `revision`, `division` name no service.
OTHER_SERVICES = (
    r"speech|search|storage|translat|(?<![a-z])vision|computer_?vision|custom_?vision|cosmos|(?<![a-z0-9])face|language|form_?recog|content_?safety"
    r"|document_?(?:intel|analysis)|docintel|anomaly|moderator|luis|personali[sz]er|maps|text_?analytics|immersive"
    r"|bing|qna|video_?indexer|metrics_?advisor|health_?insights"
)
# Names of a multi-service Azure AI services resource: its keys authenticate Azure OpenAI too.
AI_SERVICES = r"ai[_ -]?services|cognitive[_ -]?services[_ -]?(?:key|api|account_?key)|services\.ai\.azure\.com"
_OPENAI = r"openai|aoai"

_CLUE = Regex(rf"(?P<openai>{_OPENAI})|(?P<ais>{AI_SERVICES})|(?P<other>{OTHER_SERVICES})")
# The name of a JSON object whose "value" holds the key (ARM deployment and Terraform outputs).
_OBJECT_NAME = Regex(r'"([^"\n]{1,80})"\s*:\s*\{[^{}\n]*$')
_VALUE_NAME = Regex(r'"value"\s*:\s*"?$')
_KEYISH_NAME = Regex(r"key|secret|token|credential|password")
# How far a generic name looks for its owner: its paragraph, at most this many characters.
_BACK = 800
_AHEAD = 400
# How far back a paragraph longer than _BACK is read to its start (paragraph() below).
_PARAGRAPH = 3000
_AHEAD_LINES = 2


# Random tokens (other keys, hashes) are not names: a clue word inside one (`maps`, `luis`) says
# nothing. A name has no digit in a run of 20 token characters; a random token almost always has.
# `=` ends a token (base64 has it only as trailing padding): in `AZURE_SPEECH_REGION=westus2` it
# joins a name to its value, and the pair, a digit in it, was blanked whole, the Speech clue with it.
_TOKEN = Regex(r"[a-z0-9+/_-]{20,}")


def names(text: str) -> str:
    """`text` (lower-cased) with its random tokens blanked, its names kept."""
    return _TOKEN.sub(lambda m: m.group() if not any(c.isdigit() for c in m.group()) else " ", text)


def _last_clue(text: str) -> Owner | None:
    return _kind(max(_CLUE.finditer(names(text)), key=lambda m: m.start(), default=None))


def _kind(m: re.Match[str] | None) -> Owner | None:
    if m is None:
        return None
    return "openai" if m.group("openai") else "ai-services" if m.group("ais") else "other"


def owner(text: str, pos: int, end: int, shape_only: bool = False) -> Owner | None:
    """Who the 32-hex key at text[pos:end] belongs to; None when nothing near it says.

    The key's own name (the text before it on its line) decides first; a JSON `"value"` takes
    its object's name; a generic name looks back through its paragraph for the nearest clue,
    then at the next two lines of its block.

    `shape_only`: the key's shape is already a key's (the 84-character format), so "other" only
    when a service is named: a `"value"` of an object not named like a key, or a record of a JSON
    array that names nothing, is then unassigned (None), not another service's.
    """
    line_start = text.rfind("\n", 0, pos) + 1
    prefix = text[line_start:pos].lower()
    # The record of a JSON array the key stands in, if any: its own name and _record both ask.
    chain = _json_record(text, pos)
    setting = _setting_name(text, pos, end) if _VALUE_NAME.search(prefix) else None
    if setting is not None:
        # A named setting's "value" (`{"name": "api-key", "value": …}`): the setting's name is the
        # key's name, on one line or over several (HAR, Postman, Insomnia exports).
        if not _KEYISH_NAME.search(setting.lower()) or _ID_NAME.search(setting) or _DATA_KEY_NAME.search(setting):
            return None if shape_only else "other"
        prefix = setting.lower()
    elif _VALUE_NAME.search(prefix) and not _KEYISH_NAME.search(prefix[: prefix.rfind('"value"')]):
        # The object's name, up to three lines back: `"openAiKey": {` / `"primary_key": {`.
        above = text[max(0, line_start - 240) : line_start].lower().split("\n")[-4:]
        name = next((m.group(1) for ln in reversed(above) for m in (_OBJECT_NAME.search(ln),) if m), None)
        if name is not None and _KEYISH_NAME.search(name):
            prefix = name
        elif not shape_only:
            return "other"
    if _YAML_VALUE.match(prefix):
        # A YAML `value:`: judged by its record (`- name: AZURE_OPENAI_API_KEY`), else named by
        # its parent mapping (`openAiKey:` then `value: ...`), as a JSON "value" by its object.
        record = _record(text, pos, end, shape_only, chain)
        if record is not None:
            return None if record == "none" else record
        parent = _yaml_parent(text, line_start)
        if not _KEYISH_NAME.search(parent):
            return None if shape_only else "other"
        prefix = parent
    own = _last_clue(_own_name(text, line_start, pos, prefix, chain))
    if own is not None:
        return own
    record = _record(text, pos, end, shape_only, chain)
    if record is not None:
        return None if record == "none" else record
    # A generic name: the nearest clue in its paragraph (a blank line ends one).
    near, far = paragraph(text, line_start)
    found = _last_clue(near) or (_last_clue(far) if far else None)
    if found is not None:
        return found
    # Ahead, only the next lines of its block that name no other key (`"Endpoint": ...` after
    # `"Key": ...`): a later key's name says whose that key is, not this one.
    for ln in text[end : end + _AHEAD].lower().split("\n")[1 : 1 + _AHEAD_LINES]:
        if not ln.strip():
            break
        if not _KEYISH_NAME.search(ln):
            found = _kind(_CLUE.search(names(ln)))
            if found is not None:
                return found
    return _resource_kind(text, line_start)


def column_owner(text: str, pos: int, end: int, name: str, rows_start: int) -> Owner | None:
    """Who the 32-hex key at text[pos:end] belongs to when it stands in a table's cell named `name`
    by the header row (engine/tables.py): the column's name first (`speech_key`, `openai_key`), then
    its row's other cells (`openai,https://x.openai.azure.com/,<key>`: the row's own clue, before
    the key first), then the paragraph the table stands in, its header included (rows_start is
    just past the header line), as a generic name's (owner); the other rows never judge it."""
    own = _last_clue(name.lower())
    if own is not None:
        return own
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", end)
    row = _last_clue(text[line_start:pos].lower()) or _kind(
        _CLUE.search(names(text[end : line_end if line_end >= 0 else len(text)].lower()))
    )
    if row is not None:
        return row
    near, far = paragraph(text, rows_start)
    return _last_clue(near) or (_last_clue(far) if far else None) or _resource_kind(text, rows_start)


def column_names_data(name: str, header: tuple[str, ...]) -> bool:
    """Whether a table's column holds identifiers or keys of data rather than credentials: named
    as an id (`key_id`, `Key ID`) or a key of data (`RowKey`, `Partition Key`, `object_key`), or the
    `key` column of a key/value table (its cells name the values beside them)."""
    word = "_".join(name.split())
    if _ID_NAME.search(word) or _DATA_KEY_NAME.search(word):
        return True
    return name.lower() == "key" and any(n.lower() == "value" for n in header)


def _own_name(text: str, line_start: int, pos: int, prefix: str, chain: tuple[int, int] | None) -> str:
    """The key's own name: the text before it on its line, from its record's `{` when a record of a
    JSON array opens on that line (minified JSON: the line's earlier members, an endpoint, name the
    document, not the record; the record and its array's name judge it, _record)."""
    if chain is None or prefix != text[line_start:pos].lower():
        return prefix
    return prefix[chain[0] - line_start :] if chain[0] > line_start else prefix


def paragraph(text: str, line_start: int) -> tuple[str, str]:
    """The paragraph before the line at `line_start` (a blank line ends one), lower-cased, as
    (near, far): `near` its last _BACK characters, where the nearest clue is looked for first;
    `far` the whole paragraph when it starts before `near` does, at most _PARAGRAPH characters
    back (else ""), read only when `near` names nothing. A heading over thirty settings (`# Azure
    Speech`, then a key named `key`: corpus17's t12) is a paragraph longer than _BACK."""
    lo = max(0, line_start - _BACK)
    near = text[lo:line_start].lower()
    cut = _last_break(near, 0, len(near))
    if cut >= 0 or lo == 0:
        return near[cut + 1 :], ""
    # Only a paragraph whose start is found within reach is read on: text without a blank line
    # for _PARAGRAPH characters (a file of keys one a line, a minified line) is judged by `near`
    # alone, as before, and costs a few C-level `rfind`s per key. A break may straddle `lo`.
    cut = _last_break(text, max(0, line_start - _PARAGRAPH), lo + 2)
    return near, text[cut + 1 : line_start].lower() if cut >= 0 or line_start <= _PARAGRAPH else ""


# A blank line, however lines end: LF, CRLF (Windows: "\r\n\r\n" holds no "\n\n") and CR ("\r\r").
_BREAKS = ("\n\n", "\n\r\n", "\r\r")


def _last_break(text: str, start: int, end: int) -> int:
    """Where the last paragraph break wholly inside text[start:end] starts, else -1."""
    return max(text.rfind(b, start, end) for b in _BREAKS)


# A name that says its value identifies something rather than unlocks it: `EPHEMERAL_KEY_ID`,
# `ephemeralKeyId`, `"id":`, `key-ids`, `KEY_GUID` (QA: `EPHEMERAL_KEY_ID = "ek_..."` reported).
# The word `id` where a word starts, or in camel case after a lower-case letter or digit: `valid`,
# `paid` and `ANDROID` are not identifiers.
_ID_NAME = Regex(
    r"(?:(?<![A-Za-z0-9])|(?<=[_.-]))(?i:(?:gu|uu|u)?ids?|identifier)$"
    r"|(?<=[a-z0-9])(?:Id|ID|Uuid|UUID|Guid|GUID|Identifier)s?$"
)
# What stands between a name and its value: `=`, `: `, quotes, `(`, `[`, `]`, `,`, `->`, `=>`.
_BETWEEN = " \t\"'`=:([]{,>"
_NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
_NAME_REACH = 160  # a name and what separates it from its value, on the value's line


def named_as_id(text: str, pos: int) -> bool:
    """Whether the name right before the value at text[pos] (on its line) names an identifier."""
    return _ID_NAME.search(_name_before(text, pos)) is not None


def named_as_data_key(text: str, pos: int) -> bool:
    """Whether the name right before the value at text[pos] names a key of data, not a credential:
    `row_key`, `PartitionKey`, `"Idempotency-Key":`, `conversation_key`, `dedupe_key`."""
    return _DATA_KEY_NAME.search(_name_before(text, pos)) is not None


def _name_before(text: str, pos: int) -> str:
    lo = max(0, pos - _NAME_REACH)
    nl = text.rfind("\n", lo, pos)
    before = text[nl + 1 if nl >= 0 else lo : pos].rstrip(_BETWEEN)
    start = len(before)
    while start and before[start - 1] in _NAME_CHARS:
        start -= 1
    return before[start:].strip(".-")


# Keys of data that apps beside Azure OpenAI hold as 32 hex (`uuid4().hex`, an MD5): table and
# database keys, object and blob names, idempotency, dedupe and conversation keys (corpus21: each
# reported as an Azure OpenAI key in a file that configures one). The word before `key`, in any case
# style, decides; `api_key`, `azure_openai_key`, `primary_key` of a resource (`primary_access_key`) stay keys.
_DATA_KEY_NAME = Regex(
    r"(?:^|[_.-]|(?<=[a-z0-9])(?=[A-Z]))"
    r"(?i:row|partition|sort|range|foreign|composite|object|blob|bucket|idempotency|dedupe?|dedup|conversation|thread"
    r"|run|job|task|lookup|index|shard|routing|cursor|lock|queue|message|event|correlation|group|item|record|entity"
    r"|doc|document|file|path|s3|redis)[_.-]?(?i:key)$"
)


# A resource's kind (`"kind": "OpenAI"`, `kind: 'AIServices'`, `kind = "SpeechServices"`): which
# service owns the keys printed after it (`az cognitiveservices account show` then `keys list`).
_RESOURCE_KIND = Regex(r"""kind["']?[ \t]*[:=]?[ \t]*["']?([A-Za-z]{2,40})""")
# How far back a resource's kind is looked for (rules/azure.py's evidence uses the same block).
BLOCK = 6000


def _resource_kind(text: str, line_start: int) -> Owner | None:
    """The owner the nearest resource kind before the key names, within a block; one C-level
    `rfind` when there is none."""
    at = text.rfind("kind", max(0, line_start - BLOCK), line_start)
    m = _RESOURCE_KIND.match(text, at) if at >= 0 else None
    if m is None:
        return None
    kind = m.group(1).lower()
    # The legacy multi-service kind `CognitiveServices` (its keys do not reach Azure OpenAI) and any
    # other `*Services` kind is another service; a kind such as Kubernetes' `Secret` says nothing.
    return _kind(_CLUE.search(kind)) or ("other" if kind.endswith("services") else None)


_BRACKET = Regex(r"[][{}]")
# The field that names a setting in a name/value record: `"name"` (HAR and Insomnia headers, App
# Service settings, ARM `appSettings`), `"key"` (Postman headers, variables and environments).
_SETTING_FIELD = Regex(r'"(?:name|key)"\s*:\s*"([^"\n]{1,120})"')


def _setting_name(text: str, pos: int, end: int) -> str | None:
    """The name of the setting whose JSON `"value"` is at text[pos:end], when the value is a field of
    a flat record that names it (`{"name": "api-key", "value": …}`, `{"key": "deployment_id",
    "value": …}`), on one line or over several, the name before or after the value; else None.

    QA: a HAR's `api-key` header and a Postman environment's `api-key` variable were judged as an
    unnamed object's `"value"` (not reported), and a Postman `deployment_id` by the file's Azure
    OpenAI evidence (reported)."""
    opener = text.rfind("{", max(0, pos - _BACK), pos)
    close = text.find("}", end, end + _AHEAD)
    # A flat record only: a bracket between the record's braces and the value makes it a nested
    # object, which the object-name rules judge as before.
    if opener < 0 or close < 0 or _BRACKET.search(text, opener + 1, pos) or _BRACKET.search(text, end, close):
        return None
    m = _SETTING_FIELD.search(text, opener, pos) or _SETTING_FIELD.search(text, end, close)
    return m.group(1) if m else None


def _json_record(text: str, pos: int) -> tuple[int, int] | None:
    """(the record's `{`, its array's `[`) when text[pos] is inside a record of a JSON array."""
    depth = 0
    chain: list[int] = []
    for m in reversed(list(_BRACKET.finditer(text, max(0, pos - _BACK), pos))):
        c = m.group()
        if c in "}]":
            depth += 1
        elif depth:
            depth -= 1
        else:
            chain.append(m.start())
            if len(chain) == 2:
                break
    if len(chain) < 2 or text[chain[0]] != "{" or text[chain[1]] != "[":
        return None
    return chain[0], chain[1]


def _record(
    text: str, pos: int, end: int, shape_only: bool, chain: tuple[int, int] | None
) -> Owner | Literal["none"] | None:
    """The owner of a generic name inside a record of a JSON array (`"files": [{"name": ...,
    "key": ...}, ...]`), None when the key is not in one.

    Such records are data (file lists, caches, datasets): the file's Azure OpenAI evidence says
    nothing about each record's `key`. Only the record itself (before and after the key, to its
    closing brace) and the array's name decide, and a record that names no service is another
    service's (QA: a blob cache's `"key"` beside an Azure OpenAI endpoint), or with `shape_only`
    unassigned ("none": no further look). `chain`: _json_record's answer for `pos`.
    """
    if chain is None:
        return _yaml_record(text, pos, end, shape_only)
    opener, array = chain
    close = text.find("}", end, end + _AHEAD)
    inside = text[opener:pos] + " " + text[end : close if close >= 0 else end]
    # The array's name is the member right before it (`"files": [`): on a minified line, the text
    # back to the line's start holds the document's other members too (QA: an endpoint there named
    # a file list Azure OpenAI's).
    name_start = max(text.rfind(c, 0, array) for c in "\n{,") + 1
    return _judge_record(inside, text[name_start:array], shape_only)


def _judge_record(inside: str, array_name: str, shape_only: bool) -> Owner | Literal["none"] | None:
    """A record's owner: a clue in the record, else in the array's name; else data ("other"),
    unless the record is a named setting (`{"name": "API_KEY", "value": ...}`, `- name: API_KEY`:
    App Service settings, a Kubernetes env list), which its paragraph judges as any setting (None)."""
    lower = inside.lower()
    found = _last_clue(lower) or _last_clue(array_name.lower())
    if found is None and _SETTING_NAME.search(lower):
        return None
    return found or ("none" if shape_only else "other")


# `"key"` too, quoted as JSON writes it: Postman names its variables and headers so (a YAML `key:`
# is a record's data field, `files: - name: b.txt  key: …`).
_SETTING_NAME = Regex(
    r"""(?:["']?name["']?|"key")[ \t]*[:=][ \t]*["']?[a-z0-9_.:-]*(?:key|secret|token|credential|password)"""
)
# A YAML mapping entry, optionally the first of a sequence item: `  - name: x`, `    key: `.
_YAML_ENTRY = Regex(r"""( *)(- +)?["']?[A-Za-z0-9_.$/-]+["']? *:(?: |$)""")


_YAML_VALUE = Regex(r"""[ \t]*(?:- +)?value:[ \t]*["']?$""")


def _yaml_parent(text: str, line_start: int) -> str:
    """The lower-cased line of the mapping that holds the line at `line_start` (less indented)."""
    own = _indent(text[line_start : text.find("\n", line_start) if "\n" in text[line_start:] else len(text)])
    for ln in reversed(text[max(0, line_start - _BACK) : line_start].split("\n")[:-1]):
        if ln.strip() and not ln.lstrip(" ").startswith("#") and _indent(ln) < own:
            return ln.lower()
    return ""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _yaml_record(text: str, pos: int, end: int, shape_only: bool) -> Owner | Literal["none"] | None:
    """The owner of a generic name inside a record of a YAML sequence (`files:\n  - name: b.txt\n
    key: ...`), None when the key is not in one. A record is a mapping of several entries: a
    one-line item (`- Key: ...`, a Markdown bullet) is a list entry, judged by its paragraph.

    Walks back line by line from the key's entry, within _BACK characters, to the item (`- `)
    whose content holds it; the record runs to the first line indented less than its content.
    """
    line_start = text.rfind("\n", 0, pos) + 1
    entry = _YAML_ENTRY.match(text, line_start)
    if entry is None or entry.end() > pos:
        return None
    need = len(entry.group(1)) + len(entry.group(2) or "")
    item, lines = (
        (line_start, []) if entry.group(2) else (-1, text[max(0, line_start - _BACK) : line_start].split("\n"))
    )
    at = line_start
    for ln in reversed(lines[:-1] if lines else []):
        at -= len(ln) + 1
        body = ln.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        ind = _indent(ln)
        dash = _YAML_ENTRY.match(ln)
        if dash is not None and dash.group(2) and ind + len(dash.group(2)) <= need:
            item = at
            need = ind + len(dash.group(2))
            break
        if ind < need:
            if dash is None or not body.rstrip().endswith(":") and ":" not in body:
                return None
            need = ind
            if need == 0:
                return None
    if item < 0:
        return None
    dash_indent = _indent(text[item : item + need])
    # The record: from its item line to the first line indented less than its content.
    after: list[str] = []
    for ln in text[end : end + _AHEAD].split("\n")[1:]:
        if ln.strip() and _indent(ln) < need:
            break
        after.append(ln)
    own_line_end = text.find("\n", end, end + _AHEAD)
    rest = text[end : own_line_end if own_line_end >= 0 else end]
    if item == line_start and not any(ln.strip() for ln in after):
        return None  # a one-line item: a list entry, not a record
    inside = text[item:pos] + " " + rest + "\n" + "\n".join(after)
    # The sequence's name: the nearest line before the item that is neither a sibling item nor
    # inside one (`files:`).
    name = ""
    for ln in reversed(text[max(0, item - _BACK) : item].split("\n")[:-1]):
        body = ln.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        ind = _indent(ln)
        if ind > dash_indent or (ind == dash_indent and body.startswith("- ")):
            continue
        name = body
        break
    return _judge_record(inside, name, shape_only)
