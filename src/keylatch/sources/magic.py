"""What the leading bytes of a file or blob say it is: an archive or compressed stream, or not.

Its own module because every staged commit asks (sources/staged.py): it imports nothing, so a
clean commit does not load archives.py and the typing, zipfile and tarfile behind it.

Magic bytes alone are not enough: text starts with `PK\\x03\\x04` or `BZh91AY&SY`, and a
JavaScript tar library holds "ustar" at byte 257 (yarn caches it in a zip: tar-stream's
headers.js). Taking those for archives reported them "corrupt" (exit 3) and never scanned their
text. So each kind's header is checked as far as its first HEAD bytes allow, where printable
text cannot pass: a tar header's checksum and octal fields; a zip local header's version
and method (an empty zip's end record: all zero counts); gzip's reserved flag bits
and OS byte; bzip2's first block pointer (below the block size: ASCII there is above it); xz's
stream flags and their CRC32. What passes and then cannot be read whole is an archive that is
damaged (sources/archives.py: exit 3, its raw bytes scanned too); what fails is an ordinary file.
"""

from __future__ import annotations

# How many leading bytes `kind` needs: a tar header is one 512-byte block.
HEAD = 512
# How many trailing bytes `zip_end` needs: a zip's end record (22 bytes) and its longest comment.
TAIL = 22 + 0xFFFF

# How far into a file `script_payload` looks for a compressed payload after a script's text:
# makeself's header, with an embedded licence, is tens of KiB.
SCRIPT = 256 << 10
# How far before the first zero byte a payload's header may start: a gzip header with a name,
# or a tar header (its name field, NUL-padded, is its first 100 bytes).
_PAYLOAD_LEAD = 512

# APPNOTE 4.4.5 compression methods: stored .. LZ77, zstd, MP3, xz, JPEG, WavPack, PPMd, AES.
_ZIP_METHODS = frozenset((*range(0, 21), *range(93, 100)))


def kind(head: bytes) -> str | None:
    """ "zip", "gzip", "bzip2", "xz", "tar", or None: what the leading bytes say the content is.
    Only cheap checks on `head` (at most HEAD bytes): no decoder is run."""
    if head.startswith(b"PK\x03\x04"):  # a local file header
        return "zip" if _zip_local(head) else None
    if head.startswith(b"PK\x05\x06"):  # an end record first: an empty zip
        return "zip" if head[4:20] == bytes(16) else None
    if head.startswith(b"\x1f\x8b\x08"):  # RFC 1952: magic, then method 8 (deflate)
        # FLG's top three bits are reserved (zero); OS is 0..13 or 255 (unknown).
        return "gzip" if len(head) >= 10 and not head[3] & 0xE0 and (head[9] <= 13 or head[9] == 255) else None
    if head.startswith(b"BZh") and head[3:4] in b"123456789":
        return "bzip2" if _bzip2(head) else None
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz" if _xz(head) else None
    if head[257:262] == b"ustar" and _tar(head):  # POSIX ustar and GNU tar; v7 tar has no magic
        return "tar"
    return None


def zip_end(tail: bytes, size: int) -> bool:
    """Whether `tail`, the last bytes of content `size` bytes long (at least its last TAIL, or
    all of it), holds a zip's end of central directory record (APPNOTE 4.3.16) that fits the
    content: a zip with bytes in front (a self-extracting installer, `cat stub.sh app.zip`, a
    polyglot) starts with no zip magic, and zipfile opens it from its end. One record, one
    disk; its directory lies before it; each directory entry is at least 46 bytes."""
    start = max(0, len(tail) - TAIL)
    # Every end record holds zero bytes (its disk numbers; a zip64 one, its locator's): one
    # memchr passes over text, where the signature's own search costs three times as much.
    if tail.find(b"\0", start) < 0:
        return False
    at = tail.rfind(b"PK\x05\x06", start)
    if at < 0 or len(tail) - at < 22:
        return False
    disk, cd_disk, here, total = (int.from_bytes(tail[i : i + 2], "little") for i in range(at + 4, at + 12, 2))
    cd_size, cd_at = (int.from_bytes(tail[i : i + 4], "little") for i in (at + 12, at + 16))
    where = size - len(tail) + at  # the record's offset in the content
    if (disk, cd_disk) == (0xFFFF, 0xFFFF) or 0xFFFFFFFF in (cd_size, cd_at):
        return where >= 20 + 56  # zip64: its locator and end record lie before it (zipfile checks)
    return disk == cd_disk == 0 and here == total and total * 46 <= cd_size <= where


