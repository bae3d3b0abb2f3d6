"""`git add -A && git commit -q --allow-empty -m MESSAGE` written from memory, no git process.

The suite's builders commit thousands of times, each commit two git processes (add and commit
were ~18% of the git processes the command, history and hostile tests started). Where the result
is plainly what git would write, `commit` writes it itself: the blobs, trees and commit as loose
objects, the index (version 2 with git's cache-tree extension), the branch's loose ref, its
reflog and HEAD's, and COMMIT_EDITMSG. Anything it cannot be sure of returns None before writing
a byte, and the caller runs git: a hook, configuration or environment git would read, a name git
would quote or refuse, an index it cannot read, a merge in progress, a pack, a date it does not
parse. tests/test_gitrepo_memory.py builds the same recipes both ways and compares them with git's
own eyes (fsck, status, ls-files, log, reflogs), and proves each way out leads to git.
"""

from __future__ import annotations

import atexit
import calendar
import functools
import hashlib
import os
import re
import shutil
import stat
import struct
import tempfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

# The configuration `git init` writes on this machine's filesystems (core.filemode probed true,
# symlinks supported, case-sensitive); anything a test or another filesystem adds means git.
REPO_CONFIG = b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n"
# The variables git_env sets; any other GIT_* (GIT_DIR, GIT_INDEX_FILE, GIT_REFLOG_ACTION, ...) means git.
STANDARD_ENV = frozenset({"GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "GIT_TERMINAL_PROMPT"})
# What a .git may hold for a plain commit; MERGE_HEAD, rebase-*, sequencer, shallow, index.lock,
# modules, worktrees, commondir, rr-cache and anything else send the commit to git.
_GIT_DIR_ENTRIES = frozenset(
    {"HEAD", "config", "description", "hooks", "info", "objects", "refs", "branches", "index", "logs",
     "COMMIT_EDITMSG", "ORIG_HEAD", "FETCH_HEAD", "packed-refs"}
)  # fmt: skip
_BRANCH = re.compile(rb"ref: refs/heads/((?:[A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*)\n")
_HEX = re.compile(rb"[0-9a-f]{40}")
_ISO = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:Z|([+-])(\d\d):(\d\d))")
# git's isspace (ctype.c: only these four), used by its message cleanup and reflog messages.
_SPACE = b" \t\n\r"
# Files above this go to git: past core.bigFileThreshold (512 MiB) git streams them into a pack.
_MAX_FILE = 16 << 20
# gc --auto after a commit: more than 27 loose objects in objects/17 (gc.auto 6700 / 256).
_GC_AUTO_17 = 27
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


@functools.cache
def git_template() -> Path:
    """The session's git template, made once and read-only: git's own without its 13 sample
    hooks (inert files: `git init` copied them into every repository, thousands in the suite,
    and pytest deleted them all again). The rest stays as git makes it: tests replace hooks/,
    description and info/exclude in their repositories. One for the session instead of one per
    test home (three directories, two files); a test wanting another template passes
    `git init --template` or writes its own home configuration, and gets a real `git init`."""
    root = tempfile.mkdtemp(prefix="keylatch-template-")
    atexit.register(_remove_read_only, root)
    template = Path(root) / "git-template"
    for sub in ("hooks", "info", "branches"):
        (template / sub).mkdir(parents=True)
    (template / "description").write_text("Unnamed repository; edit this file 'description' to name the repository.\n")
    (template / "info" / "exclude").write_text("# git ls-files --others --exclude-from=.git/info/exclude\n")
    # git copies a template file's executable bit only (copy.c: 0777 or 0666), so read-only
    # files and directories make the same repositories; a test writing here fails loudly.
    for path in (template / "description", template / "info" / "exclude"):
        path.chmod(0o444)
    for path in (template / "hooks", template / "info", template / "branches", template):
        path.chmod(0o555)
    return template


def _remove_read_only(root: str) -> None:
    for dirpath, _, _ in os.walk(root):
        os.chmod(dirpath, 0o755)
    shutil.rmtree(root, ignore_errors=True)


@functools.cache
def home_gitconfig() -> str:
    """The global configuration git_env writes into every test home (naming git_template())."""
    return (
        "[user]\n\tname = Test User\n\temail = test@example.test\n"
        f"[init]\n\tdefaultBranch = main\n\ttemplateDir = {quoted(str(git_template()))}\n[commit]\n\tgpgsign = false\n"
        '[protocol "file"]\n\tallow = always\n'
        # The test machine's git, not a repository's: no `maintenance run --auto` after each
        # commit, merge and fetch, no `gc --auto` after each push received (a git process each,
        # hundreds a run, that never packed the suite's small repositories). A repository's own
        # config still overrides these (tests/helpers/hostile.py turns them back on).
        "[maintenance]\n\tauto = false\n[gc]\n\tauto = 0\n[receive]\n\tautogc = false\n"
    )


def quoted(value: str) -> str:
    """A git config value, whatever the path holds (git-config(1): quoting and escapes)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


class _Entry(NamedTuple):
    path: bytes  # from the top of the work tree, '/'-separated
    mode: int  # 0o100644, 0o100755 or 0o120000
    oid: bytes  # 20 bytes
    stat: bytes  # the index entry's 40 bytes of stat data and mode


class _Walk(NamedTuple):
    root: bytes
    known: Mapping[bytes, bytes]  # path -> its entry's stat data and id in the index before
    racy_from: int  # the old index's mtime (ns): a file no older may have changed unseen
    objects: dict[bytes, bytes]  # id -> the object as git hashes it (header and body)
    entries: list[_Entry]


class _Fallback(Exception):
    """Git must make this commit."""


def commit(work: Path, env: Mapping[str, str], message: str, name: str, email: str, date: str) -> str | None:
    """The id of the commit `git add -A && git commit -q --allow-empty -m message` would make in
    `work` (author and committer `name <email>` at `date`), written as git writes it; None,
    with nothing written, wherever git must do it."""
    try:
        return _commit(work, env, message, f"{name} <{email}> ".encode() + _git_date(date))
    except _Fallback:
        return None


def _commit(work: Path, env: Mapping[str, str], message: str, ident: bytes) -> str:
    _check_env(env)
    text = _cleanup(message)
    git_dir = os.fsencode(work / ".git")
    branch = _check_git_dir(git_dir)
    ref = b"refs/heads/" + branch
    parent = _tip(git_dir, ref)
    if parent is not None:
        _check_commit(git_dir, parent)
    known, racy_from = _old_index(git_dir)
    walk = _Walk(os.fsencode(work), known, racy_from, {}, [])
    _scan(walk, b"")
    objects, entries = walk.objects, sorted(walk.entries, key=lambda e: e.path)
    tree, cache_tree = _trees(entries, objects)
    body = b"tree " + tree.hex().encode() + b"\n"
    if parent is not None:
        body += b"parent " + parent.encode() + b"\n"
    body += b"author " + ident + b"\ncommitter " + ident + b"\n\n" + text
    oid = _add(objects, b"commit", body)
    _check_gc(git_dir, objects)
    # Everything is known; from here on, write as git does (objects, COMMIT_EDITMSG, ref and
    # reflogs, then the index).
    fan_out = set(os.listdir(git_dir + b"/objects"))  # one listing, not a makedirs per object
    for key, data in objects.items():
        _write_object(git_dir, key, data, fan_out)
    _write(git_dir + b"/COMMIT_EDITMSG", text)
    new = oid.hex()
    old = parent or "0" * 40
    _write_locked(git_dir + b"/" + ref, new.encode() + b"\n")
    subject = text.split(b"\n", 1)[0]
    what = b"commit (initial): " if parent is None else b"commit: "
    line = b"%s %s %s\t%s\n" % (old.encode(), new.encode(), ident, _reflog_message(what + subject))
    for log in (b"logs/HEAD", b"logs/" + ref):
        path = git_dir + b"/" + log
        try:
            f = open(path, "ab")
        except FileNotFoundError:  # the first commit: logs/ and its refs/heads/ are git's to make
            os.makedirs(os.path.dirname(path), exist_ok=True)
            f = open(path, "ab")
        with f:
            f.write(line)
    _write_locked(git_dir + b"/index", _index(entries, cache_tree))
    return new


# --- what sends a commit to git ------------------------------------------------------------------


def _check_env(env: Mapping[str, str]) -> None:
    if any(k.startswith("GIT_") and k not in STANDARD_ENV for k in env):
        raise _Fallback
    home = env.get("HOME")
    if not home or env.get("GIT_CONFIG_GLOBAL") != os.path.join(home, ".gitconfig"):
        raise _Fallback
    if env.get("GIT_CONFIG_NOSYSTEM") != "1":
        raise _Fallback
    try:
        with open(os.path.join(home, ".gitconfig"), encoding="utf-8") as f:
            if f.read() != home_gitconfig():
                raise _Fallback  # a test's core.hooksPath, excludesFile, autocrlf, ...
    except (OSError, UnicodeDecodeError):
        raise _Fallback from None
    # The ignore and attributes files git reads without being told (core.excludesFile and
    # core.attributesFile's defaults, and the system attributes GIT_CONFIG_NOSYSTEM leaves on).
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    if any(os.path.lexists(os.path.join(xdg, "git", n)) for n in ("ignore", "attributes")) or _system_attributes():
        raise _Fallback


@functools.cache
def _system_attributes() -> bool:
    return os.path.lexists("/etc/gitattributes") or os.path.lexists("/usr/etc/gitattributes")


def _check_git_dir(git_dir: bytes) -> bytes:
    """The branch HEAD names, when .git is a plain one a commit can be written into."""
    try:
        st = os.lstat(git_dir)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
            raise _Fallback  # a .git file (worktree, submodule), a symlink, safe.directory's check
        names = os.listdir(git_dir)
        if not _GIT_DIR_ENTRIES.issuperset(os.fsdecode(n) for n in names):
            raise _Fallback
        if _read(git_dir + b"/config") != REPO_CONFIG:
            raise _Fallback
        if b"hooks" in names and os.listdir(git_dir + b"/hooks"):
            raise _Fallback  # any file there, even a sample: when in doubt, git
        if b"info" in names:
            info = os.listdir(git_dir + b"/info")
            if not {b"exclude"}.issuperset(info):
                raise _Fallback  # attributes, grafts, sparse-checkout, ...
            if info and any(
                line and not line.startswith(b"#") for line in _read(git_dir + b"/info/exclude").split(b"\n")
            ):
                raise _Fallback
        for sub in (b"/objects/pack", b"/objects/info"):
            if os.path.lexists(git_dir + sub) and os.listdir(git_dir + sub):
                raise _Fallback  # packs (git would not write packed objects loose), alternates
        if os.path.lexists(git_dir + b"/refs/replace"):
            raise _Fallback
        if stat.S_ISLNK(os.lstat(git_dir + b"/HEAD").st_mode):
            raise _Fallback
        head = _BRANCH.fullmatch(_read(git_dir + b"/HEAD"))
    except OSError:
        raise _Fallback from None
    if head is None:
        raise _Fallback  # detached, or a branch name this check does not vouch for
    branch = head.group(1)
    if b".." in branch or any(c.endswith((b".lock", b".")) for c in branch.split(b"/")):
        raise _Fallback
    return branch


def _old_index(git_dir: bytes) -> tuple[dict[bytes, bytes], int]:
    """The index as it was: each path's stat data and id (git add -A hashes again only files
    whose stat data changed, or that are racily clean), and its mtime."""
    try:
        fd = os.open(git_dir + b"/index", os.O_RDONLY)
    except FileNotFoundError:
        return {}, 0
    except OSError:
        raise _Fallback from None
    with os.fdopen(fd, "rb") as f:
        racy_from = os.fstat(fd).st_mtime_ns
        return _read_index(f.read()), racy_from


def _read_index(data: bytes) -> dict[bytes, bytes]:
    """An index git (or this module) wrote, when it holds nothing `git add -A` would keep from
    it: version 2, every entry stage 0 without assume-valid, intent-to-add or skip-worktree flags,
    no submodule, no extension but the cache tree (no resolve-undo, split index, untracked cache)."""
    if len(data) < 32 or hashlib.sha1(data[:-20]).digest() != data[-20:]:
        raise _Fallback
    sig, version, count = struct.unpack(">4sII", data[:12])
    if sig != b"DIRC" or version != 2:
        raise _Fallback
    pos = 12
    known = {}
    for _ in range(count):
        if pos + 62 > len(data) - 20:
            raise _Fallback
        (mode,) = struct.unpack(">I", data[pos + 24 : pos + 28])
        (flags,) = struct.unpack(">H", data[pos + 60 : pos + 62])
        if flags & 0xF000 or mode not in (0o100644, 0o100755, 0o120000):
            raise _Fallback
        end = data.find(b"\0", pos + 62)
        if end < 0:
            raise _Fallback
        known[data[pos + 62 : end]] = data[pos : pos + 60]
        pos += (62 + (end - pos - 62) + 8) & ~7
    while pos < len(data) - 20:
        if data[pos : pos + 4] != b"TREE":
            raise _Fallback
        (size,) = struct.unpack(">I", data[pos + 4 : pos + 8])
        pos += 8 + size
    if pos != len(data) - 20:
        raise _Fallback
    return known


def _tip(git_dir: bytes, ref: bytes) -> str | None:
    """The branch's commit (a loose ref, else its packed-refs line), None when it is unborn."""
    try:
        st = os.lstat(git_dir + b"/" + ref)
    except FileNotFoundError:
        st = None
    except OSError:
        raise _Fallback from None
    if st is not None:
        value = _read(git_dir + b"/" + ref)
        if not stat.S_ISREG(st.st_mode) or not _HEX.fullmatch(value[:-1]) or value[-1:] != b"\n":
            raise _Fallback  # a symbolic ref, a directory, a SHA-256 id, ...
        return value[:-1].decode()
    try:
        packed = _read(git_dir + b"/packed-refs")
    except FileNotFoundError:
        return None
    except OSError:
        raise _Fallback from None
    lines = packed.split(b"\n")
    if not lines[0].startswith(b"# pack-refs with:") or lines[-1] != b"":
        raise _Fallback
    for line in lines[1:-1]:
        if line.startswith(b"^"):
            continue
        oid, _, name = line.partition(b" ")
        if not _HEX.fullmatch(oid):
            raise _Fallback
        if name == ref:
            return oid.decode()
    return None


