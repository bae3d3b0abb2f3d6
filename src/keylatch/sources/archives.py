"""Archives and compressed files -> the bytes of their members. Nothing is ever written out.

    if kind(head):                                  # from the first HEAD bytes, never the name
        for label, read in members(fh, "bundle.zip", Limits()):
            ...                                     # "bundle.zip!config/.env"; read(n) -> bytes, b"" at the end

What is opened is decided by its header (sources/magic.py), never by file name: a zip renamed
`.png` is a zip, and a `.jar`, `.whl`, `.docx` or `.xlsx` is one. Containers: zip (stored, deflate, bzip2, lzma
members) and tar (ustar, GNU, pax). Compressed streams: gzip, bzip2 and xz, whatever they hold
(a `.tgz` is gzip holding a tar). A member that is itself an archive is opened in turn; every
layer counts towards `Limits.depth`, a compression layer too (a `.tar.gz` is two).

Member names are labels only: `../../etc/x`, absolute names and control characters name nothing
on disk (nothing is extracted) and are escaped in the label. A compressed stream adds no name of
its own to the label of the container it holds (`bundle.tar.gz!config/.env`); a compressed plain
file is labelled by its own name less the suffix (`app.env.gz!app.env`).

Bounded whatever the input (a zip bomb, 42.zip, overlapping zip entries, a sparse tar member):
- every byte a decompressor (or a sparse tar member) puts out is counted, and one top-level
  archive may put out at most `max_bytes` in all;
- a layer's output may be at most `max_ratio` times the compressed bytes it has read, once past
  RATIO_FLOOR (small files compress well and are cheap);
- members are read in blocks, never whole, except a zip nested in another archive: zip needs to
  seek, so that member is held in memory, which the `max_bytes` count bounds.
Any limit reached, and any corrupt, truncated or encrypted member, raises ScanError naming the
archive and member: the archive was not fully scanned, so the result must not read "clean". Before
it does, the archive's own raw bytes are yielded as one more leaf, named as the archive itself
(`bundle.zip`): a key they show (a stored member, text after a cut) is found as in a plain file.

What is an archive is decided by its header's structure, not its magic alone (sources/magic.py):
text that starts with `PK\x03\x04` or holds "ustar" at byte 257 is a plain file.

zipfile, tarfile, gzip, bz2 and lzma are imported only when an archive is opened: `kind` alone is
on the pre-commit hook's path.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Generator, Iterator
from typing import IO, NamedTuple, cast

from keylatch.errors import KeylatchError, ScanError, printable
from keylatch.sources.magic import HEAD as HEAD  # re-exported: callers ask archives for both
from keylatch.sources.magic import SCRIPT as SCRIPT
from keylatch.sources.magic import TAIL as TAIL
from keylatch.sources.magic import is_archive as is_archive
from keylatch.sources.magic import kind as kind
from keylatch.sources.magic import script_payload as script_payload
from keylatch.sources.magic import zip_end as zip_end

TYPE_CHECKING = False
if TYPE_CHECKING:
    import tarfile
    import zipfile

    from keylatch.model import Chunk
    from keylatch.sources.zipscan import Hidden

# Below this much output from one layer, no compression ratio is suspicious.
RATIO_FLOOR = 1 << 20
_PIECE = 1 << 20  # what one read asks a decompressor for when a whole member is wanted
_KEEP = 16 << 20  # a nested archive's bytes kept in memory for its fallback; past that, on disk


class Limits(NamedTuple):
    """How far archives are opened (config: archive-depth, archive-max-bytes, archive-max-ratio).

    A NamedTuple, not a dataclass: the pre-commit hook builds one (no dataclasses import there).
    """

    depth: int = 4  # layers opened, compression included; 0: archives are scanned as raw bytes
    max_bytes: int = 256 << 20  # expanded bytes per top-level archive, all layers together
    max_ratio: int = 100  # expanded / compressed, per layer


DEFAULT_LIMITS = Limits()
# Literals every archive `kind` recognises holds (a superset filter for history's grep prefilter;
# no NUL or newline: grep -F reads them one a line).
MAGIC_NEEDLES = (b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b\x08", b"1AY&SY", b"\x17rE8P\x90", b"\xfd7zXZ", b"ustar")
# Literals a script's compressed payload (magic.script_payload) holds wherever it starts, for
# history's Hyperscan gate, which reads an object for its start or for a literal anywhere in
# it. A tar payload has none (its magic sits anywhere, in many blobs): its stored members show
# a key's own literal, which has the object read (and then opened, blobscan.py).
PAYLOAD_NEEDLES = (b"\n\x1f\x8b\x08", b"\nBZh", b"\n\xfd7zXZ")
Read = Callable[[int], bytes]


def members(src: IO[bytes], name: str, limits: Limits) -> Iterator[tuple[str, Read]]:
    """(label, read) for every regular member of the archive `src` (seekable, at its start), leaves
    only: a member that is an archive is opened in its place. Consume each `read` before asking
    for the next member. Raises ScanError (see the module docstring)."""
    budget = _Budget(limits)
    label = printable(name)
    at = _script_payload(src)
    if at:  # a self-extracting script: its text is a plain leaf, its payload the archive
        src.seek(0)
        yield name, _Window(src, 0, at).read
        src = cast("IO[bytes]", _Window(src, at))  # as much a file as zipfile and tarfile need
    try:
        yield from _leaves(_layer(src, label, label, 0, budget, seekable=src, what=_prefixed_zip(src)))
    except ScanError as exc:
        # Not read whole: its own bytes are a leaf too (named `name`, as a plain file is), so a
        # key they show (a stored member, a truncated tail) is still found; the error stands.
        yield from _fallback(src, name, budget)
        raise exc
    yield from _around(src, name, budget.done, 1, limits)


def _script_payload(src: IO[bytes]) -> int:
    """Where a script's compressed payload starts (magic.script_payload), else 0."""
    src.seek(0)
    head = src.read(SCRIPT)
    src.seek(0)
    return script_payload(head)


