"""A blank line ends a paragraph of owner evidence however lines end: the same file written with
LF, CRLF (Windows: "\\r\\n\\r\\n" holds no "\\n\\n") or a CR before its blank line gives the same
findings. In CRLF a Speech heading in the paragraph before a key counted as the key's owner
(a key went unreported), and a paragraph never ended for the 3,000-character reach."""

from __future__ import annotations

import pytest

from keylatch.rules import owner
from keylatch.rules.synthetic import make_key
from tests.helpers.paragraphs import EP, SHAPES, found, settings

AZURE = {"azure": "azure-openai-key", "azure-classic": "azure-openai-classic-key"}
DISTANCES = [0, 900, 2000]

# (text with {k} for the key, whether the key is reported): the paragraph cases of
# tests/rules/test_precision19_paragraph.py and test_azure84_reach.py, near and far.
CASES = {
    "speech paragraph before a blank line": (
        "AZURE_OPENAI_ENDPOINT={ep}\n# Azure Speech\nSPEECH_REGION=eastus\n\n{pad}key={k}\n",
        True,
    ),
    "speech heading in the key's paragraph": ("AZURE_OPENAI_ENDPOINT={ep}\n\n# Azure Speech\n{pad}key={k}\n", False),
    "azure openai heading after a speech paragraph": (
        "# Azure Speech\nSPEECH_REGION=eastus\n\n# Azure OpenAI\nAZURE_OPENAI_ENDPOINT={ep}\n{pad}key={k}\n",
        True,
    ),
    "translator object in the key's paragraph": (
        'AZURE_OPENAI_ENDPOINT={ep}\n\n"Translator": {{\n{pad}"Key": "{k}"\n',
        False,
    ),
    "a glued setting in the key's paragraph": (
        "AZURE_OPENAI_ENDPOINT={ep}\n\nAZURE_SPEECH_REGION=westus2\n{pad}KEY={k}\n",
        False,
    ),
    "azure openai paragraph": ("# Azure OpenAI\nAZURE_OPENAI_ENDPOINT={ep}\n{pad}key = '{k}'\n", True),
}


def _text(case: str, shape: str, distance: int) -> tuple[str, bool]:
    template, reported = CASES[case]
    key = make_key(shape, seed=distance + len(case))
    return template.format(ep=EP, pad=settings(distance) if distance else "", k=key), reported


@pytest.mark.parametrize("distance", DISTANCES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("case", CASES)
def test_crlf_paragraphs_give_the_findings_of_lf_ones(case: str, shape: str, distance: int) -> None:
    lf, reported = _text(case, shape, distance)
    want = [AZURE[shape]] if reported else []
    assert found(lf) == want
    assert found(lf.replace("\n", "\r\n")) == want


@pytest.mark.parametrize("distance", DISTANCES)
@pytest.mark.parametrize("case", CASES)
def test_a_cr_blank_line_ends_a_paragraph_as_a_lf_one(case: str, distance: int) -> None:
    # "\r\r": a blank line written with CR line ends, inside a file whose other lines end in LF.
    lf, reported = _text(case, "azure", distance)
    mixed = lf.replace("\n\n", "\r\r\n")
    assert found(mixed) == (["azure-openai-key"] if reported else [])


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_the_paragraph_read_is_the_same_whatever_the_line_end(end: str) -> None:
    lf = "# Azure Speech\nSPEECH_REGION=eastus\n\n# Azure OpenAI\nAZURE_OPENAI_ENDPOINT=x\nkey=\n"
    text = lf.replace("\n", end)
    near, far = owner.paragraph(text, text.rindex("key="))
    assert (near.replace("\r", ""), far) == ("\n# azure openai\nazure_openai_endpoint=x\n", "")


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_a_paragraph_far_back_is_read_to_its_crlf_start(end: str) -> None:
    key = make_key("azure", seed=77)
    lf = f"AZURE_OPENAI_ENDPOINT={EP}\n\n# Azure Speech\n{settings(2500)}key={key}\n"
    assert found(lf.replace("\n", end)) == []