def _check_commit(git_dir: bytes, oid: str) -> None:
    """git reads the parent and checks its id (a damaged repository stops git commit): a loose
    commit whose contents hash to its name; anything else (packed, missing, corrupt) goes to git."""
    try:
        data = zlib.decompress(_read(git_dir + b"/objects/" + oid[:2].encode() + b"/" + oid[2:].encode()))
    except (OSError, zlib.error):
        raise _Fallback from None
    header, _, body = data.partition(b"\0")
    if header != b"commit %d" % len(body) or hashlib.sha1(data).hexdigest() != oid or not body.startswith(b"tree "):
        raise _Fallback


def _check_gc(git_dir: bytes, objects: Mapping[bytes, bytes]) -> None:
    """git commit ends with `gc --auto`, which packs once objects/17 holds more than 27 loose
    objects: a commit that would get there goes to git."""
    try:
        there = set(os.listdir(git_dir + b"/objects/17"))
    except FileNotFoundError:
        there = set()
    new = {oid.hex()[2:].encode() for oid in objects if oid[0] == 0x17}
    if len(there | new) > _GC_AUTO_17:
        raise _Fallback


def _git_date(date: str) -> bytes:
    """`date` as git stores it (`seconds +hhmm`), for the ISO 8601 form the suite uses."""
    m = _ISO.fullmatch(date)
    if m is None:
        raise _Fallback
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    if not (1980 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60):
        raise _Fallback
    if day > calendar.monthrange(year, month)[1]:
        raise _Fallback
    sign, oh, om = m.group(7) or "+", int(m.group(8) or 0), int(m.group(9) or 0)
    if oh > 14 or om > 59:
        raise _Fallback
    offset = (oh * 60 + om) * 60 * (1 if sign == "+" else -1)
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) - offset
    return b"%d %s%02d%02d" % (seconds, sign.encode(), oh, om)


