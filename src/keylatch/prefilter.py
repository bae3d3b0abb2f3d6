"""The engine's literal prefilter, importable without the rules: can these bytes hold a key?

`engine.scan` with the default rules finds nothing in data that contains none of these bytes:
every rule needs one of its keywords, base64 decoding starts only at a keyword's base64
spelling (hex decoding at its hex spelling, a run of escapes at it wholly escaped), and UTF-16 /
UTF-32 decoding only at a keyword with 1 / 3 NULs between its letters; a file that is wrapped
base64 (its first line 60-120 base64 characters) is always passed on. The pre-commit hook checks
this first, so a clean commit never pays for importing and compiling the rules (about half of the
hook's startup). tests/test_prefilter.py proves the list equals `keylatch.rules.needles()`, and
that whatever the engine finds passes this test. Custom rule sets must not use this shortcut.

`present` is the one literal pass the engine, this prefilter and history's Python fallback share:
Hyperscan finds every needle in one pass over the bytes (1.5-2 GB/s for the 27 needles here,
against 0.09 GB/s for 27 `in` tests, bench/README.md). Hyperscan is a dependency where it has
wheels; without it (another platform, a CPU it refuses) the same answer comes from one `in` test
per needle, slower and identical.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

TYPE_CHECKING = False  # not typing's: importing typing costs the pre-commit hook ~2.6 ms
if TYPE_CHECKING:  # imported only when a document is large enough to pay for it
    import re

    import hyperscan

KEYWORDS: tuple[bytes, ...] = (
    b"T3BlbkFJ",  # OpenAI keys: base64("OpenAI")
    b"JQQJ99",  # Azure OpenAI 84-character keys
    b"zure", b"ZURE",  # Azure OpenAI classic keys need Azure (or AZURE) context
    b"sess-",
    b"whsec_",
    b"ek_",  # Realtime client secrets
    b"eyJhbGciOi",  # a JWT header (ChatGPT / Codex OAuth tokens)
    # Rule.keyword_parts: an escape or a split inside a keyword leaves one half whole
    b"T3Bl", b"bkFJ", b"JQQ", b"J99", b"eyJhb", b"GciOi",
    # rules.base64_gates: each self-identifying keyword inside a base64 value, at each alignment,
    # as the first and last halves of its spelling (a spelling across a line break keeps one whole)
    b"VDNCb", b"GJrRk", b"QzQmx", b"ia0ZK", b"UM0Js", b"YmtGS",  # T3BlbkFJ
    b"SlFR", b"Sjk5", b"pRUU", b"Uo5O", b"KUVF", b"FKOT",  # JQQJ99
    b"c2Vzcy", b"Nlc3Mt", b"zZXNzL",  # sess- (whole: its halves would be 3 characters)
    b"d2hz", b"ZWNf", b"doc2", b"2VjX", b"3aHN", b"NlY1",  # whsec_
    b"ZXlKaG", b"JHY2lP", b"V5Smhi", b"iR2NpT", b"leUpoY", b"kdjaU9",  # eyJhbGciOi, a JWT header
    b"enVyZ", b"p1cm", b"6dXJl", b"WlVSR", b"pVUk", b"aVVJF",  # zure, ZURE: the 32-hex key's Azure context
    # encoded.UTF16_NEEDLES: every keyword as UTF-16 (either byte order) writes it
    b"T\0" b"3\0" b"B\0" b"l\0" b"b\0" b"k\0" b"F\0" b"J",
    b"J\0" b"Q\0" b"Q\0" b"J\0" b"9\0" b"9",
    b"z\0" b"u\0" b"r\0" b"e", b"Z\0" b"U\0" b"R\0" b"E",
    b"s\0" b"e\0" b"s\0" b"s\0" b"-",
    b"w\0" b"h\0" b"s\0" b"e\0" b"c\0" b"_",
    b"e\0" b"k\0" b"_",
    b"e\0" b"y\0" b"J\0" b"h\0" b"b\0" b"G\0" b"c\0" b"i\0" b"O\0" b"i",
    # encoded.UTF32_NEEDLES: every keyword as UTF-32 (either byte order) writes it
    b"T\0\0\0" b"3\0\0\0" b"B\0\0\0" b"l\0\0\0" b"b\0\0\0" b"k\0\0\0" b"F\0\0\0" b"J",
    b"J\0\0\0" b"Q\0\0\0" b"Q\0\0\0" b"J\0\0\0" b"9\0\0\0" b"9",
    b"z\0\0\0" b"u\0\0\0" b"r\0\0\0" b"e", b"Z\0\0\0" b"U\0\0\0" b"R\0\0\0" b"E",
    b"s\0\0\0" b"e\0\0\0" b"s\0\0\0" b"s\0\0\0" b"-",
    b"w\0\0\0" b"h\0\0\0" b"s\0\0\0" b"e\0\0\0" b"c\0\0\0" b"_",
    b"e\0\0\0" b"k\0\0\0" b"_",
    b"e\0\0\0" b"y\0\0\0" b"J\0\0\0" b"h\0\0\0" b"b\0\0\0" b"G\0\0\0" b"c\0\0\0" b"i\0\0\0" b"O\0\0\0" b"i",
    # rules.hex_gates: the keywords of 4 bytes or more in hex digits, lower and upper case
    b"5433426c626b464a", b"5433426C626B464A", b"4a51514a3939", b"4A51514A3939",
    b"7a757265", b"7A757265", b"5a555245", b"5A555245", b"736573732d", b"736573732D",
    b"77687365635f", b"77687365635F", b"65794a68624763694f69", b"65794A68624763694F69",
    # rules.escape_gates: every keyword wholly escaped, `\u00XX`, `\xXX`, `%XX` in either case and
    # `&#NN;`, `&#xXX;` (literals of 9-60 bytes, built here rather than spelled out; duplicates,
    # where a keyword's hex digits have no letter, are dropped)
    *dict.fromkeys(
        b"".join(form % c for c in word)
        for word in (b"T3BlbkFJ", b"JQQJ99", b"zure", b"ZURE", b"sess-", b"whsec_", b"ek_", b"eyJhbGciOi")
        for form in (
            b"\\u%04x", b"\\u%04X", b"\\x%02x", b"\\x%02X", b"%%%02x", b"%%%02X", b"&#%d;", b"&#x%x;", b"&#x%X;"
        )
    ),
    # rules.byte_gates: the anchored keywords (T3BlbkFJ as its halves) written as byte lists,
    # `0x54, 0x33`, `'T', '3'`, `84, 51`, a `.reg` file's `54,00,33,00`, `54 33`, `54:33`
    *dict.fromkeys(
        join.join(form % c for c in word)
        for word in (b"T3Bl", b"bkFJ", b"JQQJ99", b"sess-", b"whsec_")
        for form, join in (
            (b"0x%02x", b", "), (b"0x%02x", b","), (b"0x%02X", b", "), (b"0x%02X", b","),
            (b"'%c'", b", "), (b"'%c'", b","), (b'"%c"', b", "), (b"'\\x%02x'", b", "),
            (b"%d", b", "), (b"%d", b","), (b"%02x", b","), (b"%02x,00", b","),
            (b"%02x", b" "), (b"%02X", b" "), (b"%02x", b":"),
        )
    ),
    # rules.base64_twice_gates: T3BlbkFJ, JQQJ99, whsec_, eyJhbGciOi base64-encoded twice, at
    # every alignment of both encodings (nine spellings each)
    b"BSVVVvNU", b"F6UW14aWEwW", b"LVVZGS09U", b"M2FITmxZM", b"NhSE5sWT", b"NsRlJTams1",
    b"QyaHpaV05m", b"RelFteGlhMFp", b"RvYzJWal", b"S1VWRktPV", b"TbEZSU2prN", b"U2xGUlNqaz",
    b"UXpRbXhpYTBa", b"VNMEpzWW10R", b"VTTBKc1ltdEd", b"VU0wSnNZbXRH", b"VjVTbWhpUjJOcFQ", b"VkROQ2JHSnJS",
    b"WNVNtaGlSMk5wV", b"WRE5DYkdKclJ", b"WlhsS2FHSkhZMmxQ", b"Y1U21oaVIyTnBU", b"ZDJoelpXTm", b"ZETkNiR0pyU",
    b"ZG9jMlZqW", b"aWGxLYUdKSFkybFB", b"bGVVcG9Za2RqYVU5", b"cFJVVW81T", b"kMmh6WldOZ", b"kb2MyVmpY",
    b"pYbEthR0pIWTJsU", b"sZVVwb1lrZGphVTl", b"tVVkZLT1", b"wUlVVbzVP", b"xlVXBvWWtkamFVO", b"zYUhObFkx",
)  # fmt: skip

# The hook's staged files are small: below this size the `in` tests cost less than importing
# Hyperscan and compiling the needles (about 3 ms, bench/README.md), so a clean commit of
# ordinary files never imports it.
HOOK_ONE_PASS_MIN = 64 << 10

_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def may_hold_key(data: bytes) -> bool:
    return bool(present(data, KEYWORDS, HOOK_ONE_PASS_MIN)) or wrapped_base64_width(data) > 0


def present(data: bytes, needles: tuple[bytes, ...], min_size: int = 0) -> frozenset[bytes]:
    """Which of `needles` occur in `data`: one Hyperscan pass when `data` has `min_size` bytes."""
    if len(data) >= min_size and data:
        database = _database(needles)
        if database is not None:
            return _one_pass(database, data, needles)
    return _grouped(data, needles)


def present_each(data: bytes, needles: tuple[bytes, ...]) -> frozenset[bytes]:
    """One `in` test (a search in C) per needle: the definition the faster paths are proven equal
    to (tests/test_prefilter.py)."""
    return frozenset(n for n in needles if n in data)


def _grouped(data: bytes, needles: tuple[bytes, ...]) -> frozenset[bytes]:
    """`present_each`, with needles tested only after a necessary condition they share: the hook's
    fallback below HOOK_ONE_PASS_MIN. An `in` test costs about len(data) / len(needle), so the many
    short, digit-and-space needles of byte lists and hex (`54 33 42 6c`) cost most (8 KB of code:
    ~530 us for the 260 needles one at a time). Case variants (`0x4a`, `0x4A`) are looked for once
    in the lower-cased data, and variants sharing their first two lower-cased bytes (`0x`, `\\u`,
    `&#`, `54`) after that pair: a needle is in `data` only if its lower-cased self, and so its
    prefix, is in `data.lower()`. Groups of one are tested directly."""
    lower = data.lower()
    found: list[bytes] = []
    for prefix, folds in _groups(needles):
        if prefix and prefix not in lower:
            continue
        for fold, variants in folds:
            if len(variants) == 1:
                if variants[0] in data:
                    found.append(variants[0])
            elif fold in lower:
                found.extend(n for n in variants if n in data)
    return frozenset(found)


# A prefix shared by fewer lower-cased needles than this is no guard: its own test costs as much.
_GROUP_MIN = 4


@functools.lru_cache(maxsize=16)
def _groups(needles: tuple[bytes, ...]) -> tuple[tuple[bytes, tuple[tuple[bytes, tuple[bytes, ...]], ...]], ...]:
    """(prefix, ((lower-cased needle, its case variants), ...)): the needles by their lower-cased
    spelling, then those by its first two bytes; an empty prefix holds the ungrouped ones."""
    folds: dict[bytes, list[bytes]] = {}
    for n in needles:
        folds.setdefault(n.lower(), []).append(n)
    by_prefix: dict[bytes, list[tuple[bytes, tuple[bytes, ...]]]] = {}
    for fold, variants in folds.items():
        by_prefix.setdefault(fold[:2], []).append((fold, tuple(variants)))
    ungrouped = tuple(f for group in by_prefix.values() if len(group) < _GROUP_MIN for f in group)
    grouped = tuple((prefix, tuple(group)) for prefix, group in by_prefix.items() if len(group) >= _GROUP_MIN)
    return ((b"", ungrouped), *grouped)


def _one_pass(database: hyperscan.Database, data: bytes, needles: tuple[bytes, ...]) -> frozenset[bytes]:
    import hyperscan

    found: set[int] = set()
    # A scratch space per call (about 1 us): the database's own would be shared by threads.
    # SINGLEMATCH reports each needle once, so the callbacks are bounded by the needle count
    # however often a needle repeats (a file of `ek_ek_ek_...` costs one callback).
    database.scan(data, match_event_handler=_record, context=found, scratch=hyperscan.Scratch(database))
    return frozenset(needles[i] for i in found)


def _record(needle: int, start: int, end: int, flags: int, found: object) -> None:
    assert isinstance(found, set)  # the context _one_pass passes
    found.add(needle)


def compiled(needles: tuple[bytes, ...]) -> hyperscan.Database | None:
    """The Hyperscan database of `needles` (compiled once per set), or None without Hyperscan or
    where it refuses the CPU: history's readers gate their streams with it too (history/hsgate.py)."""
    return _database(needles)


