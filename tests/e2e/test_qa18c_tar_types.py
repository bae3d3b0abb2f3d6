"""A tar member of a type tarfile does not know holds bytes: read as a regular file, as tarfile's
own `extractfile` and GNU tar ("unknown file type, extracted as normal file") read it."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.archives import ARCHIVE_COMMANDS, run_on_archive
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=18)
ENV = f"A=1\nOPENAI_API_KEY={KEY}\n".encode()
# GNU volume label, dumpdir, multivolume continuation, old long name; a vendor letter; a digit
# POSIX leaves to implementations.
UNKNOWN_TYPES = (b"V", b"D", b"M", b"N", b"Z", b"8")


def typed_tar(kind: bytes, fmt: int) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tf:
        info = tarfile.TarInfo("config/.env")
        info.size, info.type = len(ENV), kind
        tf.addfile(info, io.BytesIO(ENV))
        after = tarfile.TarInfo("after.txt")
        after.size = 3
        tf.addfile(after, io.BytesIO(b"hi\n"))
    return out.getvalue()


@pytest.mark.parametrize("command", ARCHIVE_COMMANDS)
@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT], ids=["gnu", "pax"])
@pytest.mark.parametrize("kind", UNKNOWN_TYPES, ids=[k.decode() for k in UNKNOWN_TYPES])
def test_a_key_in_a_tar_member_of_an_unknown_type_is_found(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], command: str, fmt: int, kind: bytes
) -> None:
    res = run_on_archive(keylatch, make_repo, command, "bundle.tar", typed_tar(kind, fmt))
    assert res.code == 1, res.out + res.err
    assert "bundle.tar!config/.env:2" in res.out
    assert KEY not in res.out + res.err