def is_archive(head: bytes, tail: bytes, size: int) -> bool:
    """Whether content `size` bytes long, whose first HEAD (SCRIPT, for a script's payload)
    bytes are `head` and last (at least TAIL) bytes `tail`, is opened by archives.members: by
    its header, a zip by its end record, or a script by its payload (script_payload).
    Here, without imports, so the hook's has_archives asks the same question as the reader."""
    return bool(kind(head[:HEAD])) or zip_end(tail, size) or bool(script_payload(head))


def script_payload(head: bytes) -> int:
    """The offset of a gzip, bzip2, xz or tar stream that starts at a line start after text in
    `head` (a file's first SCRIPT bytes), else 0: a self-extracting script (makeself, or
    `cat header.sh payload.tar.gz > installer.sh`) whose payload no header at offset 0 shows.

    "After text": no zero byte before it. Every such payload holds one near its start (gzip's
    flags or name end, xz's stream flags, a tar's padded name; bzip2's data, which is why its
    magic is searched for), so the search is one memchr for the first zero byte (none: a text
    file, done) and `kind` on the line starts shortly before it. Those headers are checked as
    at offset 0 (structure, not magic alone), so binary content rarely passes; one that does
    and cannot be read is an archive that is damaged (exit 3), as for a file starting so."""
    nul = head.find(b"\0", 0, SCRIPT)
    if nul <= 0 or kind(head[:HEAD]):
        return 0
    lo = max(0, nul - _PAYLOAD_LEAD)
    at = head.rfind(b"\n", lo, nul)
    while at >= 0:
        if kind(head[at + 1 : at + 1 + HEAD]) in _PAYLOADS:
            return at + 1
        at = head.rfind(b"\n", lo, at)
    at = head.rfind(b"\nBZh", 0, nul)
    return at + 1 if at >= 0 and kind(head[at + 1 : at + 1 + HEAD]) == "bzip2" else 0


# What `script_payload` opens: a zip after a stub is known by its end record instead (zip_end).
_PAYLOADS = frozenset(("gzip", "bzip2", "xz", "tar"))


def _zip_local(head: bytes) -> bool:
    """APPNOTE 4.3.7: version needed (low byte: 1.0 .. 9.9) and a known method, whose high byte
    is zero: two printable bytes there are at least 0x2020. A zero header (no name, no method)
    passes: it is no text, and a damaged zip fails closed."""
    if len(head) < 30:
        return False
    return head[4] < 100 and int.from_bytes(head[8:10], "little") in _ZIP_METHODS


def _bzip2(head: bytes) -> bool:
    block = head[4:10]
    if block == b"\x17rE8P\x90":  # the end of stream at once (an empty file): its CRC is zero
        return head[10:14] == bytes(4)
    if block != b"1AY&SY" or len(head) < 18:
        return False
    # After the block CRC: one "randomised" bit, then a 24-bit pointer into the block, which is
    # at most the level (the digit) times 100000 bytes long.
    bits = int.from_bytes(head[14:18], "big")
    randomised, pointer = bits >> 31, (bits >> 7) & 0xFFFFFF
    return randomised == 0 and pointer < (head[3] - 0x30) * 100_000


def _xz(head: bytes) -> bool:
    """xz file format 2.1.1.2: stream flags are a zero byte and a check type 0..15, then their CRC32."""
    if len(head) < 12 or head[6] != 0 or head[7] > 0x0F:
        return False
    import binascii  # built in: no file is loaded

    return binascii.crc32(head[6:8]) == int.from_bytes(head[8:12], "little")


def _tar(head: bytes) -> bool:
    """POSIX.1 ustar header: its checksum (the sum of its bytes, the checksum field as spaces;
    some old tars summed signed bytes), octal mode and size (or GNU base-256)."""
    if len(head) < HEAD:
        return False
    stored = _octal(head[148:156])
    if stored is None:
        return False
    if _octal(head[100:108]) is None or not (head[124] & 0x80 or _octal(head[124:136]) is not None):
        return False
    unsigned = sum(head[:148]) + 8 * 0x20 + sum(head[156:HEAD])
    if stored == unsigned:
        return True
    signed = unsigned - 256 * sum(1 for b in (*head[:148], *head[156:HEAD]) if b >= 0x80)
    return stored == signed


def _octal(field: bytes) -> int | None:
    """An octal number padded with spaces and ended by NULs or spaces, as tars write it."""
    digits = field.split(b"\x00", 1)[0].strip(b" ")
    if not digits:
        return 0 if not field.strip(b"\x00 ") else None
    if not all(0x30 <= b <= 0x37 for b in digits):
        return None
    return int(digits, 8)
