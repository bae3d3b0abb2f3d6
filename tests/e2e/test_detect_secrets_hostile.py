"""A detect-secrets baseline is repository content: `keylatch detect-secrets` never runs its code.

Each hostile baseline names Python that writes a marker file when imported; no marker may ever
appear, whatever the action (scan, hook, audit) and however the path is spelt. The user's own
command line (`--plugin`, `--filter`) is trusted. Filters a baseline configures never hide a key
keylatch's plugin finds: only the baseline's entry for that exact secret, or a `pragma: allowlist
secret` on its line, lets the hook pass.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC, Result, RunKeylatch, in_process

pytestmark = pytest.mark.e2e

OURS = "keylatch OpenAI key"
NAME = "KeylatchOpenAIDetector"
BASELINE = ".secrets.baseline"
RECIPE_SCAN = ("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector")
PLUGIN_FILE = SRC / "keylatch" / "detect_secrets_plugin.py"

EVIL = """\
from pathlib import Path

Path({marker!r}).touch()

from detect_secrets.plugins.base import RegexBasedDetector


class EvilDetector(RegexBasedDetector):
    secret_type = "evil"
    denylist = ()


def should_exclude_line(line):
    return True


def should_exclude_file(filename):
    return True
"""


def sha1(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()


def ours(baseline: dict[str, Any]) -> set[tuple[str, str]]:
    """(file, hash) of every secret keylatch's plugin catalogued."""
    return {(f, r["hashed_secret"]) for f, rs in baseline["results"].items() for r in rs if r["type"] == OURS}


