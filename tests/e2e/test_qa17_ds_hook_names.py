"""`keylatch detect-secrets hook` shows a hostile file name escaped, with keys in it redacted.

detect-secrets' diagnostics print `Location: <file name>:<line>` as the name is: a newline starts
a forged line, `ESC ]0;...BEL` retitles the terminal, `ESC [2J` clears it, U+202E reverses what
follows, and a key in the name is shown whole. The name comes from the repository being committed
to (pre-commit passes each staged file's name).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1971)
IN_NAME = make_key("sk-proj-", seed=1972)
NAMES = {
    "newline": "a\nforged.py:1",
    "escapes": "b\x1b[2J\x1b]0;title\x07.py",
    "bidi": "c\u202etxt.py",
    "key": f"d-{IN_NAME}.py",
}


@pytest.mark.parametrize("shape", NAMES)
def test_a_file_name_from_the_repository_is_escaped(
    shape: str, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    repo = make_repo()
    name = NAMES[shape]
    repo.write(name, f"OPENAI_API_KEY = '{KEY}'\n")

    result = keylatch("detect-secrets", "hook", name, cwd=repo.path)

    assert result.code == 1, result.err
    locations = [line for line in result.out.splitlines() if line.startswith("Location:")]
    assert locations and all(line.endswith(":1") for line in locations), result.out
    assert not any(c in result.out for c in "\x1b\x07\u202e"), result.out
    assert "forged.py" not in result.out.replace("\\nforged.py", ""), result.out
    if shape == "key":
        assert IN_NAME not in result.out
        assert scan_text(IN_NAME)[0].secret.redacted in result.out
