"""Reading a reader's `cat-file` pipe in large pieces, so git and the reader wake each other
rarely.

git writes a blob into its stdout in 16 KiB pieces (streaming.c's buffer) and each header and
commit through stdio; a reader faster than git (Hyperscan runs at GB/s, git inflates at about
0.6 GB/s) finds the pipe empty after each read, sleeps, and is woken by git's next write: one
context switch and one `read(2)` per 16 KiB on both sides. Over git/git's 7.9 GB that was about
130k switches per 2 GB read and half the CPU the pipe costs beyond the copies (bench/README.md,
t-pipe18). Linux has no low-water mark for a pipe (SO_RCVLOWAT is for sockets), so
`HalfPipeReads` asks how much is waiting (FIONREAD) and, if it is less than half the pipe, naps
once (`NAP`, while git fills it) before reading whatever is there. One nap per read at most: a
git that is slow (a long delta chain) is waited for by the read itself, as before.
"""

from __future__ import annotations

import array
import io
import os
import time

from keylatch.sources.objects import PIPE_SIZE

# Half the pipe (sources/objects.widen) is about 0.9 ms of git's output; 1 ms naps measured
# best among 0.5-2 ms and 256 KiB-1 MiB on git/git's blobs (bench/README.md, t-pipe18).
NAP = 0.001
WANT = PIPE_SIZE // 2


class HalfPipeReads(io.BufferedIOBase):
    """`readinto` over a pipe's file descriptor that waits, once, for at least `want` bytes.

    Reads straight from the descriptor (one `read(2)` into the caller's buffer, no copy through a
    buffer of ours) and may return fewer bytes than asked: 0 only at the end of the stream. The
    descriptor stays owned (and closed) by whoever opened it."""

    def __init__(self, fd: int, want: int = WANT, nap: float = NAP) -> None:
        super().__init__()
        self._fd, self._want, self._nap = fd, want, nap
        self._waiting = array.array("i", [0])  # FIONREAD's answer

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._pending() < min(self._want, len(buffer)):
            time.sleep(self._nap)
        return os.readv(self._fd, [buffer])

    def _pending(self) -> int:
        import fcntl
        import termios

        try:
            fcntl.ioctl(self._fd, termios.FIONREAD, self._waiting, True)
        except OSError:
            return self._want  # not a pipe (or no FIONREAD): read at once, as before
        return int(self._waiting[0])
