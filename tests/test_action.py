"""action.yml: run the composite action's steps locally, as the runner would, on fake events.

The runner's part is emulated minimally: `${{ }}` expressions over inputs/github/steps, the
GITHUB_OUTPUT and GITHUB_PATH files, and step `if:` conditions. The `uses:` step (upload-sarif)
cannot run here; the test checks its condition and that the file it would upload is valid SARIF.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC

ROOT = Path(__file__).resolve().parents[1]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
SCHEMA = json.loads((ROOT / "fixtures" / "sarif-schema-2.1.0.json").read_text())
KEY = make_key("sk-proj-", seed=51)
ZERO = "0" * 40

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_REF = re.compile(r"\b(inputs|github|steps)\.([A-Za-z0-9_.-]+)")


@dataclass
class Runner:
    inputs: dict[str, str]
    env: dict[str, str]
    cwd: Path
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    log: list[tuple[str, int, str]] = field(default_factory=list)

    def lookup(self, ctx: str, name: str) -> str:
        if ctx == "inputs":
            defaults = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()}
            return {**defaults, **self.inputs}[name]
        if ctx == "github":
            return {"action_path": str(ROOT), "workspace": str(self.cwd)}[name]
        step, _, out = name.partition(".outputs.")
        return self.outputs.get(step, {}).get(out, "")

    def expand(self, text: str) -> str:
        return _EXPR.sub(lambda m: self.lookup(*m.group(1).split(".", 1)), text)

    def condition(self, expr: str | None) -> bool:
        if expr is None:
            return not any(code for _, code, _ in self.log)  # success()
        body = _EXPR.sub(lambda m: m.group(1), expr)
        py = _REF.sub(lambda m: repr(self.lookup(m.group(1), m.group(2))), body)
        py = py.replace("always()", "True").replace("&&", " and ").replace("||", " or ")
        return bool(eval(py, {"__builtins__": {}}))

    def run(self) -> None:
        path_file, out_file = self.cwd.parent / "github_path", self.cwd.parent / "github_output"
        for step in ACTION["runs"]["steps"]:
            if not self.condition(step.get("if")):
                continue
            if "uses" in step:
                self.log.append((step["name"], 0, "uses " + step["uses"]))
                continue
            path_file.write_text("")
            out_file.write_text("")
            env = {**self.env, **{k: self.expand(str(v)) for k, v in step.get("env", {}).items()}}
            env.update(GITHUB_OUTPUT=str(out_file), GITHUB_PATH=str(path_file))
            proc = subprocess.run(
                # What the runner runs for `shell: bash`: bash --noprofile --norc -eo pipefail {0}
                [step["shell"], "--noprofile", "--norc", "-eo", "pipefail", "-c", self.expand(step["run"])],
                cwd=self.cwd, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            self.log.append((step["name"], proc.returncode, proc.stdout + proc.stderr))
            if "id" in step:
                pairs = (line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
                self.outputs[step["id"]] = dict(pairs)
            for extra in path_file.read_text().split():
                self.env["PATH"] = f"{extra}{os.pathsep}{self.env['PATH']}"

    def ran(self, name_part: str) -> bool:
        return any(name_part in name for name, _, _ in self.log)

    def step(self, name_part: str) -> tuple[int, str]:
        """The exit code and output of the step whose name contains NAME_PART (it must have run)."""
        for name, code, out in self.log:
            if name_part in name:
                return code, out
        raise AssertionError(f"no step {name_part!r} ran: {[name for name, _, _ in self.log]}")


@dataclass
class Scenario:
    """origin: main = initial; feature = initial, leak (adds a key), tip (docs)."""

    origin: GitRepo
    tmp_path: Path
    ids: dict[str, str]

    def __call__(self, event: dict[str, Any], *clone_args: str, **inputs: str) -> Runner:
        tmp_path = self.tmp_path
        work = tmp_path / f"work{len(list(tmp_path.glob('work*')))}"
        self.origin.git("clone", "-q", *clone_args, "--branch", "feature", f"file://{self.origin.path}", str(work))
        shim = tmp_path / "bin"
        shim.mkdir(exist_ok=True)
        (shim / "keylatch").write_text(f'#!/bin/sh\nPYTHONPATH="{SRC}" exec "{sys.executable}" -m keylatch "$@"\n')
        (shim / "keylatch").chmod(0o755)
        payload = tmp_path / "event.json"
        payload.write_text(json.dumps(event))
        env = {k: v for k, v in self.origin.env.items() if not k.startswith(("GITHUB_", "GITLAB", "CI"))}
        env.update(
            PATH=f"{shim}{os.pathsep}{env['PATH']}", CI="true", GITHUB_ACTIONS="true", GITHUB_EVENT_NAME="push",
            GITHUB_EVENT_PATH=str(payload), GITHUB_WORKSPACE=str(work), RUNNER_TEMP=str(tmp_path),
        )  # fmt: skip
        r = Runner({"version": "preinstalled", **inputs}, env, work)
        r.run()
        return r


@pytest.fixture
def runner(make_repo: Callable[..., GitRepo], tmp_path: Path) -> Scenario:
    origin = make_repo("origin")
    origin.write("README.md", "app\n")
    ids = {"base": origin.commit("initial")}
    origin.git("checkout", "-q", "-b", "feature")
    origin.write("app/settings.py", f'OPENAI_API_KEY = "{KEY}"\n')
    ids["leak"] = origin.commit("add settings")
    origin.write("docs.md", "docs\n")
    ids["tip"] = origin.commit("docs")
    return Scenario(origin, tmp_path, ids)


def push(before: str, after: str) -> dict[str, Any]:
    return {"ref": "refs/heads/feature", "before": before, "after": after,
            "repository": {"default_branch": "main"}}  # fmt: skip


def test_push_with_a_key_uploads_sarif_and_fails(runner: Scenario) -> None:
    ids = runner.ids
    r = runner(push(ids["base"], ids["tip"]), **{"upload-sarif": "true"})
    code, out = r.step("Scan")
    assert code == 0 and f"GitHub push: scanning 2 commits ({ids['base'][:12]}..{ids['tip'][:12]})" in out
    assert r.outputs["scan"] == {"sarif-file": "keylatch.sarif", "exit-code": "1"}
    assert r.step("Upload SARIF") == (0, "uses github/codeql-action/upload-sarif@v3")
    sarif = json.loads((r.cwd / "keylatch.sarif").read_text())
    jsonschema.validate(sarif, SCHEMA)
    (result,) = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/settings.py"
    assert result["properties"]["commit"] == ids["leak"]
    code, out = r.step("Fail")
    assert code == 1 and "::error::keylatch found OpenAI API keys" in out
    assert_redacted(*(out for _, _, out in r.log), (r.cwd / "keylatch.sarif").read_text(), keys=[KEY])


def test_annotations_without_sarif_and_a_clean_push_passes(runner: Scenario) -> None:
    ids = runner.ids
    r = runner(push(ids["base"], ids["tip"]))
    code, out = r.step("Scan")
    assert code == 0 and r.outputs["scan"] == {"exit-code": "1"}
    assert "::error file=app/settings.py,line=1,col=19,title=keylatch openai-project-key::" in out
    assert not r.ran("Upload SARIF") and r.step("Fail")[0] == 1
    clean = runner(push(ids["leak"], ids["tip"]))
    assert clean.outputs["scan"]["exit-code"] == "0" and "scanning 1 commit " in clean.step("Scan")[1]
    assert not clean.ran("Fail")


def test_shallow_checkout_fails_with_the_fix_and_uploads_nothing(runner: Scenario) -> None:
    ids = runner.ids
    r = runner(push(ids["base"], ids["tip"]), "--depth", "1", **{"upload-sarif": "true"})
    assert r.outputs["scan"]["exit-code"] == "3"
    assert "set `fetch-depth: 0` on actions/checkout" in r.step("Scan")[1]
    assert not r.ran("Upload SARIF")
    code, out = r.step("Fail")
    assert code == 3 and "could not complete the scan (exit 3)" in out


def test_action_inputs_reach_scripts_only_through_env() -> None:
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]
