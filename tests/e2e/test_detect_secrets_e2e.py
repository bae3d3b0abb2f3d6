"""Real detect-secrets CLIs with keylatch's plugin: stock `--plugin` and `keylatch detect-secrets`.

Every run's output goes through the redaction check. detect-secrets prints hashes only, except
`audit --report`, which keylatch redacts unless --show-secrets.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from keylatch.engine import scan_text
from keylatch.model import Secret
from keylatch.rules import DEFAULT_RULES
from keylatch.rules.synthetic import ALL_KINDS, make_key
from tests.helpers.contexts import cases, negatives
from tests.helpers.gitrepo import GitRepo, git_env
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC, Result, RunKeylatch, in_process

pytestmark = pytest.mark.e2e

OURS = "keylatch OpenAI key"
NAME = "KeylatchOpenAIDetector"
BASELINE = ".secrets.baseline"
STOCK_BASELINE = "stock.baseline"
RECIPE_SCAN = ("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector")


def sha1(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()


def keys_file(seed: int) -> tuple[str, list[str]]:
    """Every format once; the ones that need file evidence sit next to it."""
    kinds = sorted(ALL_KINDS, key=lambda k: k not in ("azure-classic", "sess-", "whsec_"))
    keys = [make_key(kind, seed=seed) for kind in kinds]
    lines = ['AZURE_OPENAI_ENDPOINT = "https://contoso.openai.azure.com/"  # OpenAI']
    for kind, key in zip(kinds, keys, strict=True):
        lines.append(f'{kind.strip("-_").replace("-", "_").upper()}_API_KEY = "{key}"')
    return "\n".join(lines) + "\n", keys


def client_line(key: str) -> str:
    return f'from openai import OpenAI\n\nclient = OpenAI(api_key="{key}")\n'


def ours(baseline: dict[str, object]) -> set[str]:
    results = baseline["results"]
    assert isinstance(results, dict)
    return {r["hashed_secret"] for rs in results.values() for r in rs if r["type"] == OURS}


def run_ds(tool: str, *args: str, cwd: Path, home: Path, src: Path | None = SRC) -> Result:
    """A stock detect-secrets console script; `src` is where the plugin can import keylatch."""
    exe = shutil.which(tool)
    assert exe, f"{tool} is not installed"
    env = git_env(home)
    env.pop("PYTHONPATH", None)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    proc = subprocess.run([exe, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert_redacted(proc.stdout, proc.stderr)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_keylatch_from(src: Path, *args: str, cwd: Path, home: Path) -> Result:
    """keylatch as installed somewhere else (another machine's site-packages)."""
    env = git_env(home)
    env["PYTHONPATH"] = str(src)
    proc = subprocess.run(
        [sys.executable, "-m", "keylatch", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert_redacted(proc.stdout, proc.stderr)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_keylatch_here(*args: str, cwd: Path, home: Path) -> Result:
    """`keylatch.cli.main(argv)` in this process, for a module fixture (no test's `keylatch`)."""
    res = in_process(args, cwd, dict(git_env(home), PYTHONPATH=str(SRC)), None)
    assert_redacted(res.out, res.err)
    return res


def copy_src(dest: Path) -> Path:
    shutil.copytree(SRC, dest, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest


@dataclass(frozen=True)
class Prepared:
    """A committed project with every format, and the baselines stock and recipe make of it."""

    path: Path
    keys: tuple[str, ...]
    plugin: str  # `keylatch plugin-path`
    stock: str  # `detect-secrets scan --plugin <plugin> keys.py`
    recipe: str  # `keylatch detect-secrets scan --disable-plugin OpenAIDetector keys.py`


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    # Made once per module: each detect-secrets process costs most of a second.
    root = tmp_path_factory.mktemp("detect-secrets")
    home = root / "home"
    home.mkdir()
    repo = GitRepo.init(root / "project", home)
    text, keys = keys_file(seed=21)
    repo.write("keys.py", text)
    repo.commit("keys")
    # keylatch's own runs in this process (tests/helpers/run.py); stock detect-secrets is a child.
    plugin = run_keylatch_here("plugin-path", cwd=repo.path, home=home).out.strip()
    stock = run_ds("detect-secrets", "scan", "--plugin", plugin, "keys.py", cwd=repo.path, home=home)
    recipe = run_keylatch_here(*RECIPE_SCAN, "keys.py", cwd=repo.path, home=home)
    assert stock.code == 0 and recipe.code == 0, stock.err + recipe.err
    repo.write(BASELINE, recipe.out)
    repo.write(STOCK_BASELINE, stock.out)
    repo.commit("baselines")
    return Prepared(repo.path, tuple(keys), plugin, stock.out, recipe.out)


@pytest.fixture
def project(prepared: Prepared, tmp_path: Path, home: Path) -> GitRepo:
    """A private copy of the prepared project."""
    dest = tmp_path / "project"
    shutil.copytree(prepared.path, dest)
    return GitRepo(dest, git_env(home))


def test_stock_scan_with_plugin_path_finds_every_format_whole(prepared: Prepared) -> None:
    assert Path(prepared.plugin).is_file()
    baseline = json.loads(prepared.stock)
    # hashed_secret is SHA-1 of what the plugin reported: exactly the full keys, no fragments.
    assert ours(baseline) == {sha1(k) for k in prepared.keys}
    assert {"name": NAME, "path": f"file://{prepared.plugin}"} in baseline["plugins_used"]


def test_recipe_baseline_records_our_plugin_and_no_machine_path(prepared: Prepared) -> None:
    baseline = json.loads(prepared.recipe)
    assert ours(baseline) == {sha1(k) for k in prepared.keys}
    assert {"name": NAME} in baseline["plugins_used"]
    assert "OpenAIDetector" not in {p["name"] for p in baseline["plugins_used"]}
    assert "file://" not in prepared.recipe and str(SRC) not in prepared.recipe
    filters = {f["path"] for f in baseline["filters_used"]}
    assert "keylatch.detect_secrets_plugin.is_indirect_reference" in filters
    assert "detect_secrets.filters.heuristic.is_indirect_reference" not in filters


def test_recipe_accepts_the_stock_plugin_flag_too(keylatch: RunKeylatch, project: GitRepo, prepared: Prepared) -> None:
    res = keylatch(*RECIPE_SCAN, "--plugin", prepared.plugin, "keys.py", cwd=project.path)
    assert res.code == 0, res.err
    assert ours(json.loads(res.out)) == {sha1(k) for k in prepared.keys}
    assert "file://" not in res.out


def test_openai_client_line_is_caught_by_the_recipe_only(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], home: Path, prepared: Prepared
) -> None:
    repo = make_repo()
    key = make_key("sk-proj-", seed=8)
    repo.write("app.py", client_line(key))
    repo.commit("app")
    stock = run_ds("detect-secrets", "scan", "--plugin", prepared.plugin, "app.py", cwd=repo.path, home=home)
    assert ours(json.loads(stock.out)) == set()  # detect-secrets' is_indirect_reference drops it
    recipe = keylatch(*RECIPE_SCAN, "app.py", cwd=repo.path)
    assert ours(json.loads(recipe.out)) == {sha1(key)}
    # The hook, with a baseline made before the line existed, blocks it.
    repo.write("app.py", "from openai import OpenAI\n")
    repo.commit("app")
    repo.write(BASELINE, keylatch(*RECIPE_SCAN, "app.py", cwd=repo.path).out)
    repo.write("app.py", client_line(key))
    repo.git("add", "-A")
    hook = keylatch("detect-secrets", "hook", "--baseline", BASELINE, "app.py", cwd=repo.path)
    assert hook.code == 1
    assert OURS in hook.out
    assert "app.py:3" in hook.out


@pytest.mark.parametrize("flavour", ["stock", "recipe"])
def test_hook_blocks_a_new_key_and_passes_a_baselined_one(
    flavour: str, keylatch: RunKeylatch, project: GitRepo, home: Path
) -> None:
    def hook(*files: str) -> Result:
        if flavour == "stock":
            return run_ds("detect-secrets-hook", "--baseline", STOCK_BASELINE, *files, cwd=project.path, home=home)
        return keylatch("detect-secrets", "hook", "--baseline", BASELINE, *files, cwd=project.path)

    passed = hook("keys.py")
    assert passed.code == 0, passed.out + passed.err
    new = make_key("sk-admin-", seed=77)
    project.write("new.py", f'ADMIN = "{new}"\n')
    project.git("add", "-A")
    blocked = hook("keys.py", "new.py")
    assert blocked.code == 1
    assert OURS in blocked.out and "new.py:1" in blocked.out
    assert "keys.py" not in blocked.out


@pytest.mark.prints_secrets("audit --report --show-secrets lists the full keys")
def test_audit_report_lists_our_findings_redacted_unless_asked(
    keylatch: RunKeylatch, project: GitRepo, prepared: Prepared
) -> None:
    repo, keys = project, prepared.keys
    res = keylatch("detect-secrets", "audit", "--report", BASELINE, cwd=repo.path)  # checked redacted
    assert res.code == 0, res.err
    # Also keys that need file context to be recognised (the fixture's check cannot see those).
    assert_redacted(res.out, keys=keys)
    entries = [e for e in json.loads(res.out)["results"] if OURS in e["types"]]
    assert len(entries) == len(keys)
    # Keys that need file context are not recognised alone: they get the generic 4+4 form.
    redacted = {hits[0].secret.redacted if (hits := scan_text(k)) else Secret(k).redacted for k in keys}
    assert {e["secrets"] for e in entries} == redacted
    shown = keylatch("detect-secrets", "audit", "--report", "--show-secrets", BASELINE, cwd=repo.path)
    assert {e["secrets"] for e in json.loads(shown.out)["results"] if OURS in e["types"]} == set(keys)
    stats = keylatch("detect-secrets", "audit", "--stats", "--json", BASELINE, cwd=repo.path)
    assert json.loads(stats.out)[NAME]["stats"]["raw"]["unknown"] == len(keys)


def test_baselines_survive_a_move_to_another_machine(
    tmp_path: Path, make_repo: Callable[..., GitRepo], home: Path, keylatch: RunKeylatch
) -> None:
    # Machine A: keylatch installed in a/src; one baseline made by stock --plugin, one by the recipe.
    src_a = copy_src(tmp_path / "a" / "src")
    repo = make_repo("a/project")
    text, keys = keys_file(seed=31)
    repo.write("keys.py", text)
    repo.commit("keys")
    plugin_a = str(src_a / "keylatch" / "detect_secrets_plugin.py")
    stock = run_ds("detect-secrets", "scan", "--plugin", plugin_a, "keys.py", cwd=repo.path, home=home, src=src_a)
    repo.write("stock.baseline", stock.out)
    recipe = run_keylatch_from(src_a, *RECIPE_SCAN, "keys.py", cwd=repo.path, home=home)
    repo.write(BASELINE, recipe.out)
    repo.commit("baselines")
    # Machine B: the project lives elsewhere, keylatch is this checkout (run in this process:
    # installed anywhere but a/src); machine A's paths are gone.
    moved = tmp_path / "b" / "project"
    shutil.copytree(repo.path, moved)
    shutil.rmtree(tmp_path / "a")
    (moved / "new.py").write_text(f'K = "{make_key("sk-proj-", seed=78)}"\n')
    GitRepo(moved, repo.env).git("add", "-A")
    for name in (BASELINE, "stock.baseline"):
        # One run: the baselined keys in keys.py pass, the new key is blocked.
        res = keylatch("detect-secrets", "hook", "--baseline", name, "keys.py", "new.py", cwd=moved)
        assert res.code == 1 and "new.py:1" in res.out and "keys.py" not in res.out, (name, res.out, res.err)
    # Stock detect-secrets-hook on machine B with the stock baseline: fails open (the trap).
    trap = run_ds("detect-secrets-hook", "--baseline", "stock.baseline", "new.py", cwd=moved, home=home)
    assert trap.code == 0 and "Failed to load" in trap.err
    # Re-cataloguing through the recipe makes the stock baseline portable.
    redo = keylatch(*RECIPE_SCAN, "--baseline", "stock.baseline", "keys.py", cwd=moved)
    assert redo.code == 0, redo.err
    rewritten = (moved / "stock.baseline").read_text()
    assert "file://" not in rewritten and ours(json.loads(rewritten)) == {sha1(k) for k in keys}


def test_hook_fails_when_our_plugin_cannot_be_loaded(tmp_path: Path, project: GitRepo, home: Path) -> None:
    repo = project
    repo.write("new.py", f'K = "{make_key("sk-", seed=79)}"\n')
    repo.git("add", "-A")
    broken = copy_src(tmp_path / "broken")
    (broken / "keylatch" / "detect_secrets_plugin.py").unlink()
    hook = ("detect-secrets", "hook", "--baseline", BASELINE, "new.py")
    res = run_keylatch_from(broken, *hook, cwd=repo.path, home=home)
    assert res.code == 3
    assert res.err.startswith("keylatch: error: cannot load keylatch's detect-secrets plugin")
    path = run_keylatch_from(broken, "plugin-path", cwd=repo.path, home=home)
    assert path.code == 3 and "plugin is missing" in path.err and not path.out
    # Even stock detect-secrets-hook cannot pass this baseline without keylatch: it has no path
    # to load the plugin from, and detect-secrets errors out instead of scanning without it.
    stock = run_ds("detect-secrets-hook", "--baseline", BASELINE, "new.py", cwd=repo.path, home=home, src=None)
    assert stock.code != 0


def test_unreadable_file_fails_the_hook(keylatch: RunKeylatch, project: GitRepo) -> None:
    repo = project
    res = keylatch("detect-secrets", "hook", "--baseline", BASELINE, "missing.py", cwd=repo.path)
    assert res.code == 3 and "missing.py" in res.err


def test_negatives_give_nothing(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], home: Path, prepared: Prepared
) -> None:
    repo = make_repo()
    names = []
    for i, text in enumerate(t for rule in DEFAULT_RULES for t in rule.counterexamples):
        names.append(f"neg{i}.txt")
        repo.write(names[-1], text + "\n")
    repo.commit("negatives")
    recipe = keylatch(*RECIPE_SCAN, *names, cwd=repo.path)
    assert recipe.code == 0 and ours(json.loads(recipe.out)) == set()
    stock = run_ds("detect-secrets", "scan", "--plugin", prepared.plugin, *names, cwd=repo.path, home=home)
    assert ours(json.loads(stock.out)) == set()


def test_usage_errors_are_one_line_exit_2(keylatch: RunKeylatch, project: GitRepo) -> None:
    repo = project
    res = keylatch("detect-secrets", "scan", "--disable-plugin", NAME, "keys.py", cwd=repo.path)
    assert res.code == 2 and "cannot disable" in res.err
    res = keylatch("detect-secrets", "audit", "--report", "keys.py", cwd=repo.path)
    assert res.code == 2 and "not a valid detect-secrets baseline" in res.err
    # Interactive audit shows code lines with their keys: only at a terminal, never in CI logs.
    res = keylatch("detect-secrets", "audit", BASELINE, cwd=repo.path, input="")
    assert res.code == 2 and "needs a terminal" in res.err


def test_scan_with_spawned_workers_finds_keys_in_every_file(make_repo: Callable[..., GitRepo], home: Path) -> None:
    # detect-secrets scans several files in a multiprocessing pool; with `spawn` (the macOS
    # default) each worker rebuilds its plugin catalogue from settings alone.
    repo = make_repo()
    keys = [make_key("sk-proj-", seed=s) for s in range(3)]
    for i, key in enumerate(keys):
        repo.write(f"k{i}.py", f'KEY = "{key}"\n')
    repo.commit("keys")
    script = (
        "import multiprocessing, sys\n"
        "if __name__ == '__main__':\n"
        "    multiprocessing.set_start_method('spawn')\n"
        "    from keylatch.cli import main\n"
        "    sys.exit(main(sys.argv[1:]))\n"
    )
    env = git_env(home)
    env["PYTHONPATH"] = str(SRC)
    proc = subprocess.run(
        [sys.executable, "-c", script, *RECIPE_SCAN, "k0.py", "k1.py", "k2.py"],
        cwd=repo.path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert_redacted(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stderr
    assert ours(json.loads(proc.stdout)) == {sha1(k) for k in keys}
    assert "file://" not in proc.stdout


def test_pre_commit_runs_the_recipe_hook(tmp_path: Path, project: GitRepo, home: Path) -> None:
    repo = project
    repo.write(".pre-commit-config.yaml", PRE_COMMIT_CONFIG)
    repo.commit("hook")
    # `language: system` runs the installed `keylatch`; this one runs this checkout's.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "keylatch"
    exe.write_text(f'#!/bin/sh\nPYTHONPATH="{SRC}" exec "{sys.executable}" -m keylatch "$@"\n')
    exe.chmod(0o755)
    env = git_env(home)
    env.update(PATH=f"{bin_dir}:{env['PATH']}", PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))

    def pre_commit(*files: str) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "pre_commit", "run", "--files", *files],
            cwd=repo.path, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert_redacted(proc.stdout, proc.stderr)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    ok = pre_commit("keys.py")
    assert ok.code == 0, ok.out + ok.err
    repo.write("new.py", client_line(make_key("sk-svcacct-", seed=80)))
    repo.git("add", "-A")
    blocked = pre_commit("keys.py", "new.py")
    assert blocked.code == 1
    assert "new.py:3" in blocked.out and "keys.py:" not in blocked.out


PRE_COMMIT_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: detect-secrets
        name: detect-secrets with keylatch
        entry: keylatch detect-secrets hook --baseline .secrets.baseline
        language: system
"""


def context_files() -> tuple[dict[str, bytes], list[str]]:
    """The issue's contexts, one file each (detect-secrets treats files by their extension).

    Keys inside base64 are OpenAI ones: the engine looks for the encoded OpenAI marker.
    """
    sk_kinds = [k for k in ALL_KINDS if k.startswith("sk-")] + ["azure"]
    keys: list[str] = []

    def key(kind: str = "") -> str:
        keys.append(make_key(kind or sk_kinds[len(keys) % len(sk_kinds)], seed=100 + len(keys)))
        return keys[-1]

    notebook = {"cells": [{"cell_type": "code", "source": [f'client = OpenAI(api_key="{key()}")\n']}]}
    files = {
        ".env": f"OPENAI_API_KEY={key()}\n",
        "export.sh": f'export OPENAI_API_KEY="{key()}"\n',
        "config.yaml": f"openai:\n  api_key: {key()}\n",
        "config.toml": f'[openai]\napi_key = "{key()}"\n',
        "config.json": json.dumps({"openai": {"api_key": key()}}) + "\n",
        "notebook.ipynb": json.dumps(notebook, indent=1) + "\n",
        "README.md": f"```sh\nexport OPENAI_API_KEY={key()}\n```\n",
        "Dockerfile": f"FROM python:3.12\nENV OPENAI_API_KEY={key()}\n",
        "curl.sh": f'curl -H "Authorization: Bearer {key()}" https://api.openai.com/v1/models\n',
        "url.txt": f"https://example.test/v1?key={key()}&mode=x\n",
        "urlencoded.txt": f"q=%22{key()}%22\n",
        "escaped.txt": f'msg = "first\\n{key()}"\n',
        "punctuation.txt": "".join(f"x({key()}{ch}\n" for ch in ",)]}><&|;"),
        "crlf.env": f"A=1\r\nOPENAI_API_KEY={key()}\r\nB=2\r\n",
        "no-newline.txt": key(),
        "several.txt": f"{key()} {key()},{key()}\n",
        "secret.yaml": "apiVersion: v1\nkind: Secret\ndata:\n  OPENAI_API_KEY: "
        + base64.b64encode(key("sk-proj-").encode()).decode()
        + "\n",
        "env.b64": base64.b64encode(f"OPENAI_API_KEY={key()}\n".encode()).decode() + "\n",
    }
    return {name: text.encode() for name, text in files.items()}, keys


def test_recipe_finds_full_keys_in_every_context(keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo()
    files, keys = context_files()
    for name, data in files.items():
        repo.write(name, data)
    repo.commit("contexts")
    res = keylatch(*RECIPE_SCAN, *files, cwd=repo.path)
    assert res.code == 0, res.err
    results = json.loads(res.out)["results"]
    found = {r["hashed_secret"] for rs in results.values() for r in rs if r["type"] == OURS}
    missed = [name for name, data in files.items() for k in keys if k.encode() in data and sha1(k) not in found]
    assert not missed
    assert found == {sha1(k) for k in keys}


def test_scanning_a_directory_outside_git_is_refused(keylatch: RunKeylatch, tmp_path: Path) -> None:
    # detect-secrets would list no files there and write an empty baseline.
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "keys.py").write_text(f'K = "{make_key("sk-proj-", seed=81)}"\n')
    refused = keylatch(*RECIPE_SCAN, cwd=plain)
    assert refused.code == 2 and "--all-files" in refused.err
    every = keylatch(*RECIPE_SCAN, "--all-files", cwd=plain)
    assert every.code == 0 and ours(json.loads(every.out)) == {sha1(make_key("sk-proj-", seed=81))}


# detect-secrets treats some files by extension (YAML, ini, ...): give each context its own.
SUFFIX = {"yaml": ".yaml", "yaml-quoted": ".yaml", "toml": ".toml", "json": ".json", "notebook": ".ipynb",
          "markdown": ".md", "dotenv": ".env", "dotenv-quoted": ".env", "xml": ".xml", "js": ".js",
          "python-call": ".py", "export": ".sh", "curl": ".sh"}  # fmt: skip


def test_recipe_matches_keylatch_scan_on_the_shared_contexts(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    repo = make_repo()
    expected = set()
    for i, (kind, context, text, key) in enumerate(cases()):
        name = f"{i:03d}-{kind.strip('-_')}-{context}{SUFFIX.get(context, '.txt')}"
        repo.write(name, text.encode())
        expected.add((name, sha1(key)))
    for name, text in negatives().items():
        repo.write(f"neg-{name}.txt", text)
    repo.commit("contexts")
    res = keylatch(*RECIPE_SCAN, cwd=repo.path)
    assert res.code == 0, res.err
    results = json.loads(res.out)["results"]
    found = {(path, r["hashed_secret"]) for path, rs in results.items() for r in rs if r["type"] == OURS}
    assert sorted(path for path, _ in found ^ expected) == []
