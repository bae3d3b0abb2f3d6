"""Keys glued to neighbouring bytes in binary files (.pyc constants, SQLite rows)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_chunk
from keylatch.model import Chunk
from keylatch.rules.synthetic import CURRENT_KINDS, MARKER, make_key

KINDS = ("sk-", "sk-proj-early", *CURRENT_KINDS)
glue = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=40)
# Glue holding `sk-` just before a key makes `sk-<glue>sk-…`, itself a valid named key
# (`sk-<name>-`): a third key in the data, not a wrong split. Such neighbours are left out before
# a key (between two keys, and on the left of the first).
between_glue = glue.filter(lambda g: "sk-" not in g)
binary = st.binary(max_size=30).map(lambda b: b + b"\0")


def _found(data: bytes) -> list[str]:
    return [f.secret.value for f in scan_chunk(Chunk(data, "cache.pyc"))]


# Example counts are half what they were (the suite's CPU, issue 9): every example draws a fresh
# key and fresh glue, the CI profile replays a fixed set, and local runs explore new ones each run.
@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32), right=glue, left=binary, end=binary)
def test_a_key_glued_on_the_right_in_binary_data_is_found_whole(
    kind: str, seed: int, right: str, left: bytes, end: bytes
) -> None:
    key = make_key(kind, seed=seed)
    # marshal: the type byte and length before the constant, the next object's type byte after it
    assert _found(left + b"\xa4" + key.encode() + right.encode() + end) == [key]


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32), right=glue)
def test_the_same_bytes_in_text_stay_unreported(kind: str, seed: int, right: str) -> None:
    # In text a longer tail is a different or damaged token: precision first. (A `_` or `-`
    # after a 20+20 key ends it, as before: test_rules' contexts.)
    key = make_key(kind, seed=seed)
    right = "x" + right
    assert _found(f"k = {key}{right}\n".encode()) == []


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(KINDS), seed=st.integers(0, 2**32), cut=st.integers(1, 11), right=glue)
def test_a_truncated_key_glued_in_binary_data_is_not_found(kind: str, seed: int, cut: int, right: str) -> None:
    key = make_key(kind, seed=seed)
    head, tail = key.split(MARKER)
    short_head = head[: len(head) - cut]
    assert _found(b"\0\xa4" + f"{short_head}{MARKER}{tail}{right}".encode() + b"\0") == []
    assert _found(b"\0\xa4" + f"{head}{MARKER}{tail[: len(tail) - cut]}".encode() + b"\0") == []


def test_sqlite_rows_back_to_back() -> None:
    keys = [make_key("sk-proj-", seed=i) for i in range(3)]
    page = b"\0\0\x0d\x01" + b"".join(b"\x03\x17\x81\x49" + k.encode() + b"active2024" for k in keys) + b"\0" * 64
    assert _found(page) == keys


@settings(max_examples=150, deadline=None)
@given(
    first=st.sampled_from(KINDS),
    second=st.sampled_from(KINDS),
    seed=st.integers(0, 2**32),
    left=between_glue,
    between=st.one_of(st.just(""), between_glue),
    right=st.one_of(st.just(""), glue),
)
def test_keys_glued_back_to_back_in_binary_data_are_both_found(
    first: str, second: str, seed: int, left: str, between: str, right: str
) -> None:
    # Back-to-back SQLite columns or `.pyc` constants: bytes before the first key, a second key
    # straight after it (or after another column), the next byte after that.
    a, b = make_key(first, seed=seed), make_key(second, seed=seed + 1)
    data = b"\0\x01" + f"{left}{a}{between}{b}{right}".encode() + b"\0"
    assert _found(data) == [a, b]


@settings(max_examples=100, deadline=None)
@given(first=st.sampled_from(KINDS), second=st.sampled_from(KINDS), seed=st.integers(0, 2**32))
def test_keys_back_to_back_in_text_stay_unreported(first: str, second: str, seed: int) -> None:
    # In text one token that holds two keys is damaged: precision first, as before.
    a, b = make_key(first, seed=seed), make_key(second, seed=seed + 1)
    assert _found(f"k = {a}{b}\n".encode()) == []


# The 84-character Azure key (its keyword's offset fixes its ends) and named `sk-<name>-` keys.
OTHER_KINDS = ("azure", "sk-named")
alnum_glue = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(OTHER_KINDS), seed=st.integers(0, 2**32), right=glue, left=binary, end=binary)
def test_an_azure_or_named_key_glued_on_the_right_in_binary_data_is_found_whole(
    kind: str, seed: int, right: str, left: bytes, end: bytes
) -> None:
    key = make_key(kind, seed=seed)
    assert _found(left + b"\xa4" + key.encode() + right.encode() + end) == [key]


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 2**32), left=alnum_glue, right=glue)
def test_an_azure_key_glued_on_both_sides_in_binary_data_is_found_whole(seed: int, left: str, right: str) -> None:
    key = make_key("azure", seed=seed)
    assert _found(b"\0" + (left + key + right).encode() + b"\0") == [key]


@settings(max_examples=100, deadline=None)
@given(kind=st.sampled_from(OTHER_KINDS), seed=st.integers(0, 2**32), right=alnum_glue, cut=st.integers(1, 11))
def test_glued_azure_and_named_keys_stay_unreported_in_text_or_truncated(
    kind: str, seed: int, right: str, cut: int
) -> None:
    key = make_key(kind, seed=seed)
    assert _found(f"k = {key}{right}\n".encode()) == []
    if kind == "azure":  # its fixed offsets: a cut anywhere leaves no key
        short = key[:30] + key[30 + cut :]
    else:
        head, tail = key.split(MARKER)
        short = head[: len(head) - cut] + MARKER + tail
    assert _found(b"\0\xa4" + (short + right).encode() + b"\0") == []