def _cleanup(message: str) -> bytes:
    """The message as `git commit -m` stores it: cleanup mode `whitespace` (no editor), that is
    strbuf_stripspace without comments: trailing whitespace off each line, runs of empty lines
    made one, none at either end, a final newline. Comment lines stay."""
    if "\0" in message:
        raise _Fallback  # git never gets it (argv)
    try:
        raw = message.encode("utf-8")
    except UnicodeEncodeError:
        raise _Fallback from None
    out: list[bytes] = []
    empties = 0
    for line in raw.split(b"\n"):
        line = line.rstrip(_SPACE)
        if not line:
            empties += 1
            continue
        if empties and out:
            out.append(b"")
        empties = 0
        out.append(line)
    if not out:
        raise _Fallback  # git: "Aborting commit due to empty commit message."
    return b"\n".join(out) + b"\n"


def _reflog_message(msg: bytes) -> bytes:
    """copy_reflog_msg: whitespace runs become one space, none leading or trailing."""
    out = bytearray()
    was_space = True
    for c in msg:
        if c in _SPACE:
            if not was_space:
                out.append(0x20)
            was_space = True
        else:
            out.append(c)
            was_space = False
    return bytes(out).rstrip(b" ")


# --- the work tree, as `git add -A` sees it -----------------------------------------------------

