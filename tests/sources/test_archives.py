"""sources/archives.py: archives opened by their header, members labelled, every limit enforced."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.errors import ScanError
from keylatch.rules.synthetic import make_key
from keylatch.sources.archives import Limits, kind, member_contents, members, rejoin, stream_chunks
from tests.helpers.archives import tarred, zipped

KEY = make_key("sk-proj-", seed=3)
ENV = f"A=1\nOPENAI_API_KEY={KEY}\n".encode()


CONTAINERS: dict[str, Callable[[dict[str, bytes]], bytes]] = {
    "zip-deflate": zipped,
    "zip-stored": lambda f: zipped(f, zipfile.ZIP_STORED),
    "tar": tarred,
    "tar.gz": lambda f: tarred(f, "w:gz"),
    "tar.bz2": lambda f: tarred(f, "w:bz2"),
    "tar.xz": lambda f: tarred(f, "w:xz"),
}


@pytest.mark.parametrize("container", sorted(CONTAINERS))
def test_each_container_yields_its_members_by_name(container: str) -> None:
    data = CONTAINERS[container]({"config/.env": ENV, "README": b"hello\n"})
    assert kind(data[:512]) is not None
    got = dict(member_contents(data, "bundle.bin", Limits()))
    # Then the container's own bytes: its names, less the members read whole (reported there).
    around = got.pop("bundle.bin")
    assert got == {"bundle.bin!config/.env": ENV, "bundle.bin!README": b"hello\n"}
    assert b"config/.env" in around and KEY.encode() not in around


@pytest.mark.parametrize(("compress", "name", "label"), [
    (gzip.compress, "app.env.gz", "app.env.gz!app.env"),
    (bz2.compress, "app.env.bz2", "app.env.bz2!app.env"),
    (lzma.compress, "app.env.xz", "app.env.xz!app.env"),
    (gzip.compress, "renamed.png", "renamed.png!renamed.png"),
])  # fmt: skip
def test_a_compressed_plain_file_is_named_after_itself(
    compress: Callable[[bytes], bytes], name: str, label: str
) -> None:
    assert member_contents(compress(ENV), name, Limits()) == [(label, ENV)]


def test_plain_text_is_no_archive() -> None:
    assert kind(ENV) is None and kind(b"") is None and kind(b"PK") is None


def _members_only(leaves: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The members' leaves, without the containers' own bytes around them (labelled by their
    names, at every level: `n.zip`, `n.zip!inner.zip`)."""
    containers = {label.rsplit("!", i)[0] for label, _ in leaves for i in range(1, label.count("!") + 1)}
    return [(label, data) for label, data in leaves if label not in containers]


def nest(levels: int) -> bytes:
    data = zipped({"config/.env": ENV})
    for i in range(levels - 1):
        data = zipped({f"level{i}.zip": data})
    return data


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_nesting_to_the_depth_limit_is_read_and_one_more_is_refused(depth: int) -> None:
    ((label, data),) = _members_only(member_contents(nest(depth), "n.zip", Limits(depth=depth)))
    assert data == ENV and label.endswith("!config/.env") and label.count("!") == depth
    with pytest.raises(ScanError, match=rf"nested deeper than {depth} archive layers? \(archive-depth\)"):
        member_contents(nest(depth + 1), "n.zip", Limits(depth=depth))


def test_a_high_ratio_member_stops_at_the_ratio_limit() -> None:
    bomb = zipped({"zeros": b"\0" * (64 << 20)})  # about 1000:1
    with pytest.raises(ScanError, match=r"n\.zip!zeros: not fully scanned: .*archive-max-ratio"):
        member_contents(bomb, "n.zip", Limits())


def test_total_expanded_bytes_stop_at_the_byte_limit() -> None:
    # Ratio allowed, size not: many members, each well compressible, together over the limit.
    files = {f"f{i}": bytes(range(256)) * 4096 for i in range(8)}  # 1 MiB each
    with pytest.raises(ScanError, match=r"expands to more than 4 MiB \(archive-max-bytes\)"):
        member_contents(zipped(files), "big.zip", Limits(max_bytes=4 << 20, max_ratio=1000))


def test_a_nested_bomb_stops_at_the_limit_not_at_its_size() -> None:
    inner = zipped({"zeros": b"\0" * (8 << 20)})
    outer = zipped({f"copy{i}.zip": inner for i in range(16)})  # 128 MiB in all
    with pytest.raises(ScanError, match=r"archive-max-bytes"):
        member_contents(outer, "42.zip", Limits(max_bytes=16 << 20, max_ratio=10_000))


def overlapping_zip(copies: int) -> bytes:
    """A zip whose central directory lists the same local entry `copies` times (Fifield's
    overlapping-entry bomb, simplified): each entry expands the one deflate stream again."""
    one = zipped({"k": b"\0" * (2 << 20)})
    with zipfile.ZipFile(io.BytesIO(one)) as zf:
        info = zf.infolist()[0]
    eocd = one.rindex(b"PK\x05\x06")
    cd_at = int.from_bytes(one[eocd + 16 : eocd + 20], "little")
    entry = one[cd_at:eocd]
    body = one[:cd_at]
    central = entry * copies
    tail = (
        b"PK\x05\x06" + b"\0\0\0\0" + copies.to_bytes(2, "little") * 2
        + len(central).to_bytes(4, "little") + len(body).to_bytes(4, "little") + b"\0\0"
    )  # fmt: skip
    assert info.file_size == 2 << 20
    return body + central + tail


