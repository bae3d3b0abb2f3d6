"""sources/objects.py (the one cat-file reader) and sources/blocks.py (the one block splitter)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from keylatch.errors import ScanError
from keylatch.model import Chunk
from keylatch.sources.blocks import OVERLAP, blocks
from keylatch.sources.commit_files import read_blobs
from keylatch.sources.gitcmd import Git
from keylatch.sources.objects import BlobHeader, read_batch, read_objects
from tests.helpers.gitrepo import GitRepo

MakeRepo = Callable[..., GitRepo]


def test_read_objects_reports_missing_as_none(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("a.txt", "hello\n")
    repo.write("with space.txt", "spaced\n")
    repo.commit("init")
    git = Git(repo.path)
    names = ["HEAD:a.txt", "HEAD:nope", "0" * 40, "HEAD:with space.txt", "HEAD:no such thing"]
    got = read_objects(git, names)
    assert got == {
        "HEAD:a.txt": b"hello\n",
        "HEAD:nope": None,
        "0" * 40: None,
        "HEAD:with space.txt": b"spaced\n",
        "HEAD:no such thing": None,
    }
    head = read_batch(git, ["HEAD"])["HEAD"]
    assert head is not None and head.kind == b"commit"


def test_more_names_than_one_batch_are_all_read(make_repo: MakeRepo) -> None:
    repo = make_repo()
    for i in range(1005):  # above the per-process batch of 1000
        repo.write(f"d/f{i}.txt", f"{i}\n")
    repo.commit("many")
    got = read_objects(Git(repo.path), [f"HEAD:d/f{i}.txt" for i in range(1005)])
    assert [got[f"HEAD:d/f{i}.txt"] for i in (0, 999, 1000, 1004)] == [b"0\n", b"999\n", b"1000\n", b"1004\n"]


def test_a_tree_named_as_a_file_is_damage_for_ci(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write("d/a.txt", "a\n")
    repo.commit("init")
    tree = repo.git("rev-parse", "HEAD:d").strip()
    with pytest.raises(ScanError, match="missing or not a file"):
        read_blobs(Git(repo.path), [tree])
    with pytest.raises(ScanError, match="missing or not a file"):
        read_blobs(Git(repo.path), ["1" * 40])


@pytest.mark.parametrize("size", [0, 1, OVERLAP, OVERLAP + 1001, 3 * OVERLAP + 7, 5 * OVERLAP])
@pytest.mark.parametrize("short_reads", [False, True])
def test_blocks_cover_every_window_with_true_line_numbers(size: int, short_reads: bool) -> None:
    # Files (short reads, the end found by an empty read) and objects (exact sizes) share blocks():
    # every OVERLAP-long window lies whole in one chunk, and first_line is the real line number.
    data = bytes((i * 7) % 251 for i in range(size)).replace(b"\x00", b"\n")
    block = OVERLAP + 1000
    pos = 0

    def fill(n: int) -> tuple[bytes, bool]:
        nonlocal pos
        piece = data[pos : pos + (min(n, 999) if short_reads and n > 999 else n)]
        pos += len(piece)
        return piece, not short_reads and pos >= len(data)

    chunks = list(blocks(fill, block, "p", blob="b"))
    start = end = 0
    for c in chunks:
        start = end - min(OVERLAP, end - start)  # the previous chunk's last OVERLAP bytes again
        assert data[start : start + len(c.data)] == c.data and len(c.data) <= block
        assert c.first_line == 1 + data.count(b"\n", 0, start) and c.path == "p" and c.blob == "b"
        end = start + len(c.data)
    assert end == len(data)
    for w in range(0, max(size - OVERLAP, 0) + 1, 4093):
        window = data[w : w + OVERLAP]
        assert any(window in c.data for c in chunks)


def test_ids_that_trickle_in_are_read_at_once_and_an_abandoned_stream_releases_them(make_repo: MakeRepo) -> None:
    """stream_objects(eager=True): an id is read as soon as it comes, not when the next ones
    fill a buffer; release() unblocks an id iterator waiting for more when the visitor fails."""
    import threading

    from keylatch.sources.objects import stream_objects

    repo = make_repo()
    first = repo.write("a.txt", "first\n")
    oid = repo.git("hash-object", "-w", str(first)).encode()
    more = threading.Event()  # set only by release(): no more ids would ever come otherwise

    def ids() -> Iterator[bytes]:
        yield oid
        more.wait(timeout=30)  # without eager, git would see the id only when this ends

    seen: list[bytes] = []

    def visit(header: BlobHeader, chunks: Iterator[Chunk] | None) -> None:
        seen.append(b"".join(c.data for c in chunks or ()))
        raise KeyboardInterrupt  # as Ctrl-C would, while the iterator still waits

    with pytest.raises(KeyboardInterrupt):
        stream_objects(Git(repo.path), ids(), visit, eager=True, release=more.set)
    assert seen == [b"first\n"]
    assert more.is_set()  # released, not timed out: the id was read while the iterator waited
