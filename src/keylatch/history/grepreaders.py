"""A range read through `grep -abo -F` where Hyperscan is missing (history/readers.py starts it):
`cat-file --batch` with a marker after each header, piped into grep; Python follows grep's
offsets, so each predicted marker closes an object and each other match makes the object it
falls in a candidate. A range whose markers do not all show up is left unaligned (the engine
reads it whole)."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import threading
from collections.abc import Callable

from keylatch.errors import ScanError
from keylatch.history.grepfilter import MARK, Objects
from keylatch.history.ranges import END, Range, cat_file
from keylatch.sources.gitcmd import Git, first_line
from keylatch.sources.objects import PIPE_SIZE

log = logging.getLogger(__name__)
_FORMAT = "--batch=%(objectname) %(objectsize) " + MARK.decode()  # as grepfilter's


def start_range(
    git: Git, grep: str, patterns: bytes, objs: Objects, r: Range, progress: Callable[[], None] | None
) -> None:
    cat, feeder, errors = cat_file(git, _FORMAT, objs, r)
    assert cat.stdout is not None
    # The patterns reach grep through a pipe (they hold NUL bytes; no file a kill could leave).
    pat_r, pat_w = os.pipe()
    try:
        with open(pat_w, "wb") as w:
            w.write(patterns)  # a few hundred bytes: fits the pipe buffer, never blocks
        # LC_ALL=C: bytes, not characters; nothing else from the environment.
        env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", os.defpath)}
        proc = subprocess.Popen(
            [grep, "-a", "-b", "-o", "-F", "-f", f"/dev/fd/{pat_r}"], pass_fds=(pat_r,),
            stdin=cat.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=PIPE_SIZE,
        )  # fmt: skip
    finally:
        os.close(pat_r)
        cat.stdout.close()  # grep owns the read end now
    r.procs.append(proc)
    reader = threading.Thread(target=_read, args=(r, objs, (cat, proc, feeder), errors, progress), daemon=True)
    reader.start()
    r.threads.append(reader)


Pipeline = tuple[subprocess.Popen[bytes], subprocess.Popen[bytes], threading.Thread]  # cat-file, grep, feeder


def _read(
    r: Range, objs: Objects, pipeline: Pipeline, errors: list[BaseException], progress: Callable[[], None] | None
) -> None:
    """Follow grep's offsets: each marker where predicted closes an object; each other match
    makes the object it falls in a candidate. Never raises: a failure is `r.error`."""
    cat, proc, _ = pipeline
    try:
        _follow(r, objs, pipeline, errors, progress)
    except ScanError as exc:
        r.error = exc
    except BaseException as exc:  # noqa: BLE001 -- a killed stream; the caller raises its own
        r.error = ScanError(f"git cat-file: reading the object stream failed: {exc}")
    finally:
        for pipe in (cat.stdin, cat.stderr, proc.stdout, proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):  # flushing into a dead process
                    pipe.close()
        r.found.put(END)


def _follow(
    r: Range, objs: Objects, pipeline: Pipeline, errors: list[BaseException], progress: Callable[[], None] | None
) -> None:
    cat, proc, feeder = pipeline
    assert proc.stdout is not None and proc.stderr is not None and cat.stderr is not None
    count = r.stop - r.first
    width = len(objs.oid(r.first)) + 1  # the id and the space after it
    sizes = objs.sizes
    matched = 0  # objects whose marker showed up where predicted, in order
    start = 0  # offset of object `matched` in the stream: its header starts there
    size = sizes[r.first]
    mark = width + len(str(size)) + 1  # where its marker must be
    last = -1  # the last candidate handed on (grep's offsets only grow)
    for line in proc.stdout:
        pos_text, _, match = line.rstrip(b"\n").partition(b":")
        pos = int(pos_text)
        if match == MARK:
            # A marker inside an object's content is not predicted and simply skipped; a
            # predicted one that never shows up stops `matched` for good.
            if matched < count and pos == mark:
                matched += 1
                start = mark + len(MARK) + 1 + size + 1
                if matched < count:
                    size = sizes[r.first + matched]
                    mark = start + width + len(str(size)) + 1
                if progress is not None and matched % 2048 == 0:
                    r.objects, r.nbytes = matched, start
                    progress()
            continue
        # Inside object `matched - 1`, or in the header of object `matched` (not marked yet).
        i = matched if matched < count and pos >= start else matched - 1
        if i > last:
            last = i
            r.found.put(r.first + i)
    r.objects, r.nbytes = matched, start
    grep_err = proc.stderr.read()
    code = proc.wait()
    cat_err = cat.stderr.read()
    cat_code = cat.wait()
    feeder.join()  # done, or failing on the closed pipe
    if code not in (0, 1):
        # grep failed (and git may have died of the closed pipe): the range is scanned in Python.
        log.debug("grep failed (%s): %s", code, first_line(grep_err))
        return
    if cat_code != 0 or errors:
        raise ScanError(f"git cat-file: {first_line(cat_err)}")
    r.aligned = matched == count
