from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import GeneratorType

import pytest

from keylatch.errors import ScanError, UsageError
from keylatch.model import Chunk
from keylatch.sources import files
from keylatch.sources.blocks import OVERLAP
from keylatch.sources.excludes import Excludes
from keylatch.sources.files import BLOCK, Names, Skipped, read_chunks, read_small, walk
from tests.helpers.deep import make_deep, remove_flat


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A walk that opens a FIFO would block for ever: fail the test instead."""
    old = signal.signal(signal.SIGALRM, lambda *_: pytest.fail("blocked (opened a FIFO?)"))
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def walked(paths: Sequence[Path], excludes: Excludes | None = None) -> list[str]:
    """Display paths of the files read, and `skip:KIND:PATH` for skipped entries, in walk order."""
    out: list[str] = []
    for item in walk(paths, excludes):
        if isinstance(item, Names):  # long names, for the key-in-a-path check: not files
            continue
        if isinstance(item, Skipped):
            out.append(f"skip:{item.kind}:{item.path}")
        elif not out or out[-1] != item.path:
            out.append(item.path)
    return out


def test_walk_is_sorted_skips_git_objects_and_does_not_follow_links(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.txt").write_text("z")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / ".git" / "objects" / "ab").mkdir(parents=True)
    (tmp_path / ".git" / "objects" / "ab" / "cd").write_bytes(b"x")
    (tmp_path / ".git" / "config").write_text("[core]\n")
    (tmp_path / "link").symlink_to(tmp_path / "a.txt")
    (tmp_path / "loop").symlink_to(tmp_path)
    root = str(tmp_path)
    # A directory's own entries by name, then its subdirectories by name.
    assert walked([tmp_path]) == [
        f"{root}/a.txt", f"{root}/link", f"{root}/loop", f"{root}/.git/config", f"{root}/b/z.txt",
    ]  # fmt: skip
    # A link's content is its target text (what git commits for it), never what it leads to.
    texts = {c.path: c.data for c in walk([tmp_path]) if isinstance(c, Chunk)}
    assert (texts[f"{root}/link"], texts[f"{root}/loop"]) == (f"{root}/a.txt".encode(), root.encode())
    assert walked([tmp_path]) == walked([tmp_path])


def test_fifos_sockets_and_devices_in_a_tree_are_skipped_without_opening_them(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        assert walked([tmp_path / "."]) == [f"skip:FIFO:{tmp_path}/fifo", f"skip:socket:{tmp_path}/sock"]
    finally:
        sock.close()


def test_an_entry_that_turns_into_a_fifo_after_listing_is_skipped_not_waited_on(tmp_path: Path) -> None:
    # The walk opens what the listing called a regular file with O_NONBLOCK|O_NOFOLLOW and
    # checks fstat; here the "regular file" is a FIFO (or a link) by the time it is opened.
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "link").symlink_to("pipe")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert list(files._entry(fd, "pipe", "d/pipe")) == [Skipped("d/pipe", "FIFO")]
        assert list(files._entry(fd, "link", "d/link")) == [Chunk(b"pipe", "d/link")]  # its text, not the FIFO
    finally:
        os.close(fd)


def test_a_deep_tree_is_walked_without_recursion_or_long_paths(tmp_path: Path) -> None:
    make_deep(tmp_path, "d", 3000, "f", b"x")  # 3000 * len("d/"): longer than PATH_MAX
    try:
        before = len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").is_dir() else 0
        items = list(walk([tmp_path / "d"]))
        assert [c.path for c in items if isinstance(c, Chunk)] == [str(tmp_path / "d") + "/d" * 2999 + "/f"]
        if before:
            assert len(os.listdir("/proc/self/fd")) == before  # every directory descriptor closed
    finally:
        remove_flat(tmp_path, "d")


def test_a_walk_stopped_early_closes_its_descriptors(tmp_path: Path) -> None:
    for d in ("a/b/c", "a/x/y", "z"):
        (tmp_path / d).mkdir(parents=True)
        (tmp_path / d / "f").write_text("x")
    before = len(os.listdir("/proc/self/fd"))
    it = walk([tmp_path])
    next(it)
    assert isinstance(it, GeneratorType)
    it.close()  # generator closed mid-walk
    assert len(os.listdir("/proc/self/fd")) == before


def make_tree(root: Path, rels: Sequence[str]) -> None:
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x")


def test_typed_excludes_match_below_the_path_as_typed_and_any_component(tmp_path: Path) -> None:
    make_tree(tmp_path, ("keep.txt", "vendor/x.txt", "src/gen/y.min.js", "src/z.py", "src/gen/w.py"))
    excl = Excludes(typed=("vendor", "*.min.js", "src/gen/w.py"))
    assert walked([tmp_path], excl) == [f"{tmp_path}/keep.txt", f"{tmp_path}/src/z.py"]
    # The same globs hold for the path relative to a PATH given below the tree.
    assert walked([tmp_path / "src"], Excludes(typed=("gen/*",))) == [f"{tmp_path}/src/z.py"]


@pytest.mark.parametrize("start", ["", "tests", "tests/fixtures", "tests/fixtures/x.py"])
def test_config_excludes_are_relative_to_the_config_directory_wherever_the_walk_starts(
    tmp_path: Path, start: str
) -> None:
    make_tree(tmp_path, ("tests/fixtures/x.py", "tests/test_a.py", "fixtures/y.py", "app.py"))
    excl = Excludes(config=("tests/fixtures/*", "fixtures"), base=str(tmp_path))
    found = [p.removeprefix(str(tmp_path) + "/") for p in walked([tmp_path / start], excl)]
    expected = [p for p in ["app.py", "tests/test_a.py"] if p.startswith(start)]
    assert found == expected


def test_config_excludes_do_not_match_relative_to_another_directory(tmp_path: Path) -> None:
    # `fixtures/*` in the root's config means ROOT/fixtures, not ROOT/tests/fixtures.
    make_tree(tmp_path, ("tests/fixtures/x.py",))
    excl = Excludes(config=("fixtures/*",), base=str(tmp_path))
    assert walked([tmp_path / "tests"], excl) == [f"{tmp_path}/tests/fixtures/x.py"]


def test_outside_the_config_directory_config_globs_match_as_displayed(tmp_path: Path) -> None:
    make_tree(tmp_path, ("repo/x", "other/app.min.js", "other/fixtures/y.py", "other/z.py"))
    excl = Excludes(config=("*.min.js", "fixtures/*"), base=str(tmp_path / "repo"))
    # `*.min.js` matches a component anywhere; `fixtures/*` is anchored at the config's directory.
    assert walked([tmp_path / "other"], excl) == [f"{tmp_path}/other/z.py", f"{tmp_path}/other/fixtures/y.py"]


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or directory"):
        list(walk([tmp_path / "nope"]))


def test_devices_and_paths_below_link_loops_named_directly_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(UsageError, match=r"not a file or directory: /dev/null \(character device\)"):
        list(walk([Path("/dev/null")]))
    with pytest.raises(UsageError, match="symbolic link loop"):
        list(walk([tmp_path / "loop" / "x"]))
    # The loop itself is a link: its text is its content (tests/e2e/test_scan_symlink_text.py).
    assert [(c.data, c.path) for c in walk([tmp_path / "loop"]) if isinstance(c, Chunk)] == [
        (b"loop", f"{tmp_path}/loop")
    ]


def test_a_fifo_named_directly_is_read_and_one_without_a_writer_is_an_error(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ScanError, match="no process is writing to this FIFO"):
        list(walk([fifo]))
    r, w = os.pipe()
    os.write(w, b"line one\nline two\n")
    os.close(w)
    try:
        (chunk,) = walk([Path(f"/proc/self/fd/{r}")])
    finally:
        os.close(r)
    assert isinstance(chunk, Chunk) and chunk.data == b"line one\nline two\n"


def test_reading_a_directory_as_a_file_is_a_scan_error(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="cannot read"):
        list(read_chunks(tmp_path))


def test_large_files_are_read_in_overlapping_blocks_with_correct_line_numbers(tmp_path: Path) -> None:
    line = b"y" * 99 + b"\n"
    data = line * (BLOCK // len(line) + 5000)
    (tmp_path / "big").write_bytes(data)
    chunks = list(read_chunks(tmp_path / "big"))
    assert len(chunks) == 2
    second = chunks[1]
    start = BLOCK - OVERLAP
    assert second.data == data[start : start + len(second.data)]
    assert second.first_line == data.count(b"\n", 0, start) + 1


def test_a_pipe_is_read_in_the_same_blocks_as_a_file(tmp_path: Path) -> None:
    line = b"z" * 79 + b"\n"
    data = line * (BLOCK // len(line) + 2000)
    (tmp_path / "big").write_bytes(data)
    from_file = [(c.first_line, c.data) for c in read_chunks(tmp_path / "big")]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the writer: small writes, as a pipe delivers them
        os.close(r)
        for i in range(0, len(data), 65536):
            os.write(w, data[i : i + 65536])
        os._exit(0)
    os.close(w)
    try:
        from_pipe = [(c.first_line, c.data) for c in files._chunks(r, "pipe")]
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    assert from_pipe == from_file


def test_read_small_refuses_what_is_not_a_regular_file_and_stops_at_the_limit(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 100)
    assert read_small(tmp_path / "f", 10) == b"x" * 11  # limit + 1: the caller says "too large"
    assert read_small(tmp_path / "f", 1000) == b"x" * 100
    os.mkfifo(tmp_path / "fifo")
    for path in (tmp_path / "fifo", Path("/dev/zero"), tmp_path):
        with pytest.raises(OSError, match="not a regular file"):
            read_small(path, 10)


def _archives() -> dict[str, bytes]:
    """One small archive of every kind sources/magic.py recognises, each holding `m.txt`."""
    import bz2
    import gzip
    import io
    import lzma
    import tarfile
    import zipfile

    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo("m.txt")
        info.size = 6
        t.addfile(info, io.BytesIO(b"inner\n"))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as z:
        z.writestr("m.txt", b"inner\n")
    return {
        "a.tar": tar.getvalue(),
        "a.zip": zipped.getvalue(),
        "a.gz": gzip.compress(b"inner\n"),
        "a.bz2": bz2.compress(b"inner\n"),
        "a.xz": lzma.compress(b"inner\n"),
    }


@pytest.mark.parametrize("name", ["a.tar", "a.zip", "a.gz", "a.bz2", "a.xz"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_every_archive_kind_is_opened_where_the_walk_reads_files_in_one_call(
    tmp_path: Path, name: str, jobs: int
) -> None:
    """The one-call read tests an archive's first byte before its magic (files._ARCHIVE_FIRST):
    no kind may slip past it as a plain file."""
    from keylatch.sources.magic import kind

    data = _archives()[name]
    assert kind(data[:512]) is not None
    assert data[0] in files._ARCHIVE_FIRST or data[257:262] == b"ustar"
    (tmp_path / name).write_bytes(data)
    got = [i for i in files.walk_spread([tmp_path], lambda d: True, jobs) if isinstance(i, Chunk)]
    # Members first; a container's own bytes around them (its names) follow under its own path.
    opened = [c for c in got if c.path != str(tmp_path / name)]
    assert [c.data for c in opened] == [b"inner\n"]
    assert opened[0].path.startswith(str(tmp_path / name)) and got[0] is opened[0]


GLOBS = ["t/t5000/huge.tar", "*.min.js", "vendor", "a?c", "x[0-9]", "docs/*", "*", "b]c", "**/z.txt", "z.txt"]
RELS = [
    "vendor",
    "src/vendor",
    "a/b.min.js",
    "abc",
    "d/abc",
    "x7",
    "docs/y",
    "b]c",
    "q/z.txt",
    "z.txt",
    "t/t5000/huge.tar",
]


@pytest.mark.parametrize("glob", GLOBS)
@pytest.mark.parametrize("base", [None, "/repo"], ids=["typed", "config"])
def test_the_literal_end_of_a_glob_decides_nothing_the_glob_would_not(glob: str, base: str | None) -> None:
    """excludes.Matcher skips a glob group's regex for a path that ends with none of the groups'
    literal ends: the same answers as matching every path."""
    from keylatch.sources.excludes import Matcher

    ex = Excludes(config=(glob,), base=base) if base else Excludes(typed=(glob,))
    m = Matcher.of(Path("/repo/sub"), "/repo/sub", ex)
    plain = m.replace(config_tails=None, typed_tails=None)
    for rel in RELS:
        name = rel.rsplit("/", 1)[-1]
        assert m.excluded(rel, name) == plain.excluded(rel, name), rel
