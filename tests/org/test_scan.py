"""`keylatch org scan`: results per repository and head, shards, resuming, failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.errors import UsageError
from keylatch.org.shard import Shard, parse
from tests.helpers.gitrepo import GitRepo, git_env
from tests.helpers.orgrepos import SHARED, build
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC, Result, RunKeylatch, in_process, watchdog

NAMES = ["api", "web", "ml/train", "ml/serve", "docs", "infra", "empty-ish"]
KEYED = {
    "api": [SHARED, ("sk-proj-", 40)],
    "web": [SHARED],
    "ml/train": [SHARED, ("sk-svcacct-", 41)],
    "infra": [("sk-proj-", 42)],
}


def _module_run(root: Path, *argv: str) -> Result:
    """A run for a module-scoped fixture (the `keylatch` fixture is per test): in this process,
    with the same hermetic environment, and the same redaction check."""
    env = git_env(root / "home") | {"PYTHONPATH": str(SRC), "XDG_CACHE_HOME": str(root / "cache")}
    res = in_process(argv, root, env, None)
    assert_redacted(res.out, res.err)
    return res


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hosted repositories and their plan, built once for the module: scans only clone them."""
    root = tmp_path_factory.mktemp("org-hosted")
    (root / "home").mkdir()
    urls = build(lambda name: GitRepo.init(root / name, root / "home"), NAMES, KEYED)
    listing = root / "repos.txt"
    listing.write_text("".join(u + "\n" for u in urls.values()))
    res = _module_run(root, "org", "plan", "--repos", str(listing), "--output", str(root / "plan.jsonl"))
    assert res.code == 0, res.err
    return root / "plan.jsonl"


@pytest.fixture(scope="module")
def single(plan: Path) -> Path:
    """The single-machine run's results, the reference the sharded and resumed runs must equal."""
    res = _module_run(plan.parent, "org", "scan", str(plan), "--out", str(plan.parent / "single"))
    assert res.code == 1, res.err
    return plan.parent / "single"


@pytest.fixture(scope="module")
def single_report(single: Path) -> tuple[int, str]:
    """The single run's merged JSON report, which the sharded and resumed runs' must equal."""
    res = _module_run(single.parent, "org", "merge", str(single), "--format", "json")
    return res.code, res.out


def _merged(keylatch: RunKeylatch, results: Path, *flags: str) -> tuple[int, str]:
    res = keylatch("org", "merge", str(results), "--format", "json", *flags)
    return res.code, res.out


