"""Blob contents in bulk: one `git cat-file --batch` process, never one process per object.

Objects are read straight off the pipe. A blob larger than `BLOCK` is handed to the engine in
overlapping blocks (the same scheme as sources/files.py), so memory stays bounded whatever the
blob size. Object ids are ASCII hex `bytes` here: they are compared by the million, and
decoding each one would cost more than the comparison.
"""

from __future__ import annotations

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
        stdin.close()
    except BrokenPipeError:
        pass
    except BaseException as exc:  # noqa: BLE001 -- re-raised by the reader
        errors.append(exc)


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
    assert proc.stdout is not None
    widen(proc.stdout)
    errors: list[BaseException] = []
    feeder = None
    if oids is not None:
        assert proc.stdin is not None
        feeder = threading.Thread(target=feed, args=(proc.stdin, oids, errors), daemon=True)
        feeder.start()
    assert proc.stdout is not None
    try:
        _read_all(proc.stdout, visit, kinds)
    except BaseException:
        proc.kill()
        raise
    finally:
        if feeder is not None:
            feeder.join()
        proc.stdout.close()
        err = proc.stderr.read() if proc.stderr else b""
        if proc.stderr:
            proc.stderr.close()
        code = proc.wait()
    if errors:
        raise ScanError(f"git cat-file: could not send object ids: {errors[0]}")
    if code != 0:
        raise ScanError(f"git cat-file: {first_line(err)}")


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
