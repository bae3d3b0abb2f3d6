"""scan_history and archive magic: a blob that only starts like an archive is scanned as text
(in an old commit too, whatever the prefilter); a damaged archive blob is unread, its raw key found."""

from __future__ import annotations

import bz2
import zipfile
from collections.abc import Callable

import pytest

from keylatch.history import WHOLE_HISTORY, scan_history
from keylatch.rules.synthetic import make_key
from tests.helpers.archives import zipped
from tests.helpers.gitrepo import GitRepo

KEY = make_key("sk-proj-", seed=61)
LINE = f"OPENAI_API_KEY={KEY}\n".encode()
TEXTS = {
    "zip": b"PK\x03\x04 notes\n" + LINE,
    "bzip2": b"BZh91AY&SY notes\n" + LINE,
    "xz": b"\xfd7zXZ\x00 notes\n" + LINE,
    "tar": b"// " + b"-" * 253 + b"\nustar notes\n" + LINE,
}


@pytest.mark.parametrize("use_cache", [False, True])
@pytest.mark.parametrize("case", sorted(TEXTS))
def test_a_removed_text_blob_with_an_archive_magic_is_scanned_as_text(
    make_repo: Callable[..., GitRepo], case: str, use_cache: bool
) -> None:
    repo = make_repo()
    repo.write("notes.txt", TEXTS[case])
    first = repo.commit("add notes")
    repo.git("rm", "-q", "notes.txt")
    repo.write("README", "hello\n")
    repo.commit("drop notes")
    result = scan_history(repo.path, WHOLE_HISTORY, use_cache=use_cache, report_unread=True)
    assert not result.unread
    (finding,) = result.findings
    (where,) = finding.locations
    line = TEXTS[case][: TEXTS[case].index(LINE)].count(b"\n") + 1
    assert (where.commit, where.path, where.line) == (first, "notes.txt", line) and not finding.in_head


def test_a_damaged_archive_blob_is_unread_and_its_raw_key_found(make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo()
    repo.write("dist/a.zip", zipped({"a.env": LINE + b"pad\n" * 300}, zipfile.ZIP_STORED)[:900])
    repo.write("dist/b.env.bz2", bz2.compress(b"pad\n" * 50) + LINE)
    repo.commit("add archives")
    result = scan_history(repo.path, WHOLE_HISTORY, use_cache=False, report_unread=True)
    assert sorted(u.path for u in result.unread) == ["dist/a.zip", "dist/b.env.bz2"]
    (finding,) = result.findings  # one key, at both raw places
    assert sorted(w.path for w in finding.locations) == ["dist/a.zip", "dist/b.env.bz2"]