def test_one_machine_finds_every_key_once(keylatch: RunKeylatch, plan: Path, tmp_path: Path) -> None:
    res = keylatch("org", "scan", str(plan), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert res.code == 1, res.err
    assert "7 repositories, 7 scanned, 0 done earlier, 0 failed" in res.err
    assert len(list((tmp_path / "out").glob("*.result.json"))) == 7
    code, out = _merged(keylatch, tmp_path / "out")
    doc = json.loads(out)
    assert code == 1 and doc["complete"] and doc["repositories_scanned"] == 7
    assert len(doc["keys"]) == 4  # the shared key once, three keys of one repository each
    shared = [k for k in doc["keys"] if k["shared_across_repositories"]]
    assert len(shared) == 1 and len(shared[0]["repositories"]) == 3
    assert shared[0]["first_exposure"]["repository"].endswith("/api")  # committed on 2024-02-01, before the others


@pytest.mark.parametrize("total", [2, 3, 7, 9])
def test_shards_together_give_the_single_run_report(
    keylatch: RunKeylatch, plan: Path, single: Path, single_report: tuple[int, str], tmp_path: Path, total: int
) -> None:
    for i in range(1, total + 1):
        # Each shard writes its own directory, as artifacts of separate jobs would be.
        res = keylatch("org", "scan", str(plan), "--out", str(tmp_path / "shards" / f"s{i}"), "--shard", f"{i}/{total}")
        assert res.code in (0, 1), res.err
    scanned = sorted(p.name for p in (tmp_path / "shards").rglob("*.result.json"))
    assert scanned == sorted(p.name for p in single.glob("*.result.json"))  # each exactly once
    assert _merged(keylatch, tmp_path / "shards") == single_report


def test_a_missing_shard_leaves_the_report_incomplete_in_every_format(
    keylatch: RunKeylatch, plan: Path, tmp_path: Path
) -> None:
    keylatch("org", "scan", str(plan), "--out", str(tmp_path / "out"), "--shard", "1/2")
    for fmt in ("text", "json", "sarif"):
        res = keylatch("org", "merge", str(tmp_path / "out"), "--format", fmt)
        assert res.code == 3
        assert "ml/train" in res.out  # second in plan order: shard 2's
        assert "repositories not scanned" in res.err


def test_a_killed_run_resumes_to_the_same_report(
    keylatch: RunKeylatch, plan: Path, single_report: tuple[int, str], tmp_path: Path, home: Path
) -> None:
    out = tmp_path / "out"
    env = git_env(home) | {"PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "keylatch", "org", "scan", str(plan), "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while not _results(out) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(_results(out))
    assert 1 <= done < 7  # killed mid-way
    res = keylatch("org", "scan", str(plan), "--out", str(out))
    assert f"{done} done earlier" in res.err and f"{7 - done} scanned" in res.err
    assert _merged(keylatch, out) == single_report


def _results(out: Path) -> list[Path]:
    return [p for p in out.glob("*.result.json") if not p.name.startswith(".")]


def test_a_repository_that_cannot_be_cloned_is_reported_and_retried(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], tmp_path: Path
) -> None:
    urls = build(make_repo, ["ok"], {"ok": [("sk-proj-", 50)]})
    gone = (tmp_path / "hosted" / "gone").as_uri()
    line = '{"auth":"","clone_url":"%s","default_branch":"main","head":"","repository":"acme/gone","size":0}\n'
    plan = tmp_path / "plan.jsonl"
    plan.write_text(line % gone + line.replace("acme/gone", "acme/ok") % urls["ok"])
    res = keylatch("org", "scan", str(plan), "--out", str(tmp_path / "out"))
    assert res.code == 3
    assert "could not scan 1 repositories (error records written): acme/gone" in res.err
    for fmt in ("text", "json", "sarif"):
        merged = keylatch("org", "merge", str(tmp_path / "out"), "--format", fmt)
        assert merged.code == 3 and "acme/gone" in merged.out and "cannot clone" in merged.out
    repo = make_repo("hosted/gone")
    repo.commit("now it exists")
    res = keylatch("org", "scan", str(plan), "--out", str(tmp_path / "out"))
    assert res.code == 1 and "1 scanned, 1 done earlier, 0 failed" in res.err
    assert keylatch("org", "merge", str(tmp_path / "out")).code == 1


def test_kept_clones_are_fetched_next_time(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], tmp_path: Path
) -> None:
    build(make_repo, ["app"], {})
    listing = tmp_path / "repos.txt"
    listing.write_text("hosted/app\n")
    keep = tmp_path / "clones"
    keylatch("org", "plan", "--repos", str(listing), "-o", str(tmp_path / "p1.jsonl"))
    assert keylatch("org", "scan", str(tmp_path / "p1.jsonl"), "--out", str(tmp_path / "o1"),
                    "--keep-clones", str(keep)).code == 0  # fmt: skip
    (mirror,) = keep.glob("*.git")
    repo = GitRepo(tmp_path / "hosted" / "app", git_env(tmp_path / "home"))
    from keylatch.rules.synthetic import make_key

    repo.write("later.py", f'KEY = "{make_key("sk-proj-", seed=51)}"\n')
    head = repo.commit("later")
    keylatch("org", "plan", "--repos", str(listing), "-o", str(tmp_path / "p2.jsonl"))
    res = keylatch("org", "scan", str(tmp_path / "p2.jsonl"), "--out", str(tmp_path / "o2"), "--keep-clones", str(keep))
    assert res.code == 1, res.err
    assert list(keep.glob("*.git")) == [mirror]  # the same mirror, fetched
    doc = json.loads(_merged(keylatch, tmp_path / "o2")[1])
    assert doc["keys"][0]["first_exposure"]["commit"] == head


