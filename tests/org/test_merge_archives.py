"""`org merge --verify` reads a key back from where the scan found it: inside an archive's
member (compressed: the key is not in the raw blob), or in a damaged archive's raw or
decompressed bytes. Each kind of archive, kept mirrors and fresh clones; the key is checked
against a local emulator and comes back with its verdict, never `unknown`."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.archives import tarred, zipped
from tests.helpers.gitrepo import GitRepo
from tests.helpers.openai_emulator import emulator
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=61)
ENV = f"OPENAI_API_KEY={KEY}\n".encode()


def _cut_tar() -> bytes:
    data = tarred({"a.txt": b"hello\n", "conf.env": ENV + b"x" * 3000 + b"\n"})
    return data[: data.index(KEY.encode()) + len(KEY) + 100]


ARCHIVES: dict[str, Callable[[], tuple[str, bytes]]] = {
    "tgz": lambda: ("bundle.tgz", gzip.compress(tarred({"conf.env": ENV}))),
    "tar-xz": lambda: ("bundle.tar.xz", lzma.compress(tarred({"conf.env": ENV}))),
    "zip-deflated": lambda: ("bundle.zip", zipped({"conf.env": ENV * 20}, zipfile.ZIP_DEFLATED)),
    "gz-file": lambda: ("conf.env.gz", gzip.compress(ENV)),
    "bz2-file": lambda: ("conf.env.bz2", bz2.compress(ENV)),
    "cut-tgz": lambda: ("bundle.tgz", gzip.compress(_cut_tar())),
    # Bytes in front: opened by its end record, as the scan opens it (t-polish19).
    "zip-prefixed": lambda: ("install.sh", b"#!/bin/sh\nexit 0\n" + zipped({"conf.env": ENV * 20})),
}


@pytest.mark.parametrize("kept", [True, False], ids=["kept-mirrors", "fresh-clone"])
@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_key_in_an_archive_is_read_back_and_checked(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], tmp_path: Path, archive: str, kept: bool
) -> None:
    name, data = ARCHIVES[archive]()
    repo = make_repo("hosted/packed")
    (repo.path / name).write_bytes(data)
    repo.commit("bundle")
    listing = tmp_path / "repos.txt"
    listing.write_text(Path(repo.path).as_uri() + "\n")
    assert keylatch("org", "plan", "--repos", str(listing), "-o", str(tmp_path / "plan.jsonl")).code == 0
    scan = keylatch("org", "scan", str(tmp_path / "plan.jsonl"), "--out", str(tmp_path / "out"),
                    "--keep-clones", str(tmp_path / "clones"))  # fmt: skip
    assert scan.code in (1, 3), scan.err  # 3: the cut archive is named, its key still recorded
    clones = ("--clones", str(tmp_path / "clones")) if kept else ()
    with emulator() as api:
        api.answer(KEY, "live")
        res = keylatch("org", "merge", str(tmp_path / "out"), "-f", "json", "--verify", "--verify-url", api.url,
                       "--no-verify-cache", *clones)  # fmt: skip
        assert len(api.seen(KEY)) == 1, res.err
    (key,) = json.loads(res.out)["keys"]
    assert key["verification"]["verdict"] == "live", key