# Names git would refuse (verify_path, core.protectNTFS's 8.3 short names) or that make git read
# more than files (.gitignore, .gitattributes, .gitmodules, a nested .git): all start like these.
_SPECIAL_PREFIXES = (b".git", b"git~", b"gitmod~", b"gitatt~", b"gitign~")


def _scan(walk: _Walk, prefix: bytes) -> None:
    try:
        with os.scandir(walk.root + b"/" + prefix if prefix else walk.root) as it:
            listed = list(it)
    except OSError:
        raise _Fallback from None
    for entry in listed:
        name = entry.name
        if not prefix and name == b".git":
            continue
        if name.lower().startswith(_SPECIAL_PREFIXES) or not _plain_name(name):
            raise _Fallback
        rel = prefix + name
        if len(rel) >= 0xFFF:
            raise _Fallback  # a name past the index's 12-bit length
        try:
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                _scan(walk, rel + b"/")
                continue
            if stat.S_ISLNK(st.st_mode):
                mode = 0o120000
            elif stat.S_ISREG(st.st_mode) and st.st_size <= _MAX_FILE:
                mode = 0o100755 if st.st_mode & 0o100 else 0o100644
            else:
                raise _Fallback  # a FIFO, socket or device; a file too big
            packed = _stat_data(st, mode)
            old = walk.known.get(rel)
            if old is not None and old[:40] == packed and st.st_mtime_ns < walk.racy_from:
                walk.entries.append(_Entry(rel, mode, old[40:], packed))  # unchanged: not read again
                continue
            if mode == 0o120000:
                data = os.readlink(entry.path)
            else:
                with open(entry.path, "rb") as f:
                    data = f.read()
        except OSError:
            raise _Fallback from None
        if len(data) != st.st_size:
            raise _Fallback  # changed under us
        walk.entries.append(_Entry(rel, mode, _add(walk.objects, b"blob", data), packed))


