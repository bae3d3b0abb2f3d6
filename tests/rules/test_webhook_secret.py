"""`whsec_` webhook secrets: OpenAI's (base64 of 32 bytes) in a file that mentions OpenAI, and
not the other vendors' that share the prefix (QA: Stripe and Clerk/Svix secrets reported in
files that also configure OpenAI)."""

from __future__ import annotations

import base64
import random

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key

OPENAI_FILE = "import openai\nOPENAI_API_KEY=sk-x\n"


def _secret(kind: str, seed: int) -> str:
    rng = random.Random(f"{kind}:{seed}")
    if kind == "stripe":  # whsec_ + 32 alphanumerics
        return "whsec_" + "".join(
            rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") for _ in range(32)
        )
    if kind == "stripe-cli":  # whsec_ + 64 hex
        return "whsec_" + "".join(rng.choice("0123456789abcdef") for _ in range(64))
    if kind == "svix24":  # Svix / Clerk: base64 of 24 bytes
        return "whsec_" + base64.b64encode(rng.randbytes(24)).decode()
    return "whsec_" + base64.b64encode(rng.randbytes(32)).decode()  # OpenAI, and Svix's 32-byte


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.rule_id, f.secret.value) for f in scan_text(text)]


@pytest.mark.parametrize("kind", ["stripe", "stripe-cli", "svix24"])
@pytest.mark.parametrize("name", ["OPENAI_WEBHOOK_SECRET", "WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET"])
def test_another_vendors_shape_is_not_reported_whatever_its_name(kind: str, name: str) -> None:
    assert _found(f"{OPENAI_FILE}{name}={_secret(kind, len(name))}\n") == []


VENDOR_LINES = (
    "STRIPE_WEBHOOK_SECRET={k}",
    "CLERK_WEBHOOK_SIGNING_SECRET={k}",
    "SVIX_SECRET='{k}'",
    "RESEND_WEBHOOK_SECRET={k}",
    "stripeWebhookSecret: {k}",
    "const wh = new Webhook('{k}'); // svix",
    'wh = Webhook("{k}")  # clerk',
    '"stripe": {{"webhookSecret": "{k}"}}',
)


@pytest.mark.parametrize("line", VENDOR_LINES)
def test_a_32_byte_secret_named_for_another_vendor_is_not_reported(line: str) -> None:
    assert _found(f"{OPENAI_FILE}{line.format(k=_secret('openai', len(line)))}\n") == []


def test_a_generic_name_in_another_vendors_paragraph_is_not_reported() -> None:
    text = f"{OPENAI_FILE}\n# Stripe\nSTRIPE_KEY=x\nWEBHOOK_SECRET={_secret('openai', 1)}\n"
    assert _found(text) == []


OPENAI_LINES = (
    "OPENAI_WEBHOOK_SECRET={k}",
    "openaiWebhookSecret: {k}",
    "client = OpenAI(webhook_secret='{k}')",
    "WEBHOOK_SECRET={k}",
    "secret = '{k}'  # openai",
    "{k}",
)


@pytest.mark.parametrize("trim", [False, True])
@pytest.mark.parametrize("line", OPENAI_LINES)
def test_openais_secret_is_reported(line: str, trim: bool) -> None:
    key = _secret("openai", len(line))
    key = key.rstrip("=") if trim else key
    text = f"{OPENAI_FILE}# Stripe settings are in stripe.env\n\n{line.format(k=key)}\n"
    assert _found(text) == [("openai-webhook-secret", key)]


def test_the_synthetic_secret_has_openais_shape() -> None:
    key = make_key("whsec_", seed=3)
    assert len(key) == len("whsec_") + 44 and key.endswith("=")