class _Window(io.RawIOBase):
    """The bytes of `src` from `start` (up to `end`) as a file of their own, seekable: a script's
    text, or its payload, read as any archive is (offsets, its raw leaf, from the payload's start)."""

    def __init__(self, src: IO[bytes], start: int, end: int | None = None) -> None:
        super().__init__()
        self._src, self._start, self._end = src, start, end
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 2:
            size = (self._end if self._end is not None else self._src.seek(0, 2)) - self._start
            offset += size
        elif whence == 1:
            offset += self._pos
        self._pos = max(0, offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, n: int = -1) -> bytes:
        if self._end is not None:
            left = self._end - self._start - self._pos
            n = left if n < 0 else min(n, left)
        if n == 0:
            return b""
        self._src.seek(self._start + self._pos)
        data = self._src.read(n)
        self._pos += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _prefixed_zip(src: IO[bytes]) -> str | None:
    """The kind "zip" for a zip with bytes in front (its end record says, as zipfile reads it: from the
    end); None when the head says what `src` is, or nothing does."""
    src.seek(0)
    head = src.read(HEAD)
    src.seek(0)
    if kind(head):
        return None
    size = src.seek(0, 2)
    src.seek(max(0, size - TAIL))
    found = zip_end(src.read(TAIL), size)
    src.seek(0)
    return "zip" if found else None


def _around(
    src: IO[bytes], name: str, done: dict[int, list[tuple[int, int]]], depth: int, limits: Limits
) -> Iterator[tuple[str, Read]]:
    """The leaves of an archive read whole around its members (`depth`: the layer it is). A
    container still holds bytes that are no member's data: names, comments, extra fields, pax
    records, link targets, entries the directory leaves out. A key there is in the file as much
    as in a member: they are a leaf too, less the members read whole (reported once). Only for
    a container (a zip or tar, or one in a compression), whose `done` layer was opened; a
    compressed file's leaf already holds everything it has (its gzip header fields: _stream)."""
    if depth in done or depth + 1 in done:
        yield from _raw_leaves(src, name, done, depth, limits, raw=depth in done)


def _fallback(src: IO[bytes], name: str, budget: _Budget) -> Iterator[tuple[str, Read]]:
    """The leaves of an archive that failed (_raw_leaves), then those of each container member
    that failed inside it, outermost first (a cut `.tgz` in a zip: its decompressed bytes)."""
    yield from _raw_leaves(src, name, budget.done, 1, budget.limits)
    for failed in reversed(budget.failed):
        with failed.kept:
            yield from _raw_leaves(failed.kept, failed.label, failed.done, failed.depth, budget.limits, failed.hidden)


