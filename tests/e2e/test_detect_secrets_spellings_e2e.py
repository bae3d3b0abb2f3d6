"""Encoded and glued keys through the real detect-secrets CLI with keylatch's plugin.

Stock `detect-secrets scan --plugin` hands the plugin one line at a time: every spelling that fits
one line is found there. What spans lines or is not UTF-8 text (UTF-16, UTF-32, a wrapped base64
file, a join across lines, a `.pyc`) only `keylatch detect-secrets scan` finds, by its own pass over the
file (docs/detect-secrets.md, "What the line model cannot see").
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.detect_secrets_plugin import plugin_file
from keylatch.rules import BYTE_FORMS
from keylatch.rules.synthetic import make_key
from tests.helpers.archives import tarred, zipped
from tests.helpers.gitrepo import GitRepo, git_env
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import SRC, RunKeylatch
from tests.helpers.spellings import EVIDENCE, KINDS, glued, spellings

pytestmark = pytest.mark.e2e

OURS = "keylatch OpenAI key"


def sha1(key: str) -> str:
    return hashlib.sha1(key.encode()).hexdigest()


def found(baseline_json: str) -> dict[str, set[str]]:
    results = json.loads(baseline_json)["results"]
    return {name: {r["hashed_secret"] for r in rs if r["type"] == OURS} for name, rs in results.items()}


def stock_scan(repo: GitRepo, home: Path, names: list[str]) -> dict[str, set[str]]:
    exe = shutil.which("detect-secrets")
    assert exe, "detect-secrets is not installed"
    env = git_env(home)
    env["PYTHONPATH"] = str(SRC)
    args = [exe, "scan", "--plugin", plugin_file(), "--disable-plugin", "OpenAIDetector", *names]
    proc = subprocess.run(args, cwd=repo.path, env=env, capture_output=True, text=True, check=False)
    assert_redacted(proc.stdout, proc.stderr)
    assert proc.returncode == 0, proc.stderr
    return found(proc.stdout)


def one_line_files() -> dict[str, tuple[bytes, str]]:
    files = {
        f"{kind.strip('-_') or 'sk'}.{name}.txt": (text.encode(), key)
        for kind in KINDS
        for name, (text, key) in spellings(kind, seed=7).items()
    }
    data, key = glued("sk-proj-", seed=7)
    files["rows.db"] = (data.replace(b"\xa4", b"\x01"), key)  # UTF-8 with NULs: detect-secrets reads it
    return files


def _wrapped_bytes(key: str) -> str:
    items = [f"0x{c:02x}" for c in key.encode()]
    return ",\n".join("    " + ", ".join(items[i : i + 12]) for i in range(0, len(items), 12))


def multi_line_files() -> dict[str, tuple[bytes, str]]:
    def key(seed: int) -> str:
        return make_key("sk-proj-", seed=seed)

    env = f"OPENAI_API_KEY={key(1)}\n".encode()
    pyc_data, pyc_key = glued("sk-proj-", seed=6)
    return {
        "utf16.ps1": (f"$env:OPENAI_API_KEY = '{key(1)}'\r\n".encode("utf-16"), key(1)),
        "utf32.ps1": (f"$env:OPENAI_API_KEY = '{key(3)}'\r\n".encode("utf-32"), key(3)),
        "env.b64": ((base64.encodebytes(env * 3)), key(1)),
        "split.py": (f'KEY = (\n    "{key(2)[:40]}"\n    "{key(2)[40:]}"\n)\n'.encode(), key(2)),
        "cache.pyc": (pyc_data, pyc_key),
        # a byte list a formatter wrapped, 12 bytes a line: no line holds the key's bytes
        "key.c": (("unsigned char k[] = {\n" + _wrapped_bytes(key(4)) + "\n};\n").encode(), key(4)),
    }


def test_stock_detect_secrets_finds_every_one_line_spelling(make_repo: Callable[..., GitRepo], home: Path) -> None:
    repo = make_repo()
    files = one_line_files()
    for name, (data, _) in files.items():
        repo.write(name, data)
    got = stock_scan(repo, home, list(files))
    missed = sorted(name for name, (_, key) in files.items() if sha1(key) not in got.get(name, set()))
    assert missed == []


# One kind of each rule family: self-identifying keys, the 84-character and 32-hex Azure keys, keys
# that need evidence in the file (`sess-`, `whsec_`, `ek_`), a ChatGPT OAuth token.
BYTE_KINDS = ("sk-proj-", "sk-admin-", "sk-", "azure", "azure-classic", "sess-", "whsec_", "ek_", "openai-access-token")


def _b64(data: bytes, times: int) -> str:
    for _ in range(times):
        data = base64.b64encode(data)
    return data.decode()


def byte_line_files() -> dict[str, tuple[bytes, str]]:
    """A key on one line written as each byte list the engine decodes (rules.BYTE_FORMS: `0x73,
    0x6b`, `'s', 'k'`, `"s", "k"`, `'\\x73'`, `115, 107`, `.reg` hex and hex(2), `73 6b`, `73:6b`),
    a character a literal joined by `+`, and base64 of base64 at each of the key's alignments."""
    files: dict[str, tuple[bytes, str]] = {}
    for kind in BYTE_KINDS:
        key = make_key(kind, seed=13)
        name = "AZURE_OPENAI_API_KEY" if kind == "azure-classic" else "OPENAI_API_KEY"
        stem = kind.strip("-_") or "sk"
        lines = {
            f"bytes{i}": "k = {" + join.decode().join((form % c).decode("latin-1") for c in key.encode()) + "}"
            for i, (form, join) in enumerate(BYTE_FORMS)
        }
        lines["plus-chars"] = "k = " + " + ".join(f'"{c}"' for c in key)
        for lead in ("", "K=", "KEY="):
            env = f"{lead}{name}={key}\n".encode()
            lines[f"base64-twice-{len(lead)}"] = "data: " + _b64(env, 2)
        for spelling, line in lines.items():
            files[f"{stem}.{spelling}.txt"] = ((EVIDENCE + line + "\n").encode(), key)
    return files


