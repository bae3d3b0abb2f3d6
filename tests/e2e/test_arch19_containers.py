"""Containers that hid a key from every command, which then exited 0 (t-arch19):

- a zip with bytes in front (a self-extracting installer, `cat stub.sh app.zip`): read as text
  only, a deflated member's key was missed. It is known by its end record now, as zipfile opens it;
- a local entry the central directory leaves out (between members, before them, with its sizes
  in a data descriptor): never inflated;
- two members of one name: counted as one file (and told apart by nothing);
- a nested container's own bytes (its comment, names, pax records): only the top level was
  scanned around its members;
- a gzip header's name, comment or extra field, and the second of concatenated gzip members.

Each is found, through scan, staged, history and `scan -`, or, where it cannot be read, the
command exits 3 naming it. Archives are built in memory; keys are synthetic."""

from __future__ import annotations

import gzip
import io
import random
import struct
import tarfile
import warnings
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.archives import ARCHIVE_COMMANDS, run_on_archive, tarred
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import Result, RunKeylatch

pytestmark = pytest.mark.e2e
MakeRepo = Callable[..., GitRepo]
KEY = make_key("sk-proj-", seed=1901)
SHORT = make_key("sk-", seed=1902)  # fits a member's name
ENV = f"OPENAI_API_KEY={KEY}\n".encode()
CLEAN = b"nothing to see\n"


def _zip(files: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED, comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w", method) as zf:
        warnings.simplefilter("ignore")  # "Duplicate name": two members of one name on purpose
        for name, data in files:
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=method)
        zf.comment = comment
    return out.getvalue()


def _local(name: str, data: bytes, method: int = 8, descriptor: bool = False, corrupt: bool = False) -> bytes:
    """A local file header and its data (APPNOTE 4.3.7) that no directory entry will name."""
    if method == 8:
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw = packer.compress(data) + packer.flush()
    else:
        raw = data
    if corrupt:
        raw = b"\xff" * len(raw)  # a reserved deflate block type: no inflater reads it
    crc = zlib.crc32(data)
    sizes = (0, 0) if descriptor else (len(raw), len(data))
    flags = 0x08 if descriptor else 0
    head = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, flags, method, 0, 0x21, crc, *sizes, len(name), 0)
    tail = struct.pack("<4s3I", b"PK\x07\x08", crc, len(raw), len(data)) if descriptor else b""
    return head + name.encode() + raw + tail


def _between(entry: bytes) -> bytes:
    """A zip whose local entry `entry` lies between its member and its central directory."""
    data = _zip([("readme.txt", CLEAN)])
    cd = data.index(b"PK\x01\x02")
    out = bytearray(data[:cd] + entry + data[cd:])
    end = out.rindex(b"PK\x05\x06")
    out[end + 16 : end + 20] = struct.pack("<I", cd + len(entry))  # the directory moved
    return bytes(out)


def _before(entry: bytes) -> bytes:
    """A zip whose local entry `entry` comes before its members (zipfile reads from the end)."""
    return entry + _zip([("readme.txt", CLEAN)])


def _covered(method: int) -> bytes:
    """A zip whose first member's sizes (local and central) run past its data over bytes that
    are no member's, a key among them: read whole all the same (its data ends first)."""
    data = _zip([("a.txt", CLEAN), ("b.txt", CLEAN)], method)
    junk = b"\n" + ENV
    second = data.index(b"PK\x03\x04", 4)
    out = bytearray(data[:second] + junk + data[second:])
    first_cd = out.index(b"PK\x01\x02")
    second_cd = out.index(b"PK\x01\x02", first_cd + 4)
    end = out.rindex(b"PK\x05\x06")
    for at in (18, first_cd + 20):  # its compressed size, in its local header and its directory entry
        struct.pack_into("<I", out, at, struct.unpack_from("<I", out, at)[0] + len(junk))
    struct.pack_into("<I", out, second_cd + 42, second + len(junk))  # the next member moved
    struct.pack_into("<I", out, end + 16, first_cd)  # and so did the directory
    return bytes(out)


