"""A damaged archive inside another: the nested one's bytes are rescanned as a top-level damaged
archive's are (sources/archives.py _member_archive): a cut `.tgz` in a zip or tar member has its
decompressed bytes scanned, so the key in its cut member is found. Each key once, exit 3, the
nested archive named, through `scan`, `history` and `staged`.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.archives import ARCHIVE_COMMANDS, run_on_archive, tarred, zipped
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e
MakeRepo = Callable[..., GitRepo]
WHOLE = make_key("sk-proj-", seed=93)  # in a member of the nested archive read whole
CUT = make_key("sk-proj-", seed=94)  # in the nested archive's member where it breaks
PAD = b"x" * 3000 + b"\n"


def cut_tar() -> bytes:
    data = tarred(
        {"conf.env": f"OPENAI_API_KEY={WHOLE}\n".encode(), "big.env": f"OPENAI_API_KEY={CUT}\n".encode() + PAD}
    )
    return data[: data.index(CUT.encode()) + len(CUT) + 100]  # inside big.env, after its key


# The nested damaged archive: (its name, its bytes).
NESTED: dict[str, Callable[[], tuple[str, bytes]]] = {
    "tgz": lambda: ("inner.tgz", gzip.compress(cut_tar())),
    "tar.bz2": lambda: ("inner.tar.bz2", bz2.compress(cut_tar())),
    "tar.xz": lambda: ("inner.tar.xz", lzma.compress(cut_tar())),
    "tar": lambda: ("inner.tar", cut_tar()),
}
OUTER: dict[str, Callable[[str, bytes], tuple[str, bytes]]] = {
    "zip": lambda n, d: ("outer.zip", zipped({"readme.txt": b"hello\n", n: d})),
    "stored-zip": lambda n, d: ("outer.zip", zipped({"readme.txt": b"hello\n", n: d}, zipfile.ZIP_STORED)),
    "tar": lambda n, d: ("outer.tar", tarred({"readme.txt": b"hello\n", n: d})),
    "tgz": lambda n, d: ("outer.tgz", gzip.compress(tarred({"readme.txt": b"hello\n", n: d}))),
}


@pytest.mark.parametrize("command", ARCHIVE_COMMANDS)
@pytest.mark.parametrize("outer", OUTER)
@pytest.mark.parametrize("nested", NESTED)
def test_a_damaged_archive_inside_another_is_rescanned(
    make_repo: MakeRepo, keylatch: RunKeylatch, nested: str, outer: str, command: str
) -> None:
    inner, data = NESTED[nested]()
    name, wrapped = OUTER[outer](inner, data)

    r = run_on_archive(keylatch, make_repo, command, name, wrapped)

    assert r.code == 3, r
    shown = r.out + r.err
    assert WHOLE not in shown and CUT not in shown and "Traceback" not in r.err
    # The key read whole: once, at its member; the one in the broken part: in the decompressed bytes.
    assert shown.count(f"...{WHOLE[-4:]}") == 1, shown
    assert f"{name}!{inner}!conf.env" in shown, shown
    assert shown.count(f"...{CUT[-4:]}") == 1, shown
    assert f"{name}!{inner}" in r.err


def test_a_healthy_nested_archive_is_read_as_before(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    """The control: the same nesting intact reports both keys at their members, exit 1."""
    whole = tarred({"conf.env": f"OPENAI_API_KEY={WHOLE}\n".encode(), "big.env": f"OPENAI_API_KEY={CUT}\n".encode()})
    name, data = OUTER["zip"]("inner.tgz", gzip.compress(whole))

    r = run_on_archive(keylatch, make_repo, "scan", name, data)

    assert r.code == 1, r
    assert "outer.zip!inner.tgz!conf.env" in r.out and "outer.zip!inner.tgz!big.env" in r.out, r.out
    assert r.out.count(f"...{CUT[-4:]}") == 1 and "not fully scanned" not in r.err