def _raw_leaves(
    src: IO[bytes], name: str, done: dict[int, list[tuple[int, int]]], depth: int, limits: Limits, raw: bool = True
) -> Iterator[tuple[str, Read]]:
    """The raw bytes of an archive that failed (`raw`: unless its container's leaf shows them),
    less the members already read whole (a key there was found in its member: reported once,
    not again in the raw bytes), then, for a compressed archive, what its compression holds,
    read as far as it goes (a cut tar in a `.tgz`: the key in its cut member is in no other
    leaf), less the members read whole. `done`: the ranges members read whole occupy, by
    `depth`, the layer the archive itself is (1 at the top)."""
    from keylatch.sources.rawleaf import blanked, inflated

    src.seek(0)
    head = _read_up_to(src, HEAD, name)
    if raw:
        src.seek(0)
        yield name, blanked(src.read, done.get(depth, ()))
    what = kind(head)
    # Only a container in the compression (a `.tgz`) hides what its member reading lost; a
    # compressed file's own leaf was given everything the stream held up to where it broke.
    if what in ("gzip", "bzip2", "xz") and depth + 1 in done:
        src.seek(0)
        yield name, blanked(inflated(src.read, what, limits.max_bytes, _PIECE), done.get(depth + 1, ()))


def member_chunks(src: IO[bytes], name: str, limits: Limits, block: int) -> Iterator[Chunk]:
    """The Chunks of every member (sources/blocks.py), each labelled `name!member`."""
    from keylatch.sources.blocks import blocks

    for label, read in members(src, name, limits):
        yield from blocks(_filler(read), block, label)


def stream_chunks(read: Read, name: str, limits: Limits, block: int) -> Iterator[Chunk]:
    """`member_chunks` for a stream that cannot seek (standard input, a FIFO, `<(cmd)`): `read(n)`
    gives its next bytes, b"" at its end. Tar and compressed streams are read in blocks as from a
    file; a zip there is held in memory (zip seeks), at most `max_bytes` of it."""
    import tempfile

    from keylatch.sources.blocks import blocks

    label = printable(name)
    first = b""
    while len(first) < SCRIPT and (piece := read(SCRIPT - len(first))):
        first += piece
    at = script_payload(first)
    if at:  # a self-extracting script: its text is a plain leaf, its payload the archive
        yield from blocks(_filler(io.BytesIO(first[:at]).read), block, name)
    source = _Prefixed(first[at:], read, label)
    # What the archive readers take is kept (in memory up to `block`, then on disk): a stream
    # cannot be read again, and its raw bytes are scanned when it cannot be read whole.
    with tempfile.SpooledTemporaryFile(max_size=block) as seen:

        def tee(n: int) -> bytes:
            data = source.read(n)
            seen.write(data)
            return data

        budget = _Budget(limits)
        try:
            layers = _layer(_Prefixed(b"", tee, label), label, label, 0, budget)
            for inner, read_member in _leaves(layers):
                yield from blocks(_filler(read_member), block, inner)
        except ScanError as exc:
            for piece in iter(lambda: source.read(_PIECE), b""):
                seen.write(piece)
            for raw_label, raw in _fallback(seen, name, budget):
                yield from blocks(_filler(raw), block, raw_label)
            raise exc
        for piece in iter(lambda: source.read(_PIECE), b""):  # what the readers left (a tar's end)
            seen.write(piece)
        for raw_label, raw in _around(seen, name, budget.done, 1, limits):
            yield from blocks(_filler(raw), block, raw_label)


def _leaves(layers: Generator[tuple[str, Read], None, bool]) -> Iterator[tuple[str, Read]]:
    """`layers` with each leaf's `read` guarded: a failure there (the caller's call, outside the
    generators) ends that leaf (b"") and is raised here when the next leaf is asked for, so the
    raw-bytes fallback above sees every failure, wherever it happened."""
    failed: list[ScanError] = []

    def guard(read: Read, inner: str) -> Read:
        def guarded(n: int) -> bytes:
            if failed:
                return b""
            try:
                return read(n)
            except ScanError as exc:
                failed.append(exc)
            except KeylatchError:
                raise
            except Exception as exc:  # noqa: BLE001 -- e.g. tarfile's "unexpected end of data"
                failed.append(_unscanned(inner, _reason(exc)))
            return b""

        return guarded

    with contextlib.closing(layers):
        for inner, read in layers:
            yield inner, guard(read, inner)
            if failed:
                raise failed[0]


