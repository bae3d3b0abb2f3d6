"""Credentials whose prefix other vendors share: reported only in a file that mentions OpenAI.

Format sources (public): session keys (`sess-`) and webhook secrets (`whsec_`, Standard
Webhooks): OpenAI dashboard and webhooks docs; both prefixes are shared with other vendors
(Stripe's webhook secrets start with `whsec_` too), hence the context requirement. Realtime
ephemeral client secrets (`ek_` + 32 hex): OpenAI Realtime API reference, "Client secrets".
"""

from __future__ import annotations

import re

from keylatch.model import Severity
from keylatch.rules.owner import named_as_id, names, paragraph
from keylatch.rules.rule import Example, Regex, Rule
from keylatch.rules.shape import B_CHARS, dash_prefix, left_of, validate_diverse
from keylatch.rules.synthetic import make_key

_OPENAI_EVIDENCE = Regex(r"openai")  # searched in lower-cased text

# Vendors whose webhook signing secrets start with `whsec_` too: Stripe (`whsec_` + 32
# alphanumerics, or 64 hex from its CLI), Svix and what is built on it (Clerk, Resend ...:
# `whsec_` + base64 of 24 bytes, 32 characters, or of 32 bytes, OpenAI's own length). Lower case,
# searched in the lower-cased line and paragraph; a short name only where a word starts.
_WHSEC_OTHERS = (
    r"stripe|clerk|svix|resend|liveblocks|replicate|supabase|lemon_?squeezy|paddle|(?<![a-z])polar|kinde|workos"
    r"|hookdeck|novu|(?<![a-z])knock|brex|(?<![a-z])lob(?![a-z])|ngrok|(?<![a-z])dub(?![a-z])|(?<![a-z])orb(?![a-z])"
)
# How far back a generic name looks for its paragraph's vendor (owner.py's reach).
_BACK = 800
_WHSEC_CLUE = Regex(rf"(?P<openai>openai)|(?P<other>{_WHSEC_OTHERS})")


def _whsec_owner_is_other(text: str, pos: int, end: int) -> bool:
    """Whether the `whsec_` secret at text[pos:] belongs to another vendor: its line names one
    and not OpenAI before the key (the name, `new Webhook(...) // svix`), or its name names none
    and the nearest clue back in its paragraph (a blank line ends one) is another vendor."""
    line_start = text.rfind("\n", 0, pos) + 1
    line_end = text.find("\n", pos)
    # Random tokens (other keys, hashes) are blanked: `orb` or `polar` inside one names nothing.
    before = names(text[max(line_start, pos - _BACK) : pos].lower())  # bounded: a minified line
    own = max(_WHSEC_CLUE.finditer(before), key=lambda m: m.start(), default=None)
    if own is not None:
        return own.group("other") is not None
    stop = min(line_end if line_end >= 0 else len(text), end + _BACK)
    after = _WHSEC_CLUE.search(names(text[end:stop].lower()))
    if after is not None:
        return after.group("other") is not None  # a comment after the key names it (`// svix`)
    # Its paragraph, nearest clue first; a paragraph longer than _BACK is read on to its start.
    for part in paragraph(text, line_start):
        near = max(_WHSEC_CLUE.finditer(names(part)), key=lambda m: m.start(), default=None)
        if near is not None:
            return near.group("other") is not None
    return False


def _validate_whsec(m: re.Match[str]) -> str | None:
    key = validate_diverse(m)
    return key if key and not _whsec_owner_is_other(m.string, m.start("key"), m.end("key")) else None


def _validate_ephemeral(m: re.Match[str]) -> str | None:
    """A diverse `ek_` secret not named as an identifier: `EPHEMERAL_KEY_ID = "ek_..."`, `"id":`
    (a session key, `sess-`, is not judged so: a session id is the secret of a session)."""
    key = validate_diverse(m)
    return key if key and not named_as_id(m.string, m.start("key")) else None


