"""The lines of an archive member inside a blob: what an allow comment next to a key found in a
member is read from, in history, ci and pre-push as in scan (which has the member's bytes at hand).

    key = line_key(blob, "dist/bundle.zip!config/.env")   # blob + the place's path
    found = member_lines(git, {key: {3: (16,), 2: ()}})     # that member's lines 3 and 2

A place's line number counts the member's lines, so its allow comment is on the member's line,
never on the archive blob's raw bytes (compressed, they hold no comment; stored, other lines).
The blob is read again through one `cat-file --batch` and opened as the walk opened it
(sources/archives.py, bounded the same way); a member that cannot be read again, or a blob that
is no archive (a path with `!` in its name), gives its plain lines or None, so a comment that
cannot be checked never drops a key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from tempfile import SpooledTemporaryFile

from keylatch.errors import ScanError
from keylatch.sources import archives
from keylatch.sources.blocks import OVERLAP
from keylatch.sources.gitcmd import Git
from keylatch.sources.lines import Line, Wanted, pick
from keylatch.sources.objects import BLOCK, BlobHeader, stream_objects

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.model import Chunk

SEP = "\0"  # in no blob id and no path git stores
_PIECE = 1 << 16
_HEX = frozenset("0123456789abcdef")


def line_key(blob: str, path: str) -> str:
    """The key a place's lines are looked up by: its blob, or for a path that may name an archive
    member (it holds `!`) the blob and the path."""
    return f"{blob}{SEP}{path}" if "!" in path else blob


def is_member_key(key: str) -> bool:
    return SEP in key


def member_lines(
    git: Git, wanted: Mapping[str, Wanted], limits: archives.Limits = archives.DEFAULT_LIMITS
) -> dict[str, dict[int, Line] | None]:
    """The wanted lines of each `line_key(blob, path)` key: of the member `path` names when the
    blob is an archive, else of the blob itself; None when neither can be read."""
    by_blob: dict[str, dict[str, Wanted]] = {}
    for key, lines in wanted.items():
        blob, _, path = key.partition(SEP)
        if len(blob) in (40, 64) and set(blob) <= _HEX:
            by_blob.setdefault(blob, {})[path] = lines
    out: dict[str, dict[int, Line] | None] = {key: None for key in wanted}

    def visit(header: BlobHeader, chunks: Iterator[Chunk] | None) -> None:
        if chunks is None:
            return
        oid = header.oid.decode("ascii")
        with SpooledTemporaryFile(max_size=BLOCK) as spool:
            first = True
            for chunk in chunks:  # each block after the first repeats its predecessor's tail
                spool.write(chunk.data if first else chunk.data[OVERLAP:])
                first = False
            size = spool.tell()
            spool.seek(max(0, size - archives.TAIL))
            tail = spool.read(archives.TAIL)  # a zip with bytes in front is opened by its end record
            spool.seek(0)
            head = spool.read(archives.HEAD)
            spool.seek(0)
            paths = by_blob[oid]
            if not archives.is_archive(head, tail, size):
                for path, lines in paths.items():
                    spool.seek(0)
                    out[f"{oid}{SEP}{path}"] = pick(iter(lambda: spool.read(_PIECE), b""), lines)
                return
            try:
                for label, read in archives.members(spool, "", limits):
                    mine = [p for p in paths if _names(p, label)]
                    if mine:
                        merged: dict[int, list[int]] = {}
                        for p in mine:
                            for n, cols in paths[p].items():
                                merged.setdefault(n, []).extend(cols)
                        got = pick(iter(lambda r=read: r(_PIECE), b""), merged)  # type: ignore[misc]
                        for p in mine:
                            out[f"{oid}{SEP}{p}"] = got
            except ScanError:
                pass  # the rest stay None: their comments cannot be checked, so their keys stay

    if by_blob:
        stream_objects(git, (b.encode("ascii") for b in sorted(by_blob)), visit)
    return out


def _names(path: str, label: str) -> bool:
    """Whether `path` is the member `label` (as `members` labels it in an archive named "") of an
    archive at some prefix of `path` (which may itself hold `!`)."""
    at = path.find("!")
    while at >= 0:
        if archives.rejoin(path[:at], label) == path:
            return True
        at = path.find("!", at + 1)
    return False
