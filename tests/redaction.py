"""The check every e2e test applies to what users see: no full key unless --show-secrets.

It uses keylatch's own engine on the output: a redacted key (`sk-proj-abcd...wxyz`) never
matches a rule, a full key always does. `assert_no_key_in` also checks explicit key strings, for
formats that need file context to be detected.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from keylatch.engine import scan_text


def assert_redacted(*texts: str, keys: Iterable[str] = ()) -> None:
    joined = "\n".join(texts)
    leaked = [f.secret.redacted for f in scan_text(joined)]
    assert not leaked, f"full keys printed: {leaked}"
    for key in keys:
        assert key not in joined, f"full key printed: {key[:8]}..."


def assert_files_redacted(*paths: Path, keys: Iterable[str] = ()) -> None:
    assert_redacted(*(p.read_text(errors="replace") for p in paths if p.exists()), keys=keys)
