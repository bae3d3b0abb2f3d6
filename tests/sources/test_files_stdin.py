"""sources/files.py: an archive or compressed stream on standard input (`scan -`) or a pipe named
by path (`<(cmd)`, a FIFO) is opened as a file's is, within the same archive-* limits."""

from __future__ import annotations

import gzip
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from keylatch.model import Chunk
from keylatch.rules.synthetic import make_key
from keylatch.sources.archives import DEFAULT_LIMITS, Limits
from keylatch.sources.files import STDIN, Item, Unread, walk
from tests.helpers.archives import tarred, zipped
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=11)
ENV = f"A=1\nOPENAI_API_KEY={KEY}\n".encode()
FILES = {"config/.env": ENV, "README": b"hello\n"}

PACKED: dict[str, Callable[[dict[str, bytes]], bytes]] = {
    "zip-deflate": zipped,
    "zip-stored": lambda f: zipped(f, zipfile.ZIP_STORED),
    "tar": tarred,
    "tar.gz": lambda f: tarred(f, "w:gz"),
    "tar.xz": lambda f: tarred(f, "w:xz"),
}


@contextmanager
def piped(data: bytes) -> Iterator[int]:
    """The read end of a pipe holding `data` (smaller than a pipe's buffer), its writer gone."""
    assert len(data) < 60_000
    r, w = os.pipe()
    os.write(w, data)
    os.close(w)
    try:
        yield r
    finally:
        os.close(r)


@contextmanager
def on_stdin(data: bytes) -> Iterator[None]:
    with piped(data) as r:
        saved = os.dup(0)
        os.dup2(r, 0)
        try:
            yield
        finally:
            os.dup2(saved, 0)
            os.close(saved)


def read_pipe(data: bytes, how: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str, list[Item]]:
    if how == "stdin":
        with on_stdin(data):
            return "<stdin>", list(walk([STDIN], archives=limits))
    with piped(data) as r:
        name = f"/proc/self/fd/{r}"
        return name, list(walk([Path(name)], archives=limits))


def contents(items: list[Item]) -> dict[str, bytes]:
    return {i.path: i.data for i in items if isinstance(i, Chunk)}


@pytest.mark.parametrize("how", ["stdin", "pipe"])
@pytest.mark.parametrize("container", sorted(PACKED))
def test_an_archive_on_a_pipe_yields_its_members_by_name(how: str, container: str) -> None:
    name, items = read_pipe(PACKED[container](FILES), how)
    got = contents(items)
    # Then the container's own bytes: its names, less the members read whole (reported there).
    around = got.pop(name)
    assert got == {f"{name}!config/.env": ENV, f"{name}!README": b"hello\n"}
    assert b"config/.env" in around and KEY.encode() not in around


@pytest.mark.parametrize("how", ["stdin", "pipe"])
def test_a_compressed_plain_stream_on_a_pipe_is_decompressed(how: str) -> None:
    name, items = read_pipe(gzip.compress(ENV), how)
    ((path, data),) = contents(items).items()
    assert path.startswith(f"{name}!") and data == ENV


@pytest.mark.parametrize("how", ["stdin", "pipe"])
@pytest.mark.parametrize(
    "data",
    [ENV, b"", b"PK", b"\x1f\x8b", ENV * 40, b"x" * 600 + b"ustar"],  # short, empty, a magic's first bytes, no magic
)
def test_what_is_no_archive_on_a_pipe_is_read_as_it_is(how: str, data: bytes) -> None:
    name, items = read_pipe(data, how)
    assert [(i.path, i.data) for i in items if isinstance(i, Chunk)] == [(name, data)]
    assert not [i for i in items if isinstance(i, Unread)]


@pytest.mark.parametrize("how", ["stdin", "pipe"])
def test_archives_off_reads_a_pipe_raw(how: str) -> None:
    data = zipped(FILES, zipfile.ZIP_STORED)
    name, items = read_pipe(data, how, Limits(depth=0))
    assert contents(items) == {name: data}


@pytest.mark.parametrize("how", ["stdin", "pipe"])
@pytest.mark.parametrize("container", ["tar", "tar.gz", "zip-stored"])
def test_a_truncated_archive_on_a_pipe_yields_what_it_read_then_unread(how: str, container: str) -> None:
    whole = PACKED[container]({"a.env": ENV, "b.bin": os.urandom(30_000)})  # the cut falls in b.bin
    name, items = read_pipe(whole[: len(whole) * 3 // 4], how)
    assert isinstance(items[-1], Unread) and "not fully scanned" in items[-1].message
    if container != "zip-stored":  # a zip's directory is at its end: nothing is readable
        assert contents(items)[f"{name}!a.env"] == ENV


@pytest.mark.parametrize("how", ["stdin", "pipe"])
def test_a_zip_on_a_pipe_is_held_at_most_archive_max_bytes(how: str) -> None:
    data = zipped({"a.env": ENV, "big": os.urandom(20_000)}, zipfile.ZIP_STORED)
    name, items = read_pipe(data, how, Limits(max_bytes=10_000))
    *raw, unread = items
    assert isinstance(unread, Unread) and "archive-max-bytes" in unread.message
    # Not read whole: its raw bytes are scanned under its own name (the stored member shows).
    assert raw and {i.path for i in raw if isinstance(i, Chunk)} == {name}
    assert ENV in b"".join(i.data for i in raw if isinstance(i, Chunk))


@pytest.mark.parametrize("how", ["stdin", "pipe"])
def test_a_bomb_on_a_pipe_stops_at_the_ratio_limit(how: str) -> None:
    data = gzip.compress(b"\0" * (8 << 20))
    _, items = read_pipe(data, how)
    assert isinstance(items[-1], Unread) and "archive-max-ratio" in items[-1].message


def test_scan_of_a_pipe_reports_the_keys_of_the_rest_and_exits_3(keylatch: RunKeylatch, tmp_path: Path) -> None:
    other = make_key("sk-proj-", seed=12)
    (tmp_path / "app.env").write_text(f"OPENAI_API_KEY={other}\n")
    whole = tarred({"a.env": ENV, "b.bin": os.urandom(30_000)}, "w:gz")
    with piped(whole[: len(whole) * 3 // 4]) as r:
        res = keylatch("scan", f"/proc/self/fd/{r}", "app.env", cwd=tmp_path)
    assert res.code == 3, res.err
    assert f"/proc/self/fd/{r}!a.env:2" in res.out and "app.env:1" in res.out
    assert "not fully scanned" in res.err


def test_scan_of_a_pipe_holding_a_zip_reports_its_member(keylatch: RunKeylatch, tmp_path: Path) -> None:
    with piped(zipped(FILES)) as r:
        res = keylatch("scan", f"/proc/self/fd/{r}", cwd=tmp_path)
    assert res.code == 1, res.err
    assert f"/proc/self/fd/{r}!config/.env:2" in res.out
