"""A key's name as code spells it: every case style of the same words names the same owner.

QA found `azureOpenAIKey` missed in Azure-Samples/openai while `azureOpenAiKey` was found: an
acronym followed by a capitalised word (`AI` + `Key`) was not read as a key's name. The words
are generated in each style, so a style that splits words differently fails here.
"""

from __future__ import annotations

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key

EP = "https://contoso.openai.azure.com/"


def _styles(words: tuple[str, ...]) -> dict[str, str]:
    """`words` joined as code writes them; an acronym (`AI`, `API`, `AOAI`) keeps its capitals
    in camel and Pascal case, as .NET and Java names do."""
    acronyms = {"ai", "api", "aoai"}

    def cap(w: str) -> str:
        return w.upper() if w in acronyms else w.capitalize()

    pascal = "".join(cap(w) for w in words)
    return {
        "camel": words[0] + "".join(cap(w) for w in words[1:]),
        "pascal": pascal,
        "pascal-plain": "".join(w.capitalize() for w in words),
        "snake": "_".join(words),
        "upper": "_".join(words).upper(),
        "kebab": "-".join(words),
        "glued-upper": "".join(words).upper(),
    }


OPENAI_NAMES = (("azure", "open", "ai", "key"), ("open", "ai", "key"), ("azure", "open", "ai", "api", "key"),
                ("open", "ai", "api", "key"), ("aoai", "key"), ("azure", "open", "ai", "secret", "key"))  # fmt: skip
OTHER_NAMES = (("azure", "speech", "key"), ("search", "api", "key"), ("azure", "translator", "key"),
               ("speech", "ai", "key"), ("azure", "maps", "key"))  # fmt: skip
LINES = ('var {n} = "{k}";', "{n}={k}", '"{n}": "{k}",', "{n}: {k}")


def _cases(names: tuple[tuple[str, ...], ...]) -> list[str]:
    return sorted({n for words in names for n in _styles(words).values()})


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("name", _cases(OPENAI_NAMES))
@pytest.mark.parametrize("endpoint_after", [False, True])
def test_an_azure_openai_key_is_found_under_its_name_in_every_case_style(
    name: str, line: str, endpoint_after: bool
) -> None:
    key = make_key("azure-classic", seed=len(name) * 7 + len(line))
    named = line.format(n=name, k=key)
    endpoint = f'var azureOpenAIEndpoint = "{EP}";'
    text = f"{named}\n\n// {EP}\n{endpoint}\n" if endpoint_after else f"{endpoint}\n{named}\n"
    assert [(f.rule_id, f.secret.value) for f in scan_text(text)] == [("azure-openai-classic-key", key)]


@pytest.mark.parametrize("line", LINES)
@pytest.mark.parametrize("name", _cases(OTHER_NAMES))
def test_another_services_key_stays_unreported_in_every_case_style(name: str, line: str) -> None:
    key = make_key("azure-classic", seed=len(name) * 11 + len(line))
    text = f'var azureOpenAIEndpoint = "{EP}";\n{line.format(n=name, k=key)}\n'
    assert scan_text(text) == []
