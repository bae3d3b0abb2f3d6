"""`keylatch scan`: what a user sees — exit codes, path:line:column, redaction, formats."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.contexts import cases, negatives
from tests.helpers.redaction import assert_files_redacted
from tests.helpers.run import RunKeylatch


def test_every_format_in_every_context_through_the_cli(tmp_path: Path, keylatch: RunKeylatch) -> None:
    expected = set()
    for i, (kind, context, text, key) in enumerate(cases()):
        name = f"{i:03d}-{kind}-{context}.txt".replace("/", "_")
        (tmp_path / name).write_bytes(text.encode())
        expected.add((name, hashlib.sha256(key.encode()).hexdigest()))
    for name, text in negatives().items():
        (tmp_path / f"neg-{name}.txt").write_text(text)
    result = keylatch("scan", ".", "--format", "json", cwd=tmp_path)
    assert result.code == 1, result.err
    report = json.loads(result.out)
    assert {(f["path"], f["fingerprint"]) for f in report["findings"]} == expected


def test_clean_tree_exits_0(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "a.py").write_text('OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]\n')
    result = keylatch("scan", str(tmp_path))
    assert (result.code, result.out) == (0, "keylatch: no keys found\n")


def test_text_report_shows_location_rule_and_redacted_key(tmp_path: Path, keylatch: RunKeylatch) -> None:
    key = make_key("sk-admin-", 1)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / ".env").write_text(f"# admin\nOPENAI_ADMIN_KEY={key}\n")
    result = keylatch("scan", "sub", cwd=tmp_path)
    assert result.code == 1
    first = result.out.splitlines()[0]
    assert first.startswith("sub/.env:2:18: critical openai-admin-key sk-admin-")
    assert f"{key[9:13]}...{key[-4:]}" in first
    assert result.out.splitlines()[-1] == "keylatch: 1 key found in 1 file"
    assert "\033[" not in result.out  # not a TTY: no colour


@pytest.mark.prints_secrets("--show-secrets prints the full key")
def test_show_secrets_prints_the_full_key(tmp_path: Path, keylatch: RunKeylatch) -> None:
    key = make_key("sk-proj-", 2)
    (tmp_path / "k.txt").write_text(key)
    result = keylatch("scan", "k.txt", "--show-secrets", cwd=tmp_path)
    assert result.code == 1 and key in result.out


@pytest.mark.prints_secrets("--show-secrets in CI: the key is printed, with a warning")
def test_show_secrets_warns_in_ci(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "k.txt").write_text(make_key("sk-proj-", 2))
    result = keylatch("scan", "k.txt", "--show-secrets", cwd=tmp_path, env={"CI": "true"})
    assert "full keys are printed in CI logs" in result.err


def test_json_output_file_is_redacted_and_still_exits_1(tmp_path: Path, keylatch: RunKeylatch) -> None:
    key = make_key("sk-svcacct-", 3)
    (tmp_path / "k.yaml").write_text(f"openai:\n  key: {key}\n")
    result = keylatch("scan", "k.yaml", "-f", "json", "-o", "report.json", cwd=tmp_path)
    assert result.code == 1
    report = json.loads((tmp_path / "report.json").read_text())
    (finding,) = report["findings"]
    assert finding["rule_id"] == "openai-service-account-key"
    assert (finding["path"], finding["line"], finding["column"]) == ("k.yaml", 2, 8)
    assert finding["fingerprint"] == hashlib.sha256(key.encode()).hexdigest()
    assert report["schema_version"] == 2
    assert_files_redacted(tmp_path / "report.json", keys=[key])


def test_binary_files_are_scanned(tmp_path: Path, keylatch: RunKeylatch) -> None:
    key = make_key("sk-", 4)
    (tmp_path / "app.bin").write_bytes(b"\x00\x01\xff" * 1000 + key.encode() + b"\x00" * 10)
    result = keylatch("scan", ".", cwd=tmp_path)
    assert result.code == 1 and "app.bin:1:3001:" in result.out


def test_excludes_are_honoured_and_nothing_else_is_skipped(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "x.txt").write_text(make_key("sk-", 5))
    (tmp_path / ".gitignore").write_text("ignored.txt\n")
    (tmp_path / "ignored.txt").write_text(make_key("sk-", 6))
    result = keylatch("scan", ".", "--exclude", "vendor", cwd=tmp_path)
    assert result.code == 1
    assert [line.split(":")[0] for line in result.out.splitlines()[:-1]] == ["ignored.txt"]


def test_key_spanning_a_large_file_block_boundary_is_found_once(tmp_path: Path, keylatch: RunKeylatch) -> None:
    from keylatch.sources.files import BLOCK

    key = make_key("sk-proj-", 7)
    filler = b"x" * 79 + b"\n"
    body = filler * ((BLOCK - 50) // len(filler))
    body += b"k=" + key.encode() + b"\n" + filler * 10
    (tmp_path / "big.txt").write_bytes(body)
    result = keylatch("scan", "big.txt", "-f", "json", cwd=tmp_path)
    (finding,) = json.loads(result.out)["findings"]
    assert finding["line"] == body.count(b"\n") - 10


def test_missing_path_is_a_usage_error(tmp_path: Path, keylatch: RunKeylatch) -> None:
    result = keylatch("scan", "nope", cwd=tmp_path)
    assert result.code == 2
    assert result.err == "keylatch: error: no such file or directory: nope\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file; see the /proc test below")
def test_unreadable_file_fails_closed(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "ok.txt").write_text("fine\n")
    locked = tmp_path / "locked.txt"
    locked.write_text(make_key("sk-proj-", 9))
    locked.chmod(0)
    result = keylatch("scan", ".", cwd=tmp_path)
    assert result.code == 3
    # The scan goes on past it (tests/e2e/test_unreadable_entries.py), names it, never says clean.
    assert result.err.startswith("keylatch: error: cannot read locked.txt: Permission denied\n")
    assert result.out == "keylatch: no keys found in what could be read; 1 entry could not be read (exit 3)\n"


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs Linux /proc")
def test_a_file_whose_read_fails_fails_closed(keylatch: RunKeylatch) -> None:
    # /proc/self/mem opens as a regular file but reading offset 0 fails, even for root.
    result = keylatch("scan", "/proc/self/mem")
    assert result.code == 3
    assert result.err.startswith("keylatch: error: cannot read /proc/self/mem: ")
    assert result.out == ""


def test_a_missing_path_among_several_is_a_usage_error(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "d").mkdir()
    result = keylatch("scan", str(tmp_path / "d"), str(tmp_path / "gone"))
    assert result.code == 2 and "no such file or directory" in result.err


def test_bad_flag_is_one_line_and_exit_2(keylatch: RunKeylatch) -> None:
    result = keylatch("scan", "--frobnicate")
    assert result.code == 2
    assert result.err.strip().splitlines()[-1].startswith("keylatch: error: unrecognized arguments")
    assert "Traceback" not in result.err


def test_help_documents_exit_codes(keylatch: RunKeylatch) -> None:
    result = keylatch("scan", "--help")
    assert result.code == 0
    for line in ("0    no keys found", "1    keys found", "2    usage", "3    the scan could not complete"):
        assert line in result.out


def test_colour_only_on_a_tty_and_no_color_is_honoured(tmp_path: Path) -> None:
    import pty
    import subprocess
    import sys

    from tests.helpers.run import SRC

    (tmp_path / "k.txt").write_text(make_key("sk-proj-", 8))

    def run_on_tty(extra_env: dict[str, str]) -> str:
        master, slave = pty.openpty()
        env = {**os.environ, "PYTHONPATH": str(SRC), **extra_env}
        env.pop("NO_COLOR", None) if "NO_COLOR" not in extra_env else None
        proc = subprocess.run(
            [sys.executable, "-m", "keylatch", "scan", "k.txt"],
            cwd=tmp_path, stdout=slave, stderr=subprocess.PIPE, env=env, check=False,
        )  # fmt: skip
        os.close(slave)
        out = os.read(master, 65536).decode()
        os.close(master)
        assert proc.returncode == 1
        return out

    assert "\033[" in run_on_tty({})
    assert "\033[" not in run_on_tty({"NO_COLOR": "1"})


def test_allow_lines_from_the_config_suppress_matching_lines(tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".keylatch.yaml").write_text("allow-lines: ['(?i)docs example']\n")
    (tmp_path / "a.md").write_text(f"Docs example: `{make_key('sk-proj-', 30)}`\n")
    (tmp_path / "b.env").write_text(f"OPENAI_API_KEY={make_key('sk-proj-', 31)}\n")
    result = keylatch("scan", ".", cwd=tmp_path)
    assert result.code == 1
    assert [line.split(":")[0] for line in result.out.splitlines()[:-1]] == ["b.env"]


def test_dash_scans_standard_input(keylatch: RunKeylatch) -> None:
    key = make_key("sk-svcacct-", 32)
    diff = f"+++ b/app.py\n@@ -1 +1,2 @@\n+OPENAI_API_KEY = '{key}'\n"
    result = keylatch("scan", "-", input=diff)
    assert result.code == 1
    assert result.out.startswith("<stdin>:3:20: high openai-service-account-key sk-svcacct-")
    assert keylatch("scan", "-", input="nothing here\n").code == 0


SUMMARY = re.compile(r"keylatch: scanned (\d+) files? \((\d+\.\d) MB\) in \d+\.\ds(;.*)?\n")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_every_scan_ends_with_what_it_read_on_stderr(tmp_path: Path, keylatch: RunKeylatch, fmt: str) -> None:
    """ "no keys found" is seen to come from a scan that read files; stdout stays the report."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.py").write_bytes(b"x = 1\n" * 100_000)  # 600 kB: several overlapping blocks
    (tmp_path / "tree" / "b.py").write_text("y = 2\n")
    for where, files, mb in (("empty", "0", "0.0"), ("tree", "2", "0.6")):
        r = keylatch("scan", where, "--format", fmt, cwd=tmp_path)
        m = SUMMARY.fullmatch(r.err)
        assert r.code == 0 and m is not None and m.group(1, 2) == (files, mb), r.err
        assert "scanned" not in r.out
    text = keylatch("scan", "empty", cwd=tmp_path)
    assert text.out == "keylatch: no keys found\n"


def test_a_key_counted_once_however_often_it_is_written(tmp_path: Path, keylatch: RunKeylatch) -> None:
    key, other = make_key("sk-proj-", 31), make_key("sk-proj-", 32)
    for i in range(3):
        (tmp_path / f"f{i}.env").write_text(f"OPENAI_API_KEY={key}\nOTHER={key}\n")
    (tmp_path / "g.env").write_text(f"OPENAI_API_KEY={other}\n")
    out = keylatch("scan", ".", cwd=tmp_path).out.splitlines()
    assert out[-1] == "keylatch: 2 distinct keys found at 7 places in 4 files"
    gh = keylatch("scan", ".", "--format", "github", cwd=tmp_path).out.splitlines()
    assert gh[-1] == out[-1]
