"""The one `git cat-file --batch` reader: object contents in bulk, never one process per object.

Two shapes of the same protocol:
- `read_objects(git, names)`: a few named objects (`<id>`, `HEAD:<path>`) read into memory, for
  the hooks, ci and allow comments. On the pre-commit hook's path, so this module imports no
  dataclasses and no keylatch.model (NamedTuples, as in gitcmd.Git).
- `stream_objects(git, oids, visit)`: every object of a history scan, straight off the pipe. An
  object larger than `BLOCK` is handed on in overlapping blocks (sources/blocks.py, the splitter
  files use too), so memory stays bounded whatever its size. Object ids are ASCII hex `bytes`
  there: they are compared by the million, and decoding each one would cost more than the
  comparison.
"""

from __future__ import annotations

import contextlib
import itertools
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

from keylatch.errors import ScanError
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.reaping import kill

TYPE_CHECKING = False  # not typing's: importing typing costs the pre-commit hook ~2.6 ms
if TYPE_CHECKING:
    from typing import IO

    from keylatch.model import Chunk

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
PIPE_SIZE = 1 << 20
# Objects are streamed in blocks of at most this size; smaller than files.BLOCK to keep the
# history walker's peak memory low (it holds a block, its overlap and the pipe buffer).
BLOCK = 8 << 20
_BATCH = 1000  # object names per in-memory cat-file process


# typing.NamedTuple for the type checker, collections.namedtuple (same fields) at run time.
if TYPE_CHECKING:
    from typing import NamedTuple

    class BlobHeader(NamedTuple):
        oid: bytes
        kind: bytes  # b"blob", b"tree", b"commit", b"tag" or b"missing"
        size: int

    class Object(NamedTuple):
        kind: bytes  # b"blob", b"tree", b"commit" or b"tag"
        data: bytes

else:
    from collections import namedtuple

    BlobHeader = namedtuple("BlobHeader", "oid kind size")
    Object = namedtuple("Object", "kind data")


def parse_batch(out: bytes, names: Sequence[str]) -> Iterator[tuple[str, Object | None]]:
    """`cat-file --batch` output for `names`, in order: each name with its object, or None for a
    name git could not resolve (`missing`, `ambiguous`)."""
    pos = 0
    for name in names:
        end = out.index(b"\n", pos)
        header = out[pos:end].split(b" ")
        pos = end + 1
        if header[-1] in (b"missing", b"ambiguous") or len(header) != 3:
            yield name, None
            continue
        size = int(header[2])
        yield name, Object(header[1], out[pos : pos + size])
        pos += size + 1


def _batch_input(names: Sequence[str]) -> bytes:
    return "".join(f"{n}\n" for n in names).encode("utf-8", "surrogateescape")


def read_batch(git: Git, names: Iterable[str], reader: BlobReader | None = None) -> dict[str, Object | None]:
    """Objects by name (`<id>` or `HEAD:<path>`), read with `cat-file --batch`.

    A name git cannot resolve maps to None; the caller decides whether that is an error. With a
    `reader`, its already-running process serves the first batch.
    """
    wanted = [n for n in dict.fromkeys(names) if "\n" not in n]
    result: dict[str, Object | None] = {}
    first = wanted[:_BATCH]
    if reader is not None:
        result.update(parse_batch(reader.communicate(_batch_input(first)), first))
    elif first:
        result.update(parse_batch(git.run("cat-file", "--batch", input=_batch_input(first)), first))
    for i in range(_BATCH, len(wanted), _BATCH):
        part = wanted[i : i + _BATCH]
        result.update(parse_batch(git.run("cat-file", "--batch", input=_batch_input(part)), part))
    return result


def read_objects(git: Git, names: Iterable[str], reader: BlobReader | None = None) -> dict[str, bytes | None]:
    """As read_batch, contents only."""
    return {n: None if o is None else o.data for n, o in read_batch(git, names, reader).items()}


