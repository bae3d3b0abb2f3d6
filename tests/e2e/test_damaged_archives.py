"""A damaged archive reports every key it holds once, wherever the damage is: a key in a member
read whole is reported at the member and not again in the raw bytes; a key in the part that
could not be read as a member (a cut tar member, also inside a `.tgz` / `.tar.bz2` / `.tar.xz`,
a stored zip member after a corrupt one) is found in the raw bytes, decompressed when the archive
is compressed (sources/rawleaf.py). Exit 3, the archive named, through `scan`, `history`, `staged`.
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
WHOLE = make_key("sk-proj-", seed=91)  # in a member read whole
CUT = make_key("sk-proj-", seed=92)  # in the member where the archive breaks
PAD = b"x" * 3000 + b"\n"


def _cut_tar() -> bytes:
    data = tarred(
        {"conf.env": f"OPENAI_API_KEY={WHOLE}\n".encode(), "big.env": f"OPENAI_API_KEY={CUT}\n".encode() + PAD}
    )
    at = data.index(CUT.encode()) + len(CUT) + 100  # inside big.env, after its key
    return data[:at]


def cut_tar() -> tuple[str, bytes]:
    return "bundle.tar", _cut_tar()


def cut_tgz() -> tuple[str, bytes]:
    return "bundle.tgz", gzip.compress(_cut_tar())


def cut_tar_bz2() -> tuple[str, bytes]:
    return "bundle.tar.bz2", bz2.compress(_cut_tar())


def cut_tar_xz() -> tuple[str, bytes]:
    return "bundle.tar.xz", lzma.compress(_cut_tar())


def corrupt_stored_zip() -> tuple[str, bytes]:
    files = {"conf.env": f"OPENAI_API_KEY={WHOLE}\n".encode(), "big.env": f"OPENAI_API_KEY={CUT}\n".encode() + PAD}
    data = bytearray(zipped(files, zipfile.ZIP_STORED))
    at = data.index(CUT.encode())
    data[at + len(CUT) + 10] ^= 0x01  # big.env's bytes no longer match its CRC; the key is intact
    return "bundle.zip", bytes(data)


ARCHIVES = {f.__name__: f for f in (cut_tar, cut_tgz, cut_tar_bz2, cut_tar_xz, corrupt_stored_zip)}


@pytest.mark.parametrize("command", ARCHIVE_COMMANDS)
@pytest.mark.parametrize("archive", ARCHIVES)
def test_each_key_of_a_damaged_archive_is_reported_once(
    make_repo: MakeRepo, keylatch: RunKeylatch, archive: str, command: str
) -> None:
    name, data = ARCHIVES[archive]()

    r = run_on_archive(keylatch, make_repo, command, name, data)

    assert r.code == 3, r
    shown = r.out + r.err
    assert WHOLE not in shown and CUT not in shown
    # The key read whole: once, at its member; the one in the broken part: found in the raw bytes.
    assert shown.count(f"...{WHOLE[-4:]}") == 1, shown
    assert f"{name}!conf.env" in shown, shown
    assert shown.count(f"...{CUT[-4:]}") == 1, shown
    assert name in r.err and "Traceback" not in r.err
