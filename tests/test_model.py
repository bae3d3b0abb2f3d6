from __future__ import annotations

from keylatch.model import Secret
from keylatch.rules.synthetic import make_key


def test_a_secret_cannot_print_itself() -> None:
    key = make_key("sk-proj-", 1)
    secret = Secret(key, prefix_len=8)
    for shown in (repr(secret), str(secret), f"{secret}", repr([secret])):
        assert key not in shown
    assert secret.redacted == f"sk-proj-{key[8:12]}...{key[-4:]}"


def test_short_secrets_show_no_characters() -> None:
    assert Secret("sess-abcdefgh", prefix_len=5).redacted == "sess-****"


def test_fingerprint_is_sha256_of_the_key() -> None:
    import hashlib

    key = make_key("sk-", 2)
    assert Secret(key).fingerprint == hashlib.sha256(key.encode()).hexdigest()