def member_contents(data: bytes, name: str, limits: Limits) -> list[tuple[str, bytes]]:
    """(label, bytes) of every member, for the hook, which holds staged content in memory."""
    import io

    out = []
    for label, read in members(io.BytesIO(data), name, limits):
        out.append((label, b"".join(iter(lambda r=read: r(_PIECE), b""))))  # type: ignore[misc]
    return out


def rejoin(path: str, member: str) -> str:
    """The label of `member` (as `members` labels it in an archive named "") inside `path`."""
    if member == "!-" or member.startswith("!-!"):  # a compressed file: named after the archive, as `members` does
        return f"{path}!{_unsuffixed(path)}{member[2:]}"  # (and what it holds: an installer's members)
    return path + member


def _filler(read: Read) -> Callable[[int], tuple[bytes, bool]]:
    def fill(n: int) -> tuple[bytes, bool]:
        parts: list[bytes] = []
        got = 0
        while got < n:
            piece = read(n - got)
            if not piece:
                return b"".join(parts), True
            parts.append(piece)
            got += len(piece)
        return b"".join(parts), False

    return fill


class _Budget:
    """What one top-level archive has expanded to so far. Mutable, local to one `members` call."""

    __slots__ = ("done", "failed", "limits", "spent")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.spent = 0
        # Container depth -> (start, end) byte ranges of its input that members read whole
        # occupy: depth 1 is the archive's own bytes, depth 2 what a top-level compression holds.
        # While a container member is read (_member_archive), those of its own layers.
        self.done: dict[int, list[tuple[int, int]]] = {}
        self.failed: list[_Failed] = []  # container members that could not be read whole


class _Failed(NamedTuple):
    """A container member that could not be read whole, with its bytes as far as they were read."""

    label: str
    kept: IO[bytes]  # its bytes as far as they were read
    done: dict[int, list[tuple[int, int]]]  # its layers' members read whole, by depth
    depth: int  # the layer it is
    hidden: bool  # its container's leaf does not show its bytes (a compressed zip member)


class _Metered:
    """The output of one expanding layer (a decompressor, a zip member, a sparse tar member):
    counted against the budget and the ratio; any failure reading it is a ScanError."""

    def __init__(self, inner: IO[bytes], compressed: Callable[[], int], budget: _Budget, label: str) -> None:
        self._inner, self._compressed, self._budget, self._label = inner, compressed, budget, label
        self._out = 0

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = _PIECE  # never "everything": a bomb's everything does not fit
        try:
            data = self._inner.read(n)
        except KeylatchError:
            raise
        except Exception as exc:  # noqa: BLE001 -- any decoder failure: not fully scanned
            raise _unscanned(self._label, _reason(exc)) from exc
        self._out += len(data)
        self._budget.spent += len(data)
        limits = self._budget.limits
        if self._budget.spent > limits.max_bytes:
            raise _unscanned(self._label, f"expands to more than {_size(limits.max_bytes)} (archive-max-bytes)")
        if self._out > RATIO_FLOOR and self._out > limits.max_ratio * max(self._compressed(), 1):
            raise _unscanned(self._label, f"expands more than {limits.max_ratio} times (archive-max-ratio)")
        return data


class _Counted:
    """A compressed input whose reads are counted (the denominator of a stream's ratio)."""

    def __init__(self, read: Read) -> None:
        self._read = read
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self._read(n if n >= 0 else _PIECE)
        self.count += len(data)
        return data


class _Prefixed:
    """`head` (already read to sniff the kind), then the rest of `read`."""

    def __init__(self, head: bytes, read: Read, label: str) -> None:
        self._head, self._read, self._label = head, read, label

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = _PIECE
        if self._head:
            data, self._head = self._head[:n], self._head[n:]
            return data
        try:
            return self._read(n)
        except KeylatchError:
            raise
        except Exception as exc:  # noqa: BLE001 -- e.g. a truncated tar member
            raise _unscanned(self._label, _reason(exc)) from exc


