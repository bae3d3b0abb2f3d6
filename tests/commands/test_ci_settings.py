"""`keylatch ci` judges a range with its base commit's settings: a change cannot approve itself.

Every test builds a real repository: a base commit (what the protected branch accepted) and a
range on top that adds a key together with a change that would hide it, then runs the real CLI.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch

MakeRepo = Callable[..., GitRepo]
KEY = make_key("sk-proj-", seed=71)  # openai-project-key, severity high
RULE = "openai-project-key"
KEY_LINE = f'KEY = "{KEY}"  # app settings\n'
SARIF_SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "sarif-schema-2.1.0.json").read_text())


def baseline_for(key: str) -> str:
    entry = {"rule_id": RULE, "fingerprint": hashlib.sha256(key.encode()).hexdigest(), "reason": "test"}
    return json.dumps({"version": 1, "entries": [entry]})


def build(
    make_repo: MakeRepo, base: Mapping[str, str], change: Mapping[str, str | None], key_at: str | None = "src/app.py"
) -> tuple[GitRepo, str, str]:
    """A base commit holding `base`, then a range that applies `change` (None deletes) and adds KEY
    at `key_at` (None: not)."""
    repo = make_repo()
    repo.write("README.md", "app\n")
    for path, text in base.items():
        repo.write(path, text)
    first = repo.commit("base")
    for path, new in change.items():
        if new is None:
            (repo.path / path).unlink()
        else:
            repo.write(path, new)
    if key_at is not None:
        repo.write(key_at, KEY_LINE)
    head = repo.commit("add the client, and settings that hide its key")
    return repo, first, head


def ci(keylatch: RunKeylatch, repo: GitRepo, base: str, head: str, *args: str, cwd: Path | None = None) -> Result:
    return keylatch("ci", "--range", f"{base}..{head}", *args, cwd=cwd or repo.path)


# Settings a range could add to wave its own key through; each is named and not applied.
SELF_APPROVALS: dict[str, tuple[dict[str, str], dict[str, str | None]]] = {
    "allow-lines matching the key's line": ({}, {".keylatch.yaml": 'allow-lines: ["app settings"]\n'}),
    "exclude the key's directory": ({}, {".keylatch.yaml": 'exclude: ["src/*"]\n'}),
    "disable the key's rule": ({}, {".keylatch.yaml": f"disable: [{RULE}]\n"}),
    "enable only another rule": ({}, {".keylatch.yml": "enable: [openai-session-key]\n"}),
    "fail-on above the key": ({}, {".keylatch.yaml": "fail-on: critical\n"}),
    "pyproject [tool.keylatch]": (
        {"pyproject.toml": '[project]\nname = "app"\n'},
        {"pyproject.toml": '[project]\nname = "app"\n\n[tool.keylatch]\nexclude = ["src/*"]\n'},
    ),
    "edit an existing config": (
        {".keylatch.yaml": 'exclude: ["vendor/*"]\n'},
        {".keylatch.yaml": 'exclude: ["vendor/*", "src/*"]\n'},
    ),
    "a baseline entry for the key": ({}, {".keylatch-baseline.json": baseline_for(KEY)}),
    "a baseline the config names": (
        {".keylatch.yaml": "baseline: ci/accepted.json\n"},
        {"ci/accepted.json": baseline_for(KEY)},
    ),
    "repoint the config's baseline": (
        {".keylatch.yaml": "baseline: ci/accepted.json\n", "ci/accepted.json": '{"version": 1, "entries": []}'},
        {".keylatch.yaml": "baseline: ci/other.json\n", "ci/other.json": baseline_for(KEY)},
    ),
}


@pytest.mark.parametrize("case", SELF_APPROVALS)
def test_a_range_cannot_approve_its_own_key(case: str, make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    base_files, change = SELF_APPROVALS[case]
    repo, base, head = build(make_repo, base_files, change)
    r = ci(keylatch, repo, base, head)
    assert r.code == 1, r.err
    assert r.out.startswith(f"{head[:12]}:src/app.py:1:") and RULE in r.out
    changed = [p for p, text in change.items() if text is not None and not p.startswith("src/")]
    for path in changed:
        assert f"keylatch: warning: this range {'changes' if path in base_files else 'adds'} keylatch's" in r.err
        assert f" {path}; not applied here" in r.err, r.err
    assert f"judged with the settings of the base commit {base[:12]}" in r.err


def detection_off() -> dict[str, str]:
    from keylatch.rules import DEFAULT_RULES

    return {
        "allow every line": 'allow-lines: [".*"]\n',
        "exclude every path": 'exclude: ["*"]\n',
        "disable every rule": f"disable: [{', '.join(r.id for r in DEFAULT_RULES)}]\n",
    }


@pytest.mark.parametrize("case", detection_off())
def test_a_range_that_turns_detection_off_never_passes(case: str, make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, base, head = build(make_repo, {}, {".keylatch.yaml": detection_off()[case]})
    r = ci(keylatch, repo, base, head)
    # 1: judged with the base's settings; 2: such a configuration is itself an error.
    assert r.code in (1, 2), r.err
    assert r.code == 2 or "src/app.py:1:" in r.out


def test_the_base_settings_apply(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, base, head = build(make_repo, {".keylatch.yaml": 'exclude: ["vendor/*"]\n'}, {}, key_at="vendor/lib.py")
    r = ci(keylatch, repo, base, head)
    assert (r.code, r.out) == (0, "keylatch: no keys found\n"), r.err
    assert f"judged with the settings of the base commit {base[:12]}: .keylatch.yaml, no baseline" in r.err
    # The only warning says what the base's exclude set aside (report/set_aside.py).
    warnings = [line for line in r.err.splitlines() if "warning" in line]
    assert warnings == ["keylatch: warning: 1 key not reported, set aside by settings: 1 at excluded paths"]


def test_a_baseline_merged_before_the_range_applies(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, base, head = build(make_repo, {".keylatch-baseline.json": baseline_for(KEY)}, {})
    r = ci(keylatch, repo, base, head)
    assert r.code == 0 and "baseline .keylatch-baseline.json" in r.err, r.err


def test_untracked_settings_in_the_checkout_do_not_count(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, base, head = build(make_repo, {}, {})
    repo.write(".keylatch.yaml", 'exclude: ["src/*"]\n')
    repo.write(".keylatch-baseline.json", baseline_for(KEY))
    assert ci(keylatch, repo, base, head).code == 1


def test_unrelated_pyproject_changes_are_not_named(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    pyproject = '[project]\nname = "app"\n\n[tool.keylatch]\nexclude = ["vendor/*"]\n'
    repo, base, head = build(make_repo, {"pyproject.toml": pyproject}, {"pyproject.toml": pyproject + "# x\n"})
    r = ci(keylatch, repo, base, head)
    assert r.code == 1 and "warning" not in r.err and ": pyproject.toml, no baseline" in r.err


def test_a_pyproject_that_only_mentions_keylatch_is_not_a_config(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    pyproject = '[project]\nname = "app"\ndependencies = ["keylatch"]\n'
    repo, base, head = build(make_repo, {"pyproject.toml": pyproject, ".keylatch.yaml": 'exclude: ["src/*"]\n'}, {})
    r = ci(keylatch, repo, base, head)
    assert r.code == 0 and ": .keylatch.yaml, no baseline" in r.err, r.err


def test_a_range_that_breaks_the_config_is_a_usage_error(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, base, head = build(make_repo, {}, {".keylatch.yaml": "fail_on: high\n"})
    r = ci(keylatch, repo, base, head)
    assert r.code == 2 and r.out == "" and r.err.count("keylatch: error:") == 1
    assert "unknown key 'fail_on'" in r.err and f"(in {head[:12]}, the head of the range)" in r.err


def test_a_broken_base_config_does_not_block_its_repair(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, base, head = build(
        make_repo, {".keylatch.yaml": 'fail_on: high\nexclude: ["src/*"]\n'},
        {".keylatch.yaml": 'fail-on: high\nexclude: ["src/*"]\n'},
    )  # fmt: skip
    r = ci(keylatch, repo, base, head)
    # The base's file is not applied (strictest settings), the repair is named, the key reported.
    assert r.code == 1 and "src/app.py:1:" in r.out
    assert "unknown key 'fail_on'" in r.err and "not applied; keylatch's defaults stand in for it" in r.err
    assert "this range changes keylatch's configuration .keylatch.yaml" in r.err


def test_allow_comments_in_the_range_are_named(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    fake = {"tests/fake.py": f'FAKE = "{KEY}"  # keylatch:allow test double\n'}
    repo, base, head = build(make_repo, {}, fake, key_at=None)
    r = ci(keylatch, repo, base, head)
    assert (r.code, r.out) == (0, "keylatch: no keys found\n")
    assert "keylatch: warning: tests/fake.py:1 in " in r.err and "allowed by a `keylatch:allow` comment" in r.err


def test_base_pragmas_false_is_not_undone_by_the_range(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, base, head = build(
        make_repo, {".keylatch.yaml": "pragmas: false\n"},
        {".keylatch.yaml": "pragmas: true\n", "tests/fake.py": f'FAKE = "{KEY}"  # keylatch:allow\n'},
    )  # fmt: skip
    r = ci(keylatch, repo, base, head)
    assert r.code == 1 and "tests/fake.py:1:" in r.out and "allowed by" not in r.err


def test_no_base_means_defaults(make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path) -> None:
    repo = make_repo()
    repo.write(".keylatch.yaml", 'exclude: ["src/*"]\n')
    repo.write("src/app.py", KEY_LINE)
    head = repo.commit("first commit")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "before": "0" * 40, "after": head,
                                 "repository": {"default_branch": "main"}}))  # fmt: skip
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event)}
    r = keylatch("ci", cwd=repo.path, env=env)
    assert r.code == 1 and "src/app.py:1:" in r.out
    assert "no base commit to compare with" in r.err and "judged with keylatch's defaults" in r.err
    assert "this range adds keylatch's configuration .keylatch.yaml" in r.err


def test_no_base_still_honours_a_config_from_outside_the_repository(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = make_repo()
    repo.write("src/app.py", KEY_LINE)
    head = repo.commit("first commit")
    org = tmp_path / "org.yaml"
    org.write_text('exclude: ["src/*"]\n')
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "before": "0" * 40, "after": head,
                                 "repository": {"default_branch": "main"}}))  # fmt: skip
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event)}
    r = keylatch("ci", "--config", str(org), cwd=repo.path, env=env)
    assert r.code == 0 and "no base commit to compare with" in r.err and f"{org} (from disk)" in r.err


def test_a_new_branch_is_judged_with_the_settings_it_forked_from(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo, base, _ = build(make_repo, {".keylatch.yaml": 'exclude: ["vendor/*"]\n'}, {".keylatch.yaml": "{}\n"})
    repo.git("checkout", "-q", "-b", "feature")
    repo.git("branch", "-f", "main", base)
    head = repo.git("rev-parse", "HEAD")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/feature", "before": "0" * 40, "after": head,
                                 "repository": {"default_branch": "main"}}))  # fmt: skip
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event)}
    r = keylatch("ci", cwd=repo.path, env=env)
    assert r.code == 1 and f"judged with the settings of the base commit {base[:12]}: .keylatch.yaml" in r.err
    assert "this range changes keylatch's configuration .keylatch.yaml" in r.err


def test_discovery_starts_where_ci_runs(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, base, head = build(
        make_repo, {"svc/.keylatch.yaml": 'exclude: ["lib.py"]\n', ".keylatch.yaml": "{}\n"}, {},
        key_at="svc/vendor/lib.py",
    )  # fmt: skip
    assert ci(keylatch, repo, base, head).code == 1  # from the top: the top's config, no exclude
    r = ci(keylatch, repo, base, head, cwd=repo.path / "svc")
    assert r.code == 0 and ": svc/.keylatch.yaml, no baseline" in r.err, r.err


def test_explicit_config_outside_the_repository_is_read_from_disk(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo, base, head = build(make_repo, {}, {})
    org = tmp_path / "org-keylatch.yaml"
    org.write_text('exclude: ["src/*"]\n')
    r = ci(keylatch, repo, base, head, "--config", str(org))
    assert r.code == 0 and f"{org} (from disk)" in r.err, r.err


def test_explicit_config_the_repository_tracks_is_read_at_the_base(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    repo, base, head = build(
        make_repo, {"ci/keylatch.yaml": 'exclude: ["vendor/*"]\n'}, {"ci/keylatch.yaml": 'exclude: ["src/*"]\n'}
    )
    r = ci(keylatch, repo, base, head, "--config", "ci/keylatch.yaml")
    assert r.code == 1 and "this range changes keylatch's configuration ci/keylatch.yaml" in r.err
    assert ": ci/keylatch.yaml, no baseline" in r.err


def test_a_symlink_in_the_checkout_cannot_redirect_the_base_baseline(
    make_repo: MakeRepo, keylatch: RunKeylatch
) -> None:
    """The base names ci/accepted.json (empty) and also holds evil/accepted.json, which accepts the
    key. The range turns `ci` into a symlink to `evil`. Read through the disk, the base's baseline
    would become evil/accepted.json; read from the commit, it stays ci/accepted.json."""
    before = {
        ".keylatch.yaml": "baseline: ci/accepted.json\n",
        "ci/accepted.json": '{"version": 1, "entries": []}',
        "evil/accepted.json": baseline_for(KEY),
    }
    repo, base, head = build(make_repo, before, {})
    repo.git("rm", "-q", "-r", "ci")
    (repo.path / "ci").symlink_to("evil")
    head = repo.commit("ci -> evil")
    r = ci(keylatch, repo, base, head)
    # The range's own baseline path now leads nowhere in git: a broken configuration, exit 2.
    assert r.code == 2 and "baseline ci/accepted.json does not exist (in " in r.err, r.err
    repo.git("rm", "-q", ".keylatch.yaml")
    head = repo.commit("no config")
    r = ci(keylatch, repo, base, head)
    assert r.code == 1 and "src/app.py:1:" in r.out, r.err


def run_formats(keylatch: RunKeylatch, make_repo: MakeRepo) -> tuple[GitRepo, str, str, dict[str, Result]]:
    repo, base, head = build(make_repo, {}, {
        ".keylatch.yaml": 'exclude: ["src/*"]\n', "tests/fake.py": f'FAKE = "{KEY}"  # keylatch:allow\n',
    })  # fmt: skip
    out = {fmt: ci(keylatch, repo, base, head, "--format", fmt) for fmt in ("json", "sarif", "github")}
    return repo, base, head, out


def test_every_format_names_the_change(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    _, base, head, out = run_formats(keylatch, make_repo)
    assert all(r.code == 1 for r in out.values())
    doc: dict[str, Any] = json.loads(out["json"].out)
    kinds = [(n["kind"], n["path"]) for n in doc["notices"]]
    # set-aside: what the base's settings kept out, counted (report/set_aside.py)
    assert kinds == [("judged-with", None), ("settings-changed", ".keylatch.yaml"),
                     ("allowed-by-comment", "tests/fake.py"), ("set-aside", None)]  # fmt: skip
    assert doc["notices"][0]["commit"] == base and doc["notices"][2]["line"] == 1
    assert [f["path"] for f in doc["findings"]] == ["src/app.py"]

    sarif = json.loads(out["sarif"].out)
    jsonschema.validate(sarif, SARIF_SCHEMA)
    (run,) = sarif["runs"]
    (invocation,) = run["invocations"]
    config = invocation["toolConfigurationNotifications"]
    assert [n["descriptor"]["id"] for n in config] == ["judged-with", "settings-changed", "set-aside"]
    assert config[1]["level"] == "warning" and "not applied" in config[1]["message"]["text"]
    assert config[1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == ".keylatch.yaml"
    (allowed,) = invocation["toolExecutionNotifications"]
    assert allowed["descriptor"]["id"] == "allowed-by-comment"
    assert [n["kind"] for n in run["properties"]["keylatchNotices"]] == [k for k, _ in kinds]

    lines = out["github"].out.splitlines()
    assert lines[0] == f"::notice title=keylatch judged-with::{json.loads(out['json'].out)['notices'][0]['message']}"
    assert f"the base commit {base[:12]}" in lines[0]
    assert lines[1].startswith("::warning file=.keylatch.yaml,title=keylatch settings-changed::this range adds")
    assert lines[2].startswith("::warning file=tests/fake.py,line=1,title=keylatch allowed-by-comment::")
    assert lines[3] == (
        "::warning title=keylatch set-aside::1 key not reported, set aside by settings: 1 by an allow comment"
    )
    assert lines[4].startswith("::error file=src/app.py,line=1,")
    # On stdout the report carries the notices: stderr does not repeat them.
    assert "not applied" not in out["json"].err


def test_notices_escape_what_came_from_the_repository(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    name = "tests/fake\x1b[31m.py"
    repo, base, head = build(make_repo, {}, {name: f'FAKE = "{KEY}"  # keylatch:allow\n'})
    r = ci(keylatch, repo, base, head)
    assert "\x1b" not in r.err and "tests/fake\\x1b[31m.py:1 in" in r.err
