"""`keylatch scan` reads a symbolic link as git commits it: a blob holding its target text.

A link whose target text is a key is a key in the repository (`keylatch staged` and `history`
report it), so `scan` must too, at `path:1`, in every format, wherever the link is: at the top of
the tree, nested, inside a directory named on the command line, or named itself. Its text is read
with readlink, never followed: a link to /dev/zero, to a FIFO nobody writes to, to `/` or to itself
is scanned as its text and the scan ends at once (sources/files.py). Excludes, baselines and allow
comments apply to it as to a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.run import RunKeylatch, watchdog

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=5)
HANG = 30  # seconds: each scan takes well under one; following /dev/zero or a FIFO never ends

# How a key may be spelled as a link's target text: (text, column of the key).
SPELLINGS: dict[str, tuple[bytes, int]] = {
    "bare": (KEY.encode(), 1),
    "file name in a path": (f"../secrets/{KEY}.txt".encode(), 12),
    "absolute path": (f"/nowhere/{KEY}".encode(), 10),
    "assignment": (f"OPENAI_API_KEY={KEY}".encode(), 16),
    "not UTF-8 around it": (b"\xff\xfe/" + KEY.encode() + b"/\xc3", 0),  # column: as decoded, not asserted
}

# Where the link is: (its path from the scan's directory, the PATH arguments).
WHERE: dict[str, tuple[str, tuple[str, ...]]] = {
    "top": ("link", (".",)),
    "nested": ("a/b/link", (".",)),
    "in a named directory": ("d/link", ("d",)),
    "named itself": ("d/link", ("d/link",)),
}


def place(root: Path, rel: str, text: bytes) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(text, os.fsencode(root / rel))


def paths_and_lines(fmt: str, out: str) -> list[tuple[str, int]]:
    """(path, line) of each finding, as the report in `fmt` states it."""
    if fmt == "json":
        return [(f["path"], f["line"]) for f in json.loads(out)["findings"]]
    if fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        locs = [r["locations"][0]["physicalLocation"] for r in results]
        return [(loc["artifactLocation"]["uri"], loc["region"]["startLine"]) for loc in locs]
    if fmt == "github":
        heads = [line.split("::")[1] for line in out.splitlines() if line.startswith("::error ")]
        fields = [dict(kv.split("=", 1) for kv in head.removeprefix("error ").split(",")) for head in heads]
        return [(f["file"], int(f["line"])) for f in fields]
    return [
        (line.split(":")[0], int(line.split(":")[1])) for line in out.splitlines() if not line.startswith("keylatch:")
    ]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_key_in_a_links_target_text_is_found_at_its_path_line_1(
    keylatch: RunKeylatch, tmp_path: Path, spelling: str, where: str, fmt: str
) -> None:
    text, column = SPELLINGS[spelling]
    rel, args = WHERE[where]
    root = tmp_path / "tree"
    place(root, rel, text)
    with watchdog(HANG, f"scan {where}"):
        r = keylatch("scan", "--format", fmt, *args, cwd=root)
    assert r.code == 1, r
    assert paths_and_lines(fmt, r.out) == [(rel, 1)]
    if fmt == "text" and column:
        assert r.out.startswith(f"{rel}:1:{column}: high openai-project-key sk-proj-")
    assert KEY not in r.out + r.err


@pytest.mark.parametrize(
    "setting",
    ["--exclude", "config exclude", "baseline", "allow comment", "allow-lines"],
)
@pytest.mark.parametrize("where", WHERE)
def test_excludes_baselines_and_allow_rules_apply_to_a_link_as_to_a_file(
    keylatch: RunKeylatch, tmp_path: Path, where: str, setting: str
) -> None:
    rel, args = WHERE[where]
    root = tmp_path / "tree"
    text = f"{KEY} # keylatch:allow revoked" if setting == "allow comment" else KEY
    place(root, rel, text.encode())
    flags: tuple[str, ...] = ()
    if setting == "--exclude":
        flags = ("--exclude", "link")
    elif setting == "config exclude":
        (root / ".keylatch.yaml").write_text("exclude: ['link']\n")
    elif setting == "allow-lines":
        (root / ".keylatch.yaml").write_text("allow-lines: ['^sk-proj-']\n")
    elif setting == "baseline":
        made = keylatch("baseline", "create", *args, "--reason", "revoked", cwd=root)
        assert made.code == 0, made
    before = keylatch("scan", *args, cwd=root) if setting != "baseline" else None
    r = keylatch("scan", *flags, *args, cwd=root)
    assert r.code == 0, (r, before)
    assert "no keys found" in r.out


def test_without_the_setting_the_same_link_is_reported(keylatch: RunKeylatch, tmp_path: Path) -> None:
    # The control for the test above: each setting is what made the scan clean.
    place(tmp_path / "tree", "link", f"{KEY} # just a note".encode())
    r = keylatch("scan", ".", cwd=tmp_path / "tree")
    assert r.code == 1 and r.out.startswith("link:1:1: high openai-project-key"), r


TARGETS = {
    "/dev/zero": "/dev/zero",  # never ends if read
    "a FIFO": "fifo",  # nobody writes: an open would wait for ever
    "/": "/",  # the whole filesystem if walked
    "itself": "self",  # a loop
    "a loop of two": "loop-b",
}


# Named on the command line, a link to a file, directory or FIFO is followed as the user asked
# (tests/e2e/test_scan_bad_input.py); one that leads nowhere is its text alone.
CASES = [(t, False) for t in TARGETS] + [("itself", True), ("a loop of two", True)]


@pytest.mark.parametrize(("target", "named"), CASES, ids=[f"{t}-{'named' if n else 'in a tree'}" for t, n in CASES])
def test_links_are_read_as_text_never_followed(keylatch: RunKeylatch, tmp_path: Path, target: str, named: bool) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    os.mkfifo(root / "fifo")
    link = "self" if target == "itself" else "link"
    (root / link).symlink_to(TARGETS[target])
    if target == "a loop of two":
        (root / "loop-b").symlink_to("link")
    with watchdog(HANG, f"scan of a link to {target}"):
        r = keylatch("scan", link if named else ".", cwd=root)
    assert r.code == 0, r
    assert r.out == "keylatch: no keys found" + ("; skipped 1 non-regular entry" if not named else "") + "\n"
    links = 1 if named else 1 + (target == "a loop of two")
    assert r.err.startswith(f"keylatch: scanned {links} file{'s' if links > 1 else ''} ("), r.err
    if not named:  # the FIFO itself: skipped, and the summary says so, in good grammar
        assert "skipped 1 entry that is not a regular file (FIFOs, sockets, devices: not opened)" in r.err


def test_a_link_named_on_the_command_line_to_a_device_is_still_a_usage_error(
    keylatch: RunKeylatch, tmp_path: Path
) -> None:
    (tmp_path / "via-link").symlink_to("/dev/zero")
    with watchdog(HANG, "scan of a named link to /dev/zero"):
        r = keylatch("scan", "via-link", cwd=tmp_path)
    assert r.code == 2 and r.err == "keylatch: error: not a file or directory: via-link (character device)\n", r


def test_links_in_a_tree_large_enough_to_be_read_by_forked_workers(keylatch: RunKeylatch, tmp_path: Path) -> None:
    # sources/forks.py: the parent yields each link's text between the workers' batches.
    root = tmp_path / "tree"
    for d in range(30):
        (root / f"d{d:02}").mkdir(parents=True)
        for f in range(20):
            (root / f"d{d:02}" / f"f{f:02}").write_text("x\n")
        (root / f"d{d:02}" / "zero").symlink_to("/dev/zero")
    place(root, "d29/key", KEY.encode())
    with watchdog(HANG, "scan of a large tree with links"):
        r = keylatch("scan", ".", cwd=root)
    assert r.code == 1 and r.out.startswith("d29/key:1:1: high openai-project-key"), r
    assert r.err.startswith("keylatch: scanned 631 files ("), r.err


@pytest.mark.parametrize("kind", ["file", "directory", "symlink"])
def test_a_key_in_the_name_of_a_path_given_itself_is_found(keylatch: RunKeylatch, tmp_path: Path, kind: str) -> None:
    # Inside a directory an entry's name is judged (a path is pushed with its content); a PATH
    # named on the command line is such a name too.
    name = f"{KEY}.d"
    if kind == "file":
        (tmp_path / name).write_text("x\n")
    elif kind == "directory":
        (tmp_path / name).mkdir()
        (tmp_path / name / "f").write_text("x\n")
    else:
        (tmp_path / name).symlink_to("elsewhere")
    r = keylatch("scan", name, cwd=tmp_path)
    assert r.code == 1, r
    assert r.out.startswith("sk-proj-") and ":0:1: high openai-project-key (in the path)" in r.out, r.out