def keylatch_found(keylatch: RunKeylatch, repo: GitRepo, files: dict[str, tuple[bytes, str]]) -> dict[str, set[str]]:
    """What `keylatch scan` reports in each file, as detect-secrets' hashes of the file's key."""
    res = keylatch("scan", "--format", "json", *files, cwd=repo.path)
    assert res.code in (0, 1), res.err
    prints = {(f["path"], f["fingerprint"]) for f in json.loads(res.out)["findings"]}
    sha256 = {name: hashlib.sha256(key.encode()).hexdigest() for name, (_, key) in files.items()}
    return {name: {sha1(key)} if (name, sha256[name]) in prints else set() for name, (_, key) in files.items()}


def test_stock_detect_secrets_finds_on_a_line_what_keylatch_scan_finds_there(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], home: Path
) -> None:
    repo = make_repo()
    files = byte_line_files()
    for name, (data, _) in files.items():
        repo.write(name, data)
    repo.commit("byte lists")
    expected = keylatch_found(keylatch, repo, files)
    stock = stock_scan(repo, home, list(files))
    assert {name: stock.get(name, set()) for name in files} == expected
    res = keylatch("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector", *files, cwd=repo.path)
    assert res.code == 0, res.err
    assert {name: found(res.out).get(name, set()) for name in files} == expected
    # Not a vacuous match: every byte list and double base64 of a self-identifying key is found.
    assert all(expected[n] for n in files if n.startswith(("proj.", "admin.", "whsec.")) and "plus" not in n)


def test_what_spans_lines_is_found_by_the_recipe_only(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo], home: Path
) -> None:
    repo = make_repo()
    files = multi_line_files()
    for name, (data, _) in files.items():
        repo.write(name, data)
    repo.commit("encoded")
    stock = stock_scan(repo, home, list(files))
    assert {name for name, hashes in stock.items() if hashes} == set()
    res = keylatch("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector", *files, cwd=repo.path)
    assert res.code == 0, res.err
    recipe = found(res.out)
    assert {name: recipe.get(name, set()) for name in files} == {name: {sha1(k)} for name, (_, k) in files.items()}


def test_the_recipe_opens_archives_and_fails_closed_on_one_it_cannot_read(
    keylatch: RunKeylatch, make_repo: Callable[..., GitRepo]
) -> None:
    """Stock detect-secrets reads an archive's compressed bytes (no key shows there); the
    recipe's own pass opens it as `keylatch scan` does, and one it cannot read is exit 3."""
    repo = make_repo()
    keys = {n: make_key("sk-proj-", seed=40 + i) for i, n in enumerate(("bundle.zip", "site.tgz", "env.gz"))}
    repo.write("bundle.zip", zipped({"config/.env": f"OPENAI_API_KEY={keys['bundle.zip']}\n".encode()}))
    repo.write("site.tgz", gzip.compress(tarred({"app/.env": f"KEY={keys['site.tgz']}\n".encode()})))
    repo.write("env.gz", gzip.compress(f"OPENAI_API_KEY={keys['env.gz']}\n".encode()))
    repo.commit("archives")
    res = keylatch("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector", *keys, cwd=repo.path)
    assert res.code == 0, res.err
    assert {name: found(res.out).get(name, set()) for name in keys} == {n: {sha1(k)} for n, k in keys.items()}
    repo.write("broken.zip", zipped({"a/.env": b"x" * 4096})[:-30])  # its central directory cut
    repo.commit("broken")
    res = keylatch("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector", "broken.zip", cwd=repo.path)
    assert res.code == 3 and "broken.zip" in res.err and res.err.startswith("keylatch: error: ")
