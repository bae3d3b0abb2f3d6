"""keylatch's own settings files as a repository may hold them: a `.keylatch.yaml` or
`.keylatch-baseline.json` that is a directory, a FIFO or a broken link is one line and exit 2
(it was skipped without a word, and the scan ran on defaults, ignoring what the user wrote; a
FIFO is never opened), and a baseline that a Windows editor saved with a BOM is read."""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]
KEY = make_key("sk-proj-", seed=181)


def _directory(p: Path) -> None:
    p.mkdir()


def _fifo(p: Path) -> None:
    os.mkfifo(p)


def _broken_link(p: Path) -> None:
    p.symlink_to(p.parent / "gone")


ENTRIES = {"directory": (_directory, "a directory"), "FIFO": (_fifo, "not a regular file"),
           "broken link": (_broken_link, "a broken link")}  # fmt: skip
NAMES = {".keylatch.yaml": "configuration", ".keylatch.yml": "configuration", ".keylatch-baseline.json": "baseline"}


@pytest.mark.parametrize("command", [("scan", "."), ("staged",), ("baseline", "create", "--file", "b.json")])
@pytest.mark.parametrize("name", sorted(NAMES))
@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_a_settings_name_that_is_no_file_is_one_line_and_exit_2(
    make_repo: MakeRepo, keylatch: RunKeylatch, entry: str, name: str, command: tuple[str, ...]
) -> None:
    repo = make_repo()
    repo.write("app.env", f"OPENAI_API_KEY={KEY}\n")
    repo.git("add", "app.env")
    make, kind = ENTRIES[entry]
    make(repo.path / name)
    res = keylatch(*command, cwd=repo.path)
    assert (res.code, res.out) == (2, ""), res
    assert res.err == f"keylatch: error: cannot read {NAMES[name]} {name}: {kind}\n"


def test_a_baseline_saved_with_a_bom_is_read(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "app.env").write_text(f"OPENAI_API_KEY={KEY}\n")
    assert keylatch("baseline", "create", cwd=tmp_path).code == 0
    baseline = tmp_path / ".keylatch-baseline.json"
    baseline.write_bytes(codecs.BOM_UTF8 + baseline.read_bytes())
    res = keylatch("scan", ".", cwd=tmp_path)
    assert res.code == 0 and "1 in the baseline" in res.err, res
    assert keylatch("scan", ".", "--no-baseline", cwd=tmp_path).code == 1
