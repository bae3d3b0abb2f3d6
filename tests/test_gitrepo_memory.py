"""GitRepo.commit written from memory (tests/helpers/gitwrite.py) makes what `git add -A && git
commit` makes: the same recipes built both ways agree in git's own eyes (commit and tree ids,
fsck, status, the index, logs, reflogs, the files under .git), and every condition the writer
cannot vouch for sends the commit to git, with nothing written."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import struct
import subprocess
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import gitrepo, gitwrite
from tests.helpers.gitrepo import AUTHORS, GitRepo

Recipe = Callable[[GitRepo], list[str]]
# git's own commands in a recipe (checkout, merge) write reflog lines and commits with the
# committer's clock: fixed here so that the two builds can be compared byte for byte.
FIXED = {
    f"GIT_{who}_{what}": value
    for who in ("AUTHOR", "COMMITTER")
    for what, value in (("NAME", "Git Self"), ("EMAIL", "git@example.test"), ("DATE", "2024-01-01T13:00:00Z"))
}


def _git(repo: GitRepo, *args: str) -> str:
    return GitRepo(repo.path, {**repo.env, **FIXED}).git(*args)


def _nested(repo: GitRepo) -> list[str]:
    repo.write("top.txt", "top\n")
    repo.write("a/b/c/deep.txt", "deep\n")
    repo.write("a/x.py", "x = 1\n")
    first = repo.commit("nested")
    repo.write("a/b/c/deep.txt", "deeper\n")
    repo.write("a/b/other", "o\n")
    return [first, repo.commit("change deep", author="bob", date="2024-01-02T12:00:00Z")]


def _executable(repo: GitRepo) -> list[str]:
    repo.write("run.sh", "#!/bin/sh\n").chmod(0o755)
    repo.write("group-only", "g\n").chmod(0o654)  # git looks at the owner's bit only
    repo.write("plain", "p\n")
    first = repo.commit("scripts")
    (repo.path / "plain").chmod(0o744)  # a mode change and nothing else
    (repo.path / "run.sh").chmod(0o644)
    return [first, repo.commit("modes")]


def _symlinks(repo: GitRepo) -> list[str]:
    repo.write("d/target.txt", "t\n")
    (repo.path / "to-file").symlink_to("d/target.txt")
    (repo.path / "to-dir").symlink_to("d")
    (repo.path / "dangling").symlink_to("nowhere/at/all")
    first = repo.commit("links")
    (repo.path / "to-file").unlink()
    repo.write("to-file", "now a file\n")
    (repo.path / "d" / "target.txt").unlink()
    (repo.path / "d" / "target.txt").symlink_to("../dangling")
    return [first, repo.commit("link to file, file to link")]


def _empty(repo: GitRepo) -> list[str]:
    first = repo.commit("nothing at all")
    repo.write("empty", b"")
    repo.write("dir/also-empty", "")
    (repo.path / "no-files" / "inside").mkdir(parents=True)  # git keeps no directory
    second = repo.commit("empty files")
    return [first, second, repo.commit("again, nothing new"), repo.commit("and again", date="2024-01-03T00:00:00Z")]


def _deletions_and_renames(repo: GitRepo) -> list[str]:
    for n in range(4):
        repo.write(f"src/m{n}.py", f"n = {n}\n")
    repo.write("gone/whole/tree.txt", "soon gone\n")
    first = repo.commit("files")
    shutil.rmtree(repo.path / "gone")
    (repo.path / "src" / "m0.py").unlink()
    second = repo.commit("deletions")
    (repo.path / "src" / "m1.py").rename(repo.path / "src" / "renamed.py")
    (repo.path / "src").rename(repo.path / "lib")
    return [first, second, repo.commit("renames")]


def _sorting(repo: GitRepo) -> list[str]:
    # Trees sort a directory as `name/`; the index plain bytes; the cache tree by length first.
    for rel in ("a.b", "a/x", "a-b", "a0", "a/b.c", "a/b/c", "ab/x", "b/x", "bb/c/x", "aa/x", "A/x", "a b/x", "z"):
        repo.write(rel, rel + "\n")
    return [repo.commit("names around directories")]


def _non_ascii(repo: GitRepo) -> list[str]:
    repo.write("é.txt", "accent\n")
    repo.write("日本/ファイル.md", "wide\n")
    repo.write("naïve/ünïcode/ß", "deep\n")
    first = repo.commit("Ünïcode names — and a subject with “quotes”")
    (repo.path / "é.txt").rename(repo.path / "e\u0301.txt")  # decomposed: another name to git
    return [first, repo.commit("décomposé")]


def _messages(repo: GitRepo) -> list[str]:
    out = []
    for n, message in enumerate(
        (
            "subject only",
            "\n\n  \nleading blank lines\n\n\n\nbody after three blanks\t \n\n",
            "subject\twith\t tabs  and   spaces  \n# a comment line stays with -m\n\nbody\r\n",
            "trailing spaces   \nsecond line\n\n\n",
            "   indented subject\n  indented body\n",
            "x" * 300,
        )
    ):
        repo.write("f", f"{n}\n")
        out.append(repo.commit(message))
    return out


def _dates_and_authors(repo: GitRepo) -> list[str]:
    out = []
    for n, (author, date) in enumerate(
        (
            ("alice", "2024-01-01T12:00:00Z"),
            ("bob", "2024-02-29T23:59:59+02:00"),
            ("alice", "2023-12-31T00:00:00-05:30"),
            ("bob", "1999-06-15T08:30:00+00:00"),
        )
    ):
        repo.write("f", f"{n}\n")
        out.append(repo.commit(f"dated {n}", author=author, date=date))
    return out


def _branches(repo: GitRepo) -> list[str]:
    repo.write("base", "b\n")
    out = [repo.commit("base")]
    _git(repo, "checkout", "-q", "-b", "feature/deep/name")
    repo.write("feature", "f\n")
    out.append(repo.commit("on feature"))
    _git(repo, "checkout", "-q", "main")
    repo.write("main", "m\n")
    out.append(repo.commit("on main"))
    _git(repo, "merge", "-q", "--no-edit", "feature/deep/name")  # git's merge commit, then ours on top
    repo.write("after", "a\n")
    out.append(repo.commit("after the merge"))
    repo.git("pack-refs", "--all")  # the branch's tip now only in packed-refs
    repo.write("packed", "p\n")
    out.append(repo.commit("on a packed ref"))
    return out


def _same_size_rewrites(repo: GitRepo) -> list[str]:
    # Rewritten in place within a clock tick: same inode, size and times as the index holds.
    # Only git's racy-clean rule (a file no older than the index is read again) tells them apart.
    repo.write("keep", "written once\n")
    out = []
    for n in range(6):
        repo.write("f", f"{n}\n")
        out.append(repo.commit(f"rewrite {n}"))
    return out


def _mixed(repo: GitRepo) -> list[str]:
    # git reads the index written here and the other way round
    repo.write("one", "1\n")
    out = [repo.commit("memory")]
    repo.write("two", "2\n")
    repo.git("add", "-A")
    out.append(repo.commit("git", add=False))
    repo.write("one", "11\n")
    out.append(repo.commit("memory again"))
    repo.write("three", "3\n")
    repo.git("add", "three")
    repo.write("unstaged", "u\n")
    out.append(repo.commit("git, one file staged", add=False))
    out.append(repo.commit("memory picks up the rest"))
    return out


RECIPES: dict[str, Recipe] = {
    "nested": _nested,
    "executable": _executable,
    "symlinks": _symlinks,
    "empty": _empty,
    "deletions-renames": _deletions_and_renames,
    "sorting": _sorting,
    "non-ascii": _non_ascii,
    "messages": _messages,
    "dates-authors": _dates_and_authors,
    "branches": _branches,
    "mixed": _mixed,
    "same-size-rewrites": _same_size_rewrites,
}


def _build(
    path: Path, home: Path, recipe: Recipe, memory: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[GitRepo, list[str]]:
    made: list[str | None] = []
    real = gitwrite.commit

    def counted(*args: object, **kwargs: object) -> str | None:
        made.append(real(*args, **kwargs) if memory else None)  # type: ignore[arg-type]
        return made[-1]

    with monkeypatch.context() as m:
        m.setattr(gitwrite, "commit", counted)
        repo = GitRepo.init(path, home)
        ids = recipe(repo)
    if memory:
        assert made and None not in made, "every commit with add in the recipe went through memory"
    return repo, ids


def _files(git_dir: Path, inflate: bool = True) -> dict[str, tuple[int, bytes | None]]:
    """Every path under .git with its mode and, for files, contents (objects decompressed: zlib's
    output is not what is compared, the object is); the index apart (its stat data differ)."""
    out: dict[str, tuple[int, bytes | None]] = {}
    for dirpath, dirnames, filenames in os.walk(git_dir):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, git_dir)
            st = os.lstat(full)
            data = None
            if stat.S_ISREG(st.st_mode) and rel != "index":
                data = Path(full).read_bytes()
                if inflate and rel.startswith("objects/"):
                    data = zlib.decompress(data)
            out[rel] = (stat.S_IMODE(st.st_mode), data)
    return out


def _index(path: Path) -> tuple[list[tuple[bytes, int, bytes, int]], bytes, int]:
    """(entries as path, mode, id, flags; the extensions' bytes; the version) of an index."""
    data = path.read_bytes()
    sig, version, count = struct.unpack(">4sII", data[:12])
    assert sig == b"DIRC"
    pos, entries = 12, []
    for _ in range(count):
        (mode,) = struct.unpack(">I", data[pos + 24 : pos + 28])
        oid, flags = data[pos + 40 : pos + 60], struct.unpack(">H", data[pos + 60 : pos + 62])[0]
        end = data.index(b"\0", pos + 62)
        entries.append((data[pos + 62 : end], mode, oid, flags))
        pos += (62 + end - pos - 62 + 8) & ~7
    return entries, data[pos:-20], version


def _debug_stats(repo: GitRepo) -> Iterator[tuple[str, dict[str, int]]]:
    """`git ls-files --debug`: each entry's stat data as git reads it."""
    out = repo.git("-c", "core.quotePath=false", "ls-files", "--debug")
    blocks: list[tuple[str, dict[str, str]]] = []
    for line in out.split("\n") if out else []:
        if not line.startswith(" "):
            blocks.append((line, {}))
            continue
        for part in line.split("\t"):
            key, _, value = part.strip().partition(": ")
            blocks[-1][1][key] = value
    for name, fields in blocks:
        ctime, mtime = fields["ctime"].split(":"), fields["mtime"].split(":")
        yield name, {
            "ctime": int(ctime[0]), "ctime_ns": int(ctime[1]), "mtime": int(mtime[0]), "mtime_ns": int(mtime[1]),
            "dev": int(fields["dev"]), "ino": int(fields["ino"]), "uid": int(fields["uid"]),
            "gid": int(fields["gid"]), "size": int(fields["size"]),
        }  # fmt: skip


def _lstat(path: Path) -> dict[str, int]:
    st = os.lstat(path)
    m = 0xFFFFFFFF
    return {
        "ctime": st.st_ctime_ns // 10**9 & m, "ctime_ns": st.st_ctime_ns % 10**9,
        "mtime": st.st_mtime_ns // 10**9 & m, "mtime_ns": st.st_mtime_ns % 10**9,
        "dev": st.st_dev & m, "ino": st.st_ino & m, "uid": st.st_uid, "gid": st.st_gid, "size": st.st_size & m,
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_a_recipe_made_from_memory_is_what_git_makes(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    mine, mine_ids = _build(tmp_path / "memory", home, RECIPES[name], True, monkeypatch)
    git, git_ids = _build(tmp_path / "git", home, RECIPES[name], False, monkeypatch)
    assert mine_ids == git_ids
    # The index: the same entries, flags and cache tree as git's (read before any git command
    # below rewrites it: status refreshes a racily clean index), and stat data as git reads it
    # equal to the files' own.
    mine_entries, mine_ext, mine_version = _index(mine.path / ".git" / "index")
    git_entries, git_ext, git_version = _index(git.path / ".git" / "index")
    assert (mine_entries, mine_ext, mine_version) == (git_entries, git_ext, git_version)
    assert mine.git("fsck", "--strict", "--no-dangling") == ""
    assert mine.git("status", "--porcelain", "--untracked-files=all", "--ignored") == ""
    for args in (
        ("ls-files", "-s"),
        ("log", "--all", "--format=raw"),
        ("for-each-ref", "--format=%(refname) %(objectname)"),
        ("reflog", "show", "--all", "--format=%H %gD %gs"),
        ("rev-parse", "HEAD^{tree}", "HEAD"),
    ):
        assert mine.git(*args) == git.git(*args), args
    # The same files under .git, with the same modes and contents: objects, refs, the reflogs
    # (byte for byte, idents and messages), COMMIT_EDITMSG, config.
    assert _files(mine.path / ".git") == _files(git.path / ".git")
    stats = dict(_debug_stats(mine))
    assert sorted(stats) == sorted(os.fsdecode(e[0]) for e in mine_entries)
    for rel, fields in stats.items():
        assert fields == _lstat(mine.path / rel), rel


# --- every condition the writer cannot vouch for goes to git -----------------------------------


def _snapshot(repo: GitRepo) -> dict[str, tuple[int, bytes | None]]:
    out = _files(repo.path / ".git", inflate=False) if (repo.path / ".git").is_dir() else {}
    index = repo.path / ".git" / "index"
    if index.exists():
        out["index"] = (0, index.read_bytes())
    return out


def _hook(repo: GitRepo) -> None:
    repo.write(".git/hooks/pre-commit", "#!/bin/sh\nexit 0\n").chmod(0o755)


def _sample_hook(repo: GitRepo) -> None:
    repo.write(".git/hooks/pre-commit.sample", "#!/bin/sh\nexit 1\n")


def _hooks_path(repo: GitRepo) -> None:
    repo.git("config", "core.hooksPath", str(repo.path / "hooks-elsewhere"))


def _global_hooks_path(repo: GitRepo) -> None:
    with open(repo.env["GIT_CONFIG_GLOBAL"], "a") as f:
        f.write("[core]\n\thooksPath = /nonexistent\n")


def _env(var: str, value: str) -> Callable[[GitRepo], None]:
    def change(repo: GitRepo) -> None:
        repo.env[var] = value

    return change


def _config(key: str, value: str) -> Callable[[GitRepo], None]:
    def change(repo: GitRepo) -> None:
        repo.git("config", key, value)

    return change


def _written(rel: str, content: str = "x\n") -> Callable[[GitRepo], None]:
    def change(repo: GitRepo) -> None:
        repo.write(rel, content)

    return change


def _global_ignore(repo: GitRepo) -> None:
    (Path(repo.env["HOME"]) / ".config" / "git").mkdir(parents=True, exist_ok=True)
    (Path(repo.env["HOME"]) / ".config" / "git" / "ignore").write_text("*.log\n")


def _rebase_in_progress(repo: GitRepo) -> None:
    (repo.path / ".git" / "rebase-merge").mkdir()


def _worktree_file(repo: GitRepo) -> None:
    repo.git("worktree", "add", "-q", str(repo.path / "wt"), "-b", "wt")
    repo.path = repo.path / "wt"


def _nested_repo(repo: GitRepo) -> None:
    GitRepo.init(repo.path / "sub" / "inner", Path(repo.env["HOME"])).write("f", "inner\n")


def _merge_in_progress(repo: GitRepo) -> None:
    repo.conflict("c.txt")
    repo.write("c.txt", "resolved\n")


def _cherry_pick_in_progress(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "-b", "side")
    repo.write("f", "side\n")
    repo.git("commit", "-qam", "side")
    repo.git("checkout", "-q", "main")
    repo.write("f", "main\n")
    repo.git("commit", "-qam", "main")
    repo.git("cherry-pick", "side", check=False)


def _corrupt_index(repo: GitRepo) -> None:
    index = repo.path / ".git" / "index"
    data = bytearray(index.read_bytes())
    data[20] ^= 1
    index.write_bytes(bytes(data))


def _intent_to_add(repo: GitRepo) -> None:
    repo.write("new", "n\n")
    repo.git("add", "-N", "new")


def _skip_worktree(repo: GitRepo) -> None:
    repo.git("update-index", "--skip-worktree", "f")


def _split_index(repo: GitRepo) -> None:
    repo.git("update-index", "--split-index")


def _untracked_cache(repo: GitRepo) -> None:
    repo.git("-c", "core.untrackedCache=true", "update-index", "--untracked-cache")


def _packed(repo: GitRepo) -> None:
    repo.git("gc", "-q")


def _detached(repo: GitRepo) -> None:
    repo.git("checkout", "-q", "--detach")


def _lost_parent(repo: GitRepo) -> None:
    tip = repo.git("rev-parse", "HEAD")
    (repo.path / ".git" / "objects" / tip[:2] / tip[2:]).unlink()


def _fifo(repo: GitRepo) -> None:
    os.mkfifo(repo.path / "pipe")


def _odd_name(name: bytes) -> Callable[[GitRepo], None]:
    def write(repo: GitRepo) -> None:
        with open(os.path.join(os.fsencode(repo.path), name), "wb") as f:
            f.write(b"odd\n")

    return write


def _full_gc_bucket(repo: GitRepo) -> None:
    bucket = repo.path / ".git" / "objects" / "17"
    bucket.mkdir(exist_ok=True)
    for n in range(28 - len(os.listdir(bucket))):
        (bucket / f"{n:038x}").write_bytes(b"")


def _sha256(repo: GitRepo) -> None:
    shutil.rmtree(repo.path / ".git")
    repo.git("init", "-q", "--object-format=sha256")


def _template_hooks(repo: GitRepo) -> None:
    template = repo.path.parent / "template-with-hooks"
    (template / "hooks").mkdir(parents=True)
    (template / "hooks" / "commit-msg").write_text("#!/bin/sh\nexit 0\n")
    (template / "hooks" / "commit-msg").chmod(0o755)
    shutil.rmtree(repo.path / ".git")
    repo.git("init", "-q", "--template", str(template))


FALLBACKS: dict[str, Callable[[GitRepo], None]] = {
    "hook": _hook,
    "sample hook": _sample_hook,
    "template with hooks": _template_hooks,
    "core.hooksPath": _hooks_path,
    "global core.hooksPath": _global_hooks_path,
    "GIT_DIR": _env("GIT_DIR", ".git"),
    "GIT_INDEX_FILE": _env("GIT_INDEX_FILE", ".git/other-index"),
    "GIT_REFLOG_ACTION": _env("GIT_REFLOG_ACTION", "scripted"),
    "GIT_CONFIG_PARAMETERS": _env("GIT_CONFIG_PARAMETERS", "'core.autocrlf'='true'"),
    "another HOME": _env("HOME", "/nonexistent"),
    "global ignore": _global_ignore,
    ".git file": _worktree_file,
    "sha256": _sha256,
    "extension": _config("extensions.worktreeConfig", "true"),
    "core.autocrlf": _config("core.autocrlf", "true"),
    "core.filemode": _config("core.filemode", "false"),
    "core.symlinks": _config("core.symlinks", "false"),
    ".gitignore": _written("sub/.gitignore", "*.log\n"),
    ".gitattributes": _written(".gitattributes", "* text=auto\n"),
    ".gitmodules": _written(".gitmodules", ""),
    "info/exclude": _written(".git/info/exclude", "*.tmp\n"),
    "info/attributes": _written(".git/info/attributes", "* -text\n"),
    "nested .git": _nested_repo,
    "merge": _merge_in_progress,
    "cherry-pick": _cherry_pick_in_progress,
    "rebase directory": _rebase_in_progress,
    "corrupt index": _corrupt_index,
    "intent-to-add": _intent_to_add,
    "skip-worktree": _skip_worktree,
    "split index": _split_index,
    "untracked cache": _untracked_cache,
    "packs": _packed,
    "detached HEAD": _detached,
    "lost parent": _lost_parent,
    "fifo": _fifo,
    "newline in a name": _odd_name(b"a\nb"),
    "tab in a name": _odd_name(b"a\tb"),
    "quote in a name": _odd_name(b'a"b'),
    "backslash in a name": _odd_name(b"a\\b"),
    "not UTF-8": _odd_name(b"caf\xe9"),
    "NTFS short name": _odd_name(b"GIT~1"),
    "gc --auto next": _full_gc_bucket,
}


@pytest.mark.parametrize("name", sorted(FALLBACKS))
def test_what_the_writer_cannot_vouch_for_goes_to_git(name: str, tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    repo = GitRepo.init(tmp_path / "repo", tmp_path / "home")
    repo.write("f", "1\n")
    assert repo.commit("first") == repo.git("rev-parse", "HEAD")
    FALLBACKS[name](repo)
    repo.write("f", "2\n")
    before = _snapshot(repo)
    name_, email = AUTHORS["alice"]
    assert gitwrite.commit(repo.path, repo.env, "second", name_, email, "2024-01-02T12:00:00Z") is None
    assert _snapshot(repo) == before


@pytest.mark.parametrize(
    ("message", "date"),
    [
        ("", "2024-01-01T12:00:00Z"),
        (" \n\t\n", "2024-01-01T12:00:00Z"),
        ("ok", "2024-01-01 12:00:00 +0000"),
        ("ok", "@1704110400 +0000"),
        ("ok", "2024-01-01T12:00:00"),
        ("ok", "2024-02-30T12:00:00Z"),
        ("ok", "yesterday"),
    ],
)
def test_a_message_or_date_git_reads_its_own_way_goes_to_git(message: str, date: str, tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    repo = GitRepo.init(tmp_path / "repo", tmp_path / "home")
    repo.write("f", "1\n")
    before = _snapshot(repo)
    assert gitwrite.commit(repo.path, repo.env, message, "A", "a@example.test", date) is None
    assert _snapshot(repo) == before


def test_a_commit_without_add_leaves_the_work_tree_alone(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    repo = GitRepo.init(tmp_path / "repo", tmp_path / "home")
    repo.write("staged", "s\n")
    repo.git("add", "staged")
    repo.write("unstaged", "u\n")
    repo.commit("only what was staged", add=False)
    assert repo.git("ls-tree", "--name-only", "HEAD") == "staged"
    assert (
        subprocess.run(
            ["git", "status", "--porcelain"], cwd=repo.path, env=repo.env, capture_output=True, text=True
        ).stdout
        == "?? unstaged\n"
    )


def test_a_file_no_older_than_the_index_is_read_again(tmp_path: Path) -> None:
    # git's racy-clean rule, which the writer shares: stat data equal to the index's say nothing
    # when the file is as new as the index (a rewrite in the same clock tick keeps them all).
    (tmp_path / "f").write_bytes(b"now\n")
    st = os.lstat(tmp_path / "f")
    known = {b"f": gitwrite._stat_data(st, 0o100644) + b"\1" * 20}  # what the index said: stale id
    fresh = hashlib.sha1(b"blob 4\0now\n").digest()
    for racy_from, oid in ((st.st_mtime_ns, fresh), (st.st_mtime_ns + 1, b"\1" * 20)):
        walk = gitwrite._Walk(os.fsencode(tmp_path), known, racy_from, {}, [])
        gitwrite._scan(walk, b"")
        assert [(e.path, e.oid) for e in walk.entries] == [(b"f", oid)]


# --- `git init` copied (gitrepo._copied_init) under the session's one template ----------------


def test_a_copied_init_is_what_git_init_makes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    copied = GitRepo.init(tmp_path / "copied", home)
    real = GitRepo.init(tmp_path / "real", home, "-q")  # init flags: always git's own
    assert _files(copied.path / ".git") == _files(real.path / ".git")
    # The home holds its configuration only; the template it names is the session's.
    assert os.listdir(home) == [".gitconfig"]
    assert f"templateDir = {gitwrite.quoted(str(gitwrite.git_template()))}" in (home / ".gitconfig").read_text()


def test_the_sessions_git_template_is_gits_without_samples_and_read_only() -> None:
    template = gitwrite.git_template()
    found = []
    for dirpath, dirnames, filenames in os.walk(template):
        for name in (".", *dirnames, *filenames):
            path = os.path.join(dirpath, name)
            assert not os.stat(path).st_mode & 0o222, path  # shared by every test home
            found.append(os.path.relpath(path, template))
    assert sorted(set(found)) == [".", "branches", "description", "hooks", "info", "info/exclude"]
    assert (template / "info" / "exclude").read_text().startswith("# git ls-files")


def test_a_home_configuration_a_test_changed_gets_git_init_itself(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    first = GitRepo.init(tmp_path / "first", home)  # writes the suite's configuration
    template = tmp_path / "template"
    (template / "hooks").mkdir(parents=True)
    (template / "hooks" / "commit-msg").write_text("#!/bin/sh\nexit 0\n")
    first.git("config", "--global", "init.templateDir", str(template))
    repo = GitRepo.init(tmp_path / "repo", home)
    assert os.listdir(repo.path / ".git" / "hooks") == ["commit-msg"]
    assert (repo.path / ".git" / "description").exists() is False  # git's own init, this template only


# --- gitrepo.copy_tree: shutil.copytree(symlinks=True) without extended attributes ---------------


def _tree(root: Path) -> dict[str, tuple[int, int, bytes | str | None]]:
    """Each entry's mode, mtime and contents (a link's target), the root's own included."""
    out: dict[str, tuple[int, int, bytes | str | None]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (".", *dirnames, *filenames):
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            what: bytes | str | None = None
            if stat.S_ISLNK(st.st_mode):
                what = os.readlink(full)
            elif stat.S_ISREG(st.st_mode):
                what = Path(full).read_bytes()
            out[os.path.relpath(full, root)] = (st.st_mode, st.st_mtime_ns, what)
    return out


def test_copy_tree_copies_what_copytree_copies(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "a" / "b" / "deep.txt").write_bytes(b"deep\n")
    (src / "run.sh").write_text("#!/bin/sh\n")
    (src / "run.sh").chmod(0o755)
    (src / "object").write_bytes(b"x" * 100_000)
    (src / "object").chmod(0o444)
    (src / "shared").write_text("group-writable\n")
    (src / "shared").chmod(0o666)
    (src / "to-a").symlink_to("a")
    (src / "dangling").symlink_to("nowhere")
    (src / "locked").mkdir()
    (src / "locked" / "inside").write_text("in a read-only directory\n")
    for n, path in enumerate(sorted(src.rglob("*"), reverse=True)):
        os.utime(path, ns=(10**18 + n, 10**18 + 2 * n), follow_symlinks=False)  # racy-index tests set times too
    (src / "locked").chmod(0o555)
    os.utime(src, ns=(10**18, 10**18 + 7))
    theirs = Path(shutil.copytree(src, tmp_path / "theirs", symlinks=True))
    mine = gitrepo.copy_tree(src, tmp_path / "mine")
    assert _tree(mine) == _tree(theirs) == _tree(src)
    (tmp_path / "into").mkdir()
    assert _tree(gitrepo.copy_tree(src, tmp_path / "into", dirs_exist_ok=True)) == _tree(src)
    with pytest.raises(FileExistsError):
        gitrepo.copy_tree(src, tmp_path / "into")
    for root in (src, mine, theirs, tmp_path / "into"):
        (root / "locked").chmod(0o755)  # for pytest's cleanup