def _gzip(data: bytes, *, name: bytes = b"", comment: bytes = b"", extra: bytes = b"") -> bytes:
    """One gzip member with the header fields given (RFC 1952 2.3)."""
    flags = (0x04 if extra else 0) | (0x08 if name else 0) | (0x10 if comment else 0)
    head = b"\x1f\x8b\x08" + bytes([flags]) + bytes(5) + b"\xff"
    if extra:
        head += struct.pack("<H", len(extra)) + extra
    head += (name + b"\0" if name else b"") + (comment + b"\0" if comment else b"")
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return head + packer.compress(data) + packer.flush() + struct.pack("<II", zlib.crc32(data), len(data))


def _tar_pax(comment: str) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        info = tarfile.TarInfo("a.txt")
        info.size, info.pax_headers = len(CLEAN), {"comment": comment}
        tf.addfile(info, io.BytesIO(CLEAN))
    return out.getvalue()


def _sfx() -> bytes:
    """A self-extracting installer: a shell stub, then a zip (`cat stub.sh app.zip`)."""
    return b'#!/bin/sh\nexec unzip -o "$0"\n' + _zip([("a.env", ENV)])


def _inner_commented() -> bytes:
    return _zip([("x.txt", CLEAN)], comment=f"key={KEY}".encode())


# name -> (file name, its bytes, where the key is reported, the key)
FOUND: dict[str, tuple[str, Callable[[], bytes], str, str]] = {
    "sfx shell stub": ("installer", _sfx, "installer!a.env", KEY),
    "sfx in a zip": ("release.zip", lambda: _zip([("setup.sh", _sfx())]), "release.zip!setup.sh!a.env", KEY),
    "sfx in a tar.gz": (
        "release.tgz", lambda: gzip.compress(tarred({"setup.sh": _sfx()})), "release.tgz!setup.sh!a.env", KEY
    ),
    "sfx gzipped": ("setup.sh.gz", lambda: gzip.compress(_sfx()), "setup.sh.gz!setup.sh!a.env", KEY),
    "sfx binary stub, zip comment": (
        "setup.exe", lambda: b"MZ\x90\x00" + bytes(300) + _zip([("a.env", ENV)], comment=b"v1.0\n"), "setup.exe!a.env",
        KEY,
    ),
    "hidden entry between members": ("bundle.zip", lambda: _between(_local("h.env", ENV)), "bundle.zip!h.env", KEY),
    "hidden entry before members": ("bundle.zip", lambda: _before(_local("h.env", ENV)), "bundle.zip!h.env", KEY),
    "hidden entry, data descriptor": (
        "bundle.zip", lambda: _between(_local("h.env", ENV, descriptor=True)), "bundle.zip!h.env", KEY
    ),
    "hidden entry, stored": ("bundle.zip", lambda: _between(_local("h.env", ENV, method=0)), "bundle.zip!h.env", KEY),
    "bytes a stored member's size runs over": ("bundle.zip", lambda: _covered(zipfile.ZIP_STORED), "bundle.zip", KEY),
    "bytes a deflated member's size runs over": (
        "bundle.zip", lambda: _covered(zipfile.ZIP_DEFLATED), "bundle.zip", KEY
    ),
    "duplicate name, first": (
        "bundle.zip", lambda: _zip([("a.env", ENV), ("a.env", CLEAN)]), "bundle.zip!a.env", KEY
    ),
    "duplicate name, second": (
        "bundle.zip", lambda: _zip([("a.env", CLEAN), ("a.env", ENV)]), "bundle.zip!a.env#2", KEY
    ),
    "zip comment of a zip in a zip": (
        "outer.zip", lambda: _zip([("inner.zip", _inner_commented())]), "outer.zip!inner.zip", KEY
    ),
    "zip comment of a stored zip in a zip": (
        "outer.zip", lambda: _zip([("inner.zip", _inner_commented())], zipfile.ZIP_STORED), "outer.zip!inner.zip", KEY
    ),
    "zip comment of a zip in a tar.gz": (
        "bundle.tgz", lambda: gzip.compress(tarred({"inner.zip": _inner_commented()})), "bundle.tgz!inner.zip", KEY
    ),
    "member name of a zip in a tar": (
        "bundle.tar", lambda: tarred({"inner.zip": _zip([(f"k/{SHORT}.txt", CLEAN)])}), "bundle.tar!inner.zip", SHORT
    ),
    "pax record of a tar in a zip": (
        "outer.zip", lambda: _zip([("inner.tar", _tar_pax(f"key={KEY}"))]), "outer.zip!inner.tar", KEY
    ),
    "gzip file name": ("app.env.gz", lambda: _gzip(CLEAN, name=f"k{KEY}".encode()), "app.env.gz", KEY),
    "gzip comment": ("app.env.gz", lambda: _gzip(CLEAN, comment=f"key={KEY}".encode()), "app.env.gz", KEY),
    "gzip extra field": (
        "app.env.gz", lambda: _gzip(CLEAN, extra=b"KL" + struct.pack("<H", len(ENV)) + ENV), "app.env.gz", KEY
    ),
    "second gzip member": ("app.env.gz", lambda: _gzip(CLEAN) + _gzip(ENV), "app.env.gz!app.env", KEY),
    "second gzip member of a tar.gz": (
        "bundle.tgz", lambda: _gzip(tarred({"a.txt": ENV})[:512]) + _gzip(tarred({"a.txt": ENV})[512:]),
        "bundle.tgz!a.txt", KEY,
    ),
}  # fmt: skip