def _stat_data(st: os.stat_result, mode: int) -> bytes:
    """An index entry's stat data, as git fills it from lstat (32-bit fields, nanoseconds)."""
    m = 0xFFFFFFFF
    return struct.pack(
        ">10I",
        st.st_ctime_ns // 1_000_000_000 & m, st.st_ctime_ns % 1_000_000_000,
        st.st_mtime_ns // 1_000_000_000 & m, st.st_mtime_ns % 1_000_000_000,
        st.st_dev & m, st.st_ino & m, mode, st.st_uid & m, st.st_gid & m, st.st_size & m,
    )  # fmt: skip


def _plain_name(name: bytes) -> bool:
    """Printable ASCII or UTF-8 without the characters git quotes in ASCII (core.quotePath's
    control characters, '"', '\\', DEL)."""
    if any(c < 0x20 or c in b'"\\\x7f' for c in name):
        return False
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _add(objects: dict[bytes, bytes], kind: bytes, body: bytes) -> bytes:
    data = b"%s %d\0%s" % (kind, len(body), body)
    oid = hashlib.sha1(data).digest()
    objects[oid] = data
    return oid


class _Tree:
    __slots__ = ("files", "dirs")

    def __init__(self) -> None:
        self.files: dict[bytes, tuple[int, bytes]] = {}
        self.dirs: dict[bytes, _Tree] = {}


