"""Credentials whose prefix other vendors share: reported only in a file that mentions OpenAI.

Format sources (public): session keys (`sess-`) and webhook secrets (`whsec_`, Standard
Webhooks): OpenAI dashboard and webhooks docs; both prefixes are shared with other vendors
(Stripe's webhook secrets start with `whsec_` too), hence the context requirement. Realtime
ephemeral client secrets (`ek_` + 32 hex): OpenAI Realtime API reference, "Client secrets".
"""

from __future__ import annotations

import re

from keylatch.model import Severity
from keylatch.rules.rule import Example, Rule
from keylatch.rules.shape import B_CHARS, dash_prefix, left_of, validate_diverse
from keylatch.rules.synthetic import make_key

_OPENAI_EVIDENCE = re.compile(r"openai")  # searched in lower-cased text

OPENAI_SESSION_KEY = Rule(
    id="openai-session-key",
    description="OpenAI dashboard session key (sess-) in a file that mentions OpenAI",
    severity=Severity.HIGH,
    keywords=("sess-",),
    pattern=re.compile(r"(?P<key>sess-" + left_of("sess-") + r"[A-Za-z0-9]{40})(?![A-Za-z0-9_-])"),
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
    prefix=dash_prefix,
    validate=validate_diverse,
    file_context=_OPENAI_EVIDENCE,
    token_chars=B_CHARS,
    key_len=(45, 45),
)

OPENAI_WEBHOOK_SECRET = Rule(
    id="openai-webhook-secret",
    description="OpenAI webhook signing secret (whsec_) in a file that mentions OpenAI",
    severity=Severity.MEDIUM,
    keywords=("whsec_",),
    pattern=re.compile(r"(?P<key>whsec_" + left_of("whsec_") + r"[A-Za-z0-9+/]{32,88}={0,2})(?![A-Za-z0-9+/=_-])"),
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
    prefix=dash_prefix,
    validate=validate_diverse,
    file_context=_OPENAI_EVIDENCE,
    token_chars=B_CHARS + "+/=",
    key_len=(len("whsec_") + 32, len("whsec_") + 88 + 2),
)

OPENAI_EPHEMERAL_KEY = Rule(
    id="openai-realtime-client-secret",
    description="OpenAI Realtime ephemeral client secret (ek_, short-lived) in a file that mentions OpenAI",
    # It expires within minutes to hours of being minted: worth a look, not an emergency.
    severity=Severity.LOW,
    keywords=("ek_",),
    pattern=re.compile(r"(?P<key>ek_" + left_of("ek_") + r"[0-9a-f]{32})(?![A-Za-z0-9_-])"),
    anchored=True,
    examples=(
        Example(f'{{"client_secret": {{"value": "{make_key("ek_", 1)}"}}}}  // openai realtime\n', make_key("ek_", 1)),
        Example(f"const openai = new OpenAI({{ apiKey: '{make_key('ek_', 2)}' }});\n", make_key("ek_", 2)),
        Example(f"# OpenAI realtime\nEPHEMERAL_KEY={make_key('ek_', 3)}\n", make_key("ek_", 3)),
    ),
    counterexamples=(
        f'EPHEMERAL="{make_key("ek_", 4)}"\n',  # no OpenAI context
        "openai\nek_" + "0" * 32 + "\n",  # placeholder
        f"openai\nweek_{make_key('ek_', 5)[3:]}\n",  # inside a longer word
        f"openai\nek_{make_key('ek_', 6)[3:-1]}\n",  # truncated
        "openai\nek_live_" + "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6\n",
    ),
    references=("https://platform.openai.com/docs/api-reference/realtime-sessions",),
    prefix=dash_prefix,
    validate=validate_diverse,
    file_context=_OPENAI_EVIDENCE,
    token_chars=B_CHARS,
    key_len=(35, 35),
)
