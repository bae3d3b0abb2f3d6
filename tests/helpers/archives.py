"""Archives built in memory with the standard library, for the archive tests (sources and e2e)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Callable

from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch


def zipped(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def tarred(files: dict[str, bytes], mode: str = "w") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as tf:  # type: ignore[call-overload]
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


ARCHIVE_COMMANDS = ("scan", "history", "staged")


def run_on_archive(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], command: str, name: str, data: bytes
) -> Result:
    """`command` (one of ARCHIVE_COMMANDS) on a fresh repository holding `data` as `name`: the
    file on disk for scan, staged for staged, committed for a whole-history scan."""
    repo = make_repo()
    (repo.path / name).write_bytes(data)
    if command == "scan":
        return keylatch("scan", name, cwd=repo.path)
    repo.git("add", name)
    if command == "staged":
        return keylatch("staged", cwd=repo.path)
    repo.commit("bundle")
    return keylatch("history", "--no-cache", str(repo.path))
