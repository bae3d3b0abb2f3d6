"""git's reason for failing is kept whole when git finishes it on indented lines: a repository
with an unknown extension (`extensions.foo = bar`, repositoryformatversion 1) was exit 3 with
"unknown repository extension found:" and no name, since keylatch kept the first line only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from keylatch.sources.gitcmd import first_line
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

# git's stderr -> the reason keylatch shows
REASONS = {
    "one-extension": (b"fatal: unknown repository extension found:\n\tfoo\n",
                      "fatal: unknown repository extension found: foo"),
    "two-extensions": (b"fatal: unknown repository extensions found:\n\tfoo\n\tbar\n",
                       "fatal: unknown repository extensions found: foo, bar"),
    "after-a-warning": (b"warning: x\nfatal: unknown repository extension found:\n\tfoo\n",
                        "fatal: unknown repository extension found: foo"),
    "many": (b"fatal: found:\n" + b"".join(b"\te%d\n" % i for i in range(20)),
             "fatal: found: e0, e1, e2, e3, e4, e5, e6, e7, ..."),
    "advice-is-not-taken": (
        b"fatal: detected dubious ownership in repository at '/r'\nTo add an exception for this directory, call:\n"
        b"\n\tgit config --global --add safe.directory /r\n",
        "fatal: detected dubious ownership in repository at '/r'"),
    "colon-then-unindented": (b"fatal: bad:\nnext\n", "fatal: bad:"),
    "one-line": (b"fatal: bad object HEAD\n", "fatal: bad object HEAD"),
    "empty": (b"", "git failed with no message"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(REASONS))
def test_first_line_keeps_the_lines_that_finish_the_reason(case: str) -> None:
    stderr, shown = REASONS[case]
    assert first_line(stderr) == shown


@pytest.mark.parametrize(
    "argv", [("staged",), ("history",), ("ci", "--range", "HEAD..HEAD")], ids=["staged", "history", "ci"]
)
def test_an_unknown_repository_extension_is_exit_3_naming_it(
    argv: tuple[str, ...], keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    repo = make_repo()
    repo.write("README", "hi\n")
    repo.commit("base")
    with (repo.path / ".git" / "config").open("a") as f:
        f.write("[core]\n\trepositoryformatversion = 1\n[extensions]\n\tfoo = bar\n\tqux = 1\n")
    r = keylatch(*argv, cwd=repo.path)
    assert r.code == 3, r.out + r.err
    assert r.err.endswith("unknown repository extensions found: foo, qux\n"), r.err
