"""The engine recipes in docs/org/ (docs/org.md) parse as YAML, have the shape each engine needs,
and run only keylatch commands and flags that exist."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from keylatch.cli import build_parser

RECIPES = Path(__file__).resolve().parents[2] / "docs" / "org"


def _load(name: str) -> list[Any]:
    return list(yaml.safe_load_all((RECIPES / name).read_text()))


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _commands(docs: list[Any]) -> list[list[str]]:
    out = []
    for text in (s for d in docs for s in _strings(d)):
        text = re.sub(r"\$\{\{[^}]*\}\}", "1", text)
        for match in re.finditer(r"\bkeylatch (org [^|;&}\n]*)", text):
            out.append(shlex.split(match.group(1)))
    return out


@pytest.mark.parametrize("name", ["github-actions.yml", "kubernetes.yml", "gitlab-ci.yml"])
def test_every_recipe_runs_plan_scan_and_merge_with_real_flags(name: str) -> None:
    commands = _commands(_load(name))
    assert {c[1] for c in commands} == {"plan", "scan", "merge"}
    parser, _ = build_parser("org")
    for argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit as exc:  # argparse: an unknown command or flag
            pytest.fail(f"{name}: keylatch {' '.join(argv)} (exit {exc.code})")


def test_github_actions_shards_a_matrix_and_uploads_sarif() -> None:
    (flow,) = _load("github-actions.yml")
    jobs = flow["jobs"]
    assert jobs["scan"]["needs"] == "plan" and jobs["merge"]["needs"] == "scan"
    shards = jobs["scan"]["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(flow["env"]["SHARDS"]) + 1))
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in jobs["merge"]["steps"])
    assert jobs["merge"]["permissions"]["security-events"] == "write"


def test_kubernetes_indexed_job_knows_its_total() -> None:
    docs = {d["metadata"]["name"]: d for d in _load("kubernetes.yml")}
    scan = docs["keylatch-scan"]["spec"]
    assert scan["completionMode"] == "Indexed" and scan["parallelism"] <= scan["completions"]
    (container,) = scan["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["KEYLATCH_SHARD_TOTAL"] == str(scan["completions"])
    assert "--shard auto" in " ".join(container["command"])
    assert docs["keylatch-merge"]["kind"] == "Job"


def test_gitlab_ci_runs_parallel_shards_then_a_merge_stage() -> None:
    (ci,) = _load("gitlab-ci.yml")
    assert ci["stages"] == ["plan", "scan", "merge"]
    assert ci["keylatch-scan"]["parallel"] >= 2 and "--shard auto" in ci["keylatch-scan"]["script"][0]
    assert ci["keylatch-merge"]["stage"] == "merge" and ci["keylatch-merge"]["when"] == "always"
