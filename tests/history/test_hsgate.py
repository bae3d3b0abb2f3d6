"""The in-process literal pass finds every object holding a needle, wherever the reads split it,
and says when git's stream is not the one the listing predicted."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma

import pytest

from keylatch.history import hsgate
from keylatch.history.allobjects import start_heads
from keylatch.history.grepfilter import Objects
from keylatch.sources import archives
from keylatch.sources.magic import HEAD
from keylatch.sources.objects import LFS_POINTER
from tests.helpers.archives import tarred, zipped

NEEDLE = b"NEEDLE"
SIZES = (0, 5, 100, 300, 1000, 7, 2500)  # around and beyond the small buffer below
SMALL = 2 * HEAD  # bytes per read in these tests (the least follow takes): objects straddle reads


def stream(contents: list[bytes], missing: int = -1) -> tuple[Objects, io.BufferedReader]:
    """What `cat-file hsgate.FORMAT` prints for `contents`, and the listing that predicts it;
    object `missing` prints as git prints an object it lacks."""
    objs = Objects()
    out = bytearray()
    for i, data in enumerate(contents):
        oid = b"%040x" % (i + 1)
        objs.add(oid, len(data), commit=False)
        out += oid + b" missing\n" if i == missing else b"%s %d\n%s\n" % (oid, len(data), data)
    return objs, io.BufferedReader(io.BytesIO(bytes(out)))


def gate(heads: hsgate.Heads | None = None) -> hsgate.Gate:
    g = hsgate.gate((NEEDLE, b"OTHER-LITERAL"), heads)
    assert g is not None, "hyperscan is a dependency on this platform"
    return g


def hits(contents: list[bytes], read: int = SMALL, heads: hsgate.Heads | None = None) -> tuple[int, list[int]]:
    objs, src = stream(contents)
    found: list[int] = []
    matched = hsgate.follow(src, objs, 0, len(objs), gate(heads), found.append, lambda _o, _b: None, read)
    return matched, found


@pytest.mark.parametrize("read", [SMALL, 1 << 20])
@pytest.mark.parametrize("k", [i for i, size in enumerate(SIZES) if size >= len(NEEDLE)])
def test_a_needle_anywhere_in_any_object_is_found(k: int, read: int) -> None:
    for at in range(SIZES[k] - len(NEEDLE) + 1):  # every place, so across every read boundary
        contents = [b"x" * size for size in SIZES]
        contents[k] = contents[k][:at] + NEEDLE + contents[k][at + len(NEEDLE) :]
        assert hits(contents, read) == (len(SIZES), [k]), at


@pytest.mark.parametrize("read", [SMALL, 1 << 20])
def test_several_objects_with_needles_in_order_and_clean_ones_not(read: int) -> None:
    contents = [
        (b"y" * size)[: size // 2] + (NEEDLE if i % 2 else b"") + b"z" * (size // 2) for i, size in enumerate(SIZES * 3)
    ]
    assert hits(contents, read) == (len(contents), [i for i in range(len(contents)) if i % 2])


def test_a_needle_split_between_two_objects_is_no_needle() -> None:
    assert hits([b"a" * 50 + NEEDLE[:3], NEEDLE[3:] + b"b" * 50]) == (2, [])


def test_a_blob_that_repeats_a_needle_is_one_candidate() -> None:
    assert hits([NEEDLE * 10_000, b"clean"], read=4096) == (2, [0])


@pytest.mark.parametrize("read", [SMALL, 1 << 20])
@pytest.mark.parametrize("missing", [0, 3, 5])
def test_an_object_git_lacks_stops_the_range_there(read: int, missing: int) -> None:
    objs, src = stream([b"x" * size + NEEDLE for size in SIZES], missing=missing)
    found: list[int] = []
    matched = hsgate.follow(src, objs, 0, len(objs), gate(), found.append, lambda _o, _b: None, read)
    assert matched == missing
    assert found == list(range(missing))  # what was read before it was checked


@pytest.mark.parametrize("cut", [1, 2, 30, 700])
def test_a_stream_that_ends_early_is_out_of_step(cut: int) -> None:
    objs, src = stream([b"x" * size for size in SIZES])
    short = io.BufferedReader(io.BytesIO(src.read()[:-cut]))
    assert hsgate.follow(short, objs, 0, len(objs), gate(), list[int]().append, lambda _o, _b: None, SMALL) < len(objs)


def test_more_output_than_asked_for_is_out_of_step() -> None:
    objs, src = stream([b"a", b"b"])
    longer = io.BufferedReader(io.BytesIO(src.read() + b"%040x 1\nc\n" % 9))
    assert hsgate.follow(longer, objs, 0, len(objs), gate(), list[int]().append, lambda _o, _b: None) == -1


def heads() -> hsgate.Heads:
    def test(head: bytes) -> bool:
        return head.startswith(LFS_POINTER) or bool(archives.kind(head))

    return hsgate.Heads((*archives.MAGIC_NEEDLES, LFS_POINTER), test)


@pytest.mark.parametrize("read", [SMALL, 1 << 20])
@pytest.mark.parametrize("which", ["test only", "history's"])
def test_objects_read_for_how_they_start(read: int, which: str) -> None:
    # history's heads look at the first byte (and tar's offset 257) before calling the test
    chosen = heads() if which == "test only" else start_heads(depth=1)
    contents = [
        gzip.compress(b"plain words\n" * 50),  # an archive: its members are read
        b"text then " + gzip.compress(b"x"),  # the magic not at the start: plain bytes
        LFS_POINTER + b"\noid sha256:00\nsize 3\n",  # an LFS pointer: counted
        tarred({"a": b"x" * 2000}),  # tar's magic sits at offset 257; larger than the small buffer
        b"x" * 300,
        b"\0" * 257 + b"ustar" + b"\0" * 250,  # the magic, no valid header: plain bytes
    ]
    assert hits(contents, read, chosen) == (6, [0, 2, 3])


ARCHIVES = {
    "zip": zipped({"a.txt": b"x" * 100}),
    "empty zip": zipped({}),
    "gzip": gzip.compress(b"x" * 100),
    "bzip2": bz2.compress(b"x" * 100),
    "empty bzip2": bz2.compress(b""),
    "xz": lzma.compress(b"x" * 100),
    "tar": tarred({"a": b"x" * 100}),
    "lfs": LFS_POINTER + b"\noid sha256:00\nsize 3\n",
}


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_history_heads_pass_every_start_the_test_accepts(name: str) -> None:
    """The first-byte and offset checks are a superset of magic.kind: every start it accepts
    passes them, and with any other first byte (and no tar mark) kind accepts nothing."""
    h = start_heads(depth=1)
    data = ARCHIVES[name]
    assert h.test(data[:HEAD])
    objs, src = stream([data])
    assert hsgate.follow(src, objs, 0, 1, gate(h), (found := list[int]()).append, lambda _o, _b: None) == 1
    assert found == [0]
    for first in set(range(256)) - h.firsts:
        other = bytes((first,)) + data[1:HEAD]
        assert other[257:262] == b"ustar" or not h.test(other), (name, first)


def test_without_archives_only_lfs_pointers_are_read_apart() -> None:
    h = start_heads(depth=0)
    assert not h.test(ARCHIVES["gzip"]) and h.test(ARCHIVES["lfs"])
    assert (h.firsts, h.marks) == (frozenset(LFS_POINTER[:1]), ())


def test_progress_counts_objects_and_bytes() -> None:
    objs, src = stream([b"x" * 10] * 5000)
    seen: list[tuple[int, int]] = []
    assert hsgate.follow(src, objs, 0, len(objs), gate(), list[int]().append, lambda o, b: seen.append((o, b))) == 5000
    assert seen[-1] == (5000, 50_000)
    assert [o for o, _ in seen] == sorted(o for o, _ in seen)
