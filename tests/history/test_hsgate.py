"""The in-process literal pass finds every object holding a needle, wherever the reads split it,
and says when git's stream is not the one the listing predicted."""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import lzma

import pytest

from keylatch import prefilter
from keylatch.history import hsgate
from keylatch.history.allobjects import start_heads
from keylatch.history.grepfilter import Objects
from keylatch.prefilter import present_each
from keylatch.rules import needles
from keylatch.rules.synthetic import make_key
from keylatch.sources import archives
from keylatch.sources.magic import HEAD
from keylatch.sources.objects import BLOCK, LFS_POINTER
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


# History's readers gate with the rules' needles, `ek_` only where a key may start (as scan's gate
# and the engine's windows: prefilter.EK_START); tests/test_prefilter.py holds the engine's side.
EK_STARTS = ["", " ", '"', "'", "=", ":", "(", "\n", "\t", "\\n", "\\t", "%22", "\\u0022", "\\x22", "\\042", "\x80"]
EK_INSIDE = ["s", "lse", "pe", "we", "_", "-", "+", "/", "9", "Z", "\\q", "%2", "\\u002", "\\x2"]
EK_KEY = make_key("ek_", seed=17)


def history_hits(contents: list[bytes], read: int = SMALL) -> list[int]:
    objs, src = stream(contents)
    g = hsgate.gate(needles(), start_heads(depth=1))
    assert g is not None
    found: list[int] = []
    assert hsgate.follow(src, objs, 0, len(objs), g, found.append, lambda _o, _b: None, read) == len(objs)
    return found


@pytest.mark.parametrize("read", [SMALL, 1 << 20])
@pytest.mark.parametrize("before", EK_STARTS)
def test_ek_where_a_key_may_start_makes_a_candidate_wherever_the_reads_cut(before: str, read: int) -> None:
    word = f"{before}{EK_KEY}".encode("latin-1")
    for at in (0, 1, 7, 500, 1017, 1500):  # the object's first byte, and across read boundaries
        pad = b" " * at if before or at == 0 else b" " * (at - 1) + b"\n"
        assert history_hits([b"x" * 300, pad + word + b" lseek_", b"y" * 700], read) == [1], at


@pytest.mark.parametrize("read", [SMALL, 1 << 20])
@pytest.mark.parametrize("before", EK_INSIDE)
def test_ek_inside_a_word_alone_is_no_candidate(before: str, read: int) -> None:
    word = f"{before}ek_{EK_KEY[3:]}".encode("latin-1")
    contents = [b"x" * 300, b"off_t " + word + b" = lseek_(fd);\n" * 40, b"peek_" * 500]
    assert history_hits(contents, read) == []
    # a needle of another kind, or `ek_` as UTF-16 writes it, still makes one
    assert history_hits([*contents, word + b" sess-", "ek_".encode("utf-16-le")], read) == [3, 4]


def test_an_object_the_engine_reads_in_blocks_is_gated_by_the_plain_literals() -> None:
    # The engine takes each block's first byte (about every 8 MiB) as a place a key may start,
    # so over BLOCK an `ek_` anywhere makes a candidate; under it, not in a word.
    def one_lseek(size: int, at: int) -> bytes:
        return b"x" * at + b" lseek_(fd)" + b"x" * (size - at)

    small, big = one_lseek(2 << 20, 1_500_003), one_lseek(BLOCK + 1, 5_000_003)
    assert history_hits([small, big, b"clean"], read=1 << 20) == [1]


def _wrapped(data: bytes, width: int = 76) -> bytes:
    encoded = base64.b64encode(data)
    return b"\n".join(encoded[i : i + width] for i in range(0, len(encoded), width)) + b"\n"


@pytest.mark.parametrize("read", [SMALL, 1 << 20])
def test_an_object_that_starts_as_wrapped_base64_is_a_candidate(read: int) -> None:
    env = f"# openai realtime\nEPHEMERAL={EK_KEY}\n".encode() * 3
    contents = [
        _wrapped(env),  # `base64 .env`: no needle in its bytes, read as scan reads it
        _wrapped(env, 64),
        _wrapped(env, 120),
        b"data: " + base64.b64encode(env) + b"\n",  # not a wrapped file (scan passes it over too)
        base64.b64encode(env) + b"\n",  # one line longer than 120
        _wrapped(env, 40),  # lines shorter than 60
    ]
    assert [prefilter.wrapped_base64_width(c) > 0 for c in contents] == [True] * 3 + [False] * 3
    assert not any(present_each(c, needles()) for c in contents)
    assert history_hits(contents, read) == [0, 1, 2]


AZURE_KEY = make_key("azure-classic", seed=5)
EVIDENCE = [
    "AZURE_OPENAI_ENDPOINT",
    "https://x.openai.azure.com",
    "azure_deployment",
    "AzureChatOpenAI(",
    "Azure AI Services",
]


@pytest.mark.parametrize("read", [SMALL, 1 << 20])
@pytest.mark.parametrize("evidence", EVIDENCE)
def test_azure_makes_a_candidate_only_with_its_openai_evidence(evidence: str, read: int) -> None:
    pipelines = b"# Azure Pipelines\n" + b"steps: [azure-cli]\n" * 30 + f"key = {AZURE_KEY}\n".encode()
    assert history_hits([b"x" * 300, pipelines, b"AZURE_CLIENT_ID=1\n" * 9], read) == []
    for at in (0, 1, 500, 1009, 1500):  # across read boundaries
        shown = b" " * at + evidence.encode() + b"\n" + f"api_key = {AZURE_KEY}\n".encode()
        assert history_hits([b"x" * 300, pipelines, shown], read) == [2], at