def _layer(
    src: IO[bytes] | _Metered | _Prefixed,
    label: str,
    leaf: str,
    depth: int,
    budget: _Budget,
    *,
    seekable: IO[bytes] | None = None,
    member: bool = False,
    shown_at: int | None = None,
    what: str | None = None,
) -> Generator[tuple[str, Read], None, bool]:
    """What `src` holds: itself as one leaf labelled `leaf`, or the members of the archive it is
    (`label` names it; `depth` layers are open around it; `seekable`: `src`, when it can seek;
    `member`: `src` is a member of a container, whose leaf shows its bytes from offset
    `shown_at`, or does not (None: a compressed zip member); `what`: its kind, when its head
    does not say (a zip with bytes in front, known by its end). Returns whether its container
    may blank its bytes in its own leaf: not when an archive member's own bytes (names,
    comments) could not be kept to be scanned around its members."""
    head = _read_up_to(src, HEAD, label)
    what = what or kind(head)
    if what is not None and member and depth < budget.limits.depth:
        return (yield from _member_archive(_Prefixed(head, src.read, label), label, depth, budget, shown_at))
    body = _Prefixed(head, src.read, leaf if what is None else label)
    if what is None and depth and depth < budget.limits.depth:  # inside an archive: its end is watched
        return (yield from _plain_member(body, leaf, depth, budget))
    if what is None:
        yield leaf, body.read
        return True
    if depth >= budget.limits.depth:
        n = budget.limits.depth
        raise _unscanned(label, f"nested deeper than {n} archive layer{'s' if n != 1 else ''} (archive-depth)")
    try:
        if what == "zip":
            yield from _zip(seekable or _buffered(body, label, budget.limits), label, depth + 1, budget)
        elif what == "tar":
            yield from _tar(body, label, depth + 1, budget)
        else:
            yield from _stream(what, body, label, depth + 1, budget)
    except KeylatchError:
        raise
    except Exception as exc:  # noqa: BLE001 -- whatever the readers raise: not fully scanned
        raise _unscanned(label, _reason(exc)) from exc
    return True


def _plain_member(body: _Prefixed, label: str, depth: int, budget: _Budget) -> Generator[tuple[str, Read], None, bool]:
    """A member that does not start as an archive: one leaf, whose end is watched. A zip with
    bytes in front (an installer in a release zip) shows only there: its bytes, held as they
    are read (references to the pieces, up to _KEEP), are then opened as a zip's; its text
    was the leaf. Too large to hold, it is not read, said so. So is a script with a compressed
    payload after its text (magic.script_payload: an installer in a release tarball)."""
    held: list[bytes] | None = []
    size = 0
    tail = b""
    front = b""  # its first SCRIPT bytes

    def read(n: int) -> bytes:
        nonlocal held, size, tail, front
        data = body.read(n)
        if size < SCRIPT:
            front += data[: SCRIPT - size]
        size += len(data)
        tail = (tail + data)[-TAIL:] if len(data) < TAIL else data[-TAIL:]
        if held is not None:
            held.append(data)
            if size > _KEEP:
                held = None
        return data

    yield label, read
    prefixed = zip_end(tail, size)
    at = 0 if prefixed else script_payload(front)
    if not (prefixed or at):
        return True
    if held is None:
        what = "a zip with bytes in front of it" if prefixed else "a script with a compressed payload"
        raise _unscanned(label, f"{what}, larger than {_size(_KEEP)}: its members were not read")
    outer, budget.done = budget.done, {}
    try:
        whole = io.BytesIO(b"".join(held)[at:])
        yield from _layer(whole, label, label, depth, budget, seekable=whole, what="zip" if prefixed else None)
    finally:
        budget.done = outer
    return True


