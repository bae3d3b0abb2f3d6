"""OpenAI and Azure OpenAI credential formats.

Format sources (public):
- OpenAI key prefixes and the `T3BlbkFJ` marker (base64 of "OpenAI"): OpenAI API reference,
  "Authentication"; gitleaks `openai-api-key` rule; TruffleHog `openai` detector.
- Project / service-account / admin keys: OpenAI "Projects" and "Admin API keys" docs.
- Azure OpenAI 84-character keys (`JQQJ99` ... `ACOG` signature): Microsoft "Azure AI services
  keys" format note, as used by gitleaks' and Microsoft Security DevOps' rules.
- Session keys (`sess-`) and webhook secrets (`whsec_`, Standard Webhooks): OpenAI dashboard and
  webhooks docs; both prefixes are shared with other vendors, hence the context requirement.
"""

from __future__ import annotations

import operator
import re

from keylatch.model import Severity
from keylatch.rules.rule import Example, Rule, Validator
from keylatch.rules.synthetic import MARKER, make_key

# ASCII classes only: Python's \w also matches letters such as "À".
_B = r"[A-Za-z0-9_-]"  # current keys are base64url on both sides of the marker
_A = r"[A-Za-z0-9]"
_TOKEN_END = r"(?![A-Za-z0-9_-])"
# A key may follow a non-token character or an escape whose last character is alphanumeric:
# "\nsk-..." in a JSON string, "%22sk-..." URL-encoded, "\u0022..." and "\x22...".
_LEFT = (
    r"(?:(?<![A-Za-z0-9_+/-])|(?<=\\[nrt])|(?<=%[0-9A-Fa-f]{2})"
    r"|(?<=\\u[0-9A-Fa-f]{4})|(?<=\\x[0-9A-Fa-f]{2}))"
)


def _left_of(literal: str) -> str:
    """_LEFT, written after `literal` (the key's first characters) instead of before it.

    Same condition on the characters before the key, but the pattern now starts with a literal,
    which the regex engine jumps to instead of trying the lookbehinds at every position.
    """
    e = re.escape(literal)
    return (
        rf"(?:(?<![A-Za-z0-9_+/-]{e})|(?<=\\[nrt]{e})|(?<=%[0-9A-Fa-f]{{2}}{e})"
        rf"|(?<=\\u[0-9A-Fa-f]{{4}}{e})|(?<=\\x[0-9A-Fa-f]{{2}}{e}))"
    )


# Longest head/tail we accept; seen lengths are 20, 46, 58 and 74.
_MAX = 256
# The characters of the runs keys live in (Rule.token_chars): the engine tries a pattern only
# near the end of such a run.
_B_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_A_CHARS = _B_CHARS[:-2]
# head + marker + tail of a current key, split by the validator. A key runs to the end of its
# token, so the body takes the whole rest of the token and never gives characters back (the
# lookahead + backreference is an atomic group that Python 3.10 accepts): one attempt per start
# instead of one per position of the marker, whatever the token holds.
_BODY_MIN = 20 + len(MARKER) + 20
_BODY_MAX = 2 * _MAX + len(MARKER)
_BODY = rf"(?=(?P<body>{_B}{{{_BODY_MIN},{_BODY_MAX}}}))(?P=body)"
# A named key's name: lower-case words joined by `-` (`deploy-bot`), at most eight of them.
_NAME = r"[a-z0-9]+(?:-[a-z0-9]+){0,7}"
_CURRENT_PREFIXES = ("proj", "svcacct", "admin", "None")


_STEPS = frozenset((-1, 0, 1))