OPENAI_SESSION_KEY = Rule(
    id="openai-session-key",
    description="OpenAI dashboard session key (sess-) in a file that mentions OpenAI",
    severity=Severity.HIGH,
    keywords=("sess-",),
    pattern=Regex(r"(?P<key>sess-" + left_of("sess-") + r"[A-Za-z0-9]{40})(?![A-Za-z0-9_-])"),
    anchored=True,
    make_examples=lambda: (
        Example(f'OPENAI_SESSION="{make_key("sess-", 1)}"\n', make_key("sess-", 1)),
        Example(f"openai:\n  session: {make_key('sess-', 2)}\n", make_key("sess-", 2)),
    ),
    make_counterexamples=lambda: (
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
    # OpenAI's secret is `whsec_` + base64 of 32 bytes: 43 characters and `=` (the padding kept
    # optional, for a value someone trimmed). Stripe's 32 alphanumerics or 64 hex and Svix's 32
    # characters (24 bytes) are other vendors' by their length alone.
    pattern=Regex(r"(?P<key>whsec_" + left_of("whsec_") + r"[A-Za-z0-9+/]{43}=?)(?![A-Za-z0-9+/=_-])"),
    anchored=True,
    make_examples=lambda: (
        Example(f'OPENAI_WEBHOOK_SECRET="{make_key("whsec_", 1)}"\n', make_key("whsec_", 1)),
        Example(
            f"client = OpenAI(webhook_secret='{make_key('whsec_', 2)}')\n",
            make_key("whsec_", 2),
        ),
        # a generic name in a paragraph about OpenAI, beside a Stripe section; padding trimmed
        Example(
            f"# Stripe\nSTRIPE_KEY=x\n\n# OpenAI webhooks\nWEBHOOK_SECRET={make_key('whsec_', 9)}\n",
            make_key("whsec_", 9),
        ),
        # (seed 13: a key with a 32-alphanumeric run, as config.py's detection-off probes expect)
        Example(f"# openai\nsecret: {make_key('whsec_', 13)[:-1]}\n", make_key("whsec_", 13)[:-1]),
    ),
    make_counterexamples=lambda: (
        f'STRIPE_WEBHOOK_SECRET="{make_key("whsec_", 3)}"\n',
        "OPENAI_WEBHOOK_SECRET=whsec_...\n",
        # other vendors' secrets in a file that mentions OpenAI: by shape, then by name
        f"OPENAI_API_KEY=sk-x\nSTRIPE_WEBHOOK_SECRET=whsec_{make_key('whsec_', 4)[6:38].replace('+', 'a')}\n",
        f"OPENAI_API_KEY=sk-x\nWEBHOOK_SECRET=whsec_{make_key('whsec_', 5)[6:38]}\n",
        f"OPENAI_API_KEY=sk-x\nCLERK_WEBHOOK_SECRET={make_key('whsec_', 6)}\n",
        f'import OpenAI from "openai";\nconst wh = new Webhook("{make_key("whsec_", 7)}"); // svix\n',
    ),
    references=("https://platform.openai.com/docs/guides/webhooks",),
    prefix=dash_prefix,
    validate=_validate_whsec,
    file_context=_OPENAI_EVIDENCE,
    token_chars=B_CHARS + "+/=",
    key_len=(len("whsec_") + 43, len("whsec_") + 44),
    # Its paragraph may begin more than the engine's window (about 600 characters) back: a
    # vendor's heading over its settings (tests/rules/test_precision19_paragraph.py).
    judge_in_document=True,
)

OPENAI_EPHEMERAL_KEY = Rule(
    id="openai-realtime-client-secret",
    description="OpenAI Realtime ephemeral client secret (ek_, short-lived) in a file that mentions OpenAI",
    # It expires within minutes to hours of being minted: worth a look, not an emergency.
    severity=Severity.LOW,
    keywords=("ek_",),
    pattern=Regex(r"(?P<key>ek_" + left_of("ek_") + r"[0-9a-f]{32})(?![A-Za-z0-9_-])"),
    anchored=True,
    make_examples=lambda: (
        Example(f'{{"client_secret": {{"value": "{make_key("ek_", 1)}"}}}}  // openai realtime\n', make_key("ek_", 1)),
        Example(f"const openai = new OpenAI({{ apiKey: '{make_key('ek_', 2)}' }});\n", make_key("ek_", 2)),
        Example(f"# OpenAI realtime\nEPHEMERAL_KEY={make_key('ek_', 3)}\n", make_key("ek_", 3)),
    ),
    make_counterexamples=lambda: (
        f'EPHEMERAL="{make_key("ek_", 4)}"\n',  # no OpenAI context
        "openai\nek_" + "0" * 32 + "\n",  # placeholder
        f"openai\nweek_{make_key('ek_', 5)[3:]}\n",  # inside a longer word
        f"openai\nek_{make_key('ek_', 6)[3:-1]}\n",  # truncated
        "openai\nek_live_" + "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6\n",
        f'# openai\nEPHEMERAL_KEY_ID = "{make_key("ek_", 7)}"\n',  # named as an identifier
    ),
    references=("https://platform.openai.com/docs/api-reference/realtime-sessions",),
    prefix=dash_prefix,
    validate=_validate_ephemeral,
    file_context=_OPENAI_EVIDENCE,
    token_chars=B_CHARS,
    key_len=(35, 35),
)
