"""What the leading bytes of a file or blob say it is: an archive or compressed stream, or not.

Its own module because every staged commit asks (sources/staged.py): it imports nothing, so a
clean commit does not load archives.py and the typing, zipfile and tarfile behind it.
"""

from __future__ import annotations

# How many leading bytes `kind` needs: tar's magic is at offset 257.
HEAD = 512


def kind(head: bytes) -> str | None:
    """ "zip", "gzip", "bzip2", "xz", "tar", or None: what the leading bytes say the content is."""
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):  # a local file header; an empty zip
        return "zip"
    if head.startswith(b"\x1f\x8b\x08"):  # RFC 1952: magic, then method 8 (deflate)
        return "gzip"
    if head.startswith(b"BZh") and head[3:4] in b"123456789" and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bzip2"  # block size digit, then a block's magic (pi) or the end of stream (sqrt pi)
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head[257:262] == b"ustar":  # POSIX ustar and GNU tar; v7 tar has no magic
        return "tar"
    return None
