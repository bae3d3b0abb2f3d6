"""A self-extracting script (makeself, or `cat header.sh payload.tar.gz > installer.sh`): a text
header, then a gzip, bzip2 or xz stream or a tar appended. A key in the payload is found by every
command and named `installer.sh!member`; a payload that cannot be read whole is exit 3 naming
the script; a key in the header is found at its line as before."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import lzma
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from keylatch.sources import magic
from tests.helpers.archives import tarred
from tests.helpers.damaged import MakeRepo
from tests.helpers.gitrepo import git_env
from tests.helpers.run import SRC, Result, RunKeylatch

ENV = "OPENAI_API_KEY={key}\n"

# A payload holding `env` (bytes), and the member name its key is reported under ("" : the
# compressed file itself, named after the script).
PAYLOADS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "tar.gz": (lambda env: gzip.compress(tarred({"app/.env": env}), mtime=0), "app/.env"),
    "tar.bz2": (lambda env: bz2.compress(tarred({"app/.env": env})), "app/.env"),
    "tar.xz": (lambda env: lzma.compress(tarred({"app/.env": env})), "app/.env"),
    "tar": (lambda env: tarred({"app/.env": env}), "app/.env"),
    "gzip": (lambda env: gzip.compress(env, mtime=0), ""),
    "gzip with a name": (lambda env: _named_gzip(env), ""),
    "bzip2": (bz2.compress, ""),
    "xz": (lambda env: lzma.compress(env), ""),
}

# The script's text: {lines} lines of shell, as makeself writes a header of known length.
HEADERS = {
    "cat header.sh payload": "#!/bin/sh\necho installing\nexit 0\n",
    "makeself-like": "#!/bin/sh\n# This script was generated using Makeself 2.4.5\n"
    + "".join(f'skip_{i}="$(head -n {i} "$0" | wc -c)"\n' for i in range(700))
    + "exit 0\n",
    "no shebang": 'echo unpacking\ntail -n +4 "$0" | tar xz\nexit\n',
    "crlf": "@echo off\r\nrem payload follows\r\n",
}


def _named_gzip(data: bytes) -> bytes:
    import io

    out = io.BytesIO()
    with gzip.GzipFile(filename="app.env", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(data)
    return out.getvalue()


def installer(header: str, payload: str, key: str) -> bytes:
    build, _ = PAYLOADS[payload]
    return header.encode() + build(ENV.format(key=key).encode())


def every_command(keylatch: RunKeylatch, make_repo: MakeRepo, home: Path, name: str, data: bytes) -> dict[str, Result]:
    """scan, staged, history, ci and `scan -` on `name` holding `data` (JSON reports)."""
    repo = make_repo()
    repo.write("README.md", "hello\n")
    base = repo.commit("base")
    repo.write(name, data)
    repo.git("add", "-A")
    runs = {"scan": keylatch("scan", ".", "--format", "json", cwd=repo.path)}
    runs["staged"] = keylatch("staged", "--format", "json", cwd=repo.path)
    repo.commit("installer")
    runs["history"] = keylatch("history", "--no-cache", ".", "--format", "json", cwd=repo.path)
    runs["ci"] = keylatch("ci", "--range", f"{base}..HEAD", "--format", "json", cwd=repo.path)
    runs["scan -"] = scan_stdin(home, repo.path, data)
    return runs


def scan_stdin(home: Path, cwd: Path, data: bytes) -> Result:
    """`keylatch scan -` in a child process fed `data` as bytes (the fixtures' input is text)."""
    env = {**git_env(home), "PYTHONPATH": str(SRC)}
    cmd = [sys.executable, "-m", "keylatch", "scan", "-", "--format", "json"]
    proc = subprocess.run(cmd, input=data, capture_output=True, cwd=cwd, env=env, check=False)
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("header", HEADERS)
def test_the_payload_is_found_after_the_scripts_text(header: str, payload: str) -> None:
    data = installer(HEADERS[header], payload, make_key("sk-proj-", seed=5))
    assert magic.script_payload(data) == len(HEADERS[header].encode())
    assert magic.is_archive(data, data, len(data))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_command_finds_a_key_in_a_scripts_payload(
    keylatch: RunKeylatch, make_repo: MakeRepo, home: Path, payload: str
) -> None:
    key = make_key("sk-proj-", seed=30 + list(PAYLOADS).index(payload))
    runs = every_command(keylatch, make_repo, home, "installer.sh", installer(HEADERS["makeself-like"], payload, key))
    for command, res in runs.items():
        assert res.code == 1, (command, res.err)
        findings = json.loads(res.out)["findings"]
        assert {f["fingerprint"] for f in findings} == {hashlib.sha256(key.encode()).hexdigest()}, command
        assert key not in res.out + res.err, command
    member = PAYLOADS[payload][1] or "installer.sh"
    (found,) = json.loads(runs["scan"].out)["findings"]
    assert (found["path"], found["line"]) == (f"installer.sh!{member}", 1)


@pytest.mark.parametrize("header", HEADERS)
def test_a_key_in_the_header_is_still_found_at_its_line(
    keylatch: RunKeylatch, make_repo: MakeRepo, header: str
) -> None:
    key, inside = make_key("sk-proj-", seed=40), make_key("sk-proj-", seed=41)
    text = HEADERS[header] + ENV.format(key=key)
    data = text.encode() + PAYLOADS["tar.gz"][0](ENV.format(key=inside).encode())
    repo = make_repo()
    repo.write("installer.sh", data)
    res = keylatch("scan", "installer.sh", cwd=repo.path)
    assert res.code == 1, res.err
    assert f"installer.sh:{text.count(chr(10))}:" in res.out
    assert "installer.sh!app/.env:1:" in res.out


@pytest.mark.parametrize("payload", ["tar.gz", "bzip2", "xz", "tar"])
def test_a_payload_cut_short_is_not_clean(keylatch: RunKeylatch, make_repo: MakeRepo, payload: str) -> None:
    header = HEADERS["cat header.sh payload"]
    data = installer(header, payload, make_key("sk-proj-", seed=50))
    # Inside the stream (or the tar member's data, past its 512-byte header).
    cut = data[: len(header) + min(550, (len(data) - len(header)) // 2)]
    repo = make_repo()
    repo.write("installer.sh", cut)
    runs = {"scan": keylatch("scan", "installer.sh", cwd=repo.path)}
    repo.git("add", "-A")
    runs["staged"] = keylatch("staged", cwd=repo.path)
    for command, res in runs.items():
        assert res.code == 3, (command, res.out, res.err)
        assert "installer.sh" in res.err and "not fully scanned" in res.err, (command, res.err)


@pytest.mark.parametrize(
    "data",
    [
        b"#!/bin/sh\nexit 0\n\x1f\x8b\x08\xe0" + bytes(20),  # reserved flag bits: no gzip header
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(30),  # binary from its start
        b"notes\nBZh9 is bzip2's magic\n\x00",  # bzip2's magic as text, then a zero byte
        b"plain text with no zero byte\n" * 100,
    ],
)
def test_what_is_no_payload_is_a_plain_file(keylatch: RunKeylatch, make_repo: MakeRepo, data: bytes) -> None:
    assert magic.script_payload(data) == 0
    repo = make_repo()
    repo.write("notes.bin", data)
    res = keylatch("scan", "notes.bin", cwd=repo.path)
    assert res.code == 0, res.err


def test_a_script_in_a_release_archive_is_opened_in_turn(keylatch: RunKeylatch, make_repo: MakeRepo) -> None:
    key = make_key("sk-proj-", seed=60)
    inner = installer(HEADERS["cat header.sh payload"], "tar.xz", key)
    repo = make_repo()
    repo.write("release.tgz", gzip.compress(tarred({"dist/installer.sh": inner}), mtime=0))
    res = keylatch("scan", "release.tgz", cwd=repo.path)
    assert res.code == 1, res.err
    assert "release.tgz!dist/installer.sh!app/.env:1:" in res.out
    assert key not in res.out + res.err
