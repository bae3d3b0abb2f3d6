"""An entry keylatch cannot read does not stop the scan: keys in every other file are reported,
each unreadable entry is named, and the exit code is 3 (could not read everything), also when
keys were found.

| entry                         | scan text / json / sarif / github      | staged                      |
| ----------------------------- | -------------------------------------- | --------------------------- |
| corrupt zip, zip bomb,        | key elsewhere reported; entry named    | key blocked; entry named    |
| encrypted member, too deep    | (stderr / notices); exit 3             | on stderr; exit 3           |
| unreadable file (not as root) | same                                   | (not staged: git reads it)  |

`history` and `ci` still stop at an archive blob they cannot open (exit 3, the blob named):
recorded below so a change there is deliberate.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.archives import zipped
from tests.helpers.gitrepo import GitRepo
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC, RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=5)
HIDDEN = make_key("sk-proj-", seed=6)  # inside the unreadable entry: never printed
ENV = f"OPENAI_API_KEY={KEY}\n"
NOBODY = 65534


def _encrypted() -> bytes:
    data = bytearray(zipped({"secret.env": f"K={HIDDEN}\n".encode()}))
    for magic, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # the "encrypted" bit, as zip -e sets it
        data[data.index(magic) + at] |= 1
    return bytes(data)


def _deep() -> bytes:
    inner = zipped({"k.env": f"K={HIDDEN}\n".encode()})
    for i in range(5):  # one more layer than the default archive-depth (4)
        inner = zipped({f"{i}.zip": inner})
    return inner


# name -> (file name, content, words of the reason)
ARCHIVES: dict[str, tuple[str, bytes, str]] = {
    "corrupt-zip": ("a_bad.zip", b"PK\x03\x04" + b"\0" * 40, "corrupt or truncated"),
    "zip-bomb": ("bomb.zip", zipped({"zeros.bin": b"\0" * (16 << 20)}), "archive-max-ratio"),
    "encrypted-member": ("sealed.zip", _encrypted(), "encrypted"),
    "too-deep": ("deep.zip", _deep(), "archive-depth"),
}


def _reported(out: str, fmt: str) -> tuple[list[str], list[str]]:
    """(paths of findings, messages of not-scanned notices) as each format carries them."""
    if fmt == "json":
        doc = json.loads(out)
        notices = [n["message"] for n in doc.get("notices", []) if n["kind"] == "not-scanned"]
        return [f["path"] for f in doc["findings"]], notices
    if fmt == "sarif":
        run = json.loads(out)["runs"][0]
        paths = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
        (inv,) = run["invocations"]
        assert inv["executionSuccessful"] is False
        notes = [
            n["message"]["text"] for n in inv["toolExecutionNotifications"] if n["descriptor"]["id"] == "not-scanned"
        ]
        return paths, notes
    if fmt == "github":
        lines = out.splitlines()
        return (
            [ln.split("file=")[1].split(",")[0] for ln in lines if "title=keylatch openai" in ln],
            [ln.split("::")[-1] for ln in lines if "title=keylatch not-scanned" in ln],
        )
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
@pytest.mark.parametrize("case", sorted(ARCHIVES))
def test_scan_reports_keys_past_an_archive_it_cannot_read(
    tmp_path: Path, keylatch: RunKeylatch, case: str, fmt: str
) -> None:
    name, data, reason = ARCHIVES[case]
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / name).write_bytes(data)
    (tmp_path / "z.env").write_text(ENV)
    res = keylatch("scan", "--no-baseline", "--format", fmt, ".", cwd=tmp_path)
    assert res.code == 3, res
    assert_redacted(res.out, res.err, keys=[KEY, HIDDEN])
    assert "1 entry could not be read (exit 3)" in res.err  # the scan summary, whatever the format
    if fmt == "text":
        (line,) = [ln for ln in res.err.splitlines() if ln.startswith("keylatch: error:")]
        assert f"dist/{name}" in line and reason in line
        assert "z.env:1:16:" in res.out
        assert res.out.splitlines()[-1] == "keylatch: 1 key found in 1 file; 1 entry could not be read (exit 3)"
        return
    paths, notices = _reported(res.out, fmt)
    assert paths == ["z.env"]
    (notice,) = notices
    assert f"dist/{name}" in notice and reason in notice


@pytest.mark.parametrize("case", sorted(ARCHIVES))
def test_staged_blocks_on_the_key_and_names_the_archive(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, case: str
) -> None:
    name, data, reason = ARCHIVES[case]
    repo = make_repo()
    repo.write(f"dist/{name}", data)
    repo.write("z.env", ENV)
    repo.git("add", "-A")
    res = keylatch("staged", cwd=repo.path)
    assert res.code == 3, res
    assert_redacted(res.out, res.err, keys=[KEY, HIDDEN])
    assert "z.env:1" in res.out  # the key is still shown, with its advice
    (line,) = [ln for ln in res.err.splitlines() if ln.startswith("keylatch: error:")]
    assert f"dist/{name}" in line and reason in line
    assert "1 staged entry could not be read (exit 3)" in res.err


def test_staged_json_carries_the_unread_archive_as_a_notice(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    repo = make_repo()
    repo.write("a_bad.zip", ARCHIVES["corrupt-zip"][1])
    repo.write("z.env", ENV)
    repo.git("add", "-A")
    res = keylatch("staged", "--format", "json", cwd=repo.path)
    doc = json.loads(res.out)
    assert res.code == 3
    assert [f["path"] for f in doc["findings"]] == ["z.env"]
    assert [(n["kind"], n["path"]) for n in doc["notices"]] == [("not-scanned", "a_bad.zip")]


@pytest.mark.parametrize("case", sorted(ARCHIVES))
def test_history_still_stops_at_an_archive_blob_it_cannot_open(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, case: str
) -> None:
    """Left as it was (the walk reports the blob, exit 3): never 0, never the hidden key."""
    name, data, reason = ARCHIVES[case]
    repo = make_repo()
    repo.write(f"dist/{name}", data)
    repo.write("z.env", ENV)
    repo.commit("add")
    res = keylatch("history", "--no-cache", cwd=repo.path, input="")
    assert res.code == 3, res
    assert_redacted(res.out, res.err, keys=[KEY, HIDDEN])
    assert "archive blob" in res.err and reason in res.err


def test_a_tree_of_only_unreadable_entries_is_never_clean(tmp_path: Path, keylatch: RunKeylatch) -> None:
    for i in range(3):
        (tmp_path / f"bad{i}.zip").write_bytes(ARCHIVES["corrupt-zip"][1])
    res = keylatch("scan", "--no-baseline", ".", cwd=tmp_path)
    assert res.code == 3, res
    assert res.out == "keylatch: no keys found in what could be read; 3 entries could not be read (exit 3)\n"
    assert [ln.split(":")[2].strip() for ln in res.err.splitlines() if ln.startswith("keylatch: error:")] == [
        "bad0.zip",
        "bad1.zip",
        "bad2.zip",
    ]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_list_of_unread_entries_is_capped_but_all_are_counted(
    tmp_path: Path, keylatch: RunKeylatch, fmt: str
) -> None:
    from keylatch.report.notice import UNREAD_SHOWN

    total = UNREAD_SHOWN + 15
    for i in range(total):
        (tmp_path / f"bad{i:03}.zip").write_bytes(ARCHIVES["corrupt-zip"][1])
    (tmp_path / "z.env").write_text(ENV)
    res = keylatch("scan", "--no-baseline", "--format", fmt, ".", cwd=tmp_path)
    assert res.code == 3
    more = f"and 15 more entries could not be read ({total} in all)"
    if fmt == "text":
        named = [ln for ln in res.err.splitlines() if ln.startswith("keylatch: error:")]
        assert len(named) == UNREAD_SHOWN + 1 and named[-1].endswith(more)
        assert f"{total} entries could not be read (exit 3)" in res.out
    else:
        notices = json.loads(res.out)["notices"]
        assert len(notices) == UNREAD_SHOWN + 1 and notices[-1]["message"] == more


def test_control_characters_in_an_unread_name_are_escaped(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "evil\x1b[31m.zip").write_bytes(ARCHIVES["corrupt-zip"][1])
    res = keylatch("scan", "--no-baseline", ".", cwd=tmp_path)
    assert res.code == 3 and "\x1b" not in res.err + res.out
    assert "evil\\x1b[31m.zip" in res.err


# --- the walks agree, and unreadable files (a real user: root reads everything) ---


def _cores() -> set[int]:
    return set(getattr(os, "sched_getaffinity", lambda _: {0})(0))


def _scan(tree: Path, *, one_core: bool, user: int | None = None) -> tuple[int, str, str]:
    """`keylatch scan` in a subprocess, on one core (the sequential walk) or all (walk_spread),
    as `user` (setpriv) when given."""
    first = min(_cores())
    prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user is not None else []
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "keylatch", "scan", "--no-baseline", "--format", "json", str(tree)],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(SRC), "HOME": str(tree)}, capture_output=True, text=True,
        check=False, preexec_fn=(lambda: os.sched_setaffinity(0, {first})) if one_core else None, timeout=300,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr
    assert_redacted(proc.stdout, proc.stderr, keys=[KEY, HIDDEN])
    return proc.returncode, proc.stdout, proc.stderr.rsplit(" in ", 1)[0]


@pytest.fixture
def shared_tree() -> Iterator[Path]:
    """A tree another user can enter (pytest's tmp_path is private to its owner)."""
    top = Path(tempfile.mkdtemp(prefix="keylatch-unread-"))
    top.chmod(0o755)
    try:
        yield top
    finally:
        for p in top.rglob("*"):
            if not p.is_symlink():
                p.chmod(0o755 if p.is_dir() else 0o644)
        shutil.rmtree(top)


def _mixed(tree: Path) -> None:
    for d in ("a", "b", "c"):
        (tree / d).mkdir(mode=0o755)
        for i in range(40):
            (tree / d / f"f{i:02}.txt").write_text(f"line {i}\n")
        (tree / d / f"f20-{d}.zip").write_bytes(ARCHIVES["corrupt-zip"][1])
    (tree / "b" / "k.env").write_text(ENV)
    (tree / "c" / "z.env").write_text(ENV.replace(KEY, make_key("sk-proj-", seed=7)))


@pytest.mark.skipif(len(_cores()) < 2, reason="needs two cores to run the spread walk")
def test_the_sequential_and_the_spread_walk_report_the_same(shared_tree: Path) -> None:
    _mixed(shared_tree)
    one = _scan(shared_tree, one_core=True)
    many = _scan(shared_tree, one_core=False)
    assert one == many
    doc = json.loads(one[1])
    assert one[0] == 3 and sorted(f["path"].rsplit("/", 2)[-2] for f in doc["findings"]) == ["b", "c"]
    assert [n["path"].rsplit("/", 1)[-1] for n in doc["notices"]] == ["f20-a.zip", "f20-b.zip", "f20-c.zip"]


def _can_drop_to_nobody() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None and os.access(SRC, os.R_OK)


@pytest.mark.parametrize("one_core", [True, False], ids=["sequential", "spread"])
@pytest.mark.parametrize("what", ["file", "directory"])
def test_an_unreadable_file_or_directory_is_named_and_the_rest_scanned(
    shared_tree: Path, what: str, one_core: bool
) -> None:
    if os.geteuid() == 0 and not _can_drop_to_nobody():
        pytest.skip("root reads everything and cannot run as another user here")
    _mixed(shared_tree)
    for p in shared_tree.rglob("*.zip"):
        p.unlink()
    locked = shared_tree / "a" / ("locked.env" if what == "file" else "locked")
    if what == "file":
        locked.write_text(f"K={HIDDEN}\n")
    else:
        locked.mkdir()
        (locked / "k.env").write_text(f"K={HIDDEN}\n")
    locked.chmod(0)
    code, out, err = _scan(shared_tree, one_core=one_core, user=NOBODY if os.geteuid() == 0 else None)
    assert code == 3, (out, err)
    doc = json.loads(out)
    assert sorted(f["path"].rsplit("/", 2)[-2] for f in doc["findings"]) == ["b", "c"]
    (notice,) = doc["notices"]
    assert notice["path"].endswith(f"a/{locked.name}") and "Permission denied" in notice["message"]
