"""A reader's pipe read half a pipe at a time gives every byte, in order, and ends at the end."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from keylatch.history.pipes import HalfPipeReads


def drain(reader: HalfPipeReads, size: int) -> bytes:
    buf = bytearray(size)
    view = memoryview(buf)
    out = bytearray()
    while got := reader.readinto(view):
        out += view[:got]
    return bytes(out)


@pytest.mark.parametrize(
    ("pieces", "piece", "pause"),
    [
        (1, 10, 0.0),  # less than half a pipe, then the end: read after one nap, then 0
        (200, 16 << 10, 0.0),  # git's 16 KiB blob writes, back to back: more than a pipe
        (40, 3000, 0.002),  # a slow writer: the read waits for it, once past the nap
        (3, 1 << 20, 0.0),  # whole pipes, larger than the caller's buffer
    ],
)
def test_every_byte_in_order(pieces: int, piece: int, pause: float) -> None:
    data = b"".join(bytes([i % 251]) * piece for i in range(pieces))
    rfd, wfd = os.pipe()

    def write() -> None:
        with open(wfd, "wb", buffering=0) as w:
            for at in range(0, len(data), piece):
                w.write(data[at : at + piece])
                if pause:
                    time.sleep(pause)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert drain(HalfPipeReads(rfd), 1 << 20) == data
    finally:
        writer.join()
        os.close(rfd)


def test_not_a_pipe_is_read_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "stream"
    path.write_bytes(b"x" * 70_000)
    with path.open("rb", buffering=0) as f:
        assert drain(HalfPipeReads(f.fileno()), 4096) == b"x" * 70_000


def test_an_empty_stream_ends_at_once() -> None:
    rfd, wfd = os.pipe()
    os.close(wfd)
    try:
        assert HalfPipeReads(rfd).readinto(bytearray(16)) == 0
    finally:
        os.close(rfd)
