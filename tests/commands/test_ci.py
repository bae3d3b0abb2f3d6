"""`keylatch ci` through the real CLI, with GitHub event payloads and GitLab variables."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.redaction import assert_files_redacted
from tests.helpers.run import SRC, RunKeylatch

OLD = make_key("sk-proj-", seed=61)  # committed before the range: not this push's doing
NEW = make_key("sk-svcacct-", seed=62)
ALLOWED = make_key("sk-", seed=63)


@pytest.fixture
def pr(make_repo: Callable[..., GitRepo], tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    """A clone whose feature branch adds NEW (and ALLOWED, with an allow comment) on top of main."""
    origin = make_repo("origin")
    origin.write("config.py", f'OLD = "{OLD}"\n')
    ids = {"base": origin.commit("old key")}
    origin.git("checkout", "-q", "-b", "feature")
    origin.write("src/client.py", "import os\n" * 3 + f'KEY = "{NEW}"\n')
    origin.write("tests/fake.py", f'FAKE = "{ALLOWED}"  # keylatch:allow test double\n')
    ids["leak"] = origin.commit("client")
    origin.write("README.md", "x\n")
    ids["head"] = origin.commit("docs")
    origin.git("checkout", "-q", "main")
    origin.write("main.txt", "m\n")
    ids["main"] = origin.commit("main moves on")
    work = tmp_path / "work"
    origin.git("clone", "-q", "--no-single-branch", "--branch", "feature", f"file://{origin.path}", str(work))
    return GitRepo(work, origin.env), ids


def github_env(tmp_path: Path, name: str, payload: dict[str, object]) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path)}


def pr_event(ids: dict[str, str]) -> dict[str, object]:
    return {"number": 1, "pull_request": {"base": {"sha": ids["main"]}, "head": {"sha": ids["head"]}}}


def test_github_pull_request(pr: tuple[GitRepo, dict[str, str]], tmp_path: Path, keylatch: RunKeylatch) -> None:
    work, ids = pr
    r = keylatch("ci", cwd=work.path, env=github_env(tmp_path, "pull_request", pr_event(ids)))
    assert r.code == 1
    assert f"keylatch: GitHub pull_request: scanning 2 commits ({ids['base'][:12]}..{ids['head'][:12]})" in r.err
    lines = r.out.splitlines()
    assert lines[0].startswith(f"{ids['leak'][:12]}:src/client.py:4:8: high openai-service-account-key ")
    assert lines[1] == "  in HEAD: yes; refs: refs/heads/feature, refs/remotes/origin/feature"
    assert lines[2] == "  committed by Alice Example <alice@example.test>"
    assert lines[3].startswith("  exposed ") and lines[3].endswith("published: refs/remotes/origin/feature")
    assert lines[4:] == ["keylatch: 1 key found in 1 file"]


def test_gitlab_merge_request_with_sarif_output(pr: tuple[GitRepo, dict[str, str]], keylatch: RunKeylatch) -> None:
    work, ids = pr
    env = {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "9",
           "CI_MERGE_REQUEST_DIFF_BASE_SHA": ids["base"], "CI_COMMIT_SHA": ids["head"]}  # fmt: skip
    r = keylatch("ci", "--format", "sarif", "--output", "out.sarif", cwd=work.path, env=env)
    assert r.code == 1 and r.out == ""
    assert "GitLab merge request: scanning 2 commits" in r.err and "report written to out.sarif" in r.err
    (res,) = json.loads((work.path / "out.sarif").read_text())["runs"][0]["results"]
    assert res["ruleId"] == "openai-service-account-key" and res["properties"]["commit"] == ids["leak"]
    assert_files_redacted(work.path / "out.sarif", keys=[NEW])


def test_baseline_and_fail_on_apply(pr: tuple[GitRepo, dict[str, str]], tmp_path: Path, keylatch: RunKeylatch) -> None:
    work, ids = pr
    env = github_env(tmp_path, "pull_request", pr_event(ids))
    # A baseline outside the repository, named on the command line (ci_settings: read from disk).
    accepted = tmp_path / "accepted.json"
    created = keylatch("baseline", "create", "src", "--file", str(accepted), "--reason", "revoked", cwd=work.path)
    assert created.code == 0
    r = keylatch("ci", "--baseline", str(accepted), cwd=work.path, env=env)
    assert (r.code, r.out) == (0, "keylatch: no keys found\n")
    # The same file left untracked in the checkout is not the base's baseline: not applied.
    accepted.rename(work.path / ".keylatch-baseline.json")
    assert keylatch("ci", cwd=work.path, env=env).code == 1
    assert keylatch("ci", "--no-baseline", "--fail-on", "critical", cwd=work.path, env=env).code == 0
    assert keylatch("ci", "--no-baseline", "--fail-on", "high", cwd=work.path, env=env).code == 1


def test_explicit_range_and_nothing_to_scan(pr: tuple[GitRepo, dict[str, str]], keylatch: RunKeylatch) -> None:
    work, ids = pr
    r = keylatch("ci", "--range", f"{ids['leak']}..{ids['head']}", cwd=work.path)
    assert r.code == 0 and "--range: scanning 1 commit (" in r.err
    r = keylatch("ci", "--since", ids["head"], cwd=work.path)
    assert r.code == 0 and "scanning 0 commits" in r.err and r.out == "keylatch: no keys found\n"


def test_shallow_clone_exits_3_with_the_fix(
    pr: tuple[GitRepo, dict[str, str]], tmp_path: Path, keylatch: RunKeylatch
) -> None:
    work, ids = pr
    shallow = tmp_path / "shallow"
    work.git("clone", "-q", "--depth", "1", "--branch", "feature", f"file://{tmp_path / 'origin'}", str(shallow))
    r = keylatch("ci", cwd=shallow, env=github_env(tmp_path, "pull_request", pr_event(ids)))
    assert (r.code, r.out) == (3, "")
    assert r.err.startswith("keylatch: error: GitHub pull_request: base commit ")
    assert "(the clone is shallow); set `fetch-depth: 0` on actions/checkout, or run `git fetch --deepen" in r.err


def test_outside_ci_is_a_usage_error(pr: tuple[GitRepo, dict[str, str]], keylatch: RunKeylatch) -> None:
    work, _ = pr
    r = keylatch("ci", cwd=work.path)
    assert r.code == 2 and "not in GitHub Actions or GitLab CI; pass --range BASE..HEAD or --since REV" in r.err


@pytest.mark.prints_secrets("--show-secrets in CI: the key is printed, with a warning")
def test_show_secrets_warns_when_ci_is_set(
    pr: tuple[GitRepo, dict[str, str]], tmp_path: Path, keylatch: RunKeylatch
) -> None:
    work, ids = pr
    env = {**github_env(tmp_path, "pull_request", pr_event(ids)), "CI": "true"}
    r = keylatch("ci", "--show-secrets", cwd=work.path, env=env)
    assert r.code == 1 and NEW in r.out and "full keys are printed in CI logs" in r.err


def test_docs_gitlab_job_on_a_new_branch(
    pr: tuple[GitRepo, dict[str, str]], tmp_path: Path, keylatch: RunKeylatch
) -> None:
    """docs/ci.md's GitLab job script, run as GitLab would on a push of a new branch."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "ci.md").read_text()
    block = re.search(r"## GitLab CI\n\n```yaml\n(.*?)```", doc, re.DOTALL)
    assert block
    job = yaml.safe_load(block.group(1))["keylatch"]
    _, ids = pr
    # GitLab's runner fetches only the pipeline's branch.
    work = tmp_path / "gitlab"
    subprocess.run(["git", "clone", "-q", "--single-branch", "--branch", "feature", f"file://{tmp_path / 'origin'}",
                    str(work)], env=pr[0].env, check=True)  # fmt: skip
    shim = tmp_path / "bin"
    shim.mkdir()
    (shim / "keylatch").write_text(f'#!/bin/sh\nPYTHONPATH="{SRC}" exec "{sys.executable}" -m keylatch "$@"\n')
    (shim / "keylatch").chmod(0o755)
    env = {**pr[0].env, **{k: str(v) for k, v in job["variables"].items()}}
    env.update(PATH=f"{shim}:{env['PATH']}", GITLAB_CI="true", CI="true", CI_PIPELINE_SOURCE="push",
               CI_COMMIT_BEFORE_SHA="0" * 40, CI_COMMIT_SHA=ids["head"], CI_COMMIT_BRANCH="feature",
               CI_DEFAULT_BRANCH="main")  # fmt: skip
    script = [line for line in job["script"] if not line.startswith("pip install")]
    assert len(script) == len(job["script"]) - 1

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=work, env=env, capture_output=True, text=True, check=False)

    without_fetch = run("bash", "-c", script[-1])
    assert without_fetch.returncode == 3 and "`git fetch origin main`" in without_fetch.stderr
    proc = run("bash", "-ec", "\n".join(script))
    assert proc.returncode == 1 and "GitLab push (new ref): scanning 2 commits" in proc.stderr
    report = json.loads((work / job["artifacts"]["paths"][0]).read_text())
    assert [(f["path"], f["commit"]) for f in report["findings"]] == [("src/client.py", ids["leak"])]
