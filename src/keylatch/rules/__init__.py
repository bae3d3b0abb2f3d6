"""Key formats as data. `DEFAULT_RULES` is the ordered tuple the engine uses; `needles` the
literals a text must hold for any of them to match.

One module per family: openai.py (`sk-` keys), azure.py (Azure OpenAI keys), context.py (prefixes
shared with other vendors, reported next to OpenAI evidence); rule.py is the record, shape.py the
shared token shapes, examples.py the shared example texts, synthetic.py the generated keys.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Sequence

from keylatch.rules.azure import AZURE_AI_SERVICES_KEY, AZURE_OPENAI_CLASSIC_KEY, AZURE_OPENAI_KEY
from keylatch.rules.context import OPENAI_EPHEMERAL_KEY, OPENAI_SESSION_KEY, OPENAI_WEBHOOK_SECRET
from keylatch.rules.oauth import OPENAI_OAUTH_ACCESS_TOKEN, OPENAI_OAUTH_REFRESH_TOKEN
from keylatch.rules.openai import OPENAI_ADMIN_KEY, OPENAI_PROJECT_KEY, OPENAI_SERVICE_ACCOUNT_KEY, OPENAI_USER_KEY
from keylatch.rules.rule import Example, Regex, Rule

# Order matters only for ties: the first rule to claim a span wins.
DEFAULT_RULES: tuple[Rule, ...] = (
    OPENAI_ADMIN_KEY,
    OPENAI_PROJECT_KEY,
    OPENAI_SERVICE_ACCOUNT_KEY,
    OPENAI_USER_KEY,
    AZURE_OPENAI_KEY,
    AZURE_OPENAI_CLASSIC_KEY,
    OPENAI_SESSION_KEY,
    OPENAI_WEBHOOK_SECRET,
    AZURE_AI_SERVICES_KEY,
    # A default since the engine finds every keyword in one pass (prefilter.present): its keyword
    # no longer costs a pass of its own over every scanned byte (bench/README.md).
    OPENAI_EPHEMERAL_KEY,
    OPENAI_OAUTH_ACCESS_TOKEN,
    OPENAI_OAUTH_REFRESH_TOKEN,
)


def rule_by_id(rule_id: str) -> Rule:
    for rule in DEFAULT_RULES:
        if rule.id == rule_id:
            return rule
    raise KeyError(rule_id)


def base64_spellings(literal: bytes) -> tuple[bytes, ...]:
    """`literal` as it appears inside a base64-encoded value, at each of the three byte alignments.

    With p bytes before it, the literal covers bits [8p, 8p+8n): keep the characters whose six
    bits all lie inside it (equal to encoded.BASE64_MARKERS for the marker; tests/test_prefilter.py).
    """
    n = 8 * len(literal)
    return tuple(base64.b64encode(b"\0" * p + literal)[-(-8 * p // 6) : (8 * p + n) // 6] for p in range(3))


def utf16_spelling(literal: bytes) -> bytes:
    """`literal` as UTF-16 writes it in either byte order, without the outer NULs."""
    return b"\0".join(literal[i : i + 1] for i in range(len(literal)))


def utf32_spelling(literal: bytes) -> bytes:
    """`literal` as UTF-32 writes it in either byte order, without the outer NULs: three NULs
    between its letters (as long literals, cheap for the one pass: bench/README.md)."""
    return b"\0\0\0".join(literal[i : i + 1] for i in range(len(literal)))


def hex_spellings(literal: bytes) -> tuple[bytes, ...]:
    """`literal` as hex digits write it (`bytes.hex()`, `xxd -p`, a hex-dumped `.env`), in lower
    and upper case: a key written in hex holds one at an even offset of its run of digits."""
    return tuple(sorted({literal.hex().encode("ascii"), literal.hex().upper().encode("ascii")}))


@functools.lru_cache(maxsize=16)
def hex_gates(rules: tuple[Rule, ...] = DEFAULT_RULES) -> tuple[bytes, ...]:
    """The hex spellings of the keywords that start the hex decoder (engine/__init__.py), sorted.

    Only keywords of BASE64_GATE_MIN bytes or more: `ek_` in hex is 6 digits (`656b5f`), met by
    chance in hashes and hex dumps often enough to hand their blobs to the engine for nothing.
    """
    words = {kw for r in rules for kw in r.keyword_bytes if len(kw) >= BASE64_GATE_MIN}
    return tuple(sorted({s for kw in words for s in hex_spellings(kw)}))


# Every escape a keyword may be written in whole (escape_spellings): JSON/JS `\\u00XX`, C/Python
# `\\xXX`, percent-encoding, and HTML's numeric entities, decimal and hex (an `<input value>`
# written by a template engine), in lower and upper case hex. prefilter.py spells them too.
ESCAPE_FORMS = (b"\\u%04x", b"\\u%04X", b"\\x%02x", b"\\x%02X", b"%%%02x", b"%%%02X", b"&#%d;", b"&#x%x;", b"&#x%X;")


def escape_spellings(literal: bytes) -> tuple[bytes, ...]:
    """`literal` with every character escaped in each of ESCAPE_FORMS (a whole key escaped holds
    one; one escape inside a keyword leaves a half whole instead, `Rule.keyword_parts`)."""
    return tuple(sorted({b"".join(form % c for c in literal) for form in ESCAPE_FORMS}))


@functools.lru_cache(maxsize=16)
def escape_gates(rules: tuple[Rule, ...] = DEFAULT_RULES) -> tuple[bytes, ...]:
    """Every keyword wholly escaped (`escape_spellings`), sorted: what starts the decoder of runs
    of escapes (engine/__init__.py). Even `ek_` escaped is 12-18 bytes that only escaped text holds."""
    return tuple(sorted({s for r in rules for kw in r.keyword_bytes for s in escape_spellings(kw)}))


# A byte list (engine/decoders.py bytes_pieces): (one byte's spelling, what joins two) for a C/Go/
# Java/Python `0x73, 0x6b`, C's and Java's char arrays `'s', 'k'` and `'\\x73'`, JS and Python
# `["s", "k"]`, decimal `115, 107` (Java's byte[], `bytes([...])`, Uint8Array), a `.reg` file's
# `hex:73,6b` and `hex(2):73,00,6b,00` (UTF-16LE), `xxd -g1` / `hexdump -C` / openssl's
# `73:6b`. prefilter.py spells them too.
BYTE_FORMS: tuple[tuple[bytes, bytes], ...] = (
    (b"0x%02x", b", "),
    (b"0x%02x", b","),
    (b"0x%02X", b", "),
    (b"0x%02X", b","),
    (b"'%c'", b", "),
    (b"'%c'", b","),
    (b'"%c"', b", "),
    (b"'\\x%02x'", b", "),
    (b"%d", b", "),
    (b"%d", b","),
    (b"%02x", b","),
    (b"%02x,00", b","),
    (b"%02x", b" "),
    (b"%02X", b" "),
    (b"%02x", b":"),
)


def byte_spellings(literal: bytes) -> tuple[bytes, ...]:
    """`literal` written as a list of its bytes in each of BYTE_FORMS."""
    return tuple(sorted({join.join(form % c for c in literal) for form, join in BYTE_FORMS}))


@functools.lru_cache(maxsize=16)
def byte_gates(rules: tuple[Rule, ...] = DEFAULT_RULES) -> tuple[bytes, ...]:
    """The anchored rules' keywords of BASE64_GATE_MIN bytes or more written as byte lists
    (`byte_spellings`), as their halves where both have 4 bytes (`T3Bl`, `bkFJ`: a list wrapped
    over lines keeps one whole), sorted: what starts the byte-list decoder (engine/decoders.py)."""
    words: set[bytes] = set()
    for r in rules:
        if not r.anchored:
            continue
        for kw in r.keyword_bytes:
            parts = [p.encode("ascii") for p in r.keyword_parts if p in kw.decode("ascii")]
            if len(parts) == 2 and all(len(p) >= BASE64_GATE_MIN for p in parts):
                words.update(parts)
            elif len(kw) >= BASE64_GATE_MIN:
                words.add(kw)
    return tuple(sorted({s for w in words for s in byte_spellings(w)}))


# The keywords whose base64 spelling is itself looked for in base64 (a key base64-encoded twice:
# a Kubernetes Secret of a base64'd `.env`): 6 bytes or more, so each of the nine spellings
# (three alignments of three) is 8 characters or more.
BASE64_TWICE_MIN = 6


@functools.lru_cache(maxsize=16)
def base64_twice_gates(rules: tuple[Rule, ...] = DEFAULT_RULES) -> tuple[bytes, ...]:
    """The base64 spellings of the base64 spellings of the keywords of keys that hold them
    (anchored rules and rules marked `base64`), sorted: a value that holds one is decoded, then
    its decoded base64 again (encoded.base64_payloads, engine/decoders.py)."""
    words = {kw for r in rules if r.anchored or r.base64 for kw in r.keyword_bytes if len(kw) >= BASE64_TWICE_MIN}
    return tuple(sorted({_gate(t) for kw in words for s in base64_spellings(kw) for t in base64_spellings(s)}))


# A keyword's base64 spelling gates the base64 decoder only when it has at least this many bytes:
# a 3-byte keyword (`ek_`) is 3-4 base64 characters, which any long base64 value holds somewhere.
BASE64_GATE_MIN = 4


@functools.lru_cache(maxsize=16)
def base64_gates(rules: tuple[Rule, ...] = DEFAULT_RULES) -> tuple[bytes, ...]:
    """The base64 spellings (every alignment) of the keywords a decoded value must hold, sorted.

    A key that holds its keyword (every rule that is anchored, or marked `base64`) holds the
    keyword's base64 spelling once the key is base64-encoded, wherever the value is in a file:
    one of these (halved, `_halves`) in a text starts the base64 decoder. The 32-hex Azure key
    has no keyword of its own, but its rule needs `zure`/`ZURE` in the text (its evidence and
    most names, `AZURE_OPENAI_API_KEY`): a base64'd `.env` or `appsettings.json` holds their
    spellings (5 and 4 characters, kept whole). Its own base64 value next to its name in plain
    text is found by its length (engine/decoders.py).
    """
    words = {
        kw
        for r in rules
        if r.anchored or r.base64 or r.run_length
        for kw in r.keyword_bytes
        if len(kw) >= BASE64_GATE_MIN
    }
    return tuple(sorted({half for kw in words for s in base64_spellings(kw) for half in _halves(_gate(s))}))


def _halves(spelling: bytes) -> tuple[bytes, ...]:
    """The spelling's first and last ceil(n/2) characters: whichever line a wrapped value's
    break leaves the longer part of the spelling on holds one of them whole, so a spelling
    that straddles a line break anywhere in a file still starts the decoder (encoded._values
    then looks in the value joined). Spellings shorter than 8 (`sess-`) keep their 3-character
    halves out of the one pass: such needles match too much code (docs/scan.md)."""
    h = -(-len(spelling) // 2)
    return (spelling[:h], spelling[len(spelling) - h :]) if h >= _HALF_MIN else (spelling,)


_HALF_MIN = 4


# A spelling longer than this loses its last character (still 66 bits or more: never met by
# chance). The literal pass's cost depends on the needles' last bytes: measured on code (bench/
# engine_bench.py's corpus), the JWT header's whole spellings (ending `a`, `2`, `p`) made it 20%
# slower, the same less their last character 4%. A gate only starts the decoder, which then looks
# for the whole spellings (encoded.BASE64_NEEDLES), so a shorter gate finds no less.
_GATE_LONGEST = 10


def _gate(spelling: bytes) -> bytes:
    return spelling[:-1] if len(spelling) > _GATE_LONGEST else spelling


def needles(rules: Sequence[Rule] = DEFAULT_RULES) -> tuple[bytes, ...]:
    """Every literal a rule needs, sorted: a text without any of them cannot hold a key.

    The rules' keywords and their halves (`Rule.keyword_parts`), the base64 gates
    (`base64_gates`), every keyword as UTF-16 and as UTF-32 write it (the engine decodes
    UTF-16 or UTF-32 text around any of them), the hex gates (`hex_gates`) and every keyword
    wholly escaped (`escape_gates`). Cached: the engine asks once per chunk.
    """
    return _needles(tuple(rules))


@functools.lru_cache(maxsize=16)
def _needles(rules: tuple[Rule, ...]) -> tuple[bytes, ...]:
    out = {kw for r in rules for kw in r.keyword_bytes}
    out.update(p.encode("ascii") for r in rules for p in r.keyword_parts)
    out.update(base64_gates(rules))
    out.update(utf16_spelling(kw) for r in rules for kw in r.keyword_bytes)
    out.update(utf32_spelling(kw) for r in rules for kw in r.keyword_bytes)
    out.update(hex_gates(rules))
    out.update(escape_gates(rules))
    out.update(byte_gates(rules))
    out.update(base64_twice_gates(rules))
    return tuple(sorted(out))


__all__ = [
    "DEFAULT_RULES",
    "Example",
    "Regex",
    "Rule",
    "BYTE_FORMS",
    "base64_gates",
    "base64_spellings",
    "base64_twice_gates",
    "byte_gates",
    "byte_spellings",
    "escape_gates",
    "escape_spellings",
    "hex_gates",
    "hex_spellings",
    "needles",
    "rule_by_id",
    "utf16_spelling",
    "utf32_spelling",
]
