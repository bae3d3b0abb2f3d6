"""An early 20 + 20 key followed by `_`/`-` is cut there only when a short word follows.

Hypothesis (tests/rules/test_key_in_run.py) found a current key whose head lost characters down to
20 and whose tail holds a `-` at its 21st character: read as an early `sk-proj-` key and a suffix,
the tail's random rest was taken for the suffix and a key that is not one was reported.
"""

from __future__ import annotations

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import MARKER, make_key


def _found(text: str) -> list[str]:
    return [f.secret.value for f in scan_text(text)]


@pytest.mark.parametrize("kind", ["sk-proj-", "sk-None-"])
@pytest.mark.parametrize("half", [46, 58, 74])
@pytest.mark.parametrize("sep", ["-", "_", "--"])
@pytest.mark.parametrize("seed", range(3))
def test_a_current_key_cut_to_a_20_character_head_is_not_reported(kind: str, half: int, sep: str, seed: int) -> None:
    head, tail = make_key(kind, seed=seed, n=half)[len(kind) :].split(MARKER)
    head = "".join(c if c.isalnum() else "a" for c in head[-20:])
    tail = "".join(c if c.isalnum() else "b" for c in tail[:20]) + sep + tail[21:]
    assert _found(f"k={kind}{head}{MARKER}{tail}\n") == []


@pytest.mark.parametrize("kind", ["sk-", "sk-proj-early", "sk-None-early"])
@pytest.mark.parametrize("after", ["_", "-", "_old", "-backup", "-v2", "__", "_OLD_2024"])
def test_an_early_key_before_a_short_word_is_reported(kind: str, after: str) -> None:
    key = make_key(kind, seed=len(after))
    assert _found(f"k={key}{after}\n") == [key]
    assert _found(f"_{key}{after}.txt\n") == [key]