def _diverse(part: str) -> bool:
    """False for placeholders: repeated (`XXXX`) or sequential (`abcd1234`) characters."""
    if len(set(part)) < min(8, len(part) // 2):
        return False
    # Neighbours that repeat or count up or down, with the loop in C (it runs for every candidate).
    codes = part.encode("latin-1", "replace")
    steps = sum(map(_STEPS.__contains__, map(operator.sub, codes[1:], codes)))
    return steps * 2 < len(part)


_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")


def _halves(body: str) -> tuple[str, str] | None:
    """(head, tail) when the marker sits exactly in the middle of `body`, else None."""
    half, odd = divmod(len(body) - len(MARKER), 2)
    if odd or body[half : half + len(MARKER)] != MARKER:
        return None
    return body[:half], body[half + len(MARKER) :]


def _split_key(m: re.Match[str], alnum_only: bool) -> str | None:
    """Accept `prefix + head + MARKER + tail` only when head and tail have equal length.

    Equal halves are what makes a match precise without hard-coding one length: a truncated key,
    or a key glued to more token characters, has unequal halves and is not reported.
    """
    body, key = m.group("body"), m.group("key")
    halves = _halves(body)
    if halves is None:
        # The 20+20 formats are alphanumeric: a `_` or `-` after the tail ends the key, so
        # `_sk-…_` (Markdown emphasis) or `sk-…_old` still yield the whole key.
        cut = _ALNUM_RUN.match(body, 20 + len(MARKER))
        if not (body[20 : 20 + len(MARKER)] == MARKER and body[:20].isalnum() and cut and cut.end() == _BODY_MIN):
            return None
        halves = body[:20], cut.group()
        key = key[: len(key) - (len(body) - _BODY_MIN)]
    head, tail = halves
    if alnum_only and not (head.isalnum() and tail.isalnum()):
        return None
    if not (_diverse(head) and _diverse(tail)):
        return None
    return key


def _validate_current(m: re.Match[str]) -> str | None:
    return _split_key(m, alnum_only=False)


def _validate_user(m: re.Match[str]) -> str | None:
    # Legacy `sk-` keys are alphanumeric; `sk-None-` keys come in both the early and current shapes.
    return _split_key(m, alnum_only=m.group("none") is None)


def _sk_prefix(key: str) -> int:
    """`sk-proj-` for current and named keys, `sk-` for legacy ones."""
    marker = key.find(MARKER)
    half = len(key) - marker - len(MARKER)
    return max(3, marker - half)


def _no_prefix(key: str) -> int:
    return 0


def _dash_prefix(key: str) -> int:
    return key.find("-") + 1 if key.startswith("sess-") else key.find("_") + 1


def _validate_diverse(m: re.Match[str]) -> str | None:
    key = m.group("key")
    body = key[_dash_prefix(key) :] if key.startswith(("sess-", "whsec_")) else key
    return key if _diverse(body) else None


def _validate_azure(m: re.Match[str]) -> str | None:
    key = m.group("key")
    return key if _diverse(key[:52]) else None


def _contexts(key: str) -> tuple[str, ...]:
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
    )


def _sk_rule(
    rule_id: str,
    description: str,
    severity: Severity,
    pattern: str,
    validate: Validator,
    kinds: tuple[str, ...],
    counter: tuple[str, ...],
    references: tuple[str, ...],
    key_len: tuple[int, int],
) -> Rule:
    examples = tuple(
        Example(text, key)
        for i, kind in enumerate(kinds)
        for key in (make_key(kind, seed=i),)
        for text in _contexts(key)
    )
    return Rule(
        id=rule_id,
        description=description,
        severity=severity,
        keywords=(MARKER,),
        pattern=re.compile(pattern),
        anchored=True,
        examples=examples,
        counterexamples=counter,
        references=references,
        prefix=_sk_prefix,
        validate=validate,
        base64=True,
        token_chars=_B_CHARS,
        key_len=key_len,
    )


def _mutate_marker(key: str) -> str:
    return key.replace(MARKER, "T3BlbkFj")


_PLACEHOLDERS = (
    "sk-...",
    "sk-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "sk-your-key-here",
    "sk-proj-" + "X" * 74 + MARKER + "X" * 74,
    "sk-" + "x" * 20 + MARKER + "x" * 20,
    "sk-abcdefghijklmnopqrst" + MARKER + "abcdefghijklmnopqrst",
    "sk-...abcd",
    "sk-no-key-required",
    "sk-1234",
    "EMPTY",
    "org-" + "A1b2C3d4E5f6G7h8I9j0K1l2",
    "proj_" + "A1b2C3d4E5f6G7h8I9j0K1l2",
)

