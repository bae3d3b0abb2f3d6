"""The documentation stays a front door plus a reference whose links and commands are real."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from keylatch.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = (README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces become hyphens."""
    text = _FENCE.sub("", page.read_text())
    heads = re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in heads}


def test_readme_is_a_front_door_with_the_ci_command() -> None:
    readme = README.read_text()
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci_command in readme
    assert "python3 -m pip install . && keylatch scan ." in readme
    assert len(readme.splitlines()) <= 150


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    for target in _LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # a URL
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        assert dest.exists(), f"{page.name}: {target}"
        if anchor:
            assert anchor in _anchors(dest), f"{page.name}: {target}"


def _examples(page: Path) -> list[list[str]]:
    """`keylatch ...` commands in the page's sh code blocks (also after `&&` or `|`)."""
    out = []
    for block in re.findall(r"^```sh\n(.*?)^```", page.read_text(), re.MULTILINE | re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line.replace("…", "x"), comments=True)
            command: list[str] | None = None
            for word in [*words, "|"]:
                if word in ("|", "&&", ">", "2>"):
                    if command:
                        out.append(command)
                    command = None
                elif command is not None:
                    command.append(word)
                elif word == "keylatch":
                    command = []
    return out


def _unbracket(word: str) -> str:
    """`[PATH` -> `PATH`, `...]` -> ``: the optional parts of a synopsis, given."""
    if not (word.startswith("[") or word.endswith("]")):
        return word
    return word.strip("[]").removesuffix("...")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_command_examples_parse(page: Path) -> None:
    """Every flag an example uses exists on that command (argparse exits 2 on an unknown one)."""
    for argv in _examples(page):
        if not argv or argv[0] == "detect-secrets":
            continue  # everything after the action is detect-secrets' own
        parser, _ = build_parser(argv[0])
        # Synopsis lines (`keylatch scan [PATH ...]`) carry optional parts in brackets.
        words = [w.replace("YYYY-MM-DD", "2099-01-31") for w in map(_unbracket, argv) if w]
        try:
            parser.parse_args(words)
        except SystemExit as exc:
            pytest.fail(f"{page.name}: keylatch {' '.join(argv)} (exit {exc.code})")
