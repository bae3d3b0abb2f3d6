"""Encoded spellings of keys: base64 and hex values, UTF-16 and UTF-32 text -> bytes or text to scan.

Pure functions over bytes; the engine decides what to scan and reports where. Every rule's
keywords are looked for in their encoded spellings (`needles`), so a key of any rule is found in
base64, hex, UTF-16 or UTF-32 when its keyword is; history's prefilter uses the same `needles`.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Iterable, Iterator

from keylatch.prefilter import present, wrapped_base64_width
from keylatch.rules import BASE64_TWICE_MIN, DEFAULT_RULES, utf32_spelling
from keylatch.rules.synthetic import MARKER


def base64_spellings(word: bytes) -> tuple[bytes, ...]:
    """`word` as it appears inside any base64 text, at each of the three byte alignments.

    With p bytes before it, the word covers bits [8p, 8p + 8n): keep the characters whose six
    bits all lie inside it.
    """
    n = len(word)
    return tuple(base64.b64encode(b"\0" * p + word)[-(-8 * p // 6) : (8 * p + 8 * n) // 6] for p in range(3))


def utf16_spelling(word: bytes) -> bytes:
    """`word` as UTF-16 writes it in either byte order: a NUL between its letters."""
    return b"\0".join(word[i : i + 1] for i in range(len(word)))


def utf32_needles(keywords: Iterable[str]) -> tuple[bytes, ...]:
    return tuple(sorted({utf32_spelling(kw.encode("ascii")) for kw in keywords}))


def base64_needles(keywords: Iterable[str]) -> tuple[bytes, ...]:
    return tuple(sorted({s for kw in keywords for s in base64_spellings(kw.encode("ascii"))}))


def utf16_needles(keywords: Iterable[str]) -> tuple[bytes, ...]:
    return tuple(sorted({utf16_spelling(kw.encode("ascii")) for kw in keywords}))


# The marker as it appears after base64-encoding, at each of the three byte alignments.
BASE64_MARKERS: tuple[bytes, ...] = base64_spellings(MARKER.encode())
# Every default rule's keywords in base64 and UTF-16: where the decoders look (the gates that start
# them, which history and the hook prefilter share, are rules.needles; tests/test_prefilter.py).
_KEYWORDS = tuple(kw for r in DEFAULT_RULES for kw in r.keywords)
# Inside a base64 value already gated (rules.base64_gates), these spellings say where to decode;
# a 3-byte keyword (`ek_`) spells 3-4 base64 characters found in any long value, so it is left
# out (its keys are found once the value is decoded for another needle).
_B64_KEYWORDS = tuple(kw for kw in _KEYWORDS if len(kw) >= 4)
BASE64_NEEDLES: tuple[bytes, ...] = base64_needles(_B64_KEYWORDS)
UTF16_NEEDLES: tuple[bytes, ...] = utf16_needles(_KEYWORDS)
# Three NULs between letters: no UTF-16 needle (one NUL) is inside one, nor the reverse, so a
# UTF-32 file is decoded once, as UTF-32 (tests/test_decoders.py).
UTF32_NEEDLES: tuple[bytes, ...] = utf32_needles(_KEYWORDS)
# Line breaks are included because `base64` wraps its output at 76 columns; "=" is not, since it
# only ends a value.
_B64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_\r\n")
# The longest stretch of base64 decoded at once (sources/files.py overlaps its blocks by more).
_B64_SPAN_LIMIT = 1 << 16

# Windows tools (PowerShell's Out-File, Notepad's "Unicode") write UTF-16, which puts a NUL
# between the marker's letters in both byte orders.
UTF16_MARKER = utf16_spelling(MARKER.encode())

# Where a spelling at alignment p starts inside its 4-character group: the decoding shift follows.
_AT = (0, 2, 3)
_B64_TABLE = bytes(1 if c in _B64_CHARS else 0 for c in range(256))
# Inside a YAML block scalar or an indented blob, lines continue after a break and indentation.
_INDENT_TABLE = bytes(1 if c in _B64_CHARS or c in b" \t" else 0 for c in range(256))
# The shortest base64 spelling of a key (a 32-character key is 44 characters, "sk-" + 20 +
# marker + 20 = 51 bytes is 68): a shorter run of base64 letters cannot hold one.
_MIN_VALUE = 40
# A longer run is decoded in pieces of _B64_SPAN_LIMIT characters that overlap by more than the
# base64 spelling of the longest key (under 1 KiB), so every key lies whole in one piece.
_OVERLAP = 4 << 10
# Needle hits looked at to choose the decoding shifts; past this many, all four are tried.
_SHIFT_PROBES = 16


_DEFAULT_AT = {s: _AT[p] for kw in _B64_KEYWORDS for p, s in enumerate(base64_spellings(kw.encode("ascii")))}
# A key base64-encoded twice (a Kubernetes Secret of a base64'd `.env`): the value that holds a
# keyword's spelling spelled again (rules.base64_twice_gates) is decoded where that says; the
# engine then decodes what it decoded (engine/decoders.py).
_DEFAULT_AT.update(
    (t, _AT[p])
    for kw in _B64_KEYWORDS
    if len(kw) >= BASE64_TWICE_MIN
    for s in base64_spellings(kw.encode("ascii"))
    for p, t in enumerate(base64_spellings(s))
)


def base64_payloads(raw: bytes, at: dict[bytes, int] | None = None) -> Iterator[tuple[int, int, bytes]]:
    """Yield (start, end of the encoded value, decoded bytes) for each value holding a needle.

    `at` maps each needle to its start in its 4-character group (default: the default rules'
    keywords). Linear in `raw` whatever the number of needles: each run of base64 letters (line
    breaks and the indentation after them included) is found once, and decoded once per
    4-character alignment a needle in it needs.
    """
    at = _DEFAULT_AT if at is None else at
    for a, b in _values(raw, at):
        token = bytes(raw[a:b]).translate(None, b" \t\r\n")
        yield from ((a, b, decoded) for decoded in _decode(token, _shifts(token, at)))


def base64_value(raw: bytes, a: int, b: int) -> bytes | None:
    """The bytes one whole base64 value raw[a:b] encodes, or None (used for short values)."""
    token = raw[a:b].rstrip(b"=")
    return next(_decode(token, [0]), None)


def _decode(token: bytes, shifts: list[int]) -> Iterator[bytes]:
    alt = b"-_" if (b"-" in token or b"_" in token) else None
    # The value may be preceded by text that happens to be base64 letters ("data:"); the
    # needle's position says which alignment decodes it.
    for shift in shifts:
        part = token[shift:]
        if len(part) % 4 == 1:  # a lone trailing character encodes no byte
            part = part[:-1]
        padded = part + b"=" * (-len(part) % 4)
        try:
            yield base64.b64decode(padded, altchars=alt, validate=False)
        except (binascii.Error, ValueError):
            continue


def _values(raw: bytes, at: dict[bytes, int]) -> Iterator[tuple[int, int]]:
    """(start, end) of each run of base64 letters long enough for a key that holds a needle."""
    needles = tuple(at)
    runs = raw.translate(_B64_TABLE)
    indented: bytes | None = None
    need = b"\1" * _MIN_VALUE
    a = runs.find(need)
    while a >= 0:
        b = runs.find(b"\0", a + _MIN_VALUE)
        b = len(raw) if b < 0 else b
        if b < len(raw) and raw[b] in b" \t" and raw[b - 1] in b"\r\n":
            # A block scalar's next line: the run goes on past the indentation.
            indented = raw.translate(_INDENT_TABLE) if indented is None else indented
            end = indented.find(b"\0", b)
            b = len(raw) if end < 0 else end
        for s in range(a, b, _B64_SPAN_LIMIT - _OVERLAP):
            e = min(b, s + _B64_SPAN_LIMIT)
            # Joined: a wrapped value's line breaks may cut a needle (about one wrapped value in
            # eight puts the marker's spelling across one). One literal pass for every needle.
            if present(raw[s:e].translate(None, b" \t\r\n"), needles):
                yield s, e
            if e == b:
                break
        a = runs.find(need, b)


def short_values(raw: bytes, lengths: tuple[int, ...]) -> Iterator[tuple[int, int]]:
    """(start, end) of whole base64 values (padding included) of one of `lengths` characters."""
    runs = raw.translate(_B64_VALUE_TABLE)
    shortest = min(lengths)
    need = b"\1" * shortest
    a = runs.find(need)
    while a >= 0:
        b = runs.find(b"\0", a)
        b = len(raw) if b < 0 else b
        if b - a in lengths:
            yield a, b
        a = runs.find(need, b)


def _shifts(token: bytes, at: dict[bytes, int]) -> list[int]:
    """The 4-character alignments at which the encoded needles in `token` decode."""
    shifts: set[int] = set()
    for needle, where in at.items():
        i = token.find(needle)
        for _ in range(_SHIFT_PROBES):
            if i < 0:
                break
            shifts.add((i - where) % 4)
            i = token.find(needle, i + 1)
        else:
            return [0, 1, 2, 3]
    return sorted(shifts)


_B64_LINE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")
_B64_VALUE_TABLE = bytes(1 if c in _B64_LINE or c in b"-_" else 0 for c in range(256))


def wrapped_block(raw: bytes) -> bytes | None:
    """A file that is wrapped base64 (`base64 .env` wraps at 76 columns), joined into one line.

    The encoded marker straddles a line break in about one wrapped file in eight, where the
    literal search cannot see it; only the leading block of full-width lines (at most 1 MiB) is
    joined, a line at a time.
    """
    width = wrapped_base64_width(raw)
    if not width:
        return None
    block = []
    pos, limit = 0, min(len(raw), 1 << 20)
    while pos < limit:
        end = raw.find(b"\n", pos, limit)
        end = limit if end < 0 else end
        line = raw[pos:end].rstrip(b"\r")
        pos = end + 1
        if not line or len(line) > width or not _B64_LINE.issuperset(line):
            break
        block.append(line)
        if len(line) < width:  # the short last line ends the value
            break
    return b"".join(block) if len(block) > 1 else None


def utf16_texts(raw: bytes, pos: int) -> Iterator[tuple[int, str]]:
    """(byte offset, text) aligned on a UTF-16 needle found at `pos`, whatever the byte order.

    An ASCII letter is the letter then NUL in little-endian text and NUL then the letter in
    big-endian: read from the needle's parity as little-endian, either gives the letters. A BOM
    is no character of the first line: decoding starts after it (in big-endian text read from
    odd offsets, the BOM's second byte pairs with the first letter's NUL, so the text starts at 3).
    """
    start = pos % 2
    if raw.startswith(codecs.BOM_UTF16_LE if start == 0 else codecs.BOM_UTF16_BE):
        start += 2
    yield start, raw[start:].decode("utf-16-le", "replace")


def utf32_texts(raw: bytes, pos: int) -> Iterator[tuple[int, str]]:
    """(byte offset, text) aligned on a UTF-32 needle found at `pos`, whatever the byte order.

    An ASCII letter is the first byte of its 4-byte unit in little-endian text and the last in
    big-endian: a needle at 3 mod 4 is read as big-endian from the unit before it (how a file
    that starts at offset 0 writes it), any other as little-endian from the needle. Either gives
    the letters of ASCII text; the guess only matters to characters past U+00FF, decoded as
    U+FFFD where it is wrong (one character per unit: offsets stay 4 bytes a character). A BOM
    is no character of the first line: decoding starts after it.
    """
    big = pos % 4 == 3
    start = 0 if big else pos % 4
    if start == 0 and raw.startswith(codecs.BOM_UTF32_BE if big else codecs.BOM_UTF32_LE):
        start = 4
    yield start, raw[start:].decode("utf-32-be" if big else "utf-32-le", "replace")


_HEX_TABLE = bytes(1 if c in b"0123456789abcdefABCDEF" else 0 for c in range(256))
# The shortest run of hex digits that can hold a key: 20 characters (no key is shorter) is 40.
_MIN_HEX = 40


def hex_payloads(raw: bytes, needles: Iterable[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """Yield (start, end of the run of hex digits, decoded bytes) for each run holding a needle.

    The run is decoded from the needle's parity in it (a key's hex starts on a byte boundary,
    whatever digits the run holds before it), once per run and parity. Linear: after a hit the
    search goes on past its run, so each run is crossed once per needle.
    """
    runs = raw.translate(_HEX_TABLE)
    done: set[tuple[int, int]] = set()
    for needle in needles:
        i = raw.find(needle)
        while i >= 0:
            a = runs.rfind(b"\0", 0, i) + 1
            b = runs.find(b"\0", i)
            b = len(raw) if b < 0 else b
            shift = (i - a) % 2
            if b - a >= _MIN_HEX and (a, shift) not in done:
                done.add((a, shift))
                yield a, b, binascii.unhexlify(raw[a + shift : b - (b - a - shift) % 2])
            i = raw.find(needle, b)


# An escape of printable ASCII (what a key is made of), in each of rules.ESCAPE_FORMS: JSON/JS
# `\u00XX`, C/Python `\xXX`, percent-encoding (`%2D`, and `%252D` encoded twice over), and
# HTML's `&#NN;` and `&#xXX;`.
_ESCAPE_ONE = re.compile(
    rb"(?:\\(?:u00|x)|%(?:25)*)(?P<h>[2-7][0-9A-Fa-f])|&#(?P<d>[3-9][0-9]|1[01][0-9]|12[0-6]);|&#[xX](?P<x>[2-7][0-9A-Fa-f]);"
)


def escaped_characters(raw: bytes) -> Iterator[tuple[int, int, int]]:
    """(start, end, character) of every escape of printable ASCII in `raw` (_ESCAPE_ONE).

    Asked only of a document that holds a keyword wholly escaped (rules.escape_gates): the whole
    document is decoded, so that a key is found with its evidence escaped on another line too (a
    32-hex Azure key has no keyword of its own), as it is in the text written plain. One regex
    pass, a step per escape.
    """
    for m in _ESCAPE_ONE.finditer(raw):
        h, d = m.group("h"), m.group("d")
        yield m.start(), m.end(), int(h, 16) if h else int(d) if d else int(m.group("x"), 16)


# A YAML block scalar's header: `key: >-`, `- |`, `key: |2+` (style, chomping, indentation
# indicators in either order), a comment allowed after it.
_BLOCK_SCALAR = re.compile(r"[:-][ \t]+[>|][-+1-9]{0,2}[ \t]*(?:#[^\r\n]*)?(?:\r?\n|\Z)")
# A line break between two lines of key characters (base64's `+/=` too: webhook secrets; a JWT's
# dots), and the indentation after it.
_FOLD = re.compile(r"(?<=[A-Za-z0-9_+/=.-])\r?\n([ \t]+)(?=[A-Za-z0-9_+/=.-])")


def block_scalar_breaks(text: str, base: int = 0) -> Iterator[tuple[int, int]]:
    """(start, end) offsets (from `base`) of each line break and the indentation after it between
    two lines of key characters indented alike, in a window of text around a keyword that holds a
    YAML block scalar's header (`key: >-`, `|`): a key folded over the scalar's lines is whole
    once they are removed. Local tests only, no walk of a scalar's body: one search for a header
    and one regex pass per window."""
    if _BLOCK_SCALAR.search(text) is None:
        return
    for m in _FOLD.finditer(text):
        indent = m.group(1)
        line = text.rfind("\n", 0, m.start()) + 1  # the line before: indented alike
        if text.startswith(indent, line) and text[line + len(indent)] not in " \t":
            yield base + m.start(), base + m.end()


# A list of bytes written one at a time (rules.BYTE_FORMS): what separates two (a comma or colon
# with spaces, a line break after it, a `.reg` file's backslash continuation; spaces; a line
# break), and each kind of byte. Never empty: a run of hex digits is the hex decoder's.
_SEP = r"(?:[ \t]*[,:][ \t]*(?:\\?\r?\n[ \t]*)?|[ \t]+(?:\\?\r?\n[ \t]*)?|[ \t]*\\?\r?\n[ \t]*)"
_ELEMENTS = {
    "x": r"0[xX][0-9A-Fa-f]{2}(?![0-9A-Za-z])",  # C, Go, Java, Python, Rust: 0x73
    "c": r"""'[!-&(-\[\]-~]'|"[!#-\[\]-~]\"""",  # a character literal, 's' or "s"
    "e": r"""'\\x[0-9A-Fa-f]{2}'|"\\x[0-9A-Fa-f]{2}\"""",  # '\x73'
    "h": r"(?<![0-9A-Za-z])[0-9A-Fa-f]{2}(?![0-9A-Za-z])",  # .reg hex:, xxd -g1, 73:6b
}
_DECIMAL = r"(?<![0-9A-Za-z.])(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![0-9A-Za-z.])"
# At most 256 bytes a match: an unbounded repeat keeps a record per repetition in `re` (a 50 MB
# list took 3.7 GB); longer lists are matched in parts, and consecutive parts joined (byte_lists).
_PART = "(?:{e})(?:{sep}(?:{e})){{0,255}}"
_BYTE_RUN = re.compile("|".join(f"(?P<{k}>{_PART.format(e=e, sep=_SEP)})" for k, e in _ELEMENTS.items()))
_DECIMAL_RUN = re.compile(f"(?P<d>{_PART.format(e=_DECIMAL, sep=_SEP)})")
_SEP_WHOLE = re.compile(_SEP)
_NOT_HEX = re.compile(r"0[xX]|[^0-9A-Fa-f]")
_QUOTED = re.compile(r"""['"](.)['"]""")
_X_ESCAPE = re.compile(r"\\x([0-9A-Fa-f]{2})")
_NUMBER = re.compile(r"[0-9]+")
# A shorter list standing alone is no key's (the shortest key is 20 bytes).
_MIN_LIST = 16


