"""The suite-wide leak check (tests/conftest.py, tests/helpers/redaction.py) finds what it must.

A check that cannot fail proves nothing: these tests plant keys, leak them through each channel
the check watches, and assert that it flags exactly the leaks.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import keylatch.rules.synthetic as synthetic
from keylatch.model import Secret
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import make_key
from tests.conftest import PLANTED
from tests.helpers.redaction import Planted, leaks, shown, snapshot, written

ROOT = Path(__file__).resolve().parents[1]
AT_IMPORT = make_key("sk-proj-", seed=9001)  # made while pytest imported this module


def test_every_key_made_is_recorded(request: pytest.FixtureRequest) -> None:
    planted = request.config.stash[PLANTED]
    # This module's `make_key` (bound at import) is the recording one.
    assert make_key is synthetic.make_key and make_key.__wrapped__ is not make_key  # type: ignore[attr-defined]
    inside = make_key("azure", seed=9002)
    assert AT_IMPORT in planted and inside in planted
    # Rule examples were made before the session patched make_key; they are registered anyway.
    assert all(ex.key in planted for rule in DEFAULT_RULES for ex in rule.examples)
    assert make_key("sk-proj-", seed=9003)[:-1] not in planted


@pytest.mark.parametrize(
    "template",
    ["{k}", "OPENAI_API_KEY={k}\n", '{{"secret": "{k}"}}', "\x1b]0;{k}\x07", "path/{k}.env", "x{k}y", "{k}{k}"],
)
def test_checker_finds_a_key_in_any_surrounding(template: str) -> None:
    planted = Planted()
    keys = [make_key(kind, seed=9004) for kind in ("sk-proj-", "sk-", "azure", "azure-classic", "whsec_", "sess-")]
    for key in keys:
        planted.add(key)
    for key in keys:
        (hit,) = leaks(planted, [("stdout", template.format(k=key))])
        assert hit == f"stdout: full key {shown(key)} (from make_key)"
        assert key[4:-4] not in hit  # the report of a leak is no leak itself


def test_checker_ignores_redacted_and_partial_keys() -> None:
    planted = Planted()
    key = make_key("sk-proj-", seed=9005)
    planted.add(key)
    text = f"{Secret(key, 8).redacted} sha256:{Secret(key).fingerprint} {key[:-1]} {key[1:]}"
    assert leaks(planted, [("out", text)]) == []


def test_files_a_run_writes_are_checked_and_git_internals_are_not(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git" / "objects").mkdir(parents=True)
    (tmp_path / "repo" / ".git" / "keylatch").mkdir()
    (tmp_path / "mine.env").write_text("the test's own input\n")
    before = snapshot(tmp_path)
    (tmp_path / "mine.env").write_text("rewritten by the run\n")
    (tmp_path / "report.json").write_text("{}")
    (tmp_path / "repo" / ".git" / "index").write_text("git's")
    (tmp_path / "repo" / ".git" / "objects" / "ab").write_text("git's")
    (tmp_path / "repo" / ".git" / "keylatch" / "cache").write_text("ours")
    names = sorted(label for label, _ in written(tmp_path, before))
    assert names == [
        "file mine.env written by keylatch",
        "file repo/.git/keylatch/cache written by keylatch",
        "file report.json written by keylatch",
    ]


SESSION_CONFTEST = "from tests.conftest import *  # noqa: F403  -- the suite's hooks and fixtures\n"

LEAKY_TESTS = """
import logging
import pytest
from keylatch.model import Secret
from keylatch.rules.synthetic import make_key

KEY = make_key("sk-proj-", seed=9100)


def test_print():
    print("debug:", KEY)


def test_log():
    logging.getLogger("keylatch.x").warning("found %s", KEY)


def test_capsys_read(capsys):
    print(KEY)
    assert KEY in capsys.readouterr().out


def test_key_made_in_the_test():
    import sys
    sys.stderr.write(make_key("azure", seed=9101) + "\\n")


def test_written_by_keylatch(keylatch, tmp_path):
    (tmp_path / "k.txt").write_text(f"k = '{KEY}'\\n")
    keylatch("scan", "k.txt", "--show-secrets", "--output", "report.txt", cwd=tmp_path)


def test_redacted_is_fine(keylatch, tmp_path):
    print(Secret(KEY, 8).redacted)
    (tmp_path / "k.txt").write_text(f"k = '{KEY}'\\n")
    assert keylatch("scan", "k.txt", cwd=tmp_path).code == 1


@pytest.mark.prints_secrets("its point is printing the key")
def test_opted_out(keylatch, tmp_path):
    (tmp_path / "k.txt").write_text(f"k = '{KEY}'\\n")
    assert KEY in keylatch("scan", "k.txt", "--show-secrets", cwd=tmp_path).out
    keylatch("scan", "k.txt", "--show-secrets", "--output", "report.txt", cwd=tmp_path)


@pytest.mark.prints_secrets("exempts its --show-secrets runs only")
def test_opted_out_but_prints_it_itself(keylatch, tmp_path):
    (tmp_path / "k.txt").write_text(f"k = '{KEY}'\\n")
    keylatch("scan", "k.txt", "--show-secrets", cwd=tmp_path)
    print(KEY)


@pytest.mark.prints_secrets
def test_opt_out_without_reason(keylatch, tmp_path):
    (tmp_path / "k.txt").write_text(f"k = '{KEY}'\\n")
    keylatch("scan", "k.txt", "--show-secrets", cwd=tmp_path)


@pytest.mark.prints_secrets("stale")
def test_opt_out_that_shows_nothing():
    pass
"""


def test_the_check_flags_each_channel_in_a_real_session(tmp_path: Path) -> None:
    # --basetemp: a child pytest without one numbers its tmp_path among the user's previous runs
    # and deletes the oldest beyond three at exit (the suite's own runs, 100k files and more):
    # ~7 s CPU, mostly system time, for a session whose own tests take ~0.6 s.
    (tmp_path / "conftest.py").write_text(SESSION_CONFTEST)
    (tmp_path / "test_leaky.py").write_text(LEAKY_TESTS)
    (tmp_path / "pytest.ini").write_text(
        textwrap.dedent("""\
        [pytest]
        markers =
            prints_secrets(reason): prints a key on purpose
        """)
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--junitxml", "out.xml",
         "-o", "junit_logging=no", "--basetemp", str(tmp_path / "basetemp"), str(tmp_path / "test_leaky.py")],
        cwd=tmp_path, env={"PYTHONPATH": f"{ROOT}{':'}{ROOT / 'src'}", "PATH": str(Path(sys.executable).parent)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    outcome = _outcomes(tmp_path / "out.xml")
    assert outcome == {
        "test_print": "error",
        "test_log": "error",
        "test_capsys_read": "error",
        "test_key_made_in_the_test": "error",
        "test_written_by_keylatch": "error",
        "test_redacted_is_fine": "passed",
        "test_opted_out": "passed",
        "test_opted_out_but_prints_it_itself": "error",
        "test_opt_out_without_reason": "error",
        "test_opt_out_that_shows_nothing": "error",
    }, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "file report.txt written by keylatch" in proc.stdout
    assert "prints_secrets needs a reason" in proc.stdout
    assert "no revealing `keylatch` run (REVEALING): remove the marker" in proc.stdout


def _outcomes(junit: Path) -> dict[str, str]:
    import xml.etree.ElementTree as ET

    out = {}
    for case in ET.parse(junit).iter("testcase"):
        kinds = {child.tag for child in case} & {"error", "failure", "skipped"}
        out[case.attrib["name"]] = kinds.pop() if kinds else "passed"
    return out