def test_an_overlapping_entry_bomb_stops_at_the_byte_limit() -> None:
    with pytest.raises(ScanError, match=r"not fully scanned"):
        member_contents(overlapping_zip(64), "o.zip", Limits(max_bytes=16 << 20, max_ratio=100_000))


def test_an_encrypted_member_is_named() -> None:
    data = bytearray(zipped({"secret.env": ENV}))
    # Set the "encrypted" flag bit in the local and the central header, as zip -e does.
    for magic, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.index(magic) + at
        data[i] |= 1
    with pytest.raises(ScanError, match=r"e\.zip!secret\.env: not fully scanned: encrypted"):
        member_contents(bytes(data), "e.zip", Limits())


@pytest.mark.parametrize("container", sorted(CONTAINERS))
@pytest.mark.parametrize("keep", [0.3, 0.6])  # tar: 0.9 is in its zero padding, a true end
def test_a_truncated_archive_is_not_fully_scanned(container: str, keep: float) -> None:
    data = CONTAINERS[container]({"a.env": ENV, "b.txt": bytes(range(256)) * 64})
    with pytest.raises(ScanError, match=r"^t\.bin(!\S+)?: not fully scanned: "):
        member_contents(data[: int(len(data) * keep)], "t.bin", Limits())


def test_a_tar_cut_at_a_member_boundary_is_truncated_not_clean() -> None:
    data = tarred({"a": b"x", "b": b"y"})
    with pytest.raises(ScanError, match=r"truncated"):
        member_contents(data[:1024], "c.tar", Limits())


def test_depth_zero_is_refused_by_members() -> None:
    with pytest.raises(ScanError, match="archive-depth"):
        member_contents(zipped({"a": b"x"}), "z.zip", Limits(depth=0))


names = st.text(st.characters(codec="utf-8", exclude_characters="\0/"), min_size=1, max_size=30)


@settings(max_examples=40, deadline=None)
@given(name=names)
def test_member_names_are_escaped_labels(name: str) -> None:
    ((label, data),) = _members_only(member_contents(zipped({f"../../{name}": ENV}), "z.zip", Limits()))
    assert data == ENV and label.isprintable() and label.startswith("z.zip!../../")


def test_rejoin_names_members_inside_the_path() -> None:
    assert rejoin("dist/b.zip", "!config/.env") == "dist/b.zip!config/.env"
    assert rejoin("logs/app.env.gz", "!-") == "logs/app.env.gz!app.env"
    assert rejoin("a.txt", "") == "a.txt"


PAD = b"filler line\n" * 200
# Archives that pass the header checks but cannot be read whole; ENV shows in their raw bytes.
DAMAGED: dict[str, bytes] = {
    "zip-stored-cut": zipped({"a.env": ENV + PAD}, zipfile.ZIP_STORED)[:1500],
    "tar-cut-in-member": tarred({"a.env": ENV + PAD})[:1500],
    "tar-cut-at-header": tarred({"a.env": ENV, "b": PAD})[:1100],
    "gzip-then-text": gzip.compress(PAD) + ENV,
    "bzip2-then-text": bz2.compress(PAD) + ENV,
    "xz-then-text": lzma.compress(PAD) + ENV,
    "bzip2-cut-then-text": bz2.compress(bytes(range(256)) * 40)[:-40] + ENV,
}


def drain(data: bytes, name: str) -> tuple[list[tuple[str, bytes]], ScanError]:
    got: list[tuple[str, bytes]] = []
    with pytest.raises(ScanError) as raised:
        for label, read in members(io.BytesIO(data), name, Limits()):
            got.append((label, b"".join(iter(lambda r=read: r(1 << 16), b""))))  # type: ignore[misc]
    return got, raised.value


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_an_archive_not_read_whole_yields_its_raw_bytes_last_under_its_own_name(case: str) -> None:
    data = DAMAGED[case]
    assert kind(data[:512]) is not None
    got, error = drain(data, "d/t.bin")
    # The raw bytes, as a plain file's (members read whole blanked, lines kept: rawleaf.py), then
    # the error: the key shows in exactly one leaf, a member's or the raw bytes'.
    label, raw = got[-1]
    assert label == "d/t.bin" and len(raw) == len(data) and raw.count(b"\n") == data.count(b"\n")
    assert b"".join(leaf for _, leaf in got).count(ENV) == 1, got
    assert str(error).startswith("d/t.bin") and "not fully scanned" in str(error)


@pytest.mark.parametrize("compress", [bz2.compress, lzma.compress, gzip.compress])
def test_concatenated_streams_and_zero_padding_are_read_whole(compress: Callable[[bytes], bytes]) -> None:
    data = compress(b"one\n") + compress(ENV) + bytes(8)
    assert member_contents(data, "a.env.x", Limits()) == [("a.env.x!a.env.x", b"one\n" + ENV)]


def test_a_stream_that_cannot_be_read_whole_yields_its_raw_bytes_too() -> None:
    data = bz2.compress(PAD) + ENV
    chunks = []
    with pytest.raises(ScanError, match="not a stream"):
        for chunk in stream_chunks(io.BytesIO(data).read, "<stdin>", Limits(), 1 << 16):
            chunks.append(chunk)
    assert [c.path for c in chunks] == ["<stdin>!<stdin>", "<stdin>"]
    assert chunks[0].data == PAD and chunks[1].data == data