def tree_entries(data: bytes, width: int) -> Iterator[tuple[bytes, bytes, bytes]]:
    """(mode, name, binary id) of each entry of a tree object's data, `<mode> <name>\\0<id>` in
    turn, with ids of `width` bytes (20, or 32 in a sha256 repository). As stored: nothing is
    checked but the split. ValueError where an entry lacks its space or NUL; a last id cut short
    is yielded short (the caller decides what a truncated tree is)."""
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        yield data[pos:space], data[space + 1 : nul], data[nul + 1 : nul + 1 + width]
        pos = nul + 1 + width


class BlobReader:
    """A `cat-file --batch` started before the names are known, so its startup overlaps the
    index listing (one process's latency less on every commit). Use it once."""

    def __init__(self, git: Git) -> None:
        self._proc: subprocess.Popen[bytes] = git.popen("cat-file", "--batch", stdin=subprocess.PIPE)

    def communicate(self, data: bytes) -> bytes:
        out, err = self._proc.communicate(data)
        if self._proc.returncode != 0:
            raise ScanError(f"git cat-file: {first_line(err)}")
        return out

    def close(self) -> None:
        if self._proc.returncode is None:
            self._proc.communicate(b"")


def _chunks(stream: IO[bytes], oid: bytes, size: int) -> Iterator[Chunk]:
    """Read exactly `size` bytes as overlapping Chunks (sources/blocks.py). They carry no object
    id: the visitor has it, as bytes, in the header."""
    from keylatch.sources.blocks import blocks

    left = size

    def fill(n: int) -> tuple[bytes, bool]:
        nonlocal left
        data = stream.read(min(left, n))
        left -= len(data)
        if left > 0 and not data:
            raise ScanError(f"git cat-file: object {oid.decode('ascii', 'replace')} ended early")
        return data, left <= 0

    return blocks(fill, BLOCK, "")


def _skip(stream: IO[bytes], size: int) -> None:
    while size > 0:
        got = len(stream.read(min(size, BLOCK)))
        if not got:
            raise ScanError("git cat-file: output ended early")
        size -= got


def widen(pipe: IO[bytes]) -> None:
    """Ask for a 1 MiB pipe: with the default 64 KiB, git and we take turns every 64 KiB, and the
    context switches cost more than the copying (measured: bench/history_bench.py)."""
    import fcntl

    try:
        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except OSError:
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default still works


def feed(stdin: IO[bytes], oids: Iterable[bytes], errors: list[BaseException], eager: bool = False) -> None:
    # A separate thread writes the requests so that git never blocks on a full stdout pipe
    # while we block on a full stdin pipe. `eager`: each id is flushed at once, for ids that
    # trickle in (history/readers.py) and must not wait in our buffer for the next ones.
    try:
        for oid in oids:
            stdin.write(oid + b"\n")
            if eager:
                stdin.flush()
    except BrokenPipeError:
        pass  # git exited (or was killed): its exit status says why
    except BaseException as exc:  # noqa: BLE001 -- re-raised by the reader
        errors.append(exc)
    finally:
        with contextlib.suppress(OSError):  # flushing into a closed pipe
            stdin.close()


# The chunks are Chunks (keylatch.model, imported only by the stream).
Visitor = Callable[[BlobHeader, "Iterator[Chunk] | None"], None]


