"""`keylatch org merge`: one report over every repository, SARIF per repository, `--verify` once per key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from keylatch.rules.synthetic import make_key
from tests.conftest import PLANTED
from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.openai_emulator import emulator
from tests.helpers.orgrepos import SHARED, build
from tests.helpers.redaction import assert_redacted, leaks, snapshot, written
from tests.helpers.run import SRC, RunKeylatch, in_process

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "sarif-schema-2.1.0.json").read_text())
UNIQUE = ("sk-proj-", 60)


@pytest.fixture(scope="module")
def scanned_once(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four hosted repositories, their plan and one org scan of them, made once per module (the
    scan is the costly part); `scanned` gives each test its own copy of the plan and results.
    The two runs get the checks every `keylatch` fixture run gets: redacted output, and no
    planted key in what they print or in the files they write (tests/conftest.py)."""
    root = tmp_path_factory.mktemp("scanned")
    home = root / "home"
    home.mkdir()

    def make_repo(name: str) -> GitRepo:
        return GitRepo.init(root / name, home)

    urls = build(make_repo, ["a", "b", "c", "d"], {"a": [SHARED], "b": [SHARED], "c": [SHARED, UNIQUE]})
    missing = (root / "hosted" / "never").as_uri()
    listing = root / "repos.txt"
    listing.write_text("".join(u + "\n" for u in urls.values()))
    env = {k: v for k, v in git_env(home).items() if k not in ("CI", "NO_COLOR")} | {"PYTHONPATH": str(SRC)}
    for argv, code in (
        (("org", "plan", "--repos", str(listing), "-o", str(root / "plan.jsonl")), 0),
        (
            (
                "org",
                "scan",
                str(root / "plan.jsonl"),
                "--out",
                str(root / "out"),
                "--keep-clones",
                str(root / "clones"),
            ),
            1,
        ),
    ):
        before = snapshot(root)
        res = in_process(argv, None, env, None)
        assert res.code == code, res.err
        assert_redacted(res.out, res.err)
        seen = [("stdout", res.out), ("stderr", res.err), *written(root, before)]
        assert not leaks(request.config.stash[PLANTED], seen)
    with (root / "plan.jsonl").open("a") as fh:  # a repository the scan never reached
        entry = {"auth": "", "clone_url": missing, "default_branch": "", "head": "", "repository": "zz/never"}
        fh.write(json.dumps(entry | {"size": 0}) + "\n")
    return root


@pytest.fixture
def scanned(scanned_once: Path, tmp_path: Path) -> Path:
    """The module's plan, results and kept clones, copied into this test's directory (the hosted
    repositories they name stay where they were built: nothing writes to them)."""
    for name in ("repos.txt", "plan.jsonl"):
        shutil.copy2(scanned_once / name, tmp_path / name)
    for name in ("out", "clones"):
        copy_tree(scanned_once / name, tmp_path / name)
    return tmp_path


def test_sarif_has_one_run_per_repository_and_says_which_were_not_scanned(keylatch: RunKeylatch, scanned: Path) -> None:
    res = keylatch("org", "merge", str(scanned / "out"), "--plan", str(scanned / "plan.jsonl"), "-f", "sarif")
    assert res.code == 3
    doc = json.loads(res.out)
    jsonschema.validate(doc, SCHEMA)
    runs = {r["automationDetails"]["id"].rsplit("/", 1)[-1]: r for r in doc["runs"]}
    assert sorted(runs) == ["a", "b", "c", "d", "never"]
    assert [len(runs[n]["results"]) for n in "abcd"] == [1, 1, 2, 0]
    assert runs["never"]["invocations"][0]["executionSuccessful"] is False
    fingerprints = {r["partialFingerprints"]["keylatchKeyHash/v1"] for n in "abc" for r in runs[n]["results"]}
    assert len(fingerprints) == 2


@pytest.mark.parametrize("kept", [True, False], ids=["kept-mirrors", "fresh-clone"])
def test_verify_asks_once_per_key_for_the_whole_organisation(keylatch: RunKeylatch, scanned: Path, kept: bool) -> None:
    shared, unique = make_key(*SHARED[:1], seed=SHARED[1]), make_key(UNIQUE[0], seed=UNIQUE[1])
    clones = ("--clones", str(scanned / "clones")) if kept else ()
    with emulator() as api:
        api.answer(shared, "revoked")
        api.answer(unique, "live")
        res = keylatch("org", "merge", str(scanned / "out"), "-f", "json", "--verify", "--verify-url", api.url,
                       "--no-verify-cache", *clones)  # fmt: skip
        assert len(api.seen(shared)) == 1 and len(api.seen(unique)) == 1
    assert res.code == 1, res.err  # complete: the plan the scan copied has no zz/never
    keys = json.loads(res.out)["keys"]
    assert [k["verification"]["verdict"] for k in keys] == ["live", "revoked"]  # live first, though not shared
    assert keys[1]["shared_across_repositories"] and len(keys[1]["repositories"]) == 3