@functools.lru_cache(maxsize=16)
def _database(needles: tuple[bytes, ...]) -> hyperscan.Database | None:
    """The needles compiled once per set (a constant, like a compiled regex), or None without Hyperscan."""
    return _compile([_literal(n) for n in needles])


def _literal(needle: bytes) -> bytes:
    # Each byte written as \xNN: the needles hold NULs (UTF-16), which end a C pattern string.
    return b"".join(b"\\x%02x" % c for c in needle)


def compiled_starts(needles: tuple[bytes, ...]) -> hyperscan.Database | None:
    """`compiled(needles)`, but with `ek_` matched only where the Realtime rule may start a key
    (EK_START) and `zure`/`ZURE` only as Azure OpenAI evidence (AZURE_EVIDENCE), or None without
    Hyperscan: history's readers gate git's object stream with it (history/hsgate.py), so that
    C's `lseek_` and a doc's "Azure Pipelines" send no blob to the engine. Needle ids are their
    places in `needles`, as in `compiled`."""
    return _starts_database(needles)


@functools.lru_cache(maxsize=4)
def _starts_database(needles: tuple[bytes, ...]) -> hyperscan.Database | None:
    patterns = [_STARTS.get(n, (_literal(n), False)) for n in needles]
    return _compile([p for p, _ in patterns], [caseless for _, caseless in patterns])