def _member_archive(
    body: _Prefixed, label: str, depth: int, budget: _Budget, shown_at: int | None
) -> Generator[tuple[str, Read], None, bool]:
    """A member that is itself an archive, read as any archive, its bytes kept as they are read
    (in memory up to _KEEP, then in a temporary file; at most `max_bytes`). Read whole, it is
    scanned around its members as a top-level archive is (_around: its names, comments, extra
    fields, at every level), and its container blanks it in its own leaf. If it cannot be read
    whole, its own leaves are scanned as a top-level archive's are (_fallback; a cut `.tgz` in
    a zip: its decompressed bytes), with the members it read whole blanked, there and in its
    container's leaf when that shows its bytes (from `shown_at`): each key reported once."""
    import tempfile

    kept = tempfile.SpooledTemporaryFile(max_size=_KEEP)
    room = budget.limits.max_bytes

    def tee(n: int) -> bytes:
        nonlocal room
        data = body.read(n)
        if room > 0:
            kept.write(data[:room])
        room -= len(data)
        return data

    outer, budget.done = budget.done, {}
    whole = False
    try:
        yield from _layer(_Prefixed(b"", tee, label), label, label, depth, budget)
        for _ in iter(lambda: tee(_PIECE), b""):  # what its reader left (after a tar's end): kept too
            pass
        whole = True
    finally:
        mine, budget.done = budget.done, outer
        if not whole:  # a failure here, or the walk closed after a failure in a leaf's read (_leaves)
            if shown_at is not None:  # its container's leaf shows its bytes: blank its members read whole
                outer.setdefault(depth, []).extend((shown_at + a, shown_at + b) for a, b in mine.get(depth + 1, ()))
            budget.failed.append(_Failed(label, kept, mine, depth + 1, shown_at is None))
    with kept:
        if room >= 0:  # all of it kept: scanned around its members here
            yield from _around(kept, label, mine, depth + 1, budget.limits)
            return True
    # Too large to keep (a tar member past max_bytes): its container's leaf shows it instead,
    # less its members read whole; or, compressed, nothing does: said so.
    if shown_at is None:
        raise _unscanned(
            label, f"larger than {_size(budget.limits.max_bytes)}: its own bytes were not scanned (archive-max-bytes)"
        )
    outer.setdefault(depth, []).extend((shown_at + a, shown_at + b) for a, b in mine.get(depth + 1, ()))
    return False


def _zip(src: IO[bytes], label: str, depth: int, budget: _Budget) -> Iterator[tuple[str, Read]]:
    """Every entry the central directory names, each by its own record (two of one name are two
    members: zipfile.open(name) would read the last twice), then the local entries it leaves
    out (sources/zipscan.py): a deflated key there is in the file as much as in a member."""
    import zipfile

    from keylatch.sources import zipscan

    src.seek(0)
    done = budget.done.setdefault(depth, [])  # a container at this depth was opened (rawleaf.py)
    seen: dict[str, int] = {}
    with zipfile.ZipFile(src) as zf:
        named = {info.header_offset for info in zf.infolist()}
        for info in zf.infolist():
            if info.is_dir():
                continue
            inner = _unique(f"{label}!{printable(info.filename)}", seen)
            yield from _zip_member(zf, info, inner, depth, budget)
        for entry in zipscan.hidden(src, named, done):
            if entry.name.endswith("/") and not entry.size:
                continue  # a directory
            inner = _unique(f"{label}!{printable(entry.name)}", seen)
            if entry.flags & 0x08 and not entry.compressed:  # its sizes follow its data
                yield from _described(src, entry, inner, depth, budget)
                continue
            info = zipfile.ZipInfo(entry.name)
            info.header_offset, info.flag_bits, info.compress_type = entry.offset, entry.flags, entry.method
            info.CRC, info.compress_size, info.file_size = entry.crc, entry.compressed, entry.size
            yield from _zip_member(zf, info, inner, depth, budget)


def _zip_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, inner: str, depth: int, budget: _Budget
) -> Iterator[tuple[str, Read]]:
    import zipfile

    if info.flag_bits & 0x41:  # traditional or strong encryption (APPNOTE 4.4.4)
        raise _unscanned(inner, "encrypted; its content cannot be read")
    try:
        raw = zf.open(info)
    except Exception as exc:  # noqa: BLE001 -- a bad local header, an unknown method
        raise _unscanned(inner, _reason(exc)) from exc
    with raw:
        size = info.compress_size
        metered = _Metered(raw, lambda size=size: size, budget, inner)  # type: ignore[misc]
        start = getattr(raw, "_orig_compress_start", None)
        at = start if isinstance(start, int) and info.compress_type == zipfile.ZIP_STORED else None
        blank = yield from _layer(metered, inner, inner, depth, budget, member=True, shown_at=at)
        # Read whole (a failed read never resumes this generator): its stored bytes, as far as
        # its reading used them. A directory may give a size past its data's end: what lies
        # there is no member's, and stays in the container's own leaf.
        if isinstance(start, int) and blank:
            budget.done.setdefault(depth, []).append((start, start + _used(raw, info)))


