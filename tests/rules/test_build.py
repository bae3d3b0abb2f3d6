"""The rules are built when used, not at import: a scan that meets a rule literal compiles only
the regexes its files need and makes no synthetic key (their examples are built when asked for)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from keylatch.rules import DEFAULT_RULES, Regex
from tests.helpers.run import SRC

# Lists, in a fresh interpreter, the rules' regexes compiled so far (by module and name, or by
# rule and field) after scanning TEXT, and whether a synthetic key was made.
PROBE = """
import sys
from keylatch.rules import DEFAULT_RULES, Regex, synthetic
made = []
real = synthetic.make_key
synthetic.make_key = lambda *a, **k: made.append(a) or real(*a, **k)
from keylatch.engine import scan_chunk
from keylatch.model import Chunk
found = [f.rule_id for f in scan_chunk(Chunk(sys.argv[1].encode(), "x"))]
compiled = sorted(
    {f"{m.__name__}.{k}" for m in list(sys.modules.values()) if m.__name__.startswith("keylatch.rules")
     for k, v in vars(m).items() if isinstance(v, Regex) and v._compiled is not None}
    | {f"{r.id}.{f}" for r in DEFAULT_RULES
       for f in ("pattern", "file_context", "line_context", "line_exclude", "glued")
       if getattr(r, f) is not None and getattr(r, f)._compiled is not None}
)
print(repr((found, compiled, len(made))))
"""


def _probe(tmp_path: Path, text: str) -> tuple[list[str], list[str], int]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, text],
        cwd=tmp_path,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    found, compiled, made = ast.literal_eval(out.stdout.strip().splitlines()[-1])
    return found, compiled, made


def test_importing_the_rules_compiles_nothing_and_makes_no_key(tmp_path: Path) -> None:
    found, compiled, made = _probe(tmp_path, "nothing to see\n")
    assert (found, compiled, made) == ([], [], 0)


@pytest.mark.parametrize(
    "text",
    [
        "Translations for Azure DevOps and the Azure portal\n",  # git's tree: `zure`, no evidence
        "int seek_x = lseek_to(fd);\n",
    ],
)
def test_a_near_miss_compiles_only_what_it_needs(tmp_path: Path, text: str) -> None:
    found, compiled, made = _probe(tmp_path, text)
    assert found == [] and made == 0
    # At most the file evidence the rule of the literal asks first (`azure` evidence, `openai`),
    # never a rule's pattern, its line tests or its validators' regexes.
    assert compiled, "the evidence was looked for"
    assert all(c.endswith((".file_context", "_EVIDENCE")) for c in compiled), compiled


def test_every_rule_regex_is_a_lazy_one() -> None:
    fields = ("pattern", "file_context", "line_context", "line_exclude", "glued")
    assert all(isinstance(getattr(r, f), Regex) for r in DEFAULT_RULES for f in fields if getattr(r, f) is not None)
    assert all(r.examples and r.counterexamples for r in DEFAULT_RULES)  # built when asked for
