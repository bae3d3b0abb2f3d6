"""Keys written a byte at a time (a Go or C byte slice, a char array, decimal bytes, a `.reg`
file's hex, a hex dump) and keys base64-encoded more than once: found by every layout of the
class, reported whole at the list's start and never printed (docs/scan.md, `bytes`)."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from keylatch.engine import scan_chunk, scan_text
from keylatch.model import Chunk
from keylatch.rules.synthetic import make_key
from tests.helpers.every_command import assert_each_found_exactly, run_every_command
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch
from tests.helpers.work import Counting

# sess- and whsec_ keys need a file that mentions OpenAI (rules/context.py).
OPENAI = "# openai\n"
KINDS = ("sk-proj-", "sk-admin-", "sk-svcacct-", "sk-", "sk-None-", "azure", "whsec_", "sess-")


def _wrapped(items: list[str], sep: str, width: int, indent: str = "    ", brk: str = ",\n") -> str:
    """`items` joined by `sep`, `width` a line (a formatter's wrapping)."""
    lines = [sep.join(items[i : i + width]) for i in range(0, len(items), width)]
    return (brk + indent).join(lines)


def _xxd(data: bytes, group: int = 2) -> str:
    out = []
    for off in range(0, len(data), 16):
        row = data[off : off + 16]
        groups = " ".join(row[i : i + group].hex() for i in range(0, len(row), group))
        text = "".join(chr(c) if 32 <= c < 127 else "." for c in row)
        out.append(f"{off:08x}: {groups:<{16 * 2 + 16 // group - 1}}  {text}")
    return "\n".join(out) + "\n"


def _hexdump_c(data: bytes) -> str:
    out = []
    for off in range(0, len(data), 16):
        row = data[off : off + 16]
        left, right = " ".join(f"{c:02x}" for c in row[:8]), " ".join(f"{c:02x}" for c in row[8:])
        text = "".join(chr(c) if 32 <= c < 127 else "." for c in row)
        out.append(f"{off:08x}  {left:<23}  {right:<23}  |{text}|")
    return "\n".join(out) + "\n"


def _reg(data: bytes, kind: str) -> str:
    items = [f"{c:02x}" for c in data]
    return f'[HKEY_CURRENT_USER\\Environment]\n"OPENAI_API_KEY"={kind}:' + _wrapped(items, ",", 20, "  ", ",\\\n")


LAYOUTS: dict[str, Callable[[str], str]] = {
    "go-0x": lambda k: "var key = []byte{" + ", ".join(f"0x{ord(c):02x}" for c in k) + "}\n",
    "c-0x-upper-wrapped": lambda k: (
        "unsigned char k[] = {\n    " + _wrapped([f"0x{ord(c):02X}" for c in k], ",", 12) + "\n};\n"
    ),
    "rust-0x-wrapped": lambda k: (
        "const K: [u8; N] = [\n    " + _wrapped([f"0x{ord(c):02x}" for c in k], ", ", 16) + ",\n];\n"
    ),
    "c-char-array": lambda k: "static const char key[] = {" + ", ".join(f"'{c}'" for c in k) + ", 0};\n",
    "java-char-array-wrapped": lambda k: "char[] k = {\n    " + _wrapped([f"'{c}'" for c in k], ",", 16) + "\n};\n",
    "js-array-of-strings": lambda k: "const k = [" + ", ".join(f'"{c}"' for c in k) + '].join("");\n',
    "c-escaped-chars": lambda k: "char k[] = {" + ", ".join(f"'\\x{ord(c):02x}'" for c in k) + "};\n",
    "java-decimal-bytes": lambda k: "byte[] k = {" + ", ".join(str(ord(c)) for c in k) + "};\n",
    "python-bytes-decimal-wrapped": lambda k: (
        "KEY = bytes([\n    " + _wrapped([str(ord(c)) for c in k], ", ", 10) + ",\n]).decode()\n"
    ),
    "reg-hex": lambda k: _reg(k.encode(), "hex"),
    "reg-hex2-utf16le": lambda k: _reg(k.encode("utf-16-le") + b"\0\0", "hex(2)"),
    "openssl-colons": lambda k: "key:\n    " + _wrapped([f"{ord(c):02x}" for c in k], ":", 15, "    ", ":\n") + "\n",
    "xxd": lambda k: _xxd(f"API_KEY={k}\n".encode()),
    "xxd-g1": lambda k: _xxd(f"API_KEY={k}\n".encode(), 1),
    "hexdump-C": lambda k: _hexdump_c(f"export OPENAI_API_KEY={k}\n".encode()),
}


def _key(kind: str, seed: int) -> str:
    return make_key(kind, seed=seed)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("kind", KINDS)
def test_a_key_written_as_bytes_is_found_whole(kind: str, layout: str) -> None:
    for seed in (3, 11):
        key = _key(kind, seed)
        text = OPENAI + LAYOUTS[layout](key)
        found = scan_chunk(Chunk(text.encode(), "k.txt"))
        assert [(f.secret.value, f.encoding) for f in found] == [(key, "bytes")], (layout, seed)
        assert found[0].location.line >= 2  # at the list, not the comment above it


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_key_as_bytes_is_reported_where_its_list_or_dump_line_starts(layout: str) -> None:
    key = _key("sk-proj-", 5)
    text = LAYOUTS[layout](key)
    (f,) = scan_text(text)
    first = text.index("\n") + 1 if layout.startswith(("c-0x-upper", "rust", "java-char", "python", "reg")) else 0
    assert f.location.line == text[: f.span[0]].count("\n") + 1
    assert f.span[0] >= first


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_bytes_that_hold_no_key_report_nothing(layout: str) -> None:
    """A placeholder, a key with a damaged marker, a truncated key and its keyword alone."""
    key = _key("sk-proj-", 7)
    damaged = key.replace("T3BlbkFJ", "T3BlbkFK")
    for text in ("sk-proj-" + "x" * 40 + "T3BlbkFJ" + "x" * 40, damaged, key[:-30], "T3BlbkFJ" * 6):
        assert scan_text(OPENAI + LAYOUTS[layout](text)) == [], text[:12]


def test_lists_of_other_bytes_are_not_decoded_into_keys() -> None:
    """Binary tables and float arrays next to a keyword's byte spelling: nothing reported."""
    table = ", ".join(f"0x{i % 256:02x}" for i in range(4096))
    floats = ", ".join(f"{i}.5" for i in range(500))
    keyword = ", ".join(f"0x{c:02x}" for c in b"T3BlbkFJ")
    assert scan_text(f"{table}\n{keyword}\n{floats}\n{keyword}, 0x00\n") == []


def _b64(data: bytes, times: int) -> bytes:
    for _ in range(times):
        data = base64.b64encode(data)
    return data


B64_LAYOUTS: dict[str, Callable[[bytes], str]] = {
    "k8s-secret": lambda v: f"apiVersion: v1\nkind: Secret\ndata:\n  env: {v.decode()}\n",
    "json-value": lambda v: f'{{"config": "{v.decode()}"}}\n',
    "shell": lambda v: f"export BLOB='{v.decode()}'\n",
}


@pytest.mark.parametrize("layout", sorted(B64_LAYOUTS))
@pytest.mark.parametrize("kind", ["sk-proj-", "sk-", "azure", "whsec_"])
def test_a_key_base64_encoded_twice_is_found(kind: str, layout: str) -> None:
    for seed, lead in ((3, ""), (4, "K="), (5, "KEY=")):  # every alignment of the key
        key = _key(kind, seed)
        text = OPENAI + B64_LAYOUTS[layout](_b64(f"{lead}{key}\n".encode(), 2))
        found = scan_text(text)
        assert [(f.secret.value, f.encoding) for f in found] == [(key, "base64")], (seed, lead)


def test_a_file_of_wrapped_base64_thrice_is_found() -> None:
    key = _key("sk-proj-", 9)
    outer = _b64(f"OPENAI_API_KEY={key}\n".encode(), 3)
    text = b"\n".join(outer[i : i + 76] for i in range(0, len(outer), 76)) + b"\n"
    assert [f.secret.value for f in scan_chunk(Chunk(text, "secret.b64"))] == [key]


# Dense shapes: a keyword's byte spelling everywhere, so that every window merges into one over
# the whole document. Work stays linear (tests/helpers/work.py, no clock).
_KW = b"T3BlbkFJ"
DENSE: dict[str, Callable[[int], bytes]] = {
    "0x list": lambda n: (b"{" + b", ".join(b"0x%02x" % c for c in _KW) + b", ") * (n // 60 + 1),
    "char list": lambda n: (b", ".join(b"'%c'" % c for c in _KW) + b", ") * (n // 40 + 1),
    "decimal list": lambda n: (b", ".join(b"%d" % c for c in _KW) + b", ") * (n // 30 + 1),
    "reg utf-16": lambda n: (b",".join(b"%02x,00" % c for c in _KW) + b",\\\n  ") * (n // 50 + 1),
    "xxd of the keyword": lambda n: _xxd(_KW * (n // 40 + 1)).encode(),
    "base64 twice": lambda n: _b64(_KW * (n // 20 + 1), 2),
}


@pytest.mark.parametrize("shape", sorted(DENSE))
def test_decoding_dense_byte_lists_is_linear(shape: str) -> None:
    n = 1 << 14
    small, large = Counting(DENSE[shape](n)[:n]), Counting(DENSE[shape](2 * n)[: 2 * n])
    scan_chunk(Chunk(small, "x"))
    scan_chunk(Chunk(large, "x"))
    assert large.read <= 2.5 * small.read
    assert small.read <= 32 * n
    assert small.calls <= 16 * n // 1024 + 8


def test_every_command_finds_keys_written_as_bytes(keylatch: RunKeylatch, make_repo: Callable[[], GitRepo]) -> None:
    keys = [_key("sk-proj-", 21), _key("sk-admin-", 22), _key("azure", 23), _key("sk-proj-", 24)]
    files = {
        "main.go": LAYOUTS["go-0x"](keys[0]),
        "key.c": LAYOUTS["c-char-array"](keys[1]),
        "env.reg": LAYOUTS["reg-hex2-utf16le"](keys[2]),
        "k8s/secret.yaml": B64_LAYOUTS["k8s-secret"](_b64(f"OPENAI_API_KEY={keys[3]}\n".encode(), 2)),
    }
    assert_each_found_exactly(run_every_command(keylatch, make_repo(), files), keys)
