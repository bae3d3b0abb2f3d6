"""The literal prefilter for whole-history scans where Hyperscan is missing (history/hsgate.py
is the first choice), run by grep on git's output, outside Python.

Every rule needs one of a handful of literals (its keywords, the base64 forms of the key
marker). Python checks them one `bytes.find` pass per literal, about 0.1 GB/s for all of them
together on source code (bench/history_bench.py); grep -F matches them all in one pass at
several GB/s on a second core while git is inflating on the first. So for the whole history,
blob contents flow `git cat-file --batch` -> `grep -abo -F` and Python only reads grep's hit
offsets; the few blobs with a hit are then read again and scanned by the engine.

Alignment is checked, not assumed: each object header carries a marker whose offset we predict
from the object sizes; if any predicted marker is missing from grep's output (an object vanished
mid-scan, a grep that behaves differently), the caller falls back to scanning in Python.
"""

from __future__ import annotations

import bisect
import contextlib
import logging
import os
import shutil
import subprocess
import threading
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from keylatch.errors import ScanError
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.objects import PIPE_SIZE, feed, widen
from keylatch.sources.reaping import kill

log = logging.getLogger(__name__)
MARK = b"KEYLATCH-OBJECT-HEADER"
_FORMAT = "--batch=%(objectname) %(objectsize) " + MARK.decode()


def grep_needles(needles: Sequence[bytes]) -> tuple[bytes, ...]:
    """A cheaper set for grep that still matches wherever a needle does (a superset filter).

    Case variants of one word (`azure`, `Azure`, `AZURE`) become their tails after the first
    letter (`zure`, `ZURE`): grep -F ran 30% faster with them on sqlalchemy's blobs.
    """
    groups: dict[bytes, list[bytes]] = {}
    for n in needles:
        groups.setdefault(n.lower(), []).append(n)
    out: set[bytes] = set()
    for variants in groups.values():
        if len(variants) > 1 and min(len(v) for v in variants) >= 5:
            out.update(v[1:] for v in variants)
        else:
            out.update(variants)
    return tuple(sorted(out))


def grep_program() -> str | None:
    return shutil.which("grep")


@dataclass(slots=True)
class Objects:
    """Object ids (packed, `width` bytes each), sizes and kinds: about 30 bytes an object where a
    list of (id, size) tuples takes 150; git.git has 470k blobs and commits, and RSS a budget."""

    ids: bytearray = field(default_factory=bytearray)
    sizes: array[int] = field(default_factory=lambda: array("q"))
    commits: bytearray = field(default_factory=bytearray)  # 1 where the object is a commit
    width: int = 20  # 20 in a SHA-1 repository, 32 in a SHA-256 one (`extensions.objectFormat`)

    def add(self, oid: bytes, size: int, commit: bool) -> None:
        self.width = len(oid) // 2
        self.ids += bytes.fromhex(oid.decode("ascii"))
        self.sizes.append(size)
        self.commits.append(commit)

    def __len__(self) -> int:
        return len(self.sizes)

    def oid(self, i: int) -> bytes:
        w = self.width
        return self.ids[w * i : w * i + w].hex().encode("ascii")

    def packed(self, i: int) -> bytes:
        return bytes(self.ids[self.width * i : self.width * (i + 1)])


def candidates(
    git: Git,
    objs: Objects,
    needles: Sequence[bytes],
    on_progress: Callable[[int, int], None] | None = None,
) -> set[int] | None:
    """Indices of the objects that contain a needle, or None if the check did not hold."""
    grep = grep_program()
    if grep is None or not objs:
        return None if grep is None else set()
    starts = array("q")
    marks = array("q")
    off = 0
    for i, size in enumerate(objs.sizes):
        starts.append(off)
        head = b"%s %d " % (objs.oid(i), size)
        marks.append(off + len(head))
        off += len(head) + len(MARK) + 1 + size + 1
    # The patterns reach grep through a pipe, not a temporary file that a kill could leave
    # behind; not as arguments either, since the UTF-16 needles hold NUL bytes.
    patterns = b"\n".join((MARK, *grep_needles(needles))) + b"\n"
    pat_r, pat_w = os.pipe()
    with open(pat_w, "wb") as w:
        w.write(patterns)  # a few hundred bytes: fits the pipe buffer, never blocks
    try:
        return _grep(git, grep, pat_r, objs, marks, starts, on_progress)
    finally:
        os.close(pat_r)


def _grep(
    git: Git,
    grep: str,
    pat_r: int,
    objs: Objects,
    marks: array[int],
    starts: array[int],
    on_progress: Callable[[int, int], None] | None,
) -> set[int] | None:
    cat = git.popen("cat-file", _FORMAT, stdin=subprocess.PIPE)
    assert cat.stdin is not None and cat.stdout is not None and cat.stderr is not None
    proc: subprocess.Popen[bytes] | None = None
    feeder: threading.Thread | None = None
    errors: list[BaseException] = []
    matched = 0  # markers seen where predicted, in order (grep reports offsets in order)
    hits: set[int] = set()
    try:
        widen(cat.stdout)
        ids = (objs.oid(i) for i in range(len(objs)))
        feeder = threading.Thread(target=feed, args=(cat.stdin, ids, errors), daemon=True)
        feeder.start()
        # LC_ALL=C: bytes, not characters; nothing else from the environment.
        env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", os.defpath)}
        proc = subprocess.Popen(
            [grep, "-a", "-b", "-o", "-F", "-f", f"/dev/fd/{pat_r}"], pass_fds=(pat_r,),
            stdin=cat.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=PIPE_SIZE,
        )  # fmt: skip
        cat.stdout.close()  # grep owns the read end now
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:
            pos, _, match = line.rstrip(b"\n").partition(b":")
            if match == MARK:
                # A marker inside a blob's content is not predicted and simply skipped; a
                # predicted one that never shows up stops `matched` for good.
                if matched < len(marks) and int(pos) == marks[matched]:
                    matched += 1
                    if on_progress is not None and matched % 2048 == 0:
                        on_progress(matched, starts[matched - 1])
            else:
                hits.add(int(pos))
        feeder.join()
        grep_err = proc.stderr.read()
        code = proc.wait()
        cat_err = cat.stderr.read()
        cat_code = cat.wait()
    except BaseException:
        # Interrupted or failed: cat-file may be blocked writing to grep, grep writing to us,
        # and the feeder writing to cat-file. Kill both, then the feeder's write fails at once.
        kill(proc, cat)
        if feeder is not None:
            feeder.join()
        raise
    finally:
        pipes = (cat.stdin, cat.stdout, cat.stderr) + ((proc.stdout, proc.stderr) if proc is not None else ())
        for pipe in pipes:
            if pipe is not None:
                with contextlib.suppress(OSError):  # flushing into a dead process
                    pipe.close()
    if code not in (0, 1):
        # grep failed (and git may have died of the closed pipe): the caller scans in Python.
        log.debug("grep failed (%s): %s", code, first_line(grep_err))
        return None
    if cat_code != 0 or errors:
        raise ScanError(f"git cat-file: {first_line(cat_err)}")
    if matched != len(marks):
        return None
    found = set()
    for at in hits:
        i = bisect.bisect_right(starts, at) - 1
        if i >= 0:
            found.add(i)
    return found