@pytest.mark.parametrize(
    ("spec", "env", "total", "expected"),
    [
        (None, {}, None, Shard(0, 1)),
        ("3/16", {}, None, Shard(2, 16)),
        ("auto", {"JOB_COMPLETION_INDEX": "0"}, 4, Shard(0, 4)),
        ("auto", {"JOB_COMPLETION_INDEX": "3", "KEYLATCH_SHARD_TOTAL": "4"}, None, Shard(3, 4)),
        ("auto", {"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "5"}, None, Shard(0, 5)),  # GitLab counts from 1
        ("auto", {"CI_NODE_INDEX": "5", "CI_NODE_TOTAL": "5"}, None, Shard(4, 5)),
    ],
)
def test_shard_specs(spec: str | None, env: dict[str, str], total: int | None, expected: Shard) -> None:
    assert parse(spec, env, total) == expected


@pytest.mark.parametrize(
    ("spec", "env", "total"),
    [
        ("0/4", {}, None), ("5/4", {}, None), ("1/0", {}, None), ("x/4", {}, None), ("2", {}, None),
        ("auto", {}, None), ("auto", {"JOB_COMPLETION_INDEX": "0"}, None),
        ("auto", {"JOB_COMPLETION_INDEX": "4"}, 4), ("auto", {"CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "3"}, None),
        ("auto", {"CI_NODE_INDEX": "2"}, None), ("auto", {"JOB_COMPLETION_INDEX": "-1"}, 3),
    ],
)  # fmt: skip
def test_bad_shard_specs_are_usage_errors(spec: str, env: dict[str, str], total: int | None) -> None:
    with pytest.raises(UsageError):
        parse(spec, env, total)


def test_shard_auto_on_the_command_line(keylatch: RunKeylatch, plan: Path, tmp_path: Path) -> None:
    res = keylatch("org", "scan", str(plan), "--out", str(tmp_path / "o"), "--shard", "auto",
                   env={"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "3"})  # fmt: skip
    assert "shard 2/3: 2 repositories" in res.err  # plan entries 2 and 5 of 7
    res = keylatch("org", "scan", str(plan), "--out", str(tmp_path / "o"), "--shard", "auto")
    assert res.code == 2 and "neither JOB_COMPLETION_INDEX" in res.err


def _bounded(cwd: Path, *argv: str) -> Result:
    """keylatch in this process under a watchdog (tests/helpers/run.py): a hang fails the test,
    and kills the git it waits on, instead of stalling the suite."""
    with watchdog(60, f"keylatch {' '.join(argv)}"):
        return _module_run(cwd, *argv)
    raise AssertionError("unreachable: watchdog fails the test")  # for mypy: a `with` may swallow


def test_a_local_source_with_a_fifo_in_its_git_dir_is_refused_not_waited_on(
    make_repo: Callable[..., GitRepo], tmp_path: Path
) -> None:
    """`git clone` and `git ls-remote` of a file:// URL read the source's refs as a scan would:
    a FIFO there is refused (exit 3, named) before git runs; the other repositories are scanned."""
    urls = build(make_repo, ["ok", "trap"], {"ok": [("sk-proj-", 51)]})
    trap = Path(urls["trap"].removeprefix("file://"))
    git_dir = trap / ".git" if (trap / ".git").is_dir() else trap
    (git_dir / "packed-refs").unlink(missing_ok=True)
    os.mkfifo(git_dir / "packed-refs")
    (tmp_path / "home").mkdir(exist_ok=True)
    line = '{"auth":"","clone_url":"%s","default_branch":"main","head":"","repository":"acme/%s","size":0}\n'
    plan = tmp_path / "plan.jsonl"
    plan.write_text(line % (urls["trap"], "trap") + line % (urls["ok"], "ok"))
    res = _bounded(tmp_path, "org", "scan", str(plan), "--out", str(tmp_path / "out"))
    assert res.code == 3, res.err
    assert "acme/trap" in res.err
    merged = _bounded(tmp_path, "org", "merge", str(tmp_path / "out"))
    assert merged.code == 3 and "packed-refs is a FIFO" in merged.out, merged.out
    listing = tmp_path / "repos.txt"
    listing.write_text(urls["trap"] + "\n")
    planned = _bounded(tmp_path, "org", "plan", "--repos", str(listing), "--output", str(tmp_path / "p2"))
    # A plan notes a head it cannot read and leaves the repository to the scan (which fails above).
    assert planned.code == 0 and "cannot read its head" in planned.err and "packed-refs is a FIFO" in planned.err