def _compile(patterns: list[bytes], caseless: list[bool] | None = None) -> hyperscan.Database | None:
    try:
        import hyperscan
    except ImportError:
        return None
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    nocase = caseless or [False] * len(patterns)
    try:
        database.compile(
            expressions=patterns,
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=[hyperscan.HS_FLAG_SINGLEMATCH | (hyperscan.HS_FLAG_CASELESS if c else 0) for c in nocase],
        )
    except hyperscan.error:  # e.g. a CPU without the instructions it needs: the fallback answers
        return None
    return database


def wrapped_base64_width(data: bytes) -> int:
    """The line width when `data` starts as a wrapped base64 file (`base64 .env`: 76), else 0.

    Such a file's encoded marker may straddle a line break; encoded.wrapped_block joins it.
    """
    if data[:60].translate(None, _BASE64):  # a first line of 60+ base64 characters starts so
        return 0
    end = data.find(b"\n", 0, 130)
    first = data[:end].rstrip(b"\r") if end >= 0 else b""
    return len(first) if 60 <= len(first) <= 120 and not first.translate(None, _BASE64) else 0


def any_may_hold_key(blobs: Iterable[bytes]) -> bool:
    return any(may_hold_key(b) for b in blobs)


def any_present(needles: tuple[bytes, ...], *, wrapped: bool = False) -> Callable[[bytes], bool]:
    """A test of whether any of `needles` occurs in a text, for many texts on several threads
    (scan's gate): `bool(present(data, needles))`, without its per-call costs. One Hyperscan
    database, and a scratch space per thread made once (not per call: a third of the cost of
    testing a 4 KiB file, bench/README.md); the same `in` tests without Hyperscan. With
    `wrapped`, a text that starts as a wrapped base64 file passes too (wrapped_base64_width)."""
    database = _database(needles)
    if database is None:
        found: Callable[[bytes], bool] = lambda data: any(n in data for n in needles)  # noqa: E731
    else:
        found_in = _matches(database)
        found = lambda data: bool(found_in(data))  # noqa: E731
    if not wrapped:
        return found
    return lambda data: found(data) or wrapped_base64_width(data) > 0


