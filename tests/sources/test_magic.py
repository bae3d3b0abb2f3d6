"""sources/magic.py: an archive is recognised by its header's structure, never by magic bytes alone."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import string
import tarfile
import zipfile
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.sources.magic import HEAD, kind
from tests.helpers.archives import tarred, zipped

BODY = b"notes\nOPENAI_API_KEY=placeholder\n" * 20


def _tar_formats() -> dict[str, bytes]:
    out = {}
    for name, fmt in (("ustar", tarfile.USTAR_FORMAT), ("gnu", tarfile.GNU_FORMAT), ("pax", tarfile.PAX_FORMAT)):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
            info = tarfile.TarInfo("d/" + "\u00e9" * 40)
            info.size = len(BODY)
            if fmt != tarfile.USTAR_FORMAT:  # GNU writes a large mtime in base-256, pax in its header
                info.mtime = 2**40
            tf.addfile(info, io.BytesIO(BODY))
        out[f"tar-{name}"] = buf.getvalue()
    return out


REAL: dict[str, tuple[str, bytes]] = {
    "zip-deflate": ("zip", zipped({"a.txt": BODY})),
    "zip-stored": ("zip", zipped({"a.txt": BODY}, zipfile.ZIP_STORED)),
    "zip-bzip2": ("zip", zipped({"a.txt": BODY}, zipfile.ZIP_BZIP2)),
    "zip-lzma": ("zip", zipped({"a.txt": BODY}, zipfile.ZIP_LZMA)),
    "zip-empty": ("zip", zipped({})),
    "gzip": ("gzip", gzip.compress(BODY)),
    "gzip-empty": ("gzip", gzip.compress(b"")),
    **{f"bzip2-{n}": ("bzip2", bz2.compress(BODY, n)) for n in (1, 5, 9)},
    "bzip2-empty": ("bzip2", bz2.compress(b"")),
    **{f"xz-check{c}": ("xz", lzma.compress(BODY, check=c)) for c in (0, 1, 4, 10)},
    **{name: ("tar", data) for name, data in _tar_formats().items()},
    "tar-bytes": ("tar", tarred({"b": bytes(range(256)) * 4})),
}


@pytest.mark.parametrize("case", sorted(REAL))
def test_real_archives_are_recognised(case: str) -> None:
    want, data = REAL[case]
    assert kind(data[:HEAD]) == want


MAGICS = {
    "zip": b"PK\x03\x04",
    "zip-end": b"PK\x05\x06",
    "gzip": b"\x1f\x8b\x08",
    "bzip2": b"BZh91AY&SY",
    "bzip2-end": b"BZh9\x17rE8P\x90",
    "xz": b"\xfd7zXZ\x00",
}
# Printable text: control characters aside (gzip's flag and OS bytes may be one: a header
# that passes is opened, and, if it fails, scanned raw with exit 3; see test_archives).
TEXT = st.text(
    st.sampled_from(string.ascii_letters + string.digits + string.punctuation + " "), min_size=0, max_size=600
)


@settings(max_examples=60, deadline=None)
@given(body=TEXT, magic=st.sampled_from(sorted(MAGICS)))
def test_text_after_an_archive_magic_is_no_archive(body: str, magic: str) -> None:
    assert kind((MAGICS[magic] + body.encode())[:HEAD]) is None


@settings(max_examples=60, deadline=None)
@given(before=TEXT, after=TEXT)
def test_text_with_ustar_at_257_is_no_tar(before: str, after: str) -> None:
    head = (before.encode() + b" " * 257)[:257] + b"ustar" + after.encode()
    assert kind(head[:HEAD]) is None


def test_tar_stream_headers_js_is_no_tar() -> None:
    # tar-stream's headers.js (yarn caches it in a zip) happens to hold "ustar" at byte 257.
    js = b"var alloc = Buffer.alloc\n" + b"/" * 231 + b"\nustar\x0000 = 'ustar\\x0000'\n" + b"x" * 400
    assert js[257:262] == b"ustar" and kind(js[:HEAD]) is None


def resum(head: bytes) -> bytes:
    """`head` with a checksum that matches it: what is left to reject it is the other checks."""
    total = sum(head[:148]) + 8 * 0x20 + sum(head[156:HEAD])
    return head[:148] + b"%06o\x00 " % total + head[156:]


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("checksum", lambda h: h[:148] + b"0000000\x00" + h[156:]),
        ("mode", lambda h: resum(h[:100] + b"rwxr-xr-" + h[108:])),
        ("size", lambda h: resum(h[:124] + b"twelve bytes" + h[136:])),
        ("short", lambda h: h[:300]),
    ],
)
def test_a_tar_header_that_fails_its_checks_is_no_tar(name: str, damage: Callable[[bytes], bytes]) -> None:
    head = tarred({"a": b"x"})[:HEAD]
    assert kind(head) == "tar" and kind(resum(head)) == "tar"
    assert kind(damage(head)[:HEAD]) is None, name


@pytest.mark.parametrize(
    ("case", "damage"),
    [
        ("zip-deflate", lambda d: d[:8] + b"\x41\x41" + d[10:]),  # method 0x4141
        ("zip-deflate", lambda d: d[:4] + b"\xc8" + d[5:]),  # version 20.0
        ("zip-empty", lambda d: d[:8] + b"\x01" + d[9:]),  # an entry in an "empty" zip
        ("gzip", lambda d: d[:3] + b"\x20" + d[4:]),  # a reserved flag bit
        ("gzip", lambda d: d[:9] + b"\x40" + d[10:]),  # OS 64
        ("bzip2-9", lambda d: d[:14] + b"\x7f" + d[15:]),  # a block pointer past the block
        ("bzip2-empty", lambda d: d[:10] + b"abcd"),  # an empty stream's CRC is zero
        ("xz-check4", lambda d: d[:7] + b"\x05" + d[8:]),  # flags no longer match their CRC32
        ("xz-check4", lambda d: d[:6] + b"\x01" + d[7:]),  # a reserved flag
    ],
)
def test_a_header_that_fails_its_checks_is_no_archive(case: str, damage: Callable[[bytes], bytes]) -> None:
    data = REAL[case][1]
    assert kind(damage(data)[:HEAD]) is None
