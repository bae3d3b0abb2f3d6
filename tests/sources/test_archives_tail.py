"""sources/archives.py past a container's head: a zip known by its end record (magic.zip_end),
local entries its directory leaves out (zipscan.py), members of one name, gzip's header fields
and members (streams.py). The e2e matrix is tests/e2e/test_arch19_containers.py."""

from __future__ import annotations

import gzip
import io
import struct
import warnings
import zipfile
import zlib

import pytest

from keylatch.errors import ScanError
from keylatch.rules.synthetic import make_key
from keylatch.sources.archives import TAIL, Limits, is_archive, member_contents, zip_end
from tests.helpers.archives import zipped

KEY = make_key("sk-proj-", seed=1911)
ENV = f"OPENAI_API_KEY={KEY}\n".encode()


def _commented(comment: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.env", ENV)
        zf.comment = comment
    return out.getvalue()


@pytest.mark.parametrize("comment", [0, 1, 1000, 0xFFFF])
@pytest.mark.parametrize("stub", [b"", b"#!/bin/sh\nexit 0\n", b"MZ" + bytes(70_000)])
def test_a_zip_is_known_by_its_end_whatever_is_in_front_and_however_long_its_comment(stub: bytes, comment: int) -> None:
    data = stub + _commented(b"c" * comment)
    assert zip_end(data, len(data))
    assert zip_end(data[-TAIL:], len(data))  # its last TAIL bytes are enough
    assert is_archive(data[:512], data[-TAIL:], len(data))
    assert [label for label, _ in member_contents(data, "x", Limits())] == ["x!a.env", "x"]


@pytest.mark.parametrize(
    "text",
    [
        b"see PK\x05\x06 in the spec\n" * 10,  # the signature in text: no zero byte in the tail
        b"PK\x05\x06" + bytes(10),  # cut short: no whole record
        b"x" * 100 + b"PK\x05\x06" + bytes(4) + struct.pack("<HHII", 1, 2, 46, 0) + b"\0\0",  # counts differ
        b"x" * 10 + b"PK\x05\x06" + bytes(4) + struct.pack("<HHII", 1, 1, 4096, 0) + b"\0\0",  # directory past it
    ],
)
def test_what_is_no_end_record_is_no_zip(text: bytes) -> None:
    assert not zip_end(text, len(text))


def _local(name: str, data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = packer.compress(data) + packer.flush()
    head = struct.pack(
        "<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, zlib.crc32(data), len(raw), len(data), len(name), 0
    )
    return head + name.encode() + raw


def test_an_inner_zip_s_entries_are_its_own_not_hidden_entries_of_its_container() -> None:
    inner = zipped({"a.env": ENV})
    outer = zipped({"inner.zip": inner}, zipfile.ZIP_STORED)  # its local headers show in the outer's bytes
    labels = [label for label, _ in member_contents(outer, "o.zip", Limits())]
    assert labels == ["o.zip!inner.zip!a.env", "o.zip!inner.zip", "o.zip"]


def test_signatures_that_head_no_plausible_entry_are_bytes_like_any_other() -> None:
    # A comment full of local header signatures, none a readable entry: no error, no member.
    data = _commented(b"PK\x03\x04" * 1000 + b"PK\x03\x04\xff\xff" + bytes(40))
    labels = [label for label, _ in member_contents(data, "x", Limits())]
    assert labels == ["x!a.env", "x"]


def test_hidden_entries_after_one_another_are_each_read_once() -> None:
    hidden = _local("h1.env", ENV) + _local("h2.env", b"A=1\n")
    data = hidden + zipped({"readme": b"hello\n"})
    got = dict(member_contents(data, "x", Limits()))
    assert got["x!h1.env"] == ENV and got["x!h2.env"] == b"A=1\n" and got["x!readme"] == b"hello\n"
    assert KEY.encode() not in got["x"]  # deflated: the container's own leaf shows nothing of it


def test_members_of_one_name_are_labelled_apart_and_read_each() -> None:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as zf:
        warnings.simplefilter("ignore")  # "Duplicate name"
        for name, data in (("a", b"1\n"), ("a", b"2\n"), ("a#2", b"3\n")):
            zf.writestr(name, data)
    got = [(label, data) for label, data in member_contents(out.getvalue(), "x", Limits()) if "!" in label]
    assert got == [("x!a", b"1\n"), ("x!a#2", b"2\n"), ("x!a#2#2", b"3\n")]


def _gz(data: bytes, flags: int = 0, fields: bytes = b"") -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = packer.compress(data) + packer.flush()
    return (
        b"\x1f\x8b\x08"
        + bytes([flags])
        + bytes(5)
        + b"\xff"
        + fields
        + body
        + struct.pack("<II", zlib.crc32(data), len(data))
    )


def test_gzip_header_fields_are_the_file_s_own_leaf() -> None:
    data = _gz(b"one\n", 0x08 | 0x10, b"name.txt\0" + f"key={KEY}".encode() + b"\0") + _gz(b"two\n", 0x04, b"\x02\0XY")
    got = member_contents(data, "n.gz", Limits())
    assert got == [("n.gz!n", b"one\ntwo\n"), ("n.gz", b"name.txt\n" + f"key={KEY}".encode() + b"\nXY")]


@pytest.mark.parametrize(
    ("after", "why"),
    [
        (b"\n" + ENV, "not a stream"),  # text after the last member
        (b"\x1f\x8b\x08\x00", "inside a member's header"),  # a member cut in its header
    ],
)
def test_what_follows_a_gzip_s_last_member_is_a_member_or_an_error(after: bytes, why: str) -> None:
    assert member_contents(gzip.compress(b"a\n") + bytes(100), "p.gz", Limits())[0][1] == b"a\n"  # zero padding
    with pytest.raises(ScanError, match=why):
        member_contents(gzip.compress(b"a\n") + after, "p.gz", Limits())


def test_a_gzip_member_whose_crc_does_not_match_is_not_read_whole() -> None:
    data = bytearray(gzip.compress(b"hello\n"))
    data[-8] ^= 1
    with pytest.raises(ScanError, match=r"p\.gz: not fully scanned: .*CRC"):
        member_contents(bytes(data), "p.gz", Limits())