def _trees(entries: list[_Entry], objects: dict[bytes, bytes]) -> tuple[bytes, bytes]:
    """The root tree's id and the index's cache-tree extension data (cache-tree.c write_one)."""
    root = _Tree()
    for e in entries:
        node = root
        *dirs, leaf = e.path.split(b"/")
        for d in dirs:
            node = node.dirs.setdefault(d, _Tree())
        node.files[leaf] = (e.mode, e.oid)
    tree, records, _ = _write_tree(root, b"", objects)
    return tree, records


def _write_tree(node: _Tree, name: bytes, objects: dict[bytes, bytes]) -> tuple[bytes, bytes, int]:
    """The tree's id, its cache-tree records and how many index entries it covers."""
    rows: list[tuple[bytes, bytes]] = []  # (sort key, entry): git sorts a directory as `name/`
    subtrees: list[tuple[bytes, bytes]] = []  # (name, its cache-tree records)
    count = len(node.files)
    for sub_name, sub in node.dirs.items():
        oid, records, n = _write_tree(sub, sub_name, objects)
        subtrees.append((sub_name, records))
        count += n
        rows.append((sub_name + b"/", b"40000 " + sub_name + b"\0" + oid))
    for file_name, (mode, oid) in node.files.items():
        rows.append((file_name, b"%o %s\0%s" % (mode, file_name, oid)))
    rows.sort()
    tree = _add(objects, b"tree", b"".join(row for _, row in rows))
    # cache-tree: the node, then its subtrees shortest name first, then by bytes (subtree_name_cmp)
    subtrees.sort(key=lambda s: (len(s[0]), s[0]))
    records = b"%s\0%d %d\n%s" % (name, count, len(subtrees), tree) + b"".join(s[1] for s in subtrees)
    return tree, records, count


# --- writing, as git does -----------------------------------------------------------------------


def _index(entries: list[_Entry], cache_tree: bytes) -> bytes:
    out = [struct.pack(">4sII", b"DIRC", 2, len(entries))]
    for e in entries:
        out.append(e.stat + e.oid + struct.pack(">H", len(e.path)) + e.path + b"\0" * (8 - (62 + len(e.path)) % 8))
    out.append(b"TREE" + struct.pack(">I", len(cache_tree)) + cache_tree)
    data = b"".join(out)
    return data + hashlib.sha1(data).digest()


def _write_object(git_dir: bytes, oid: bytes, data: bytes, fan_out: set[bytes]) -> None:
    """Loose, under its fan-out directory; `fan_out` names those that exist (kept up to date)."""
    hexid = oid.hex().encode()
    folder = git_dir + b"/objects/" + hexid[:2]
    path = folder + b"/" + hexid[2:]
    if hexid[:2] not in fan_out:
        os.mkdir(folder)
        fan_out.add(hexid[:2])
    elif os.path.exists(path):
        return  # unchanged files and directories: git add -A did not even hash them
    tmp = path + b".tmp"
    # Loose objects are read-only and compressed at core.looseCompression's default (best speed).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    with os.fdopen(fd, "wb") as f:
        f.write(zlib.compress(data, 1))
    os.rename(tmp, path)


def _write_locked(path: bytes, data: bytes) -> None:
    """Through `path.lock` and a rename, as git updates refs and the index."""
    lock = path + b".lock"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        fd = os.open(lock, flags, 0o666)
    except FileNotFoundError:  # a branch under a folder not made yet (refs/heads/topic/x)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(lock, flags, 0o666)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.rename(lock, path)


def _write(path: bytes, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)


def _read(path: bytes) -> bytes:
    with open(path, "rb") as f:
        return f.read()