# What may stand right before `ek_` where the Realtime rule (rules/context.py) can start a key:
# no key character (shape.left_of), or one of the escapes it accepts there; an octal escape
# (`\042`) too, as the escape decoder reads those. The start of the data always may
# (a block of a large file, a decoded window). Three characters, `ek_` is in every `seek_`,
# `peek_` and `week_` of C: 30 of the 38 files of git's tree that hold a needle hold only those.
EK_BEFORE = rb"(?:[^A-Za-z0-9_+/\-]|\\[nrt]|\\[0-7]{3}|%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2})\Z"


# EK_BEFORE as one Hyperscan pattern of a starting `ek_`, for history's object stream: there an
# object's first byte follows its header's newline, and `^` is where a scan starts. A regex, so
# Hyperscan compiles it in 50-70 ms (t-scan17): once per history scan, never on scan's start-up
# (scan_gate checks a few bytes back from each `ek_` instead). Equal to ek_starts_at at every
# `ek_` (tests/test_prefilter.py).
EK_START = b"(?:^|" + EK_BEFORE[len(b"(?:") : -len(rb"\Z")] + b"ek_"

# `zure` and `ZURE` are the keywords of the 32-hex Azure key rules, which report nothing in a
# document without their Azure OpenAI evidence written plain (rules/azure.py _AZURE_EVIDENCE,
# searched in the lower-cased text; encoded evidence holds a base64 gate or a UTF-16 needle of
# its own). So history's gate looks for a superset of that evidence instead, caseless: in git's
# sources "Azure" is CI configuration, and none of those blobs shows the evidence
# (bench/README.md). tests/test_prefilter.py checks every evidence match passes it.
AZURE_EVIDENCE = (
    rb"azure(?:[_ .\-]?openai|_endpoint|_deployment|chatopenai|[_ .\-]?ai[_ .\-]?services)"
    rb"|openai\.azure\.com|services\.ai\.azure\.com|cognitiveservices\.azure\.com"
)
# History's patterns in place of a needle (caseless or not), and the longest match of any.
_STARTS = {b"ek_": (EK_START, False), b"zure": (AZURE_EVIDENCE, True), b"ZURE": (AZURE_EVIDENCE, True)}
STARTS_LONGEST = len(b"cognitiveservices.azure.com")


