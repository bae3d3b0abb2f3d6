"""Archive magic is no archive: text that starts like one is scanned as text, in every command;
a real archive that cannot be read whole exits 3 and its raw bytes are scanned too."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.archives import tarred, zipped
from tests.helpers.gitrepo import GitRepo, copy_tree, git_env
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=16)
SHOWN = KEY[:12]  # what a report shows of it (redacted)
LINE = f"OPENAI_API_KEY={KEY}\n".encode()
COMMANDS = ("scan", "staged", "pre-push", "history", "ci")


def run(keylatch: RunKeylatch, repo: GitRepo, command: str) -> tuple[int, str]:
    if command == "scan":
        res = keylatch("scan", ".", cwd=repo.path)
    elif command == "staged":
        repo.git("add", "-A")
        res = keylatch("staged", cwd=repo.path)
    else:
        base = repo.git("rev-parse", "HEAD").strip()
        repo.commit("add")
        if command == "pre-push":  # a configured remote that was never fetched: everything is new
            repo.git("remote", "add", "origin", str(repo.path.parent / "never-fetched.git"))
            res = keylatch("pre-push", "origin", cwd=repo.path, input="")
        elif command == "ci":
            res = keylatch("ci", "--range", f"{base}..HEAD", cwd=repo.path)
        else:
            res = keylatch("history", "--no-cache", cwd=repo.path)
    return res.code, res.out + res.err


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with one commit, built once: each test starts from its own copy."""
    root = tmp_path_factory.mktemp("started")
    (root / "home").mkdir()
    made = GitRepo.init(root / "repo", root / "home")
    made.write("README", "hello\n")
    made.commit("start")
    return made.path


@pytest.fixture
def started(template: Path, tmp_path: Path, home: Path) -> GitRepo:
    copy_tree(template, tmp_path / "repo")
    return GitRepo(tmp_path / "repo", git_env(home))


def ustar_js() -> bytes:
    """tar-stream's headers.js in miniature: "ustar" at byte 257 of a JavaScript file."""
    head = b"var ZEROS = '0000000000000000000'\n" + b"// " + b"=" * 218 + b"\n"
    return head + b"ustar\x0000 = 'ustar\\x0000'\nmodule.exports = {}\n"


# Text with each archive kind's magic first (or "ustar" at 257), then a key on line 2.
TEXTS: dict[str, bytes] = {
    "zip": b"PK\x03\x04 notes\n" + LINE,
    "zip-end": b"PK\x05\x06 notes\n" + LINE,
    "gzip": b"\x1f\x8b\x08 notes\n" + LINE,
    "bzip2": b"BZh91AY&SY notes\n" + LINE,
    "bzip2-end": b"BZh9\x17rE8P\x90 notes\n" + LINE,
    "xz": b"\xfd7zXZ\x00 notes\n" + LINE,
    "tar": ustar_js()[:257] + b"ustar notes\n" + LINE,
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", sorted(TEXTS))
def test_text_with_an_archive_magic_is_scanned_as_text(
    started: GitRepo, keylatch: RunKeylatch, case: str, command: str
) -> None:
    repo = started
    data = TEXTS[case]
    repo.write("notes/magic.txt", data)
    code, text = run(keylatch, repo, command)
    assert code == 1, text
    line = data[: data.index(LINE)].count(b"\n") + 1
    assert f"notes/magic.txt:{line}" in text and SHOWN in text
    assert "not fully scanned" not in text and "corrupt" not in text
    assert KEY not in text


def test_a_yarn_cache_zip_holding_ustar_javascript_is_clean_and_its_keys_are_found(
    started: GitRepo, keylatch: RunKeylatch
) -> None:
    repo = started
    member = "node_modules/tar-stream/headers.js"
    repo.write(".yarn/cache/tar-stream-npm-2.2.0.zip", zipped({member: ustar_js()}))
    for command in ("scan", "history"):
        code, text = run(keylatch, repo, command)
        assert code == 0, text
    repo.write(".yarn/cache/tar-stream-npm-2.2.0.zip", zipped({member: ustar_js() + LINE}))
    for command in ("scan", "history"):
        code, text = run(keylatch, repo, command)
        assert code == 1, text
        assert f"tar-stream-npm-2.2.0.zip!{member}:5" in text and "corrupt" not in text


PAD = b"filler line\n" * 200  # keeps the key clear of the cut


# Real archives that cannot be read whole, with the key where their raw bytes show it.
DAMAGED: dict[str, tuple[str, bytes, str]] = {
    "zip-stored-cut": ("b.zip", zipped({"a.env": LINE + PAD}, zipfile.ZIP_STORED)[:1500], "corrupt or truncated"),
    "tar-cut": ("b.tar", tarred({"a.env": LINE + PAD})[:1500], "corrupt or truncated"),
    "gzip-then-text": ("a.env.gz", gzip.compress(PAD) + b"\n" + LINE, "corrupt or truncated"),
    "bzip2-then-text": ("a.env.bz2", bz2.compress(PAD) + b"\n" + LINE, "not a stream"),
    "xz-then-text": ("a.env.xz", lzma.compress(PAD) + b"\n" + LINE, "not a stream"),
    "zip-encrypted": ("e.zip", b"", "encrypted"),
}


def encrypted_zip() -> bytes:
    data = bytearray(zipped({"a.env": LINE + PAD}, zipfile.ZIP_STORED))
    for magic, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the "encrypted" flag, as zip -e sets it
        data[data.index(magic) + at] |= 1
    return bytes(data)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_an_archive_not_read_whole_exits_3_and_its_raw_bytes_are_scanned(
    started: GitRepo, keylatch: RunKeylatch, case: str, command: str
) -> None:
    name, data, reason = DAMAGED[case]
    repo = started
    repo.write(f"dist/{name}", data or encrypted_zip())
    code, text = run(keylatch, repo, command)
    assert code == 3, text  # fail closed: 3 wins over the key's 1
    assert f"dist/{name}:" in text and SHOWN in text  # the key, found in the raw bytes
    (error,) = [ln for ln in text.splitlines() if ln.startswith("keylatch: error:")]
    assert f"dist/{name}" in error and "not fully scanned" in error and reason in error
    assert KEY not in text


@pytest.mark.parametrize("command", COMMANDS)
def test_a_valid_archive_is_read_as_before(started: GitRepo, keylatch: RunKeylatch, command: str) -> None:
    repo = started
    repo.write("dist/ok.tar.bz2", tarred({"conf/a.env": LINE}, "w:bz2"))
    code, text = run(keylatch, repo, command)
    assert code == 1, text
    assert "dist/ok.tar.bz2!conf/a.env:1" in text and "not fully scanned" not in text
