"""A key next to `_` or `-`, which are key characters: Markdown emphasis (`_sk-proj-…_`,
`__…__`), a file name (`sk-proj-…-old.txt`). QA found current keys missed there; the halves'
fixed length and the tail's last character say where the key ends. A word run into a legacy key
(`task-…`) is not a key of its own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keylatch.engine import scan_text
from keylatch.rules.synthetic import CURRENT_KINDS, make_key

WRAPS = ("_{k}_", "__{k}__", "*_{k}_*", "{k}-old.txt", "{k}_backup", "{k}--", "-{k}-", "[{k}_](x)", "{k}_\n", "{k}_OLD")
LEGACY_WRAPS = ("_{k}_", "__{k}__", "{k}-old.txt", "{k}_", "(_{k}_)")


def _found(text: str) -> list[str]:
    return [f.secret.value for f in scan_text(text)]


@pytest.mark.parametrize("wrap", WRAPS)
@pytest.mark.parametrize("half", [46, 58, 74])
@pytest.mark.parametrize("kind", CURRENT_KINDS)
def test_a_current_key_before_or_after_a_run_of_underscores_or_dashes_is_found_whole(
    kind: str, half: int, wrap: str
) -> None:
    key = make_key(kind, seed=half + len(wrap), n=half)
    assert _found("Key: " + wrap.format(k=key) + "\n") == [key]


@pytest.mark.parametrize("wrap", LEGACY_WRAPS)
@pytest.mark.parametrize("kind", ["sk-", "sk-proj-early", "sk-None-early"])
def test_an_early_key_in_a_run_is_found_whole(kind: str, wrap: str) -> None:
    key = make_key(kind, seed=len(wrap))
    assert _found("Key: " + wrap.format(k=key) + "\n") == [key]


@settings(max_examples=150, deadline=None)
@given(
    kind=st.sampled_from(CURRENT_KINDS),
    seed=st.integers(0, 2**32),
    run=st.text(alphabet="_-", min_size=1, max_size=4),
    rest=st.sampled_from(["", "old", "backup.txt", "v2", "OLD", "x y", ".md", " and more"]),
)
def test_any_run_then_anything_after_a_current_key(kind: str, seed: int, run: str, rest: str) -> None:
    key = make_key(kind, seed=seed)
    assert _found(f"x {key}{run}{rest}\n") == [key]


# One character short then `_` has equal halves again: a tail may hold `_` (unchanged behaviour).
@pytest.mark.parametrize("cut", [2, 3, 5])
@pytest.mark.parametrize("kind", CURRENT_KINDS)
def test_a_truncated_or_lengthened_key_before_a_run_stays_unreported(kind: str, cut: int) -> None:
    key = make_key(kind, seed=cut, n=58)
    assert _found(f"_{key[:-cut]}_\n") == []
    assert _found(f"_{key}{'Ab9x1'[:cut]}_\n") == []


@pytest.mark.parametrize("kind", CURRENT_KINDS)
def test_a_tail_that_ends_unlike_a_key_before_a_run_stays_unreported(kind: str) -> None:
    key = make_key(kind, seed=4, n=46)
    assert _found(f"{key[:-1]}B_x\n") == []


@pytest.mark.parametrize("word", ["task-", "ask-", "desk-", "risk_sk-", "Disk__sk-", "mask-"])
def test_a_word_run_into_a_legacy_key_is_not_reported(word: str) -> None:
    body = make_key("sk-", seed=len(word))[3:]
    assert _found(f"{word}{body}\n") == []


@pytest.mark.parametrize("before", ["\\n", "%22", "\\u0022", "\\x22", " ", "=", "_", "__", "(-", "x\\n"])
def test_a_legacy_key_after_an_escape_or_punctuation_is_found(before: str) -> None:
    key = make_key("sk-", seed=len(before))
    assert _found(f'"{before}{key}"\n') == [key]


@pytest.mark.parametrize("run", ["_", "-", "__"])
@pytest.mark.parametrize("kind", ["sk-admin-", "sk-svcacct-"])
def test_a_cut_admin_or_service_key_never_reads_as_an_early_key_and_a_word(kind: str, run: str) -> None:
    # Its head cut to 20 characters and a `_` 20 into its tail: the early 20 + 20 shape followed
    # by a run, which admin and service account keys were never issued in (hypothesis found it).
    keys = (make_key(kind, seed=s, n=46) for s in range(2000))
    key = next(k for k in keys if (h := k.split("T3BlbkFJ"))[0][-20:].isalnum() and h[1][:20].isalnum())
    head, tail = key.removeprefix(kind).split("T3BlbkFJ")
    damaged = f"{kind}{head[-20:]}T3BlbkFJ{tail[:20]}{run}{tail[21:]}"
    assert _found(f"k={damaged}\n") == []
    assert _found(f"k={key}\n") == [key]


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(CURRENT_KINDS), seed=st.integers(0, 2**32), cut=st.integers(1, 30))
def test_a_key_that_lost_head_characters_stays_unreported(kind: str, seed: int, cut: int) -> None:
    # Its marker then sits early, and the halves' end falls inside the tail: random characters
    # follow there, never a `_`/`-` run and a short word.
    key = make_key(kind, seed=seed)
    head, tail = key.split("T3BlbkFJ")
    assert _found(f"k={head[: len(head) - cut]}T3BlbkFJ{tail}\n") == []
