"""history/prior.py (reading sources/prior.py): keys HEAD (or MERGE_HEAD) already holds."""

from __future__ import annotations

from collections.abc import Callable

from keylatch.engine import scan
from keylatch.history.prior import committed_before
from keylatch.rules.synthetic import make_key
from keylatch.sources import staged as src
from tests.helpers.gitrepo import GitRepo
from tests.helpers.inside import inside

MakeRepo = Callable[..., GitRepo]


def test_committed_before_follows_renames_and_merge_head(make_repo: MakeRepo) -> None:
    repo = make_repo()
    key = make_key("sk-svcacct-", seed=4)
    repo.write("old.py", f"K = '{key}'\n" + "pad\n" * 20)
    repo.commit("key")
    repo.git("mv", "old.py", "new.py")
    with inside(repo) as git:
        staged = src.staged_changes(git)
        findings = list(scan(src.chunks(src.staged_contents(staged, src.staged_blobs(git, staged)))))
        where = committed_before(git, staged, findings)
    assert where == {("new.py", findings[0].fingerprint): "HEAD"}


def test_merge_head_is_named_for_a_key_the_merged_branch_brings(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("a.py", "a\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("s.py", f"k = '{make_key('sk-proj-', seed=5)}'\n")
    repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("m.py", "m\n")
    repo.commit("main")
    repo.git("merge", "-q", "--no-commit", "--no-ff", "side")
    with inside(repo) as git:
        staged = src.staged_changes(git)
        findings = list(scan(src.chunks(src.staged_contents(staged, src.staged_blobs(git, staged)))))
        where = committed_before(git, staged, findings)
    assert where == {("s.py", findings[0].fingerprint): "MERGE_HEAD"}