OPENAI_PROJECT_KEY = _sk_rule(
    "openai-project-key",
    "OpenAI project API key (sk-proj-)",
    Severity.HIGH,
    rf"(?P<key>sk-proj-{_BODY}){_TOKEN_END}",
    _validate_current,
    ("sk-proj-", "sk-proj-early"),
    _PLACEHOLDERS
    + (
        _mutate_marker(make_key("sk-proj-", seed=1)),
        make_key("sk-proj-", seed=2)[:-3],
    ),
    ("https://platform.openai.com/docs/api-reference/authentication",),
    (8 + _BODY_MIN, 8 + _BODY_MAX),
)

OPENAI_ADMIN_KEY = _sk_rule(
    "openai-admin-key",
    "OpenAI admin API key (sk-admin-): manages the whole organisation",
    Severity.CRITICAL,
    rf"(?P<key>sk-admin-{_BODY}){_TOKEN_END}",
    _validate_current,
    ("sk-admin-",),
    (_mutate_marker(make_key("sk-admin-", seed=1)),),
    ("https://platform.openai.com/docs/api-reference/administration",),
    (9 + _BODY_MIN, 9 + _BODY_MAX),
)


def _validate_service(m: re.Match[str]) -> str | None:
    if m.group("body") is not None:
        return _split_key(m, alnum_only=False)
    halves = _halves(m.group("nbody"))
    if halves is None or not (_diverse(halves[0]) and _diverse(halves[1])):
        return None
    return m.group("key")


OPENAI_SERVICE_ACCOUNT_KEY = _sk_rule(
    "openai-service-account-key",
    "OpenAI service account API key (sk-svcacct- or sk-<name>-)",
    Severity.HIGH,
    rf"(?P<key>sk-(?:svcacct-{_BODY}{_TOKEN_END}"
    rf"|(?!(?:proj|svcacct|admin|None|ant)-){_NAME}-"
    # Named keys are alphanumeric, so `_` or `-` right after one ends it (`_sk-…_` in Markdown).
    rf"(?=(?P<nbody>{_A}{{{_BODY_MIN},{_BODY_MAX}}}))(?P=nbody)(?![A-Za-z0-9])))",
    _validate_service,
    ("sk-svcacct-", "sk-named"),
    (_mutate_marker(make_key("sk-svcacct-", seed=1)), make_key("sk-named", seed=2)[:-1]),
    ("https://platform.openai.com/docs/api-reference/project-service-accounts",),
    # A named key may be followed by `_…` or `-…` in its token: name and suffix together may
    # take the 116 characters that the engine's window reach leaves after the longest body.
    (3 + 2 + _BODY_MIN, 640),
)

OPENAI_USER_KEY = _sk_rule(
    "openai-user-key",
    "OpenAI user API key (legacy sk- or sk-None-)",
    Severity.HIGH,
    rf"(?P<key>sk-(?!(?:proj|svcacct|admin)-)(?P<none>None-)?{_BODY}){_TOKEN_END}",
    _validate_user,
    ("sk-", "sk-None-", "sk-None-early"),
    _PLACEHOLDERS
    + (
        _mutate_marker(make_key("sk-", seed=1)),
        make_key("sk-", seed=2)[:-1],
        "sk-ant-api03-" + "A1b2C3d4E5f6G7h8I9j0" * 4,
        "sk_live_" + "A1b2C3d4E5f6G7h8I9j0K1l2",
        "sk-" + "0123456789abcdef" * 2,
    ),
    ("https://platform.openai.com/docs/api-reference/authentication",),
    (3 + _BODY_MIN, 3 + len("None-") + _BODY_MAX),
)


