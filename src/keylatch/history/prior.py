"""Keys HEAD (or the branch being merged) already holds: tells a new key from a committed one.

A key that was already committed is not added by this commit, so the pre-commit message says how
to accept or remove it instead of how to unstage it. sources/prior.py reads the versions; the
engine matches them here.
"""

from __future__ import annotations

from collections.abc import Sequence

from keylatch.engine import scan_chunk
from keylatch.model import Chunk, Finding
from keylatch.sources.gitcmd import Git
from keylatch.sources.prior import prior_versions
from keylatch.sources.staged import Staged


def committed_before(git: Git, staged: Staged, findings: Sequence[Finding]) -> dict[tuple[str, str], str]:
    """(path, fingerprint) -> the commit that already holds that key in that file.

    "HEAD", or "MERGE_HEAD" for a key the branch being merged brings in. Such keys are not new in
    this commit, so the message says how to accept or remove them instead of how to unstage them.
    """
    paths = sorted({f.location.path for f in findings})
    where: dict[tuple[str, str], str] = {}
    for name, versions in prior_versions(git, staged, paths):
        for path, data in versions.items():
            for old in scan_chunk(Chunk(data, path)):
                where.setdefault((path, old.fingerprint), name)
    return where
