"""walk_spread (files read by worker threads, or by forked worker processes) yields what walk
yields, in the same order, with the same entries it could not read, whatever the tree holds; the
files its `wanted` test passes over are Cleared, a run of them at a time; a worker process that
dies, lies or is out of step costs nothing but time: the parent reads its share itself."""

from __future__ import annotations

import io
import marshal
import os
import signal
import socket
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from keylatch.errors import KeylatchError, ScanError
from keylatch.model import Chunk
from keylatch.sources import archives, files, forks
from keylatch.sources.excludes import Excludes
from keylatch.sources.files import BLOCK, Cleared, Names, Skipped, Unread, walk
from keylatch.sources.forks import walk_spread

Item = tuple[str, ...]


def _tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _flat(tree: Path) -> None:
    # More files than one batch, non-regular entries between them (a batch is cut there).
    for i in range(40):
        (tree / f"f{i:02}.txt").write_bytes(b"line %d\n" % i * (i + 1))
        if i % 13 == 5:
            os.mkfifo(tree / f"f{i:02}.zfifo")
            (tree / f"f{i:02}.zlink").symlink_to(tree / "f00.txt")


def _mixed(tree: Path) -> None:
    (tree / "empty").write_bytes(b"")
    (tree / "small.py").write_bytes(b"x = 1\n")
    (tree / "large.txt").write_bytes(b"0123456789abcdef\n" * ((files._SMALL // 17) + 100))
    (tree / "bundle.tar.gz").write_bytes(_tar_gz({"a.env": b"A=1\n", "b/c.txt": b"c\n"}))
    (tree / "pack.zip").write_bytes(_zip({"x.txt": b"x\n"}))
    (tree / "fake.zip.txt").write_bytes(b"PK not a zip\n")
    (tree / "sock").mkdir()
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tree / "sock" / "s"))
    except OSError:  # a path too long for AF_UNIX: the FIFO below stands for it
        pass
    finally:
        sock.close()
    (tree / ".git" / "objects" / "ab").mkdir(parents=True)
    (tree / ".git" / "objects" / "ab" / "cd").write_bytes(b"zlib")
    (tree / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")
    deep = tree
    for i in range(30):
        deep = deep / f"d{i}"
        deep.mkdir()
        (deep / "file").write_bytes(b"level %d\n" % i)
    (tree / "loop").symlink_to(tree)


def _huge(tree: Path) -> None:
    # Larger than a block: read in overlapping blocks by the walking thread.
    (tree / "a.txt").write_bytes(b"a\n")
    with open(tree / "huge.bin", "wb") as f:
        f.truncate(BLOCK + (1 << 20))
    (tree / "z.txt").write_bytes(b"z\n")


TREES: dict[str, Callable[[Path], None]] = {"flat": _flat, "mixed": _mixed, "huge": _huge}


MODES = ["threads", "forks"]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both spread walks; the processes fork at the first batch, so small trees fork too."""
    if request.param == "forks":
        monkeypatch.setattr(forks, "FORK_AFTER", 0)
    else:
        monkeypatch.setattr(forks, "can_fork", lambda: False)
    return str(request.param)


def _events(
    items: Iterator[Chunk | Skipped | Unread | Names | Cleared], cleared: bool | Callable[[bytes], bool] = False
) -> list[Item]:
    """What a walk yielded; with `cleared`, each whole small file as a walk_spread whose `wanted`
    test passes over everything (or whose data `cleared` accepts) clears it. Consecutive cleared
    files are one event (a spread walk cuts its runs where its batches and directories end)."""
    out: list[Item] = []
    for item in items:
        if isinstance(item, Unread):
            out.append(("unread", item.path, item.message))
        elif isinstance(item, Skipped):
            out.append(("skip", item.path, item.kind))
        elif isinstance(item, Cleared):
            _clear(out, item.files, item.size)
        elif isinstance(item, Names):  # long names, for the key-in-a-path check
            out.append(("names", *item.paths))
        elif (cleared(item.data) if callable(cleared) else cleared) and _whole_small_file(item):
            _clear(out, 1, len(item.data))
        else:
            out.append(("chunk", item.path, str(len(item.data)), str(item.first_line)))
    return out


def _clear(out: list[Item], n: int, size: int) -> None:
    if out and out[-1][0] == "cleared":
        n, size = n + int(out[-1][1]), size + int(out[-1][2])
        out.pop()
    out.append(("cleared", str(n), str(size)))


def _whole_small_file(chunk: Chunk) -> bool:
    path = Path(chunk.path)
    if path.is_symlink() or not path.is_file() or chunk.first_line != 1:
        return False
    size = path.stat().st_size
    return len(chunk.data) == size <= files._SMALL and not archives.kind(chunk.data[: archives.HEAD])


def _outcome(items: Callable[[], Iterator[Chunk | Skipped | Unread | Names | Cleared]]) -> tuple[list[Item], str]:
    seen: list[Item] = []
    try:
        seen = _events(items())
    except KeylatchError as exc:
        return seen, f"{type(exc).__name__}: {exc}"
    return seen, ""


@pytest.fixture(scope="module")
def shaped(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[bool, list[Item]]]]:
    """Each tree of TREES, built once per module (the walks only read it), and what `walk`
    yields over it, as _events gives it with `cleared` False and True: the reference every
    spread walk of it is held to, the same for each mode and number of jobs (the huge tree's
    33 MiB were read again for each)."""
    out = {}
    for shape, build in TREES.items():
        tree = tmp_path_factory.mktemp(f"shape-{shape}") / "tree"
        tree.mkdir()
        build(tree)
        items = list(walk([tree]))
        out[shape] = tree, {c: _events(iter(items), cleared=c) for c in (False, True)}
    return out


@pytest.mark.parametrize("jobs", [2, 4])
@pytest.mark.parametrize("wanted", [True, False], ids=["all-wanted", "none-wanted"])
@pytest.mark.parametrize("shape", sorted(TREES))
def test_spread_walk_yields_what_the_walk_yields(
    shaped: dict[str, tuple[Path, dict[bool, list[Item]]]], shape: str, wanted: bool, jobs: int, mode: str
) -> None:
    tree, expected = shaped[shape]
    got = list(walk_spread([tree], lambda data: wanted, jobs))
    assert _events(iter(got)) == expected[not wanted]
    # Only whole small files are cleared, and only when unwanted.
    cleared = [i for i in got if isinstance(i, Cleared)]
    assert bool(cleared) == (not wanted)
    assert all(i.size <= i.files * files._SMALL for i in cleared)


@pytest.mark.parametrize("wanted", [True, False], ids=["all-wanted", "none-wanted"])
@pytest.mark.parametrize("shape", sorted(TREES))
def test_one_job_reads_in_place_and_clears_what_the_threads_clear(
    shaped: dict[str, tuple[Path, dict[bool, list[Item]]]], shape: str, wanted: bool
) -> None:
    # One job: no threads; the walking thread reads each small file in one call and tests it.
    tree, expected = shaped[shape]
    got = _events(walk_spread([tree], lambda data: wanted, 1))
    assert got == _events(walk_spread([tree], lambda data: wanted, 2))
    assert got == expected[not wanted]
    assert any(kind == "cleared" for kind, *_ in got) == (not wanted)


def test_the_chunks_a_worker_reads_are_the_walks(tmp_path: Path) -> None:
    _flat(tmp_path)
    _mixed(tmp_path)
    by_walk = [i for i in walk([tmp_path]) if isinstance(i, Chunk)]
    spread = [i for i in walk_spread([tmp_path], lambda data: True, 3) if isinstance(i, Chunk)]
    assert spread == by_walk


def test_excludes_and_several_roots_keep_their_order(tmp_path: Path, mode: str) -> None:
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        _flat(tmp_path / name)
    (tmp_path / "single.txt").write_bytes(b"s\n")
    roots = [tmp_path / "two", tmp_path / "single.txt", tmp_path / "one"]
    ex = Excludes(typed=("two/f1*", "one/*.zfifo"))
    assert _events(walk_spread(roots, lambda d: True, 2, ex)) == _events(walk(roots, ex))


@pytest.mark.parametrize("jobs", [2, 4])
def test_unreadable_entries_come_in_walk_order_and_the_walk_goes_on(tmp_path: Path, jobs: int, mode: str) -> None:
    """Corrupt archives (found by a worker, opened by the walking thread) in two directories,
    many files around them: each is Unread where the walk meets it, and the files after it are
    read (before: the first one ended the walk)."""
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        _flat(tmp_path / d)
        (tmp_path / d / f"f20-{d}.tar.gz").write_bytes(_tar_gz({"m": b"m\n" * 1000})[:-40])
    expected = _outcome(lambda: walk([tmp_path]))
    assert expected[1] == ""
    unread = [e for e in expected[0] if e[0] == "unread"]
    assert [e[1].rsplit("/", 2)[-2:] for e in unread] == [["a", "f20-a.tar.gz"], ["b", "f20-b.tar.gz"]]
    assert all("not fully scanned" in e[2] for e in unread)
    assert expected[0][-1][1].endswith("/b/f39.txt")  # the last file of the last directory was read
    assert _outcome(lambda: walk_spread([tmp_path], lambda d: True, jobs)) == expected


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_read_by_a_worker_is_unread_in_walk_order(tmp_path: Path, mode: str) -> None:
    _flat(tmp_path)
    (tmp_path / "f30.txt").chmod(0)
    expected = _outcome(lambda: walk([tmp_path]))
    (unread,) = [e for e in expected[0] if e[0] == "unread"]
    assert unread[1].endswith("f30.txt") and "Permission denied" in unread[2]
    assert _outcome(lambda: walk_spread([tmp_path], lambda d: True, 2)) == expected


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts descriptors in /proc")
@pytest.mark.parametrize("stop_after", [0, 1, 30, 70])
def test_a_walk_abandoned_midway_leaves_no_descriptor_or_thread(tmp_path: Path, stop_after: int, mode: str) -> None:
    """An interrupt (or an error in the caller) closes the generator: every directory and file
    descriptor the batches held is closed and the reader threads, or worker processes, are gone."""
    import threading

    for d in ("a", "b", "c"):
        (tmp_path / d).mkdir()
        _flat(tmp_path / d)
        (tmp_path / d / "big.bin").write_bytes(b"\0" * (files._SMALL + 1))  # deferred: held open
    before_fds, before_threads = _open_fds(), threading.active_count()
    items = walk_spread([tmp_path], lambda d: False, 4)
    for n, _ in enumerate(items):
        if n == stop_after:
            break
    items.close()
    assert (_open_fds(), threading.active_count()) == (before_fds, before_threads)
    with pytest.raises(ChildProcessError):  # every worker reaped
        os.waitpid(-1, os.WNOHANG)


@pytest.fixture(scope="module")
def deep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[Item]]]:
    """A 2,000-level tree and what `walk` yields over it, built once for both modes (each build
    and removal is 4,000 directory operations, each walk 2,000 levels)."""
    from tests.helpers.deep import make_deep, remove_flat

    top = tmp_path_factory.mktemp("deep")
    make_deep(top, "deep", 2000, "leaf.txt", b"leaf\n")
    try:
        yield top / "deep", _events(walk([top / "deep"]))
    finally:
        remove_flat(top, "deep")


def test_a_tree_deeper_than_path_max_is_walked(deep: tuple[Path, list[Item]], mode: str) -> None:
    root, expected = deep
    events = _events(walk_spread([root], lambda d: True, 2))
    assert events == expected
    assert len(events) == 1 and events[0][1].endswith("/deep" * 2000 + "/leaf.txt")
    assert _events(walk_spread([root], lambda d: False, 2)) == [("cleared", "1", "5")]


def test_a_corrupt_archive_is_not_swallowed(tmp_path: Path, mode: str) -> None:
    (tmp_path / "x.zip").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    (unread,) = [i for i in walk_spread([tmp_path], lambda d: True, 2) if isinstance(i, Unread)]
    assert unread.path.endswith("x.zip") and "not fully scanned" in unread.message


def test_a_scan_error_is_not_swallowed_by_cleanup(tmp_path: Path, mode: str) -> None:
    # A FIFO named on the command line with no writer: still an error, raised through the pool.
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "d").mkdir()
    _flat(tmp_path / "d")
    with pytest.raises(ScanError, match="no process is writing"):
        list(walk_spread([tmp_path / "d", tmp_path / "fifo"], lambda d: True, 2))


def _frame(n: int, names: tuple[str, ...], sizes: tuple[int | str, ...]) -> bytes:
    body = marshal.dumps((n, names, sizes))
    return len(body).to_bytes(4, "little") + body


def _forged(how: str) -> Callable[[int, bytes], None]:
    """A worker's pipe writer that lies in one way: what the parent must survive."""

    def write(fd: int, data: bytes) -> None:
        n, names, sizes = marshal.loads(data[4:])
        if how == "dies":
            os._exit(0)
        if how == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        forged = {
            "garbage": b"\x10\x00\x00\x00not a marshal!!!",
            "huge": b"\xff\xff\xff\x7f",
            "other-names": _frame(n, tuple(reversed(names)), sizes),
            "out-of-step": _frame(n + 1, names, sizes),
            "short-sizes": _frame(n, names, sizes[:-1]),
            "not-ints": _frame(n, names, tuple(str(s) for s in sizes)),
            "truncated": data[:-3],
        }[how]
        os.write(fd, forged)
        if how == "truncated":  # killed half way through a write
            os._exit(0)

    return write


@pytest.mark.parametrize(
    "how", ["dies", "killed", "garbage", "huge", "other-names", "out-of-step", "short-sizes", "not-ints", "truncated"]
)
@pytest.mark.parametrize("jobs", [2, 3])
def test_a_worker_that_fails_or_lies_costs_nothing_but_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str, jobs: int
) -> None:
    """Fail closed: the parent reads a failed worker's share itself; the outcome is the walk's,
    never a file counted as read that nobody read, and no worker is left behind."""
    for d in ("a", "b", "c"):
        (tmp_path / d).mkdir()
        _flat(tmp_path / d)
        (tmp_path / d / "f33.txt").write_bytes(b"KEY here\n")
    monkeypatch.setattr(forks, "FORK_AFTER", 1)
    monkeypatch.setattr(forks, "_write", _forged(how))

    def wanted(data: bytes) -> bool:
        return b"KEY" in data

    got = _events(walk_spread([tmp_path], wanted, jobs))
    assert got == _events(walk([tmp_path]), cleared=lambda data: not wanted(data))
    assert [e[1].rsplit("/", 2)[-2] for e in got if e[1].endswith("/f33.txt")] == ["a", "b", "c"]
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_forks_only_past_the_first_batches_and_only_without_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small tree never pays for a fork; a process with another thread never forks (a lock
    another thread holds would stay held in the child)."""
    import threading

    forked: list[int] = []
    real_fork = os.fork

    def counting_fork() -> int:
        forked.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", counting_fork)
    _flat(tmp_path)  # 40 files: 3 batches
    list(walk_spread([tmp_path], lambda d: False, 2))
    assert forked == []
    monkeypatch.setattr(forks, "FORK_AFTER", 1)
    list(walk_spread([tmp_path], lambda d: False, 2))
    assert forked == [1]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _events(walk_spread([tmp_path], lambda d: False, 2)) == _events(walk([tmp_path]), cleared=True)
    finally:
        stop.set()
        other.join()
    assert forked == [1]


@pytest.mark.parametrize("says", [True, False], ids=["quiet", "not-quiet"])
def test_a_file_the_callers_verdict_clears_is_counted_as_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, says: bool
) -> None:
    """`quiet`: a forked worker asks the caller's own verdict of a file `wanted` passes; what it
    clears is counted as the walk would have yielded it, and nothing else changes."""
    monkeypatch.setattr(forks, "FORK_AFTER", 0)
    for d in ("a", "b", "c", "d"):
        (tmp_path / d).mkdir()
        _flat(tmp_path / d)
    asked: list[str] = []

    def quiet(chunk: Chunk) -> bool:
        asked.append(chunk.path)  # in a worker: this list is the worker's copy
        return says

    expected = _events(walk([tmp_path]))
    got = list(walk_spread([tmp_path], lambda d: True, 2, quiet=quiet))
    assert asked == []  # never asked in the walking process
    chunks = [e for e in _events(iter(got)) if e[0] == "chunk"]
    cleared = [i for i in got if isinstance(i, Cleared)]
    assert len(chunks) + sum(c.files for c in cleared) == len([e for e in expected if e[0] == "chunk"])
    assert sum(int(e[2]) for e in chunks) + sum(c.size for c in cleared) == sum(
        int(e[2]) for e in expected if e[0] == "chunk"
    )
    assert [e for e in _events(iter(got)) if e[0] != "cleared"] == [
        e for e in expected if e[0] != "chunk" or e in chunks
    ]
    if not says:
        assert _events(iter(got)) == expected
