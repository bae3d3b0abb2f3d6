"""Azure key paragraphs for the owner-evidence tests (tests/rules/test_azure84_reach.py, within
the engine's window; tests/rules/test_precision19_paragraph.py, beyond it): both key shapes, an
Azure OpenAI endpoint, and settings that name no service to push a clue back."""

from __future__ import annotations

from keylatch.engine import scan_text

SHAPES = ("azure", "azure-classic")
EP = "https://contoso.openai.azure.com/"


def found(text: str) -> list[str]:
    """The rule ids `text` reports, in order."""
    return [f.rule_id for f in scan_text(text)]


def settings(chars: int) -> str:
    """Lines of settings that name no service, about `chars` long, without a blank line."""
    return "".join(f"SETTING_{i:03d}=value-{i:03d}-of-the-paragraph\n" for i in range(chars // 36 + 1))


def in_another_services_paragraph(service: str, distance: int, line: str) -> str:
    """An Azure OpenAI endpoint's paragraph, then `service`'s heading, `distance` characters of
    settings that name no service, and `line` (holding a key): the key's owner is `service`."""
    return f"AZURE_OPENAI_ENDPOINT={EP}\n\n{service}\n{settings(distance)}{line}\n"
