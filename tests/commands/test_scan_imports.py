"""`keylatch scan` builds only what the tree needs: the rules, the engine, the baseline reader
and the notices cost about 25 ms of imports, as much as the whole scan of a small tree. A tree
without any rule literal (or with `ek_` only inside words, or "Azure" without Azure OpenAI)
needs none of them; the first file
with one brings the rules and the engine; a configured rule set or a baseline file brings what
reads it. The exit code and the
summary are those of a full run either way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import git_env
from tests.helpers.run import SRC

# The rules and their engine (whose records are dataclasses). A clean scan imports no dataclasses
# at all (inspect, ast, dis, tokenize: ~5 ms): its own records are model.Records.
BUILT = ["dataclasses", "keylatch.encoded", "keylatch.engine", "keylatch.rules"]
LAZY = ("keylatch.rules", "keylatch.engine", "keylatch.baseline", "keylatch.report.notice", "keylatch.encoded",
        "keylatch.report.untrusted", "datetime", "dataclasses")  # fmt: skip


def _scan(tmp_path: Path, *argv: str) -> tuple[int, list[str], str]:
    probe = (
        "import sys; from keylatch.cli import main\n"
        f"code = main(['scan', *{list(argv)!r}])\n"
        f"print(code, sorted(m for m in {LAZY!r} if m in sys.modules))"
    )
    env = dict(git_env(tmp_path), PYTHONPATH=str(SRC))
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    code, _, loaded = out.stdout.strip().rpartition("\n")[2].partition(" ")
    return int(code), ast.literal_eval(loaded), out.stderr


def _tree(root: Path, extra: dict[str, str]) -> None:
    (root / "src").mkdir(parents=True)
    for i in range(20):
        (root / "src" / f"m{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
    for name, text in extra.items():
        (root / name).write_text(text)


CASES = {
    # files, config, expected exit, modules loaded
    "clean, no literal": ({}, "", 0, []),
    "a literal, no key": ({"notes.md": "Ids look like sess-1234.\n"}, "", 0, BUILT),
    # `ek_` counts only where a Realtime key could start (prefilter.scan_gate), not in C's `lseek_`.
    "ek_ inside a word": ({"seek.c": "lseek_end(fd);\n"}, "", 0, []),
    # `zure` only with the Azure OpenAI evidence the 32-hex rules need (prefilter.azure_evidence).
    "Azure, no OpenAI": ({"notes.md": "Deploy to Azure Pipelines.\n"}, "", 0, []),
    "Azure OpenAI, no key": ({"notes.md": "AZURE_OPENAI_ENDPOINT=https://x.openai.azure.com\n"}, "", 0, BUILT),
    # Redaction's patterns (report/untrusted.py) only when a finding's place is shown.
    "a key": ({"k.env": "OPENAI_API_KEY={key}\n"}, "", 1, sorted([*BUILT, "keylatch.report.untrusted"])),
    # A disabled rule is said (report/set_aside.py): the notice that says it is built. datetime
    # comes with tomllib (the pyproject.toml), never with the policy: it dates only a baseline.
    "clean, rules configured": ({}, "disable = ['openai-session-key']\n", 0, ["dataclasses", "datetime",
                                                                                "keylatch.report.notice",
                                                                                "keylatch.rules"]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_scan_imports_what_the_tree_needs(tmp_path: Path, case: str) -> None:
    files, config, code, loaded = CASES[case]
    key = make_key("sk-proj-", seed=3)
    _tree(tmp_path / "t", {name: text.format(key=key) for name, text in files.items()})
    if config:
        (tmp_path / "pyproject.toml").write_text("[tool.keylatch]\n" + config)
    got, modules, err = _scan(tmp_path, "t")
    assert got == code, err
    assert modules == loaded, err
    assert f"scanned {20 + len(files)} files" in err
    assert key not in err


def test_a_baseline_file_is_read_when_there_is_one(tmp_path: Path) -> None:
    _tree(tmp_path / "t", {})
    (tmp_path / ".keylatch-baseline.json").write_text("not json")
    got, modules, err = _scan(tmp_path, "t")
    assert got == 2 and "keylatch.baseline" in modules, err
    assert "keylatch: error:" in err and ".keylatch-baseline.json" in err
