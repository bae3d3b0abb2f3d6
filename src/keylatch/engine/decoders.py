"""Where a document holds an encoded spelling of something, as views.Piece records.

Each decoder is gated by literals the scan has already looked for or that a memchr finds: base64
by the rules' keywords in base64 (rules.base64_gates), escapes and joins by a rule keyword in
the plain text plus the escape's introducer (`\\`, `%`, `&`) or a quote, and then only in the
windows around the keyword hits.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Sequence

from keylatch.encoded import base64_payloads, base64_value, byte_lists, dump_lines, short_values, wrapped_block
from keylatch.engine.matching import REACH, Scan
from keylatch.engine.views import Piece, in_order, start_of
from keylatch.rules import Rule


def base64_pieces(scan: Scan, rules: Sequence[Rule]) -> Iterator[Piece]:
    """The base64 values that may hold a key, decoded, in order of start (several at one start:
    a value at each alignment a needle in it needs), one at a time."""
    raw = scan.doc.raw
    data = raw if isinstance(raw, bytes) else raw.encode("latin-1", "replace")
    streams: list[Iterable[Piece]] = []
    # Every key that holds its keyword holds the keyword's base64 spelling once encoded, so
    # those spellings (rules.base64_gates) are looked for everywhere, in the scan's one literal
    # pass; once a value is decoded, every rule is looked for in it.
    gates = scan.gates
    if any(scan.has_literal(n) for n in gates.base64) or any(scan.has_literal(n) for n in gates.base64_twice):
        streams.append(_nested(Piece(a, b, decoded) for a, b, decoded in base64_payloads(data)))
    if isinstance(raw, bytes):
        block = wrapped_block(raw)
        decoded = base64_value(block, 0, len(block)) if block is not None else None
        if decoded is not None:  # a wrapped base64 file: decoded whole, whatever it holds
            streams.append(_nested((Piece(0, 0, decoded),)))
    # A key that holds no keyword (the 32-hex Azure key) is found in its own base64 value, next
    # to its name, where its rule's keyword is in the plain text.
    lengths = {n for r in rules if r.run_length and scan.any(r) for n in _encoded_lengths(r.run_length)}
    if lengths:
        streams.append(_short_pieces(data, tuple(sorted(lengths))))
    # Not views.in_order: every piece at a start is kept (merge is stable, as sorted() was).
    return heapq.merge(*streams, key=start_of)


# Base64 inside base64 decoded this many times more (a Kubernetes Secret of a base64'd `.env`
# is twice; a Secret of that, thrice).
_NESTED = 2


def _nested(pieces: Iterable[Piece], depth: int = _NESTED) -> Iterator[Piece]:
    """Each piece, then the base64 values inside what it decoded (at its start, as a value's
    several alignments are), to `depth` levels: each level is gated like the document
    (encoded.base64_payloads decodes only a value that holds a keyword's spelling)."""
    for p in pieces:
        yield p
        if depth and len(p.data) >= 40:
            yield from _nested((Piece(p.start, p.end, d) for _, _, d in base64_payloads(p.data)), depth - 1)


def _short_pieces(data: bytes, lengths: tuple[int, ...]) -> Iterator[Piece]:
    for a, b in short_values(data, lengths):
        decoded = base64_value(data, a, b)
        if decoded is not None:
            yield Piece(a, b, decoded)


def _encoded_lengths(n: int) -> tuple[int, ...]:
    """Characters of base64 for n bytes, or n + 1 (`echo key | base64`), padded or not."""
    return tuple({-(-4 * m // 3) for m in (n, n + 1)} | {4 * -(-m // 3) for m in (n, n + 1)})


# JSON/JS `\uXXXX`, Python/JS/C `\xNN` and octal `\NNN`, percent-encoding (`%252D`, encoded twice
# over as a URL inside a URL's query, too), HTML entities, and
# JSON's `\/`: PHP's json_encode (and so Laravel's cached config) writes every `/` that way,
# and a webhook secret is base64 (tests/e2e/test_qa18_json_slash.py).
_ESCAPE = re.compile(
    r"\\u(?P<u>[0-9A-Fa-f]{4})|\\x(?P<x>[0-9A-Fa-f]{2})|\\(?P<o>[0-7]{3})|%(?:25)*(?P<p>[0-9A-Fa-f]{2})"
    r"|&#(?P<d>[0-9]{1,7});|&#[xX](?P<h>[0-9A-Fa-f]{1,6});|&(?P<n>[A-Za-z][A-Za-z0-9]{1,15});|\\(?P<s>/)"
)
_BASES = {"u": 16, "x": 16, "o": 8, "p": 16, "d": 10, "h": 16}
# What an escape may stand for inside a key: a printable ASCII character other than a space.
_KEY_CHARS = frozenset(range(0x21, 0x7F))


def escape_pieces(scan: Scan, rules: Sequence[Rule]) -> Iterator[Piece]:
    """The escapes of key characters in the windows around keywords, in order of start, one
    at a time: a document dense with escapes holds no record per escape (views.in_order)."""
    raw = scan.doc.raw
    intro = (b"\\", b"%", b"&") if isinstance(raw, bytes) else ("\\", "%", "&")
    # The keyword test is cached from the plain scan: clean text pays nothing here.
    if not _has_keyword(scan, rules, long=True) or not any(c in raw for c in intro):  # type: ignore[operator]
        return iter(())
    # The kinds of windows may overlap: at a start, the first kind's escape is kept.
    return in_order(*(_escapes(group) for group in _keyword_windows(scan, rules, long=True)))


def _escapes(windows: Iterator[tuple[int, str]]) -> Iterator[Piece]:
    for base, text in windows:
        for m in _ESCAPE.finditer(text):
            group = m.lastgroup or ""
            value = m.group(group)
            code = _entity(value) if group == "n" else ord(value) if group == "s" else int(value, _BASES[group])
            if code in _KEY_CHARS:
                yield Piece(base + m.start(), base + m.end(), BYTES[code])


# One bytes object a character, shared by every escape of it.
BYTES = tuple(bytes((c,)) for c in range(256))


# The end of one string literal and the start of the next, either quote (shell's `"…"'…'`):
# adjacent literals (Python, C), `+` (JS, Java, Python, PowerShell), `.` (PHP), `..` (Lua), `&`
# (VB), `||` (SQL), `,` (Rust's `concat!`, C#'s `string.Concat`, `[…].join("")`), across line
# breaks, line continuations (`\` shell/C/TOML, a backtick PowerShell) and end-of-line comments
# (`#`, `//`) too; a quote escaped inside a JSON string (`\"`, a notebook's source) with `\n`
# for its line break and `", "` between a notebook's source lines. Then a backslash-newline with
# the indentation after it, and quoted-printable's soft line break (mail: `=` ends a line of 76,
# the width every encoder wraps at; a `whsec_` key's `=` ends shorter lines, or this one by chance).
# The gaps between separators are spaces only, so no two ways of matching the same gap exist.
_QUOTE = r"""\\?["']"""
_SEPARATOR = r"""(?:\\?\r?\n|`\r?\n|\\[nr]|(?:\#|//)[^\r\n"']*(?=\r?\n)|"[ \t]*,\s*"|\|\||[+&,]|\.\.?)"""
# A literal that a `:` follows is a mapping's key (`"rt_…", "access_token": …`), not a part.
_NOT_A_NAME = r"""(?![^"'\r\n]*\\?["'][ \t]*:)"""
_JOIN = re.compile(
    rf"{_QUOTE}[ \t]*(?:{_SEPARATOR}[ \t]*){{0,8}}{_QUOTE}{_NOT_A_NAME}|\\\r?\n[ \t]*|(?m:(?<=^[^\r\n]{{75}})=\r?\n)"
)


def _entity(name: str) -> int:
    import html.entities  # here: only a window with a named entity near a keyword needs the table

    text = html.entities.html5.get(name + ";", "")
    return ord(text) if len(text) == 1 else -1


def join_pieces(scan: Scan, rules: Sequence[Rule]) -> Iterator[Piece]:
    """The joins in the windows around keywords, in order of start, one at a time."""
    raw = scan.doc.raw
    quotes = (b'"', b"'", b"\\", b"=\n") if isinstance(raw, bytes) else ('"', "'", "\\", "=\n")
    if not _has_keyword(scan, rules, long=True) or not any(c in raw for c in quotes):  # type: ignore[operator]
        return iter(())
    return in_order(*(_joins(group) for group in _keyword_windows(scan, rules, long=True)))


def _joins(windows: Iterator[tuple[int, str]]) -> Iterator[Piece]:
    for base, text in windows:
        for m in _JOIN.finditer(text):
            yield Piece(base + m.start(), base + m.end(), b"")


def _has_keyword(scan: Scan, rules: Sequence[Rule], *, long: bool = False) -> bool:
    return _whole(scan, rules) or any(
        scan.has(k) for r in rules if r.anchored or (long and r.key_reach) for k in _gating(r)
    )


def _whole(scan: Scan, rules: Sequence[Rule]) -> bool:
    """Whether the whole document is decoded: a 32-hex Azure key has no keyword of its own to
    put a window around, so escapes and joins are decoded everywhere in a file that shows its
    rule's keyword and Azure OpenAI evidence written plain (both already found by the plain
    scan); the view is then judged by the same evidence, name and owner tests as plain text."""
    return any(r.run_length and scan.any(r) and scan.evidence(r) for r in rules)


def _gating(rule: Rule) -> tuple[str, ...]:
    """A rule's keywords and their halves: an escape or a split inside the keyword leaves one
    half whole (Rule.keyword_parts), and the one literal pass has looked for both."""
    return (*rule.keywords, *rule.keyword_parts)


def _keyword_windows(scan: Scan, rules: Sequence[Rule], *, long: bool = False) -> list[Iterator[tuple[int, str]]]:
    """(offset, text) of the merged windows around the keywords of the self-identifying rules,
    and with `long`, of the rules whose keys start at their keyword and run up to `key_reach`
    past it (a JWT: its signature's length is its algorithm's and key size's, so a literal joined
    after a whole token is cut off again by the rule, rules/oauth.py): one stream per kind, each
    in order and without overlaps (the kinds may overlap one another)."""
    if _whole(scan, rules):
        return [iter(((0, scan.full()),))]
    groups: list[Iterator[tuple[int, str]]] = []
    keywords = tuple(sorted({k for r in rules if r.anchored for k in _gating(r)}))
    if any(scan.has(k) for k in keywords):
        groups.append((w.base, w.text) for w in scan.windows(keywords, REACH, key_starts=True))
    if long:
        groups.extend(
            ((w.base, w.text) for w in scan.windows(_gating(r), r.key_reach))
            for r in rules
            if r.key_reach and not r.anchored and any(scan.has(k) for k in _gating(r))
        )
    return groups


# How far a byte list reaches around a keyword's spelling in it: a key starts at most 82 bytes
# before its keyword and ends 74 after it, and a byte takes at most 8 characters (`'\\x73', `)
# and a line break now and then.
BYTES_REACH = 1600


def byte_pieces(scan: Scan, *, decimal: bool = False) -> Iterator[Piece]:
    """Lists of bytes (encoded.byte_lists) in the windows around a keyword written as one
    (rules.byte_gates, found by the one pass), in order of start, one at a time; with `decimal`,
    decimal lists only (their digits may read as hex too: a view of their own)."""
    found = tuple(sorted(n.decode("latin-1") for n in scan.gates.byte_lists if scan.has_literal(n)))
    # Each view only where a needle of its kind is (a decimal needle is digits, commas, spaces).
    if not any(_is_decimal(n) == decimal for n in found):
        return iter(())
    return (
        Piece(a, b, data)
        for w in scan.windows(found, BYTES_REACH)
        for a, b, data in byte_lists(w.text, w.base, decimal=decimal)
    )


def _is_decimal(needle: str) -> bool:
    return not needle.strip("0123456789, ")


def dump_pieces(scan: Scan) -> Iterator[Piece]:
    """Hex dump lines (encoded.dump_lines) in the windows around the keywords and their halves:
    a dump's text column shows a keyword's half whole (16 bytes a line, a keyword 6-8), so the
    escape and join decoders' windows (cached by the scan) hold the dump of every key."""
    folds = scan.gates.folds
    if not any(scan.has(k) for k in folds):
        return iter(())
    return (
        Piece(a, b, data)
        for w in scan.windows(folds, REACH, key_starts=True)
        for a, b, data in dump_lines(w.text, w.base)
    )
