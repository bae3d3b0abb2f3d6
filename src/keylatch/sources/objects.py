"""Blob contents in bulk: one `git cat-file --batch` process, never one process per object.

Objects are read straight off the pipe. A blob larger than `BLOCK` is handed to the engine in
overlapping blocks (the same scheme as sources/files.py), so memory stays bounded whatever the
blob size. Object ids are ASCII hex `bytes` here: they are compared by the million, and
decoding each one would cost more than the comparison.
"""

from __future__ import annotations

import contextlib
import fcntl
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from keylatch.errors import ScanError
from keylatch.model import Chunk
from keylatch.sources.files import OVERLAP
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.reaping import kill

LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
PIPE_SIZE = 1 << 20
# Blobs are handed to the engine in blocks of at most this size; smaller than files.BLOCK to keep
# the history walker's peak memory low (it holds a block, its overlap and the pipe buffer).
BLOCK = 8 << 20


@dataclass(frozen=True, slots=True)
class BlobHeader:
    oid: bytes
    kind: bytes  # b"blob", b"tree", b"commit", b"tag" or b"missing"
    size: int


def _chunks(stream: IO[bytes], oid: str, size: int) -> Iterator[Chunk]:
    """Read exactly `size` bytes as overlapping Chunks (line numbers carried across blocks)."""
    data = stream.read(min(size, BLOCK))
    left = size - len(data)
    line = 1
    while True:
        yield Chunk(data, "", first_line=line, blob=oid)
        if left <= 0:
            return
        more = stream.read(min(left, BLOCK - OVERLAP))
        if not more:
            raise ScanError(f"git cat-file: object {oid} ended early")
        left -= len(more)
        keep = data[-OVERLAP:]
        line += data.count(b"\n", 0, len(data) - len(keep))
        data = keep + more


def _skip(stream: IO[bytes], size: int) -> None:
    while size > 0:
        got = len(stream.read(min(size, BLOCK)))
        if not got:
            raise ScanError("git cat-file: output ended early")
        size -= got


def widen(pipe: IO[bytes]) -> None:
    """Ask for a 1 MiB pipe: with the default 64 KiB, git and we take turns every 64 KiB, and the
    context switches cost more than the copying (measured: bench/history_bench.py)."""
    try:
        fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except OSError:
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default still works


def feed(stdin: IO[bytes], oids: Iterable[bytes], errors: list[BaseException]) -> None:
    # A separate thread writes the requests so that git never blocks on a full stdout pipe
    # while we block on a full stdin pipe.
    try:
        for oid in oids:
            stdin.write(oid + b"\n")
    except BrokenPipeError:
        pass  # git exited (or was killed): its exit status says why
    except BaseException as exc:  # noqa: BLE001 -- re-raised by the reader
        errors.append(exc)
    finally:
        with contextlib.suppress(OSError):  # flushing into a closed pipe
            stdin.close()


Visitor = Callable[[BlobHeader, Iterator[Chunk] | None], None]


def read_objects(
    git: Git,
    oids: Iterable[bytes] | None,
    visit: Visitor,
    kinds: Sequence[bytes] = (b"blob",),
) -> None:
    """Call `visit(header, chunks)` for every object: `oids` in order, or with None every object
    in the repository (`--batch-all-objects --unordered`, the fastest order git knows).

    `chunks` is None for objects whose kind is not in `kinds` (their bytes are skipped) and for
    missing ones; otherwise `visit` must consume it before returning.
    """
    args = ["cat-file", "--batch"]
    if oids is None:
        args += ["--batch-all-objects", "--unordered"]
    proc = git.popen(*args, stdin=None if oids is None else subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    widen(proc.stdout)
    errors: list[BaseException] = []
    feeder = None if oids is None else _start_feeder(proc, oids, errors)
    try:
        _read_all(proc.stdout, visit, kinds)
        code, err = _finish(proc, feeder)
    except BaseException:
        # Kill before joining: the feeder may be blocked on a full pipe to a git that is
        # blocked writing to us (an interrupt, or a visitor that raised).
        kill(proc)
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


def absent(git: Git, oids: Iterable[bytes]) -> tuple[int, bytes | None]:
    """How many of `oids` (repeats counted) the repository lacks, and the first of them.

    `%(objectname)` alone asks git for no object info, so each id costs an index lookup and no
    read: on the synthetic bench repository this check adds about 1% to a whole-history scan.
    A corrupt loose object passes here; reading it fails later, in the listing or the scan.
    """
    proc = git.popen("cat-file", "--batch-check=%(objectname)", "--buffer", stdin=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    widen(proc.stdout)
    errors: list[BaseException] = []
    feeder = _start_feeder(proc, oids, errors)
    count, first = 0, None
    try:
        for line in proc.stdout:
            if line.endswith(b" missing\n"):
                count += 1
                first = first or line.split(b" ", 1)[0]
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
    return count, first


def _start_feeder(
    proc: subprocess.Popen[bytes], oids: Iterable[bytes], errors: list[BaseException]
) -> threading.Thread:
    assert proc.stdin is not None
    feeder = threading.Thread(target=feed, args=(proc.stdin, oids, errors), daemon=True)
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
            chunks = _chunks(stdout, header.oid.decode("ascii"), header.size)
            visit(header, chunks)
            for _ in chunks:  # whatever the visitor left unread
                pass
        else:
            _skip(stdout, header.size)
        if stdout.read(1) != b"\n":
            raise ScanError("git cat-file: output out of step")
