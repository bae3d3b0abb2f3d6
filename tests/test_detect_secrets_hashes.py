"""detect_secrets_hashes.py keeps a literal copy of detect-secrets' OpenAIDetector pattern (the hook
path must not import detect_secrets): it must stay the installed detect-secrets' own, and give the
hashes detect-secrets itself writes into a baseline."""

from __future__ import annotations

import hashlib

import pytest
from detect_secrets.plugins.openai import OpenAIDetector

from keylatch.detect_secrets_hashes import OPENAI_DETECTOR, sha1_hashes
from keylatch.model import Secret
from keylatch.rules.synthetic import ALL_KINDS, make_key


def test_the_pattern_is_detect_secrets_own() -> None:
    (theirs,) = OpenAIDetector.denylist
    assert (OPENAI_DETECTOR.pattern, OPENAI_DETECTOR.flags) == (theirs.pattern, theirs.flags)


@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
def test_the_hashes_are_the_ones_detect_secrets_records(kind: str) -> None:
    key = make_key(kind, seed=5)
    theirs = {hashlib.sha1(s.encode()).hexdigest() for s in OpenAIDetector().analyze_string(f'KEY = "{key}"')}
    whole = hashlib.sha1(key.encode()).hexdigest()  # what keylatch's plugin records
    ours = sha1_hashes(Secret(key))
    assert ours[0] == whole
    assert set(ours) == {whole} | theirs  # sk-svcacct-: OpenAIDetector's cut is 85 of 111 characters
