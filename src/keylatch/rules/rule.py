"""The Rule record: a pattern plus the evidence it needs and the examples that prove it."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator

from keylatch.model import Record, Severity

# Returns the accepted key (a prefix of match.group("key")) or None to reject the match.
Validator = Callable[["re.Match[str]"], "str | None"]
# For a key in a table row whose line names nothing: (its column's name, every name of the header
# row, where the table's rows begin, the match) -> the accepted key or None.
ColumnValidator = Callable[[str, "tuple[str, ...]", int, "re.Match[str]"], "str | None"]
# For a credential that says when it expires: (severity, expiry in Unix seconds or None) of an
# accepted key. The rule decides the severity (an expired token is low, never dropped).
Assessor = Callable[[str], "tuple[Severity, int | None]"]


class Regex:
    """A regular expression compiled at its first use: the rules' 36 cost ~4 ms to compile, and
    a scan that meets a rule literal uses few of them (a file that mentions Azure, most often,
    only the Azure evidence). The methods are re.Pattern's. The compiled pattern is kept once
    made: the same for every caller and thread (two threads may both compile it; either wins)."""

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        c = self._compiled
        if c is None:
            c = self._compiled = re.compile(self.pattern, self.flags)
        return c

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().match(string, pos, endpos)

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled().fullmatch(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self.compiled().finditer(string, pos, endpos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled().sub(repl, string, count)

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r})"


class Example(Record):
    """`text` must yield exactly one finding of the rule, whose secret is `key`."""

    __slots__ = ("text", "key")
    text: str
    key: str

    def __init__(self, text: str, key: str) -> None:
        self._set(text, key)


class Rule(Record):
    """A model.Record, not a dataclass: defining a 25-field dataclass costs ~1.2 ms, in every
    process that builds the rules."""

    __slots__ = (
        "id",
        "description",
        "severity",
        "keywords",
        "pattern",
        "anchored",
        "make_examples",
        "make_counterexamples",
        "references",
        "prefix",
        "validate",
        "file_context",
        "line_context",
        "line_exclude",
        "line_words",
        "base64",
        "key_reach",
        "context_near_keyword",
        "run_chars",
        "run_length",
        "token_chars",
        "key_len",
        "assess",
        "glued",
        "judge_in_document",
        "by_column",
    )
    id: str  # kebab-case and stable: baselines and SARIF store it
    description: str
    severity: Severity
    # Literal prefilter: the chunk must contain one of these (case-sensitive, found with bytes.find).
    keywords: tuple[str, ...]
    # Group "key" is the secret.
    pattern: Regex
    # True when every keyword lies inside the key itself, so the engine only needs a window
    # around each keyword hit instead of the whole chunk.
    anchored: bool
    # The examples and counterexamples, built when asked for (`examples`, `counterexamples`): the
    # rules' tests and config's allow-lines probe ask, a scan never does. Built at import, their
    # ~220 synthetic keys cost every scan that meets a rule literal ~8 ms (bench/README.md).
    make_examples: Callable[[], tuple[Example, ...]]
    make_counterexamples: Callable[[], tuple[str, ...]]
    references: tuple[str, ...]
    # Length of the public prefix shown in redacted output (e.g. len("sk-proj-")).
    prefix: Callable[[str], int]
    validate: Validator | None
    # Evidence the whole chunk must show (e.g. an Azure OpenAI endpoint) for a non-self-identifying
    # key. Case-insensitive: it is searched in the lower-cased text, so write it in lower case
    # (an IGNORECASE regex runs at a fraction of the speed on text full of near misses).
    file_context: Regex | None
    # The key's line must match line_context (searched in the line as written), and the first
    # line_exclude match on its line must not end before the key (searched in the line with ASCII
    # letters lower-cased, so write it in lower case). Each runs once per line, however many keys
    # the line holds.
    line_context: Regex | None
    line_exclude: Regex | None
    # Lower-case words of which a line that matches line_context holds one (case-insensitively):
    # a line without any is rejected without running line_context (tests/rules check the words).
    line_words: tuple[str, ...]
    # Look for this rule's keys inside base64-encoded values too.
    base64: bool
    # For a rule that is not anchored (its keys are longer than the engine's window reach) but
    # whose keyword starts every key (a JWT's header): how far past a keyword hit a key may end.
    # The escape decoder looks that far after each hit (engine/decoders.py).
    key_reach: int
    # The file_context evidence contains a keyword (e.g. "azure" in `openai.azure.com`), so the
    # engine only tests it in a small window around each keyword hit, never over the whole chunk.
    context_near_keyword: bool
    # For a key that is a fixed-length run of these characters (the 32-hex Azure key): the engine
    # finds runs with bytes.translate + find and tries `pattern` only there, because scanning a
    # whole chunk with a character-class regex runs at about 10 MB/s.
    run_chars: str
    run_length: int
    # For an anchored rule whose every match is key_len[0]..key_len[1] characters of a run of
    # these characters, within the run's last key_len[1] (the key runs to the end of its token,
    # or nearly), and ends where the run ends when the two lengths are equal: the engine skips the
    # head of a longer run, and tries a fixed-length key only at the end of each run long enough
    # for it. A long token, or a prefix repeated inside one, then costs one attempt instead of
    # one per position. key_len[1] must not exceed the engine's window reach (test_engine.py).
    token_chars: str
    key_len: tuple[int, int]
    # Severity and expiry per key, for keys that carry their own expiry (OAuth access tokens);
    # None: every key of the rule has `severity` and no expiry.
    assess: Assessor | None
    # For a key whose shape fixes every part's offset (the 84-character Azure key): the pattern
    # without its token boundaries, tried only in binary data (a window with a NUL byte), where
    # a key glued to neighbouring bytes (a `.pyc` constant, SQLite columns back to back) runs on
    # into them. In text a longer token stays unreported.
    glued: Regex | None
    # For an anchored rule whose validator judges the text around a key (the 84-character Azure
    # key's owner: its paragraph, record and resource kind, as far back as the 32-hex rule looks):
    # the validator is given the match in the whole document, not in the engine's window (about
    # 600 characters before the key), which is decoded whole only when it holds a candidate.
    judge_in_document: bool
    # For a rule with line tests: a candidate whose line fails them, standing in a table row
    # (CSV, Markdown, SQL values, fixed-width columns: engine/tables.py), is judged by its column's
    # header name instead. None: the line alone decides.
    by_column: ColumnValidator | None

    def __init__(
        self,
        id: str,
        description: str,
        severity: Severity,
        keywords: tuple[str, ...],
        pattern: Regex,
        anchored: bool,
        make_examples: Callable[[], tuple[Example, ...]],
        make_counterexamples: Callable[[], tuple[str, ...]],
        references: tuple[str, ...],
        prefix: Callable[[str], int],
        validate: Validator | None = None,
        file_context: Regex | None = None,
        line_context: Regex | None = None,
        line_exclude: Regex | None = None,
        line_words: tuple[str, ...] = (),
        base64: bool = False,
        key_reach: int = 0,
        context_near_keyword: bool = False,
        run_chars: str = "",
        run_length: int = 0,
        token_chars: str = "",
        key_len: tuple[int, int] = (0, 0),
        assess: Assessor | None = None,
        glued: Regex | None = None,
        judge_in_document: bool = False,
        by_column: ColumnValidator | None = None,
    ) -> None:
        self._set(
            id,
            description,
            severity,
            keywords,
            pattern,
            anchored,
            make_examples,
            make_counterexamples,
            references,
            prefix,
            validate,
            file_context,
            line_context,
            line_exclude,
            line_words,
            base64,
            key_reach,
            context_near_keyword,
            run_chars,
            run_length,
            token_chars,
            key_len,
            assess,
            glued,
            judge_in_document,
            by_column,
        )

    @property
    def examples(self) -> tuple[Example, ...]:
        """Texts that must each yield exactly one finding of the rule (built on each call)."""
        return self.make_examples()

    @property
    def counterexamples(self) -> tuple[str, ...]:
        """Texts that must yield no finding of the rule (built on each call)."""
        return self.make_counterexamples()

    @property
    def keyword_bytes(self) -> tuple[bytes, ...]:
        return tuple(k.encode("ascii") for k in self.keywords)

    @property
    def keyword_parts(self) -> tuple[str, ...]:
        """The two halves of each keyword of 6+ letters and digits that lies inside the key
        (`T3Bl` `bkFJ`, `JQQ` `J99`, `eyJhb` `GciOi`): an escape or a literal split inside the
        keyword (`T\\u0033BlbkFJ`, `"...T3B" + "lbkFJ..."`) leaves one of them whole, which gates
        the escape and join decoders (engine/decoders.py). Shorter or punctuated keywords
        (`sess-`, `whsec_`, `ek_`) would leave 2-3 characters, found all over code."""
        if not (self.anchored or self.key_reach):
            return ()
        long = (k for k in self.keywords if len(k) >= 6 and k.isalnum())
        return tuple(p for k in long for p in (k[: len(k) // 2], k[len(k) // 2 :]))
