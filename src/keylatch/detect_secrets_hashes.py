"""The SHA-1s under which a detect-secrets baseline lists a key (its `hashed_secret`), so keylatch
can honour an imported detect-secrets baseline (baseline.py).

detect-secrets hashes what its plugin matched: the whole key (Base64HighEntropyString, keylatch's
plugin), or for its OpenAIDetector only up to 20 characters after the marker (no end anchor).
keylatch's own baselines use `Secret.fingerprint` (sha256); this only serves imports.

No detect_secrets import: baselines are read on the hook path, which must stay light
(test_cli.py's import budget). The pattern is a literal copy of detect-secrets', proven equal to
the installed `OpenAIDetector`'s by tests/test_detect_secrets_hashes.py, as prefilter.py is to
the rules.
"""

from __future__ import annotations

import hashlib
import re

from keylatch.model import Secret

# detect-secrets 1.5 plugins/openai.py, OpenAIDetector.denylist[0].
OPENAI_DETECTOR = re.compile(r"sk-[A-Za-z0-9-_]*[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}")


def sha1_hashes(secret: Secret) -> tuple[str, ...]:
    """The whole key's SHA-1, then that of OpenAIDetector's cut of it when that differs."""
    forms = [secret.value]
    m = OPENAI_DETECTOR.search(secret.value)
    if m and m.group() != secret.value:
        forms.append(m.group())
    return tuple(hashlib.sha1(f.encode("utf-8")).hexdigest() for f in forms)
