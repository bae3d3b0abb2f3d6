"""Keys inside archives, through every command: scan, staged, pre-push, history."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.archives import tarred, zipped
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import SRC, RunKeylatch

KEY = make_key("sk-proj-", seed=7)
ENV = f"A=1\nOPENAI_API_KEY={KEY}\n".encode()


# (file name, content, the member label a report shows)
CASES: dict[str, tuple[str, bytes, str]] = {
    "zip": ("bundle.zip", zipped({"config/.env": ENV}), "bundle.zip!config/.env"),
    "zip-stored": ("bundle.jar", zipped({"config/.env": ENV}, zipfile.ZIP_STORED), "bundle.jar!config/.env"),
    "zip-renamed": ("logo.png", zipped({"config/.env": ENV}), "logo.png!config/.env"),
    "tar": ("bundle.tar", tarred({"config/.env": ENV}), "bundle.tar!config/.env"),
    "tgz": ("bundle.tgz", tarred({"config/.env": ENV}, "w:gz"), "bundle.tgz!config/.env"),
    "gzip": ("app.env.gz", gzip.compress(ENV), "app.env.gz!app.env"),
    "nested": ("outer.zip", zipped({"inner.tar.gz": tarred({"config/.env": ENV}, "w:gz")}),
               "outer.zip!inner.tar.gz!config/.env"),
}  # fmt: skip
COMMANDS = ("scan", "staged", "pre-push", "history")


def run(keylatch: RunKeylatch, repo: GitRepo, command: str, *extra: str) -> tuple[int, str]:
    if command == "scan":
        res = keylatch("scan", *extra, ".", cwd=repo.path)
    elif command == "staged":
        repo.git("add", "-A")
        res = keylatch("staged", *extra, cwd=repo.path)
    else:
        repo.commit("add")
        if command == "pre-push":  # a configured remote that was never fetched: everything is new
            repo.git("remote", "add", "origin", str(repo.path.parent / "never-fetched.git"))
        args = ("pre-push", "origin") if command == "pre-push" else ("history", "--no-cache", *extra)
        res = keylatch(*args, cwd=repo.path, input="")
    return res.code, res.out + res.err


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_key_in_an_archive_is_found_and_named_by_member(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, case: str, command: str
) -> None:
    name, data, label = CASES[case]
    repo = make_repo()
    repo.write(f"dist/{name}", data)
    code, text = run(keylatch, repo, command)
    assert code == 1, text
    assert f"dist/{label}:2" in text


@pytest.mark.parametrize("command", COMMANDS)
def test_a_clean_archive_is_clean(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, command: str) -> None:
    repo = make_repo()
    repo.write("dist/clean.zip", zipped({"a.txt": b"hello\n", "b.tgz": tarred({"c": b"x\n"}, "w:gz")}))
    code, text = run(keylatch, repo, command)
    assert code == 0, text
    assert "no keys" in text or "nothing new" in text


def bomb() -> bytes:
    return zipped({"zeros.bin": b"\0" * (16 << 20)})  # about 1000:1


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("bomb.zip", bomb(), "archive-max-ratio"),
        ("cut.tgz", tarred({"a": ENV}, "w:gz")[:-20], "corrupt or truncated"),
        ("deep.zip", zipped({"1.zip": zipped({"2.zip": zipped({"3.zip": zipped({"4.zip": zipped({"k": ENV})})})})}),
         "archive-depth"),
    ],
)  # fmt: skip
def test_an_archive_not_fully_scanned_exits_3_naming_it(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, command: str, name: str, data: bytes, reason: str
) -> None:
    repo = make_repo()
    repo.write("ok.txt", "hello\n")
    repo.write(f"dist/{name}", data)
    code, text = run(keylatch, repo, command)
    assert code == 3, text
    (line,) = [ln for ln in text.splitlines() if ln.startswith("keylatch: error:")]
    assert "not fully scanned" in line and reason in line
    # Every command names it by path (history and pre-push: the path a commit put the blob at).
    assert f"dist/{name}" in line


def test_the_depth_limit_is_configurable(make_repo: Callable[..., GitRepo], keylatch: RunKeylatch) -> None:
    repo = make_repo()
    repo.write("dist/n.zip", zipped({"inner.zip": zipped({"config/.env": ENV})}))
    repo.write(".keylatch.yaml", "archive-depth: 1\n")
    assert keylatch("scan", ".", cwd=repo.path).code == 3
    repo.write(".keylatch.yaml", "archive-depth: 2\narchive-max-bytes: 64M\narchive-max-ratio: 50\n")
    assert keylatch("scan", ".", cwd=repo.path).code == 1
    repo.write(".keylatch.yaml", "archive-max-bytes: lots\n")
    res = keylatch("scan", ".", cwd=repo.path)
    assert res.code == 2 and "archive-max-bytes" in res.err


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_reports_name_the_member_and_fingerprint_as_plain_text(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, fmt: str
) -> None:
    repo = make_repo()
    repo.write("dist/bundle.zip", zipped({"config/.env": ENV}))
    repo.write("plain.env", ENV)
    res = keylatch("scan", "-f", fmt, ".", cwd=repo.path)
    assert res.code == 1
    assert "bundle.zip!config/.env" in res.out or "bundle.zip%21config/.env" in res.out
    if fmt == "json":
        doc = json.loads(res.out)
        items = doc["findings"] if isinstance(doc, dict) else doc
        prints = {json.dumps(i, sort_keys=True) for i in items}
        assert len(prints) == 2
        fps = {i.get("fingerprint") for i in items}
        assert len(fps) == 1  # the same key, archived or not


def test_hostile_member_names_print_escaped_and_nothing_is_written(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    repo = make_repo()
    repo.write("dist/evil.zip", zipped({"../../escaped\x1b[31m.env": ENV, "/abs/x.env": ENV}))
    res = keylatch("scan", ".", cwd=repo.path)
    assert res.code == 1
    assert "\x1b[31m" not in res.out + res.err
    assert "evil.zip!../../escaped\\x1b[31m.env:2" in res.out
    assert not (repo.path.parent / "escaped\x1b[31m.env").exists()


def test_a_clean_commit_without_archives_imports_no_archive_reader(make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo()
    repo.write("a.py", "x = 1\n")
    repo.git("add", "-A")
    probe = (
        "import sys; from keylatch.cli import main\n"
        "code = main(['staged'])\n"
        # zipfile, bz2 and lzma are loaded by the standard library before keylatch runs its hook
        # (as on main); the archive reader adds nothing until an archive is staged.
        "heavy = ('tarfile', 'gzip')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules))"
    )
    env = dict(repo.env, PYTHONPATH=str(SRC))
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo.path, env=env, capture_output=True, text=True, check=False
    )
    assert out.stdout.strip() == "0 []", out.stdout + out.stderr