def stream_objects(
    git: Git,
    oids: Iterable[bytes] | None,
    visit: Visitor,
    kinds: Sequence[bytes] = (b"blob",),
    *,
    eager: bool = False,
    release: Callable[[], None] | None = None,
) -> None:
    """Call `visit(header, chunks)` for every object: `oids` in order, or with None every object
    in the repository (`--batch-all-objects --unordered`, the fastest order git knows).

    `chunks` is None for objects whose kind is not in `kinds` (their bytes are skipped) and for
    missing ones; otherwise `visit` must consume it before returning.

    For `oids` that other threads produce while this runs (history/readers.py): `eager` sends
    each id to git as soon as it comes, and `release` is called when the stream is abandoned,
    before the thread iterating `oids` is joined, so that an iterator waiting for its
    producers can stop.
    """
    args = ["cat-file", "--batch"]
    if oids is None:
        args += ["--batch-all-objects", "--unordered"]
    else:
        # No id, no git process: a clean history has no candidate to read again, a range often
        # no tag (~1.2 ms of CPU a process). Waiting for the first id costs nothing: git would
        # wait for it on stdin too.
        ids = iter(oids)
        try:
            first = next(ids, None)
        except Exception as exc:  # as the feeder reports a failing iterator
            raise ScanError(f"git cat-file: could not send object ids: {exc}") from exc
        if first is None:
            return
        oids = itertools.chain((first,), ids)
    proc = git.popen(*args, stdin=None if oids is None else subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    widen(proc.stdout)
    errors: list[BaseException] = []
    feeder = None if oids is None else _start_feeder(proc, oids, errors, eager)
    try:
        _read_all(proc.stdout, visit, kinds)
        code, err = _finish(proc, feeder)
    except BaseException:
        # Kill before joining: the feeder may be blocked on a full pipe to a git that is
        # blocked writing to us (an interrupt, or a visitor that raised).
        kill(proc)
        if release is not None:
            release()
        if feeder is not None:
            feeder.join()
        raise
    finally:
        proc.stdout.close()
        proc.stderr.close()
    if errors:
        raise ScanError(f"git cat-file: could not send object ids: {errors[0]}")
    if code != 0:
        raise ScanError(f"git cat-file: {first_line(err)}")


def absent(git: Git, oids: Iterable[bytes]) -> frozenset[bytes]:
    """The distinct ids among `oids` that the repository lacks (a blob many commits name is one
    lost object, not many).

    `%(objectname)` alone asks git for no object info, so each id costs an index lookup and no
    read: on the synthetic bench repository this check adds about 1% to a whole-history scan.
    A corrupt loose object passes here; reading it fails later, in the listing or the scan.
    """
    ids = iter(oids)
    first = next(ids, None)  # none to check (a history without blobs): no git process
    if first is None:
        return frozenset()
    oids = itertools.chain((first,), ids)
    proc = git.popen("cat-file", "--batch-check=%(objectname)", "--buffer", stdin=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    widen(proc.stdout)
    errors: list[BaseException] = []
    feeder = _start_feeder(proc, oids, errors)
    lost: set[bytes] = set()
    try:
        for line in proc.stdout:
            if line.endswith(b" missing\n"):
                lost.add(line.split(b" ", 1)[0])
        code, err = _finish(proc, feeder)
    except BaseException:
        kill(proc)
        feeder.join()
        raise
    finally:
        proc.stdout.close()
        proc.stderr.close()
    if errors or code != 0:
        raise ScanError(f"git cat-file: {errors[0] if errors else first_line(err)}")
    return frozenset(lost)


def _start_feeder(
    proc: subprocess.Popen[bytes], oids: Iterable[bytes], errors: list[BaseException], eager: bool = False
) -> threading.Thread:
    assert proc.stdin is not None
    feeder = threading.Thread(target=feed, args=(proc.stdin, oids, errors, eager), daemon=True)
    feeder.start()
    return feeder


def _finish(proc: subprocess.Popen[bytes], feeder: threading.Thread | None) -> tuple[int, bytes]:
    """After stdout ended: the feeder is done or failing on the closed pipe; git has exited."""
    if feeder is not None:
        feeder.join()
    assert proc.stderr is not None
    err = proc.stderr.read()
    return proc.wait(), err


def _read_all(stdout: IO[bytes], visit: Visitor, kinds: Sequence[bytes]) -> None:
    while True:
        head = stdout.readline()
        if not head:
            return
        parts = head.split()
        if len(parts) == 2 and parts[1] == b"missing":
            visit(BlobHeader(parts[0], b"missing", 0), None)
            continue
        if len(parts) != 3:
            raise ScanError(f"git cat-file: unexpected output {head[:80]!r}")
        header = BlobHeader(parts[0], parts[1], int(parts[2]))
        if header.kind in kinds:
            chunks = _chunks(stdout, header.oid, header.size)
            visit(header, chunks)
            for _ in chunks:  # whatever the visitor left unread
                pass
        else:
            _skip(stdout, header.size)
        if stdout.read(1) != b"\n":
            raise ScanError("git cat-file: output out of step")
