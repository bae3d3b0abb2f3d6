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
from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.openai_emulator import emulator
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC, Result, RunKeylatch, in_process

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


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Each archive's hosted repository, planned and scanned with --keep-clones once for the
    module (the scan is the same for both ways of merging); each test merges a copy of its results
    and mirrors. In this process, with the `keylatch` fixture's environment and redaction check."""
    made: dict[str, Path] = {}

    def get(archive: str) -> Path:
        if archive not in made:
            root = tmp_path_factory.mktemp("merge-archives")
            (root / "home").mkdir()
            env = git_env(root / "home") | {"PYTHONPATH": str(SRC), "XDG_CACHE_HOME": str(root / "cache")}

            def run(*argv: str) -> Result:
                res = in_process(argv, root, env, None)
                assert_redacted(res.out, res.err)
                return res

            name, data = ARCHIVES[archive]()
            repo = GitRepo.init(root / "hosted" / "packed", root / "home")
            (repo.path / name).write_bytes(data)
            repo.commit("bundle")
            listing = root / "repos.txt"
            listing.write_text(Path(repo.path).as_uri() + "\n")
            assert run("org", "plan", "--repos", str(listing), "-o", str(root / "plan.jsonl")).code == 0
            scan = run("org", "scan", str(root / "plan.jsonl"), "--out", str(root / "out"),
                       "--keep-clones", str(root / "clones"))  # fmt: skip
            assert scan.code in (1, 3), scan.err  # 3: the cut archive is named, its key still recorded
            made[archive] = root
        return made[archive]

    return get


@pytest.mark.parametrize("kept", [True, False], ids=["kept-mirrors", "fresh-clone"])
@pytest.mark.parametrize("archive", ARCHIVES)
def test_a_key_in_an_archive_is_read_back_and_checked(
    keylatch: RunKeylatch, scanned: Callable[[str], Path], tmp_path: Path, archive: str, kept: bool
) -> None:
    root = scanned(archive)
    for name in ("out", "clones"):
        copy_tree(root / name, tmp_path / name)
    clones = ("--clones", str(tmp_path / "clones")) if kept else ()
    with emulator() as api:
        api.answer(KEY, "live")
        res = keylatch("org", "merge", str(tmp_path / "out"), "-f", "json", "--verify", "--verify-url", api.url,
                       "--no-verify-cache", *clones)  # fmt: skip
        assert len(api.seen(KEY)) == 1, res.err
    (key,) = json.loads(res.out)["keys"]
    assert key["verification"]["verdict"] == "live", key