@dataclass(frozen=True)
class Project:
    repo: GitRepo
    key: str
    marker: Path  # written by any import of the hostile code

    @property
    def path(self) -> Path:
        return self.repo.path

    def baseline(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / BASELINE).read_text())
        return data

    def save(self, baseline: dict[str, Any]) -> None:
        self.repo.write(BASELINE, json.dumps(baseline, indent=2) + "\n")
        self.repo.git("add", "-A")  # the hook refuses an unstaged baseline before scanning


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with a key committed and the baseline a fresh `detect-secrets scan` writes of
    it (not yet committed), made once per module and copied by each `project`.

    The baseline holds no path of the machine (tests/e2e/test_detect_secrets_e2e.py), so every
    copy's is the one that copy's own scan would write. (Round 19 made it per test: made once, a
    later test's in-process hook had trimmed its Base64 High Entropy String entry, because an
    earlier test's `--exclude-secrets .*` outlived its run in detect-secrets' caches;
    detect_secrets_runner now clears them whole, tests/e2e/test_detect_secrets_reruns.py. And
    this one is made before any test of the module runs.)"""
    root = tmp_path_factory.mktemp("ds-hostile")
    home = root / "home"
    home.mkdir()
    repo = GitRepo.init(root / "repo", home)
    repo.write("keys.py", f'KEY = "{make_key("sk-proj-", seed=61)}"\n')
    repo.commit("keys")
    made = in_process((*RECIPE_SCAN, "keys.py"), repo.path, dict(repo.env, PYTHONPATH=str(SRC)), None)
    assert made.code == 0, made.err
    assert_redacted(made.out, made.err)
    repo.write(BASELINE, made.out)
    return repo.path


@pytest.fixture
def project(keyed: Path, home: Path, tmp_path: Path) -> Project:
    """A repository with a baselined key and, committed next to it, a hostile module."""
    repo = GitRepo(copy_tree(keyed, tmp_path / "repo"), git_env(home))
    key = make_key("sk-proj-", seed=61)
    marker = tmp_path / "IMPORTED"
    repo.write("evil.py", EVIL.format(marker=str(marker)))
    repo.write("evilmod.py", EVIL.format(marker=str(marker)))
    repo.commit("baseline")
    # Elsewhere on disk too: a copy of keylatch's own plugin file that also writes the marker.
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text(EVIL.format(marker=str(marker)))
    copy = outside / "detect_secrets_plugin.py"
    copy.write_text(PLUGIN_FILE.read_text() + f"\nfrom pathlib import Path\nPath({str(marker)!r}).touch()\n")
    assert not marker.exists()
    return Project(repo, key, marker)


def run_action(keylatch: RunKeylatch, project: Project, action: str, *extra: str) -> Result:
    if action == "scan":
        return keylatch(*RECIPE_SCAN, *extra, "--baseline", BASELINE, "keys.py", cwd=project.path)
    if action == "hook":
        return keylatch("detect-secrets", "hook", *extra, "--baseline", BASELINE, "keys.py", cwd=project.path)
    return keylatch("detect-secrets", "audit", "--report", BASELINE, cwd=project.path)


ACTIONS = ("scan", "hook", "audit")


def plugin_paths(tmp_path: Path) -> dict[str, str]:
    outside = tmp_path / "outside"
    return {
        "file-url": f"file://{outside / 'evil.py'}",
        "plain": str(outside / "evil.py"),
        "relative": "evil.py",
        "relative-url": "file://evil.py",
        "dotdot": f"file://{outside / '..' / 'outside' / 'evil.py'}",
        "copy-of-keylatch": f"file://{outside / 'detect_secrets_plugin.py'}",
    }


def filter_paths(tmp_path: Path) -> dict[str, str]:
    outside = tmp_path / "outside"
    return {
        "file-url": f"file://{outside / 'evil.py'}::should_exclude_line",
        "relative-url": "file://evil.py::should_exclude_line",
        "relative": "evil.py::should_exclude_line",  # imported as module `evil` from sys.path
        "module": "evilmod.should_exclude_line",  # a module in the repository (the cwd)
        "copy-of-keylatch": f"file://{outside / 'detect_secrets_plugin.py'}::is_indirect_reference",
        "keylatch-lookalike": "keylatch.detect_secrets_plugin.KeylatchOpenAIDetector",
    }


PLUGIN_CASES = [(name, form) for form in plugin_paths(Path("/x")) for name in ["EvilDetector"]] + [
    ("AWSKeyDetector", "file-url"),  # a built-in's name does not make a path safe
    ("KeylatchOpenAIDetectorX", "copy-of-keylatch"),
]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(("name", "form"), PLUGIN_CASES)
def test_a_baseline_plugin_path_is_refused_and_never_imported(
    keylatch: RunKeylatch, project: Project, tmp_path: Path, action: str, form: str, name: str
) -> None:
    baseline = project.baseline()
    baseline["plugins_used"].append({"name": name, "path": plugin_paths(tmp_path)[form]})
    project.save(baseline)
    res = run_action(keylatch, project, action)
    assert not project.marker.exists()
    assert res.code == 2, (res.code, res.out, res.err)
    (line,) = res.err.splitlines()
    assert line.startswith(f"keylatch: error: {BASELINE}: plugins_used ")
    assert name in line and "--plugin" in line
    assert res.out == ""


@pytest.mark.parametrize("action", ACTIONS)
def test_a_baseline_plugin_path_is_refused_by_a_child_process_too(
    keylatch_process: RunKeylatch, project: Project, tmp_path: Path, action: str
) -> None:
    # The cells above run in this process (tests/helpers/run.py); this is the real process.
    baseline = project.baseline()
    baseline["plugins_used"].append({"name": "EvilDetector", "path": plugin_paths(tmp_path)["file-url"]})
    project.save(baseline)
    res = run_action(keylatch_process, project, action)
    assert not project.marker.exists()
    assert (res.code, res.out) == (2, ""), res.err
    assert res.err.startswith(f"keylatch: error: {BASELINE}: plugins_used ") and len(res.err.splitlines()) == 1


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("form", list(plugin_paths(Path("/x"))))
def test_keylatchs_own_entry_never_loads_its_recorded_path(
    keylatch: RunKeylatch, project: Project, tmp_path: Path, action: str, form: str
) -> None:
    # A baseline from another machine records our plugin under its path there: keylatch always
    # uses the plugin it ships, so the recorded path is ignored, whatever it points at.
    baseline = project.baseline()
    baseline["plugins_used"] = [
        {"name": NAME, "path": plugin_paths(tmp_path)[form]} if p["name"] == NAME else p
        for p in baseline["plugins_used"]
    ]
    project.save(baseline)
    res = run_action(keylatch, project, action)
    assert not project.marker.exists()
    assert res.code == 0, (res.out, res.err)
    if action == "scan":  # rewritten without the path, the key still catalogued
        rewritten = project.baseline()
        assert {"name": NAME} in rewritten["plugins_used"]
        assert ours(rewritten) == {("keys.py", sha1(project.key))}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("form", list(filter_paths(Path("/x"))))
def test_a_baseline_filter_outside_detect_secrets_is_refused_and_never_imported(
    keylatch: RunKeylatch, project: Project, tmp_path: Path, action: str, form: str
) -> None:
    baseline = project.baseline()
    baseline["filters_used"].append({"path": filter_paths(tmp_path)[form]})
    project.save(baseline)
    res = run_action(keylatch, project, action)
    assert not project.marker.exists()
    assert res.code == 2, (res.code, res.out, res.err)
    (line,) = res.err.splitlines()
    assert line.startswith(f"keylatch: error: {BASELINE}: filters_used ")
    assert "--filter" in line


@pytest.mark.parametrize(
    ("path", "action"),
    [("os.system", action) for action in ACTIONS]
    + [("subprocess.getoutput", "hook"), ("doctest.testfile", "hook"), ("detect_secrets.main.main", "hook")],
)
def test_a_baseline_filter_naming_any_other_function_is_refused(
    keylatch: RunKeylatch, project: Project, action: str, path: str
) -> None:
    baseline = project.baseline()
    baseline["filters_used"].append({"path": path})
    project.save(baseline)
    res = run_action(keylatch, project, action)
    assert res.code == 2, (res.code, res.out, res.err)
    assert path in res.err and len(res.err.splitlines()) == 1


@pytest.mark.parametrize("action", ACTIONS)
def test_legacy_custom_plugin_paths_are_refused_and_never_imported(
    keylatch: RunKeylatch, project: Project, action: str
) -> None:
    # detect-secrets < 1.0 baselines list plugin files here; upgrading one imports them.
    baseline = project.baseline()
    baseline["version"] = "0.14.3"
    baseline["custom_plugin_paths"] = ["evil.py"]
    project.save(baseline)
    res = run_action(keylatch, project, action)
    assert not project.marker.exists()
    assert res.code == 2, (res.code, res.out, res.err)
    assert "custom_plugin_paths" in res.err and len(res.err.splitlines()) == 1


@pytest.mark.parametrize("action", ACTIONS)
def test_the_refusal_names_the_entry_escaped_and_short(keylatch: RunKeylatch, project: Project, action: str) -> None:
    key = make_key("sk-proj-", seed=62)
    name = "Evil\x1b[31m\nDetector" + "x" * 500 + key
    baseline = project.baseline()
    baseline["plugins_used"].append({"name": name, "path": "file://evil.py"})
    project.save(baseline)
    res = run_action(keylatch, project, action)  # the fixture checks no full key is printed
    assert res.code == 2
    (line,) = res.err.splitlines()
    assert "\x1b" not in line and "\\x1b" in line and "\\n" in line
    assert len(line) < 400


@pytest.mark.parametrize("malformed", [[1], [{"path": "x"}], [{"name": 3}], {"name": NAME}])
def test_a_malformed_plugin_list_is_a_configuration_error(
    keylatch: RunKeylatch, project: Project, malformed: object
) -> None:
    baseline = project.baseline()
    baseline["plugins_used"] = malformed
    project.save(baseline)
    res = run_action(keylatch, project, "hook")
    assert res.code == 2 and len(res.err.splitlines()) == 1, (res.out, res.err)


@pytest.mark.parametrize("action", ["hook", "audit"])
@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe\x00{", b"not json", b"[]"],
    ids=["deep", "binary", "text", "list"],
)
def test_an_unreadable_baseline_is_one_line_exit_2(
    keylatch: RunKeylatch, project: Project, action: str, content: bytes
) -> None:
    project.repo.write(BASELINE, content)
    project.repo.git("add", "-A")
    res = run_action(keylatch, project, action)
    assert res.code == 2 and res.err.startswith("keylatch: error: not a valid detect-secrets baseline: "), res.err
    assert len(res.err.splitlines()) == 1


def test_unknown_plugin_names_and_bad_filter_settings_are_configuration_errors(
    keylatch: RunKeylatch, project: Project
) -> None:
    ds = "detect_secrets.filters."
    cases: list[tuple[str, dict[str, Any]]] = [
        ("plugins_used", {"name": "NoSuchDetector"}),
        ("plugins_used", {"name": NAME, "limit": 3}),
        ("filters_used", {"path": ds + "regex.should_exclude_line", "pattern": ["("]}),
        ("filters_used", {"path": ds + "regex.should_exclude_file", "pattern": "x"}),
        ("filters_used", {"path": ds + "common.is_ignored_due_to_verification_policies", "min_level": 9}),
        ("filters_used", {"path": ds + "wordlist.should_exclude_secret", "file_name": "/dev/zero", "min_length": 3}),
    ]
    original = project.baseline()
    for section, entry in cases:
        baseline = json.loads(json.dumps(original))
        baseline[section].append(entry)
        project.save(baseline)
        res = run_action(keylatch, project, "hook")
        assert res.code == 2 and len(res.err.splitlines()) == 1, (entry, res.out, res.err)


def test_a_plugin_the_user_names_on_the_command_line_is_trusted(keylatch: RunKeylatch, project: Project) -> None:
    plugin = str(project.path / "evil.py")
    made = keylatch(*RECIPE_SCAN, "--plugin", plugin, "keys.py", cwd=project.path)
    assert made.code == 0, made.err
    assert project.marker.exists()  # the user asked for it
    baseline = json.loads(made.out)
    assert {"name": "EvilDetector", "path": f"file://{plugin}"} in baseline["plugins_used"]
    project.save(baseline)
    project.marker.unlink()
    # The same baseline, with and without the user naming the file (relative this time).
    trusted = keylatch(
        "detect-secrets", "hook", "--plugin", "evil.py", "--baseline", BASELINE, "keys.py", cwd=project.path
    )
    assert trusted.code == 0, trusted.err
    project.marker.unlink()
    refused = run_action(keylatch, project, "hook")
    assert refused.code == 2 and "EvilDetector" in refused.err
    assert not project.marker.exists()
    # A plugin of the same class name from another path on the command line replaces the
    # recorded one (detect-secrets' own precedence), so a moved checkout still works.
    moved = project.path / "plugins"
    moved.mkdir()
    shutil.copy(project.path / "evil.py", moved / "evil.py")
    again = keylatch(
        "detect-secrets", "hook", "--plugin", "plugins/evil.py", "--baseline", BASELINE, "keys.py", cwd=project.path
    )
    assert again.code == 0, again.err


def test_a_filter_the_user_names_on_the_command_line_is_trusted(keylatch: RunKeylatch, project: Project) -> None:
    custom = f"file://{project.path / 'evil.py'}::should_exclude_file"
    made = keylatch(*RECIPE_SCAN, "--filter", custom, "keys.py", cwd=project.path)
    assert made.code == 0, made.err
    assert project.marker.exists()
    baseline = json.loads(made.out)
    assert {"path": custom} in baseline["filters_used"]
    # keylatch's key is still catalogued: a filter never hides what keylatch's plugin finds.
    assert ours(baseline) == {("keys.py", sha1(project.key))}
    project.save(baseline)
    project.marker.unlink()
    trusted = keylatch(
        "detect-secrets", "hook", "--filter", custom, "--baseline", BASELINE, "keys.py", cwd=project.path
    )
    assert trusted.code == 0, trusted.err
    project.marker.unlink()
    refused = run_action(keylatch, project, "hook")
    assert refused.code == 2 and "evil.py" in refused.err
    assert not project.marker.exists()


# --- filters never hide keylatch's findings ---

EVERYTHING: dict[str, dict[str, Any]] = {
    "lines": {"path": "detect_secrets.filters.regex.should_exclude_line", "pattern": [".*"]},
    "files": {"path": "detect_secrets.filters.regex.should_exclude_file", "pattern": [".*"]},
    "secrets": {"path": "detect_secrets.filters.regex.should_exclude_secret", "pattern": [".*"]},
    "this-file": {"path": "detect_secrets.filters.regex.should_exclude_file", "pattern": ["^new\\.py$"]},
    "this-line": {"path": "detect_secrets.filters.regex.should_exclude_line", "pattern": ["^NEW ="]},
    "key-prefix": {"path": "detect_secrets.filters.regex.should_exclude_secret", "pattern": ["^sk-"]},
}


@pytest.mark.parametrize("name", list(EVERYTHING))
def test_baseline_filters_never_hide_a_new_key_from_the_hook(
    keylatch: RunKeylatch, project: Project, name: str
) -> None:
    baseline = project.baseline()
    baseline["filters_used"] = [f for f in baseline["filters_used"] if f["path"] != EVERYTHING[name]["path"]]
    baseline["filters_used"].append(EVERYTHING[name])
    project.save(baseline)
    new = make_key("sk-proj-", seed=63)
    project.repo.write("new.py", f'NEW = "{new}"\n')
    project.repo.git("add", "-A")
    res = keylatch("detect-secrets", "hook", "--baseline", BASELINE, "keys.py", "new.py", cwd=project.path)
    assert res.code == 1, (res.out, res.err)
    assert OURS in res.out and "new.py:1" in res.out
    assert "keys.py" not in res.out  # the baselined key still passes
    # And `scan --baseline` keeps cataloguing every key, so scan and hook agree.
    redo = keylatch(*RECIPE_SCAN, "--baseline", BASELINE, "keys.py", "new.py", cwd=project.path)
    assert redo.code == 0, redo.err
    assert ours(project.baseline()) == {("keys.py", sha1(project.key)), ("new.py", sha1(new))}


@pytest.mark.parametrize(
    "flags",
    [("--exclude-lines", ".*"), ("--exclude-files", ".*"), ("--exclude-secrets", ".*"), ("--only-verified",)],
    ids=lambda f: f[0],
)
def test_command_line_exclusions_never_hide_a_key_either(
    keylatch: RunKeylatch, project: Project, flags: tuple[str, ...]
) -> None:
    new = make_key("sk-svcacct-", seed=64)
    project.repo.write("new.py", f'NEW = "{new}"\n')
    project.repo.git("add", "-A")
    res = keylatch("detect-secrets", "hook", *flags, "--baseline", BASELINE, "new.py", cwd=project.path)
    assert res.code == 1 and "new.py:1" in res.out, (res.out, res.err)


def test_a_key_in_a_file_named_like_the_baseline_is_found(keylatch: RunKeylatch, project: Project) -> None:
    # detect-secrets skips every file whose basename is the baseline's, in any directory.
    new = make_key("sk-proj-", seed=65)
    project.repo.write(f"sub/{BASELINE}", f'{{"note": "{new}"}}\n')
    project.repo.git("add", "-A")
    res = keylatch("detect-secrets", "hook", "--baseline", BASELINE, f"sub/{BASELINE}", BASELINE, cwd=project.path)
    assert res.code == 1, (res.out, res.err)
    assert f"sub/{BASELINE}:1" in res.out


def test_the_allowlist_pragma_and_the_exact_baseline_entry_still_let_a_key_pass(
    keylatch: RunKeylatch, project: Project
) -> None:
    first, second = make_key("sk-proj-", seed=66), make_key("sk-proj-", seed=69)
    project.repo.write(
        "new.py",
        f'NEW = "{first}"  # pragma: allowlist secret\n# pragma: allowlist nextline secret\nB = "{second}"\n',
    )
    project.repo.git("add", "-A")
    res = keylatch("detect-secrets", "hook", "--baseline", BASELINE, "keys.py", "new.py", cwd=project.path)
    assert res.code == 0, (res.out, res.err)


@pytest.mark.parametrize(
    ("name", "content"),
    [("style.css", b"a { }\n/* %s */\n"), ("app.js.map", b'{"x": 1}\n"%s"\n'), ("latin1.py", b"# caf\xe9\nK = '%s'\n")],
)
def test_keys_in_files_detect_secrets_never_reads_block_the_hook(
    keylatch: RunKeylatch, project: Project, name: str, content: bytes
) -> None:
    # detect-secrets skips "binary" extensions (.css, .map, .lock ...) and any file that is not
    # all UTF-8; `keylatch scan` reads them, and so does keylatch's pass in the hook.
    new = make_key("sk-proj-", seed=71)
    project.repo.write(name, content % new.encode())
    project.repo.git("add", "-A")
    res = keylatch("detect-secrets", "hook", "--baseline", BASELINE, name, cwd=project.path)
    assert res.code == 1 and f"{name}:2" in res.out, (res.out, res.err)


def test_an_unavailable_filter_feature_is_a_configuration_error(keylatch: RunKeylatch, project: Project) -> None:
    # The word list and gibberish filters need packages detect-secrets does not install.
    pytest.importorskip("detect_secrets")
    if importlib.util.find_spec("ahocorasick") is not None:
        pytest.skip("pyahocorasick is installed here")
    words = project.path / "words.txt"
    words.write_text("proj\n")
    baseline = project.baseline()
    baseline["filters_used"].append(
        {
            "path": "detect_secrets.filters.wordlist.should_exclude_secret",
            "file_name": "words.txt",
            "min_length": 3,
            "file_hash": hashlib.sha1(b"proj\n").hexdigest(),
        }
    )
    project.save(baseline)
    res = run_action(keylatch, project, "hook")
    assert res.code == 2 and len(res.err.splitlines()) == 1, (res.out, res.err)
    assert "ahocorasick" in res.err


def test_each_key_is_catalogued_once_per_file(keylatch: RunKeylatch, project: Project) -> None:
    # detect-secrets' pass and keylatch's find the same keys; several files go through workers.
    keys = [make_key("sk-proj-", seed=67), make_key("sk-admin-", seed=68)]
    for i, key in enumerate(keys):
        project.repo.write(f"d/k{i}.py", f'A = "{key}"\nB = "{key}"\n')
    project.repo.commit("more keys")
    res = keylatch(*RECIPE_SCAN, cwd=project.path)
    assert res.code == 0, res.err
    entries = [
        (f, r["hashed_secret"]) for f, rs in json.loads(res.out)["results"].items() for r in rs if r["type"] == OURS
    ]
    assert sorted(entries) == sorted(
        {("keys.py", sha1(project.key))} | {(f"d/k{i}.py", sha1(k)) for i, k in enumerate(keys)}
    )


def test_a_fifo_given_to_the_hook_fails_it_without_blocking(keylatch: RunKeylatch, project: Project) -> None:
    os.mkfifo(project.path / "pipe.py")
    res = keylatch("detect-secrets", "hook", "--baseline", BASELINE, "keys.py", "pipe.py", cwd=project.path)
    assert res.code == 3 and res.err == "keylatch: error: cannot read pipe.py: not a regular file\n"


# --- exit codes ---


def test_hook_exit_codes_tell_a_rewritten_baseline_from_a_failed_scan(keylatch: RunKeylatch, project: Project) -> None:
    # A line above the key moves it: detect-secrets rewrites the baseline's line number.
    project.repo.write("keys.py", "# moved\n" + (project.path / "keys.py").read_text())
    project.repo.git("add", "-A")
    before = (project.path / BASELINE).read_text()
    updated = run_action(keylatch, project, "hook")
    assert updated.code == 1, (updated.out, updated.err)
    assert "The baseline file was updated" in updated.out and "keylatch: error" not in updated.err
    assert (project.path / BASELINE).read_text() != before
    project.repo.git("add", "-A")
    assert run_action(keylatch, project, "hook").code == 0
    # Could not scan: exit 3, one error line, nothing on stdout, the baseline untouched.
    before = (project.path / BASELINE).read_text()
    failed = keylatch("detect-secrets", "hook", "--baseline", BASELINE, "keys.py", "gone.py", cwd=project.path)
    assert failed.code == 3 and failed.out == ""
    assert failed.err.startswith("keylatch: error: cannot read gone.py")
    assert (project.path / BASELINE).read_text() == before


# --- detect-secrets' own git calls (rev-parse, ls-files, diff --name-only) run hardened ---


def hostile_fsmonitor(project: Project, tmp_path: Path, how: str) -> Path:
    # A changed, staged file first: git's own `add` here would run the fsmonitor too.
    project.repo.write("keys.py", (project.path / "keys.py").read_text() + "# changed\n")
    project.repo.git("add", "-A")
    marker = tmp_path / "FSMONITOR"
    script = tmp_path / "fsmonitor.sh"
    script.write_text(f"#!/bin/sh\ntouch '{marker}'\nexit 1\n")
    script.chmod(0o755)
    included = tmp_path / "included.gitconfig"
    included.write_text(f"[core]\n\tfsmonitor = {script}\n")
    if how == "config":
        project.repo.git("config", "core.fsmonitor", str(script))
    elif how == "include.path":
        project.repo.git("config", "include.path", str(included))
    else:
        project.repo.git("config", f"includeIf.gitdir:{project.path}/.git.path", str(included))
    return marker


@pytest.mark.parametrize("how", ["config", "include.path", "includeIf"])
def test_scan_never_runs_the_repositorys_fsmonitor(
    keylatch: RunKeylatch, project: Project, tmp_path: Path, how: str
) -> None:
    marker = hostile_fsmonitor(project, tmp_path, how)
    res = keylatch(*RECIPE_SCAN, cwd=project.path)  # a directory: detect-secrets lists it with git
    assert res.code == 0 and "keys.py" in json.loads(res.out)["results"], res.err
    assert not marker.exists()


@pytest.mark.parametrize("how", ["config", "include.path", "includeIf"])
def test_hook_never_runs_the_repositorys_fsmonitor(
    keylatch: RunKeylatch, project: Project, tmp_path: Path, how: str
) -> None:
    marker = hostile_fsmonitor(project, tmp_path, how)
    res = run_action(keylatch, project, "hook")
    assert res.code == 0, (res.out, res.err)
    assert not marker.exists()


def test_hook_never_runs_the_repositorys_clean_filter(keylatch: RunKeylatch, project: Project, tmp_path: Path) -> None:
    # `git diff --name-only` (the hook's "is the baseline staged?") re-hashes racily clean files
    # through their clean filter.
    marker = tmp_path / "FILTER"
    project.repo.git("config", "filter.x.clean", f"touch '{marker}'; cat")
    project.repo.git("config", "core.checkStat", "minimal")
    project.repo.git("config", "core.trustctime", "false")
    (project.path / ".git" / "info").mkdir(exist_ok=True)
    (project.path / ".git" / "info" / "attributes").write_text("* filter=x\n")
    marker.unlink(missing_ok=True)
    index = project.path / ".git" / "index"
    os.utime(index, (1_000_000_000, 1_000_000_000))
    res = run_action(keylatch, project, "hook")
    assert res.code == 0, (res.out, res.err)
    assert not marker.exists()