def _list_bytes(kind: str, text: str) -> bytes:
    if kind in "xh":  # the digits of 0x73 (or 73), two a byte
        return bytes.fromhex(_NOT_HEX.sub("", text))
    if kind == "c":
        return "".join(_QUOTED.findall(text)).encode("latin-1")
    if kind == "e":
        return bytes.fromhex("".join(_X_ESCAPE.findall(text)))
    return bytes(int(n) for n in _NUMBER.findall(text))


def byte_lists(text: str, base: int = 0, *, decimal: bool = False) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, bytes) from `base` of the lists of bytes in `text`, a part (up to 256 bytes)
    at a time, with the separator between two parts of one list as a span of no bytes: a key
    written as `0x73, 0x6b, …`, `'s', 'k', …`, `'\\x73', …` or `73,6b,…` (with `decimal`, only
    `115, 107, …`: its digits may also be hex) is whole once they replace the list. A list whose
    every other byte is NUL is UTF-16LE text (a `.reg` file's `hex(2):73,00,6b,00`): its letters.
    One regex pass, a step per 256 bytes."""
    held: tuple[str, int, int, bytes] | None = None
    run = 0  # bytes of the list before the held part
    for m in (_DECIMAL_RUN if decimal else _BYTE_RUN).finditer(text):
        kind = m.lastgroup or ""
        data = _list_bytes(kind, m.group())
        if len(data) > 1 and not data[1::2].strip(b"\0"):
            data = data[0::2]
        if held is not None:
            if held[0] == kind and _SEP_WHOLE.fullmatch(text, held[2], m.start()):
                yield base + held[1], base + held[2], held[3]
                yield base + held[2], base + m.start(), b""
                run += len(held[3])
            else:
                if run or len(held[3]) >= _MIN_LIST:
                    yield base + held[1], base + held[2], held[3]
                run = 0
        held = (kind, m.start(), m.end(), data)
    if held is not None and (run or len(held[3]) >= _MIN_LIST):
        yield base + held[1], base + held[2], held[3]


# A hex dump's line: an offset, then bytes in groups of 1-8 (`xxd`'s 2, `xxd -g1`, `hexdump -C`,
# `od -t x1`), then two spaces and the text column (or the end of the line).
_DUMP_LINE = re.compile(
    r"(?m)^[ \t]*[0-9A-Fa-f]{4,16}:?(?P<hex>(?:[ \t]{1,2}(?:[0-9A-Fa-f]{2}){1,8})+)"
    r"(?=[ \t]{2}|[ \t]*\r?$)[^\r\n]*(?:\r?\n|\Z)"
)
_DUMP_WIDTH = 32  # bytes a dump line shows at most (xxd -c 32)


def dump_lines(text: str, base: int = 0) -> Iterator[tuple[int, int, bytes]]:
    """(start, end, bytes) from `base` of each hex dump line in `text` (`xxd`, `hexdump -C`), its
    offset, text column and line break included: a key dumped over several lines is whole once
    the lines are replaced by their bytes. One regex pass."""
    for m in _DUMP_LINE.finditer(text):
        data = bytes.fromhex(m.group("hex").replace(" ", "").replace("\t", ""))
        if len(data) <= _DUMP_WIDTH:
            yield base + m.start(), base + m.end(), data