def _on_stdin(name: str, where: str) -> str:
    """Where a key is reported when the file is read from standard input: a compressed plain
    file there is named after the pipe too (`<stdin>!<stdin>`)."""
    inner = name.removesuffix(".gz")
    if name.endswith(".gz") and where.startswith(f"{name}!{inner}"):
        return "<stdin>!<stdin>" + where[len(name) + 1 + len(inner) :]
    return "<stdin>" + where[len(name) :]


def _run(keylatch: RunKeylatch, make_repo: MakeRepo, tmp_path: Path, command: str, name: str, data: bytes) -> Result:
    if command == "scan -":
        # The bytes on standard input, in this process (tests/test_in_process.py compares a
        # child's answer to binary input with this one's).
        return keylatch("scan", "-", cwd=tmp_path, input=data)
    return run_on_archive(keylatch, make_repo, command, name, data)


@pytest.mark.parametrize("command", [*ARCHIVE_COMMANDS, "scan -"])
@pytest.mark.parametrize("case", sorted(FOUND))
def test_a_key_hidden_in_a_container_is_found(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, case: str, command: str
) -> None:
    name, build, where, key = FOUND[case]
    res = _run(keylatch, make_repo, tmp_path, command, name, build())
    shown = res.out + res.err
    assert key not in shown
    if command == "scan -" and case in ("sfx shell stub", "sfx binary stub, zip comment"):
        # A stream cannot go back from the end record to the members: said so, exit 3.
        assert res.code == 3, res
        assert "<stdin>: not fully scanned: a zip with bytes in front of it" in res.err, res
        return
    assert res.code == 1, res
    if command == "scan -":
        where = _on_stdin(name, where)
    assert f"{where}:" in res.out, res
    assert f"...{key[-4:]}" in res.out


def _unknown_method() -> bytes:
    entry = bytearray(_local("h.env", ENV))
    entry[8:10] = struct.pack("<H", 93)  # zstd (APPNOTE 4.4.5): a method keylatch cannot read
    return _between(bytes(entry))