def ek_starts_at(data: bytes | str, at: int) -> bool:
    """Whether the Realtime rule may start a key at `at` (where `ek_` is) by what stands before:
    the test scan's gate applies to each `ek_`, and the engine's escape and join decoders to the
    `ek_` hits they open windows around, so a file scan drops is one the engine reports nothing
    in, and scan, staged and history agree (tests/test_prefilter.py)."""
    if at == 0:
        return True
    if isinstance(data, bytes):
        return _ek_before().search(data, max(0, at - 6), at) is not None
    return _ek_before_text().search(data, max(0, at - 6), at) is not None


@functools.cache
def _ek_before() -> re.Pattern[bytes]:
    import re  # here: the hook imports this module, and a clean commit never needs a regex

    return re.compile(EK_BEFORE)


@functools.cache
def _ek_before_text() -> re.Pattern[str]:
    import re

    return re.compile(EK_BEFORE.decode("ascii"))


def scan_gate(*, wrapped: bool = False) -> Callable[[bytes], bool]:
    """`scan`'s test of a file with the default rules: any of KEYWORDS, but `ek_` only where a
    key may start (EK_BEFORE). Whatever the `ek_` rule reports passes it; what it drops is
    `ek_` inside a word, around which the engine would only decode escapes and joins (a key
    found there holds no keyword of its own, and is not found without the word either:
    tests/test_prefilter.py). The one pass finds which needles occur; `ek_` alone is then
    checked at each place it occurs, a few bytes back (a Hyperscan regex of the same test
    took 50-70 ms to compile, against 1 ms for the literals).

    `zure` and `ZURE` alone count only where the Azure OpenAI evidence the 32-hex rules need is
    written, in any ASCII case (azure_evidence): history's gate, the same superset of what the
    rules accept (tests/test_prefilter.py); in git's tree, 8 of the 9 files that reached the
    engine held only "Azure" of CI and translations.

    With `wrapped`, a file that starts as wrapped base64 passes too (wrapped_base64_width): one
    call a file, with the scratch lookup and both tests inlined (four Python calls a file were
    ~3 ms of git's 4,843 files; tests/commands/test_scan_gate.py)."""
    ek = KEYWORDS.index(b"ek_")
    azure = {KEYWORDS.index(b"zure"), KEYWORDS.index(b"ZURE")}
    neither = {ek, *azure}

    def ek_starts(data: bytes) -> bool:
        at = data.find(b"ek_")
        while at >= 0:
            if ek_starts_at(data, at):
                return True
            at = data.find(b"ek_", at + 3)
        return False

    database = _database(KEYWORDS)
    if database is None:
        others = tuple(n for n in KEYWORDS if n not in (b"ek_", b"zure", b"ZURE"))

        def fallback(data: bytes) -> bool:
            return (
                any(n in data for n in others)
                or ek_starts(data)
                or ((b"zure" in data or b"ZURE" in data) and azure_evidence(data))
                or (wrapped and wrapped_base64_width(data) > 0)
            )

        return fallback
    import threading

    import hyperscan

    local = threading.local()

    def test(data: bytes) -> bool:
        scratch = getattr(local, "scratch", None)
        if scratch is None:
            scratch = local.scratch = hyperscan.Scratch(database)
        found: set[int] = set()
        database.scan(data, match_event_handler=_record, context=found, scratch=scratch)
        if found and (
            not found <= neither or (ek in found and ek_starts(data)) or (found & azure and azure_evidence(data))
        ):
            return True
        # wrapped_base64_width's first test, inline: a first line of 60+ base64 characters.
        return wrapped and not data[:60].translate(None, _BASE64) and wrapped_base64_width(data) > 0

    return test


