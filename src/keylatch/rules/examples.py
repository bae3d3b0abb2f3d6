"""Shared example material: the texts a key must be found in, and the decoys it must not be.

Every rule's `examples` and `counterexamples` are built from these and from `synthetic.make_key`,
so no key-shaped literal is ever committed.
"""

from __future__ import annotations

from keylatch.rules.synthetic import MARKER


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
    "sk-...abcd",
    "sk-no-key-required",
    "sk-1234",
    "EMPTY",
    "org-" + "A1b2C3d4E5f6G7h8I9j0K1l2",
    "proj_" + "A1b2C3d4E5f6G7h8I9j0K1l2",
)