AZURE_OPENAI_KEY = Rule(
    id="azure-openai-key",
    description="Azure OpenAI / Azure AI services key (84 characters, self-identifying)",
    severity=Severity.HIGH,
    keywords=("JQQJ99",),
    # Fixed offsets of JQQJ99 and ACOG make the shape self-identifying, so only letters and
    # digits (not base64 punctuation) need to bound it.
    pattern=re.compile(
        r"(?:(?<![A-Za-z0-9])|(?<=\\[nrt])|(?<=%[0-9A-Fa-f]{2})|(?<=\\u[0-9A-Fa-f]{4}))"
        r"(?P<key>[A-Za-z0-9]{52}JQQJ99[A-Za-z0-9][A-L][A-Za-z0-9]{12}AAA[AB]ACOG"
        r"[A-Za-z0-9]{4})(?![A-Za-z0-9])"
    ),
    anchored=True,
    examples=tuple(
        Example(text, key) for i in range(2) for key in (make_key("azure", seed=i),) for text in _contexts(key)
    ),
    counterexamples=(
        make_key("azure", seed=5).replace("JQQJ99", "JQQJ98"),
        "A" * 52 + "JQQJ99" + "0A" + "B" * 12 + "AAABACOG" + "CCCC",
    ),
    references=("https://learn.microsoft.com/azure/ai-services/authentication",),
    prefix=_no_prefix,
    validate=_validate_azure,
    token_chars=_A_CHARS,
    key_len=(84, 84),
)

# Lower case: Rule.file_context is searched in lower-cased text.
_AZURE_EVIDENCE = re.compile(r"azure(?:[_ .-]?openai|_endpoint|_deployment|chatopenai)|openai\.azure\.com")
# A key-ish name before the value, or an Azure OpenAI client call on the same line.
_KEYISH_LINE = re.compile(
    r"(?i)(?:api[_-]?key|[_.-]key\b|\bkey\b|secret|token|credential|password|authorization|bearer)"
    r"|(?-i:[a-z]Key\b)"
    r"|AzureOpenAI\w*\(|AzureChatOpenAI\("
)
# A line that _KEYISH_LINE matches holds one of these, case-insensitively (tests/rules check it).
_KEYISH_WORDS = tuple("key secret token credential password authorization bearer azureopenai azurechatopenai".split())
# Other Azure services share the 32-hex shape; hashes and ids are 32-hex too.
# Lower case (Rule.line_exclude is searched in the lower-cased line), and every alternative starts
# with a letter, so that the regex jumps from one candidate letter to the next.
_NOT_OPENAI_LINE = re.compile(
    r"speech|search|storage|translat|vision|cosmos|face|language|form_?recog|content_?safety"
    r"|md5|sha(?<![a-z]sha)(?:\d|_|\b)|hash|checksum|digest|etag|commit|uuid|guid|fingerprint|integrity|cache|nonce|"
    r"tenant|subscription|client_?id|object_?id|trace|request_?id|session_?id"
)


def _classic_examples() -> tuple[Example, ...]:
    key = make_key("azure-classic", seed=1)
    endpoint = 'AZURE_OPENAI_ENDPOINT="https://contoso.openai.azure.com/"\n'
    return (
        Example(endpoint + f'AZURE_OPENAI_API_KEY="{key}"\n', key),
        Example(
            "from openai import AzureOpenAI\n"
            f'client = AzureOpenAI(api_key="{key}", azure_endpoint="https://x.openai.azure.com")\n',
            key,
        ),
    )