def test_text_ranks_by_urgency_and_counts(keylatch: RunKeylatch, scanned: Path) -> None:
    res = keylatch("org", "merge", str(scanned / "out"))
    assert res.code == 1
    lines = res.out.splitlines()
    # Still present in two of its three repositories (b removed it) ranks before the key c holds alone.
    assert "shared across repositories" in lines[1]
    assert lines[-1] == "2 distinct key(s) (1 shared across repositories) in 4 repositories scanned"


def test_fail_on_verdict_live_needs_verify(keylatch: RunKeylatch, scanned: Path) -> None:
    res = keylatch("org", "merge", str(scanned / "out"), "--fail-on-verdict", "live")
    assert res.code == 2 and "needs --verify" in res.err


def test_not_a_results_directory(keylatch: RunKeylatch, tmp_path: Path) -> None:
    res = keylatch("org", "merge", str(tmp_path / "nowhere"))
    assert res.code == 2 and "not a directory" in res.err
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.result.json").write_text("{}")
    res = keylatch("org", "merge", str(tmp_path / "out"))
    assert res.code == 3 and "is not a keylatch org result" in res.err


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_a_result_file_cannot_make_merge_print_a_key_or_an_escape(
    keylatch: RunKeylatch, scanned: Path, fmt: str
) -> None:
    """A result file is anyone's file (QA t-qa17): its redacted form, rule id, commit and line
    reach the terminal escaped, a whole key in any of them redacted, never whole."""
    planted = make_key("azure-classic", 96)  # 32 hex: no key to the engine without its context
    evil = "\x1b]0;owned\x07\r\n"
    for path in sorted((scanned / "out").rglob("*.result.json")):
        doc = json.loads(path.read_text())
        for key in doc["keys"]:
            key.update(redacted=planted, rule_id=f"r{evil}", introduced_date=f"{evil}d")
            for place in key["places"]:
                # A path is shown as it is: a key the redactor knows on its own is redacted in it.
                place.update(path=f"{evil}{make_key('sk-proj-', 97)}.env")
        doc["repository"] = f"{doc['repository']}{evil}"
        path.write_text(json.dumps(doc))
    res = keylatch("org", "merge", str(scanned / "out"), "--plan", str(scanned / "plan.jsonl"), "-f", fmt)
    shown = res.out + res.err
    assert res.code == 3, res.err  # the fixture's plan names a repository never scanned
    assert planted not in shown and planted[:16] not in shown
    assert make_key("sk-proj-", 97) not in shown
    if fmt == "text":
        assert "\x1b" not in shown and "\x07" not in shown and "\\x1b]0;owned\\x07" in shown


# (field, value) written into one key of a result file: each is refused with one line.
WRONG_FIELDS: list[tuple[str, object]] = [
    ("line", "1"),
    ("line", True),
    ("in_head", "yes"),
    ("commit", 7),
    ("places", "x"),
    ("extra", 1),
    # A 32-hex Azure key where a commit id belongs: the redactor cannot know it, the shape check does.
    ("commit", make_key("azure-classic", 96)),
    ("introduced", "not a commit"),
]


def test_a_result_file_with_a_field_of_the_wrong_type_is_one_line_and_exit_3(
    keylatch: RunKeylatch, scanned: Path
) -> None:
    # One org scan for every case (a scan of four repositories is the costly part): each case
    # edits a copy of its results.
    for n, (field, value) in enumerate(WRONG_FIELDS):
        out = scanned / f"case{n}"
        shutil.copytree(scanned / "out", out)
        path = next(p for p in sorted(out.rglob("*.result.json")) if json.loads(p.read_text())["keys"])
        doc = json.loads(path.read_text())
        key = doc["keys"][0]
        place = key["places"][0]
        (place if field in place or field == "extra" else key)[field] = value
        path.write_text(json.dumps(doc))
        res = keylatch("org", "merge", str(out))
        assert res.code == 3, (field, value)
        (line,) = res.err.strip().splitlines()
        assert line.startswith("keylatch: error: ") and "is not a keylatch org result" in line, (field, value)