def _used(raw: IO[bytes], info: zipfile.ZipInfo) -> int:
    """How many of a zip member's stored bytes reading it used: stored, its length; compressed,
    what was read less what its decompressor left (zipfile's ZipExtFile: CPython 3.8 to 3.13).
    Unknown: none (its bytes then show in the container's leaf: a key there reported twice,
    never missed)."""
    if info.compress_type == 0:
        return min(info.compress_size, info.file_size)
    left, dec = getattr(raw, "_compress_left", None), getattr(raw, "_decompressor", None)
    if not isinstance(left, int) or dec is None:
        return 0
    rest = getattr(dec, "unused_data", b"") + getattr(dec, "unconsumed_tail", b"")
    return max(0, info.compress_size - left - len(rest)) if isinstance(rest, bytes) else 0


def _described(src: IO[bytes], entry: Hidden, inner: str, depth: int, budget: _Budget) -> Iterator[tuple[str, Read]]:
    """A local entry the directory leaves out whose sizes follow its data: deflated, it is read
    to its stream's end; otherwise its end cannot be known (stored: its bytes show in the
    archive's own leaf; any other method: not read, said so)."""
    from keylatch.sources import zipscan

    if entry.flags & 0x41:
        raise _unscanned(inner, "encrypted; its content cannot be read")
    if entry.method == 0:
        return
    if entry.method != 8:
        raise _unscanned(
            inner, f"uses a compression method keylatch cannot read (method {entry.method}, sizes after its data)"
        )
    data = zipscan.Inflated(src, entry.data)
    metered = _Metered(data, lambda: data.consumed, budget, inner)  # type: ignore[arg-type]
    yield from _layer(metered, inner, inner, depth, budget, member=True)
    budget.done.setdefault(depth, []).append((entry.data, data.end()))


def _unique(label: str, seen: dict[str, int]) -> str:
    """`label`, or `label#2`, `label#3`... for the next members of one name: each is a file of its
    own (counted, and told apart in a report)."""
    n = seen.get(label, 0) + 1
    seen[label] = n
    while n > 1 and f"{label}#{n}" in seen:
        n += 1
    out = label if n == 1 else f"{label}#{n}"
    seen.setdefault(out, 1)
    return out


def _tar(src: _Prefixed, label: str, depth: int, budget: _Budget) -> Iterator[tuple[str, Read]]:
    import tarfile

    # Stream mode ("r|"): no seeking, members in order. Links, devices and directories hold no
    # bytes of their own and are never followed; nothing is extracted. A member of a type tarfile
    # does not know (`Z`, GNU `V`/`D`/`M`/`N`) holds `size` bytes: tarfile and GNU tar read it as a
    # regular file, so it is one here too (skipped, a key in it would read "clean").
    budget.done.setdefault(depth, [])  # a container at this depth was opened (rawleaf.py)
    seen: dict[str, int] = {}
    with tarfile.open(fileobj=src, mode="r|", tarinfo=_ended_tar_info()) as tf:  # type: ignore[call-overload]
        for member in tf:
            if not member.isreg() and member.type in tarfile.SUPPORTED_TYPES:
                continue
            inner = _unique(f"{label}!{printable(member.name)}", seen)
            fh = tf.extractfile(member)
            if fh is None:
                continue
            sparse = getattr(member, "sparse", None)
            if sparse:  # holes expand to zeros: counted like a decompressor's output
                stored = sum(size for _, size in sparse)
                data: IO[bytes] | _Metered = _Metered(fh, lambda stored=stored: stored, budget, inner)  # type: ignore[misc]
            else:
                data = fh
            at = None if sparse else member.offset_data  # a sparse member's bytes are not where it is stored
            blank = yield from _layer(data, inner, inner, depth, budget, member=True, shown_at=at)
            if not sparse and blank:  # read whole: its bytes in the tar stream
                budget.done.setdefault(depth, []).append((member.offset_data, member.offset_data + member.size))