def azure_evidence(data: bytes) -> bool:
    """Whether AZURE_EVIDENCE is in `data` in any ASCII case, as history's caseless Hyperscan
    pattern finds it. Every alternative holds `azure`, so it is searched in a window around each
    `azure` of the lower-cased bytes (one C pass), not by an IGNORECASE regex over the file."""
    lower = data.lower()
    at = lower.find(b"azure")
    if at < 0:
        return False
    evidence = _azure_evidence()
    while at >= 0:
        # Every alternative starts at most 18 bytes before its `azure` and ends 17 after it.
        if evidence.search(lower, max(0, at - 32), at + 64):
            return True
        at = lower.find(b"azure", at + 5)
    return False


@functools.cache
def _azure_evidence() -> re.Pattern[bytes]:
    import re

    return re.compile(AZURE_EVIDENCE)


def _matches(database: hyperscan.Database) -> Callable[[bytes], set[int]]:
    """The ids of the needles of `database` a text holds, with a scratch space per thread."""
    import threading

    import hyperscan

    local = threading.local()

    def found_in(data: bytes) -> set[int]:
        scratch = getattr(local, "scratch", None)
        if scratch is None:
            scratch = local.scratch = hyperscan.Scratch(database)
        found: set[int] = set()
        database.scan(data, match_event_handler=_record, context=found, scratch=scratch)
        return found

    return found_in