# name -> (file name, its bytes, what is named, the reason's words)
UNREAD: dict[str, tuple[str, Callable[[], bytes], str, str]] = {
    "hidden entry, unknown method": ("bundle.zip", _unknown_method, "bundle.zip!h.env", "compression method"),
    "hidden entry, corrupt data": (
        "bundle.zip", lambda: _between(_local("h.env", ENV, corrupt=True)), "bundle.zip!h.env", "corrupt"
    ),
    "hidden entry, data descriptor, bzip2": (
        "bundle.zip", lambda: _between(_local("h.env", ENV, method=12, descriptor=True)), "bundle.zip!h.env",
        "compression method",
    ),
    "hidden entry, a bomb": (
        "bundle.zip", lambda: _between(_local("zeros", bytes(64 << 20))), "bundle.zip!zeros", "archive-max-ratio"
    ),
    "gzip member, CRC": ("app.env.gz", lambda: _gzip(ENV)[:-8] + bytes(8), "app.env.gz", "CRC"),
}  # fmt: skip


@pytest.mark.parametrize("command", [*ARCHIVE_COMMANDS, "scan -"])
@pytest.mark.parametrize("case", sorted(UNREAD))
def test_what_cannot_be_read_in_a_container_exits_3_naming_it(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, case: str, command: str
) -> None:
    name, build, what, why = UNREAD[case]
    res = _run(keylatch, make_repo, tmp_path, command, name, build())
    assert res.code == 3, res
    if command == "scan -":
        what = "<stdin>" + what[len(name) :]
    (line,) = [ln for ln in res.err.splitlines() if ln.startswith("keylatch: error:")]
    assert f"{what}: not fully scanned" in line and why in line, line
    assert KEY not in res.out + res.err and "Traceback" not in res.err


@pytest.mark.parametrize("command", ["scan", "scan -"])
def test_members_of_one_name_are_each_a_file(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, command: str
) -> None:
    data = _zip([("a.env", CLEAN), ("a.env", CLEAN * 3), ("a.env", CLEAN * 5)])
    res = _run(keylatch, make_repo, tmp_path, command, "bundle.zip", data)
    assert res.code == 0, res
    assert "keylatch: scanned 3 files (0.0 MB)" in res.err, res


@pytest.mark.parametrize("command", [*ARCHIVE_COMMANDS, "scan -"])
def test_a_clean_installer_and_its_hidden_entries_are_clean(
    make_repo: MakeRepo, keylatch: RunKeylatch, tmp_path: Path, command: str
) -> None:
    # Reading a stub, the entries the directory leaves out and a nested zip's own bytes finds
    # nothing where there is nothing (a stream: the installer alone is said not read, exit 3).
    inner = _between(_local("h.txt", CLEAN, descriptor=True))
    data = b"#!/bin/sh\nexit 0\n" + _zip([("a.txt", CLEAN), ("inner.zip", inner), ("b.gz", _gzip(CLEAN, name=b"b"))])
    res = _run(keylatch, make_repo, tmp_path, command, "installer", data)
    assert res.code == (3 if command == "scan -" else 0), res


def test_a_large_installer_in_history_is_read_or_said_unread(make_repo: MakeRepo, keylatch: RunKeylatch) -> None:
    # history reads a blob in 8 MiB blocks: an installer whose first block holds a local header
    # is kept and opened at its end; one whose zip starts past it is named, exit 3.
    noise = random.Random(1901).randbytes(9 << 20)  # incompressible: the blob stays over 8 MiB
    big = b"#!/bin/sh\nexit 0\n" + _zip([("noise.bin", noise), ("a.env", ENV)])
    res = run_on_archive(keylatch, make_repo, "history", "installer", big)
    assert res.code == 1 and "installer!a.env:" in res.out, res
    stub = (b"#" * 99 + b"\n") * (90 << 10)  # 9 MiB of text before the zip's first entry
    res = run_on_archive(keylatch, make_repo, "history", "installer", stub + _zip([("a.env", ENV)]))
    assert res.code == 3, res
    assert "installer: not fully scanned: a zip with more than 8 MiB in front of its first entry" in res.err, res
