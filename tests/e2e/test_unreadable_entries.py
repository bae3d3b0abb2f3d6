"""An entry keylatch cannot read does not stop the scan: keys in every other file are reported,
each unreadable entry is named, and the exit code is 3 (could not read everything), also when
keys were found.

| entry                         | scan text / json / sarif / github      | staged                      |
| ----------------------------- | -------------------------------------- | --------------------------- |
| corrupt zip, zip bomb,        | key elsewhere reported; entry named    | key blocked; entry named    |
| encrypted member, too deep    | (stderr / notices); exit 3             | on stderr; exit 3           |
| unreadable file (not as root) | same                                   | (not staged: git reads it)  |

`history` (every format), `ci` and `pre-push` do the same for an archive blob they cannot open:
keys in every other blob are reported, the blob is named by a path a commit put it at (or, in no
commit, by id with `git log --all --find-object`), and they exit 3; a rescan with the blob cache
still exits 3. baseline, revoke, remediate and org do the same (test_unread_every_command.py).
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
from tests.helpers.gitrepo import GitRepo, replayed
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC, Result, RunKeylatch

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


# --- history, ci and pre-push: the walk goes on past an archive blob it cannot open ---

ZERO = "0" * 40
HISTORY_COMMANDS = ("history", "history-json", "history-sarif", "history-github", "ci", "pre-push")


def _committed(make_repo: Callable[..., GitRepo], name: str, data: bytes, *, key: bool = True) -> tuple[GitRepo, str]:
    """A repository whose second commit adds the archive (and, with `key`, a plain key file);
    the first commit's id (the base of ci's range)."""
    repo = make_repo()
    # The same repository for every command of a case: built once per session, copied per test.
    return repo, replayed(repo, _base_then_archive, name, data, key)


def _base_then_archive(repo: GitRepo, name: str, data: bytes, key: bool) -> str:
    repo.write("README", "hello\n")
    base = repo.commit("base")
    repo.write(f"dist/{name}", data)
    if key:
        repo.write("z.env", ENV)
    repo.commit("add")
    return base


def _history_command(keylatch: RunKeylatch, repo: GitRepo, base: str, command: str, *extra: str) -> Result:
    if command == "ci":
        return keylatch("ci", "--range", f"{base}..HEAD", *extra, cwd=repo.path)
    if command == "pre-push":  # a remote with nothing yet: the push publishes every commit
        head = repo.git("rev-parse", "HEAD").strip()
        line = f"refs/heads/main {head} refs/heads/main {ZERO}\n"
        return keylatch("pre-push", "backup", "file:///nowhere", cwd=repo.path, input=line)
    fmt = command.partition("-")[2] or "text"
    return keylatch("history", "--no-cache", "--format", fmt, *extra, cwd=repo.path, input="")


def _history_reported(res: Result, command: str) -> tuple[list[str], list[str]]:
    """(paths of findings, messages naming unread entries) as each command and format shows them."""
    if command in ("history-sarif", "history-github"):
        return _reported(res.out, command.partition("-")[2])
    if command == "history-json":
        doc = json.loads(res.out)
        assert doc["stats"]["complete"] is False and doc["stats"]["unread_blobs"] == 1
        paths = [o["path"] for k in doc["findings"] for o in k["locations"]]
        return paths, [n["message"] for n in doc["notices"] if n["kind"] == "not-scanned" and n["level"] == "error"]
    paths = ["z.env"] if "z.env:1" in res.out else []
    return paths, [ln for ln in res.err.splitlines() if ln.startswith("keylatch: error:")]


@pytest.mark.parametrize("command", HISTORY_COMMANDS)
@pytest.mark.parametrize("case", sorted(ARCHIVES))
def test_history_ci_and_pre_push_report_keys_past_an_archive_blob_they_cannot_open(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, case: str, command: str
) -> None:
    name, data, reason = ARCHIVES[case]
    repo, base = _committed(make_repo, name, data)
    blob = repo.git("rev-parse", f"HEAD:dist/{name}").strip()
    res = _history_command(keylatch, repo, base, command)
    assert res.code == 3, res  # 3 wins over 1: the key is reported, the scan is still incomplete
    assert "Traceback" not in res.err
    assert_redacted(res.out, res.err, keys=[KEY, HIDDEN])
    paths, named = _history_reported(res, command)
    assert paths == ["z.env"], res
    (line,) = named
    # Named by the path a commit put it at, with its id (git log --find-object finds the rest).
    assert f"dist/{name}" in line and reason in line and blob[:12] in line, line
    if command in ("history", "history-json", "history-sarif", "history-github"):
        assert "1 archive blob could not be read whole (exit 3)" in res.out + res.err
    if command == "pre-push":
        assert "z.env" in res.out and "blocked: 1 archive blob" in res.err


@pytest.mark.parametrize("command", HISTORY_COMMANDS)
def test_history_whose_only_problem_is_an_unreadable_archive_blob_is_never_clean(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, command: str
) -> None:
    name, data, reason = ARCHIVES["corrupt-zip"]
    repo, base = _committed(make_repo, name, data, key=False)
    res = _history_command(keylatch, repo, base, command)
    assert res.code == 3, res
    paths, named = _history_reported(res, command)
    assert paths == [] and len(named) == 1 and f"dist/{name}" in named[0] and reason in named[0]
    assert "no keys in the commits being pushed" not in res.err


def test_a_rescan_with_the_cache_still_exits_3(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> None:
    """The blob cache never records an unread archive blob as clean (history/blobscan.py)."""
    repo, _ = _committed(make_repo, *ARCHIVES["zip-bomb"][:2], key=False)
    runs = [keylatch("history", cwd=repo.path, input="") for _ in range(3)]
    assert [r.code for r in runs] == [3, 3, 3], runs
    assert all("dist/bomb.zip" in r.err and "archive-max-ratio" in r.err for r in runs)
    assert "cached clean" in runs[-1].out  # the cache was used: the clean blobs were skipped


def test_keys_in_members_read_before_the_error_are_reported(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    """A zip whose first member holds a key and whose second is encrypted: the key is reported
    (by member), the blob named, exit 3."""
    data = bytearray(zipped({"a.env": ENV.encode(), "secret.env": f"K={HIDDEN}\n".encode()}))
    second = data.index(b"PK\x03\x04", 1)
    data[second + 6] |= 1  # the second member's local header and central entry: "encrypted"
    data[data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 1) + 8] |= 1
    repo, _ = _committed(make_repo, "mixed.zip", bytes(data), key=False)
    res = keylatch("history", "--no-cache", cwd=repo.path, input="")
    assert res.code == 3, res
    assert_redacted(res.out, res.err, keys=[KEY, HIDDEN])
    assert "dist/mixed.zip!a.env:1:16" in res.out
    assert "dist/mixed.zip" in res.err and "encrypted" in res.err


def test_a_dangling_unreadable_archive_blob_is_named_by_id(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    """No commit holds it, so no path: the blob id, and how to find where it is."""
    repo, _ = _committed(make_repo, "x.txt", b"x\n", key=False)
    loose = repo.path.parent / "loose.zip"  # outside the work tree: in no commit
    loose.write_bytes(ARCHIVES["corrupt-zip"][1])
    blob = repo.git("hash-object", "-w", str(loose)).strip()
    res = keylatch("history", "--no-cache", "--include-unreachable", cwd=repo.path, input="")
    assert res.code == 3, res
    (line,) = [ln for ln in res.err.splitlines() if ln.startswith("keylatch: error:")]
    assert f"archive blob {blob[:12]}" in line and f"--find-object={blob}" in line


def test_baseline_from_history_names_the_unread_blob_and_writes_nothing(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    """baseline create --history: a baseline of a partial walk would look complete."""
    repo, _ = _committed(make_repo, *ARCHIVES["corrupt-zip"][:2])
    res = keylatch("baseline", "create", "--history", "--file", str(tmp_path / "bl.json"), cwd=repo.path)
    assert res.code == 3, res
    assert "dist/a_bad.zip" in res.err and "corrupt or truncated" in res.err
    assert not (tmp_path / "bl.json").exists()


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
