"""An allow comment counts only in a real comment: a comment marker and pragma inside a string
literal (any quote, any marker, any pragma name) are the string's text and allow nothing, in
every command; a real comment after the string closes still allows."""

from __future__ import annotations

import json

import pytest

from keylatch import allowlist
from keylatch.rules.synthetic import make_key
from tests.helpers.contexts import COMMENTS
from tests.helpers.damaged import MakeRepo
from tests.helpers.every_command import assert_each_found_exactly, run_every_command
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=3)

PRAGMAS = ("keylatch:allow", "keylatch:allow fixture", "pragma: allowlist secret", "pragma: whitelist secret")

# How a key's string literal is written: {s} is the string's body.
STRINGS = {
    "python double": 'KEY = "{s}"',
    "python single": "KEY = '{s}'",
    "f-string": 'KEY = f"{{host}}{s}"',
    "rb-string": "KEY = rb'{s}'",
    "js template": "const key = `{s}`;",
    "yaml double": 'api_key: "{s}"',
    "yaml single": "api_key: '{s}'",
    "toml": 'api_key = "{s}"',
    "json": '  "api_key": "{s}",',
    "escaped quote before": 'KEY = "a\\"b{s}"',
    "after a closed string": 'call("x", "{s}")',
    "after a block comment": 'KEY = /* key */ "{s}"',
    "after an apostrophe's word": "# don't\nx = 'it''s {s}'",
}


def _inside(string: str, marker: str, pragma: str) -> str:
    start, end = COMMENTS[marker]
    return STRINGS[string].format(s=f"{KEY}  {start} {pragma}{end}")


def _last_line(text: str) -> str:
    return text.rsplit("\n", 1)[-1]


@pytest.mark.parametrize("pragma", PRAGMAS)
@pytest.mark.parametrize("marker", COMMENTS)
@pytest.mark.parametrize("string", STRINGS)
def test_a_pragma_inside_the_string_allows_nothing(string: str, marker: str, pragma: str) -> None:
    assert allowlist.pragma("", _last_line(_inside(string, marker, pragma))) is None


@pytest.mark.parametrize("marker", COMMENTS)
@pytest.mark.parametrize("string", STRINGS)
def test_a_real_comment_after_the_string_still_allows(string: str, marker: str) -> None:
    start, end = COMMENTS[marker]
    # The string holds a `#` and a `//` of its own: text, then the real comment counts.
    line = _last_line(STRINGS[string].format(s=f"{KEY}#x//y")) + f"  {start} keylatch:allow{end}"
    assert allowlist.pragma("", line) == "keylatch:allow"


@pytest.mark.parametrize(
    "line",
    [
        f'KEY = "{KEY}"  # it\'s a fixture # keylatch:allow',  # an apostrophe in the comment
        f"Don't commit {KEY} <!-- keylatch:allow -->",  # prose: an apostrophe is not a quote
        f"api_key: {KEY} # keylatch:allow",  # an unquoted YAML value
        f'KEY = "{KEY}"; // keylatch:allow',
        f'KEY = "{KEY}"  /* a\'s */ /* pragma: allowlist secret */',
    ],
)
def test_legitimate_comments_still_allow(line: str) -> None:
    assert allowlist.pragma("", line) is not None


@pytest.mark.parametrize("marker", ["hash", "slashes", "c-block", "html"])
@pytest.mark.parametrize("string", ["python double", "js template", "yaml single", "json"])
def test_every_command_reports_a_key_whose_string_holds_the_pragma(
    make_repo: MakeRepo, keylatch: RunKeylatch, string: str, marker: str
) -> None:
    text = _inside(string, marker, "keylatch:allow") + "\n"
    allowed = STRINGS["python double"].format(s=make_key("sk-proj-", seed=4)) + "  # keylatch:allow\n"
    runs = run_every_command(keylatch, make_repo(), {"conf/settings.txt": text, "ok.py": allowed})
    runs["scan -"] = keylatch("scan", "-", "--format", "json", input=text + allowed)
    assert_each_found_exactly(runs, [KEY])
    assert json.loads(runs["scan"].out)["findings"][0]["path"] == "conf/settings.txt"


@pytest.mark.parametrize("string", ["python double", "python single", "js template", "json"])
def test_the_detect_secrets_hook_reports_a_key_whose_string_holds_the_pragma(
    make_repo: MakeRepo, keylatch: RunKeylatch, string: str
) -> None:
    # detect-secrets' own pragma regex matches inside the string; keylatch's pass must not agree.
    repo = make_repo()
    allowed = STRINGS["python double"].format(s=make_key("sk-proj-", seed=4)) + "  # pragma: allowlist secret\n"
    repo.write("a.py", _inside(string, "hash", "pragma: allowlist secret") + "\n" + allowed)
    repo.git("add", "-A")
    res = keylatch("detect-secrets", "hook", "a.py", cwd=repo.path)
    assert res.code == 1 and "a.py:1" in res.out and "a.py:2" not in res.out, (res.out, res.err)
    assert KEY not in res.out + res.err
