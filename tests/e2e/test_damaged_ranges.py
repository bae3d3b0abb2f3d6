"""A damaged repository under the commands that plan a range before they walk it (`ci --range`,
`ci` in GitHub Actions and GitLab CI, `pre-push`): the range's readable commits are scanned and
their keys reported, the lost object is named, exit 3 (sources/ci_range.py, sources/push.py).

A base commit the repository needs and cannot read is damage (exit 3), not a usage error; a base
it never had (a typo, history a shallow clone never fetched) keeps its exit 2 or fetch advice.
Built for real: the repository of tests/helpers/damaged.py with a fourth commit (`intact.env`,
key INTACT) that no damage touches; the range is base..HEAD, base the first commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.damaged import (
    INTACT,
    Broken,
    clone,
    corrupt_index,
    corrupt_loose,
    corrupt_pack_index,
    damage_line,
    drop_loose,
    lost_commit,
    lost_tree,
    packed_then_intact,
    with_intact_key,
)
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e
MakeRepo = Callable[..., GitRepo]


def corrupt_loose_commit(repo: GitRepo) -> Broken:
    p = with_intact_key(repo)
    corrupt_loose(repo, p.commits[2])
    return Broken(p, p.commits[2])


def truncated_pack(repo: GitRepo) -> Broken:
    p, idx = packed_then_intact(repo)
    pack = idx.with_suffix(".pack")
    pack.chmod(0o644)
    data = pack.read_bytes()
    pack.write_bytes(data[: len(data) // 2])
    return Broken(p, p.commits[2])


KINDS = {f.__name__: f for f in (lost_commit, lost_tree, corrupt_loose_commit, truncated_pack, corrupt_pack_index)}
COMMANDS = ("ci-range", "ci-github", "ci-gitlab", "pre-push")


def github(tmp_path: Path, before: str, after: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"ref": "refs/heads/main", "before": before, "after": after,
                                 "repository": {"default_branch": "main"}}))  # fmt: skip
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event)}


def gitlab(before: str, after: str) -> dict[str, str]:
    return {"GITLAB_CI": "true", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": before,
            "CI_COMMIT_SHA": after, "CI_COMMIT_BRANCH": "main", "CI_DEFAULT_BRANCH": "main"}  # fmt: skip


def run(keylatch: RunKeylatch, command: str, repo: GitRepo, base: str, tmp_path: Path) -> Result:
    head = (repo.path / ".git" / "refs" / "heads" / "main").read_text().strip()
    if command == "ci-range":
        return keylatch("ci", "--repo", str(repo.path), "--range", f"{base}..HEAD")
    if command == "ci-github":
        return keylatch("ci", cwd=repo.path, env=github(tmp_path, base, head))
    if command == "ci-gitlab":
        return keylatch("ci", cwd=repo.path, env=gitlab(base, head))
    assert command == "pre-push"
    line = f"refs/heads/main {head} refs/heads/main {base}\n"
    return keylatch("pre-push", "backup", "file:///nowhere", cwd=repo.path, input=line)


def assert_damage_reported(r: Result, b: Broken) -> None:
    """Every readable key reported, the lost object named, the last line the damage, exit 3."""
    assert INTACT not in r.out + r.err and b.planted.key not in r.out + r.err, r
    assert "Traceback" not in r.err
    damage_line(r)
    assert f"{b.named} is missing or unreadable" in r.out + r.err, r
    assert "intact.env" in r.out and f"...{INTACT[-4:]}" in r.out, r.out


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", KINDS)
def test_the_range_is_scanned_past_the_damage(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, kind: str, command: str
) -> None:
    b = KINDS[kind](make_repo())

    r = run(keylatch, command, b.planted.repo, b.planted.commits[0], tmp_path)

    assert_damage_reported(r, b)


def lost_base(repo: GitRepo) -> tuple[Broken, str]:
    """The range's base is a loose commit that is gone (its child still names it)."""
    p = with_intact_key(repo)
    drop_loose(repo, p.commits[1])
    return Broken(p, p.commits[1]), p.commits[1]


def base_in_corrupt_pack(repo: GitRepo) -> tuple[Broken, str]:
    """The range's base is in a pack whose index git cannot read."""
    p, idx = packed_then_intact(repo)
    corrupt_index(idx)
    return Broken(p, p.commits[2]), p.commits[0]


BASES = {f.__name__: f for f in (lost_base, base_in_corrupt_pack)}


@pytest.mark.parametrize("command", ("ci-range", "ci-github", "ci-gitlab"))
@pytest.mark.parametrize("kind", BASES)
def test_an_unreadable_base_is_damage_not_a_usage_error(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, kind: str, command: str
) -> None:
    b, base = BASES[kind](make_repo())

    r = run(keylatch, command, b.planted.repo, base, tmp_path)

    assert_damage_reported(r, b)


@pytest.mark.parametrize("damaged", [False, True], ids=["healthy", "damaged-elsewhere"])
def test_a_base_the_repository_never_had_is_still_a_usage_error(
    make_repo: MakeRepo, keylatch: RunKeylatch, damaged: bool
) -> None:
    """A typo'd commit id names nothing the repository needs: exit 2, today's message, even
    when a lost object elsewhere stops git (it is not the one named)."""
    p = with_intact_key(make_repo())
    if damaged:
        drop_loose(p.repo, p.subtree)
    typo = "1234567890" * 4

    r = keylatch("ci", "--repo", str(p.repo.path), "--range", f"{typo}..HEAD")

    assert r.code == 2 and r.err == f"keylatch: error: --range: '{typo}' is not a commit\n", r


def test_a_base_a_shallow_clone_never_fetched_keeps_the_fetch_advice(
    make_repo: MakeRepo, keylatch: RunKeylatch, home: Path, tmp_path: Path
) -> None:
    """In a shallow CI clone the base is history never fetched: exit 3 with the fetch advice,
    not a damage report."""
    p = with_intact_key(make_repo("src"))
    dst = tmp_path / "shallow"
    clone(home, "--depth=1", f"file://{p.repo.path}", str(dst))
    head = p.repo.git("rev-parse", "HEAD")

    r = keylatch("ci", cwd=dst, env=github(tmp_path, p.commits[1], head))

    assert r.code == 3, r
    assert "is not in this clone (the clone is shallow)" in r.err and "fetch-depth: 0" in r.err, r.err
    assert "damaged" not in r.err


def test_a_healthy_range_is_planned_as_before(make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path) -> None:
    """No damage: the commit count and no damage note."""
    p = with_intact_key(make_repo())

    r = run(keylatch, "ci-github", p.repo, p.commits[0], tmp_path)

    assert r.code == 1 and "scanning 3 commits" in r.err and "damaged" not in r.err, r