AZURE_OPENAI_CLASSIC_KEY = Rule(
    id="azure-openai-classic-key",
    description="Azure OpenAI key (32 hex characters) next to Azure OpenAI configuration",
    severity=Severity.HIGH,
    # "zure" covers "azure" and "Azure" in one pass over the bytes; the evidence regex decides.
    keywords=("zure", "ZURE"),
    pattern=re.compile(_LEFT + r"(?P<key>[0-9a-f]{32})(?![A-Za-z0-9_-])"),
    anchored=False,
    context_near_keyword=True,
    run_chars="0123456789abcdef",
    run_length=32,
    examples=_classic_examples(),
    counterexamples=(
        # no Azure OpenAI evidence in the file
        f'API_KEY="{make_key("azure-classic", seed=2)}"\n',
        # evidence, but a Speech key
        'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\n'
        f'AZURE_SPEECH_KEY="{make_key("azure-classic", seed=3)}"\n',
        # evidence, but a hash
        f'AZURE_OPENAI_ENDPOINT="https://c.openai.azure.com/"\nmd5 = "{make_key("azure-classic", seed=4)}"\n',
        'azure_endpoint = "https://c.openai.azure.com/"\napi_key = "' + "0" * 32 + '"\n',
    ),
    references=("https://learn.microsoft.com/azure/ai-services/openai/reference",),
    prefix=_no_prefix,
    validate=_validate_diverse,
    file_context=_AZURE_EVIDENCE,
    line_context=_KEYISH_LINE,
    line_words=_KEYISH_WORDS,
    line_exclude=_NOT_OPENAI_LINE,
)

_OPENAI_EVIDENCE = re.compile(r"openai")  # searched in lower-cased text

OPENAI_SESSION_KEY = Rule(
    id="openai-session-key",
    description="OpenAI dashboard session key (sess-) in a file that mentions OpenAI",
    severity=Severity.HIGH,
    keywords=("sess-",),
    pattern=re.compile(r"(?P<key>sess-" + _left_of("sess-") + r"[A-Za-z0-9]{40})(?![A-Za-z0-9_-])"),
    anchored=True,
    examples=(
        Example(f'OPENAI_SESSION="{make_key("sess-", 1)}"\n', make_key("sess-", 1)),
        Example(f"openai:\n  session: {make_key('sess-', 2)}\n", make_key("sess-", 2)),
    ),
    counterexamples=(
        f'SESSION="{make_key("sess-", 3)}"\n',  # no OpenAI context
        "openai\nsess-" + "a" * 40 + "\n",
    ),
    references=("https://platform.openai.com/docs",),
    prefix=_dash_prefix,
    validate=_validate_diverse,
    file_context=_OPENAI_EVIDENCE,
    token_chars=_B_CHARS,
    key_len=(45, 45),
)

OPENAI_WEBHOOK_SECRET = Rule(
    id="openai-webhook-secret",
    description="OpenAI webhook signing secret (whsec_) in a file that mentions OpenAI",
    severity=Severity.MEDIUM,
    keywords=("whsec_",),
    pattern=re.compile(r"(?P<key>whsec_" + _left_of("whsec_") + r"[A-Za-z0-9+/]{32,88}={0,2})(?![A-Za-z0-9+/=_-])"),
    anchored=True,
    examples=(
        Example(f'OPENAI_WEBHOOK_SECRET="{make_key("whsec_", 1)}"\n', make_key("whsec_", 1)),
        Example(
            f"client = OpenAI(webhook_secret='{make_key('whsec_', 2)}')\n",
            make_key("whsec_", 2),
        ),
    ),
    counterexamples=(
        f'STRIPE_WEBHOOK_SECRET="{make_key("whsec_", 3)}"\n',
        "OPENAI_WEBHOOK_SECRET=whsec_...\n",
    ),
    references=("https://platform.openai.com/docs/guides/webhooks",),
    prefix=_dash_prefix,
    validate=_validate_diverse,
    file_context=_OPENAI_EVIDENCE,
    token_chars=_B_CHARS + "+/=",
    key_len=(len("whsec_") + 32, len("whsec_") + 88 + 2),
)

# Order matters only for ties: the first rule to claim a span wins.
DEFAULT_RULES: tuple[Rule, ...] = (
    OPENAI_ADMIN_KEY,
    OPENAI_PROJECT_KEY,
    OPENAI_SERVICE_ACCOUNT_KEY,
    OPENAI_USER_KEY,
    AZURE_OPENAI_KEY,
    AZURE_OPENAI_CLASSIC_KEY,
    OPENAI_SESSION_KEY,
    OPENAI_WEBHOOK_SECRET,
)


def rule_by_id(rule_id: str) -> Rule:
    for rule in DEFAULT_RULES:
        if rule.id == rule_id:
            return rule
    raise KeyError(rule_id)