def _ended_tar_info() -> type[tarfile.TarInfo]:
    """A TarInfo that tells a tar's end from its truncation. tarfile stops quietly at a missing,
    short or invalid header after the first member; only a block of zeros is a real end."""
    import tarfile

    class Info(tarfile.TarInfo):
        @classmethod
        def fromtarfile(cls, tf: tarfile.TarFile) -> Info:
            try:
                return super().fromtarfile(tf)
            except tarfile.HeaderError as exc:  # its subclasses are not in typeshed: by name
                name = type(exc).__name__
                if name == "EOFHeaderError":  # a block of zeros: the end
                    raise
                if name in ("EmptyHeaderError", "TruncatedHeaderError"):
                    raise _Truncated("truncated: it ends without the end-of-archive block") from exc
                raise _Truncated(f"corrupt: {printable(str(exc), 80)}") from exc

    return Info


class _Truncated(Exception):
    """Raised inside tarfile's reader, which passes on what is not its own header error."""


def _stream(what: str, src: _Prefixed, label: str, depth: int, budget: _Budget) -> Iterator[tuple[str, Read]]:
    from keylatch.sources.streams import decoder as open_decoder

    counted = _Counted(src.read)
    decoder = open_decoder(what, counted.read)
    with decoder:
        metered = _Metered(decoder, lambda: counted.count, budget, label)  # type: ignore[arg-type]
        # A compressed container keeps the label; a compressed plain file is named after it.
        yield from _layer(metered, label, f"{label}!{_unsuffixed(label)}", depth, budget)
        # Read to its end: a stream cut short, or bytes after it that are no stream, are found
        # even when what it holds ended first (a tar's end blocks); the archive's own leaf
        # (_around) scans what follows a container's end.
        for _ in iter(lambda: metered.read(_PIECE), b""):
            pass
    fields = decoder.fields
    if fields:  # a gzip header's extra field, name, comment: the file's own bytes, in no member
        import io

        yield label, io.BytesIO(b"\n".join(fields)).read


def _buffered(body: _Prefixed, label: str, limits: Limits) -> IO[bytes]:
    """A zip that cannot seek, in memory (zip seeks): a nested one (the budget of the layer that
    produced it bounds it too), or one read from a pipe, held up to `max_bytes`."""
    import io

    parts: list[bytes] = []
    held = 0
    for piece in iter(lambda: body.read(_PIECE), b""):
        held += len(piece)
        if held > limits.max_bytes:
            raise _unscanned(label, f"a zip larger than {_size(limits.max_bytes)} read from a pipe (archive-max-bytes)")
        parts.append(piece)
    return io.BytesIO(b"".join(parts))


def _read_up_to(src: IO[bytes] | _Metered | _Prefixed, n: int, label: str) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < n:
        try:
            piece = src.read(n - got)
        except KeylatchError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _unscanned(label, _reason(exc)) from exc
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


def _unsuffixed(label: str) -> str:
    """`app.env.gz` -> `app.env`, `logs.tgz` -> `logs.tar`: how a compressed file is named inside."""
    last = label.rsplit("/", 1)[-1].rsplit("!", 1)[-1]
    for suffix, instead in ((".tgz", ".tar"), (".gz", ""), (".bz2", ""), (".xz", ""), (".tbz2", ".tar")):
        if last.lower().endswith(suffix) and len(last) > len(suffix):
            return last[: -len(suffix)] + instead
    return last or "-"  # "-": no name to go by (rejoin)


def _reason(exc: BaseException) -> str:
    text = printable(str(exc), 120) or type(exc).__name__
    if isinstance(exc, RuntimeError) and "encrypted" in str(exc):
        return "encrypted; its content cannot be read"
    if isinstance(exc, NotImplementedError):
        return f"uses a compression method keylatch cannot read ({text})"
    from keylatch.sources.streams import Malformed  # loaded with the first compressed stream

    if isinstance(exc, (_Truncated, Malformed)):  # their words say what is wrong
        return text
    return f"corrupt or truncated ({text})"


def _unscanned(label: str, why: str) -> ScanError:
    return ScanError(f"{label}: not fully scanned: {why}")


def _size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} bytes"
