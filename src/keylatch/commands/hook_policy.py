"""Config, allow comments and baseline for the hooks, applied exactly as `keylatch scan`/`ci` do.

Loaded only once the default rules found something: configuration can only take findings away
(excluded paths, disabled rules, allow comments, baseline entries, fail-on), so a commit in which
the default rules find nothing needs none of it, and the hook stays fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from keylatch.model import Chunk, Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.config import Config


@dataclass(frozen=True, slots=True)
class Verdict:
    blocking: tuple[Finding, ...]  # at or above fail-on: the hook refuses
    below: tuple[Finding, ...] = ()  # reported, but below fail-on
    # `verify = true` with `fail-on-verdict = "live"`: keys the API called revoked, reported only.
    dead: tuple[Finding, ...] = ()


def settle(start: Path) -> Config:
    """The repository's keylatch config (and its default baseline file), as `keylatch ci` reads it."""
    from keylatch.commands.pipeline import settle as settle_args

    return settle_args(argparse.Namespace(), start)


def judge_chunks(chunks: Sequence[Chunk], cfg: Config) -> list[Finding]:
    """Findings of the configured rules in `chunks`, minus excluded paths and allow comments."""
    from keylatch import allowlist
    from keylatch.engine import scan_chunk

    kept: list[Finding] = []
    for chunk in chunks:
        found = scan_chunk(chunk, cfg.rules)
        kept += allowlist.apply(found, cfg.allowlist, allowlist.lines_in(chunk.data))
    return kept


def verdict(findings: Sequence[Finding], cfg: Config) -> Verdict:
    from keylatch.commands.pipeline import without_baseline

    reported = without_baseline(list(findings), cfg)
    if cfg.verify and reported:
        # Only with `verify = true` in the config: the network code loads only then.
        from keylatch.commands.output import blocking, verify_findings

        # Pushed findings carry commits: an Azure key's endpoint is looked for in its commit.
        args = argparse.Namespace(repo=Path(".") if any(f.location.commit for f in reported) else None)
        reported = verify_findings(reported, args, cfg=cfg)
        alive = {id(f) for f in blocking(reported, args, cfg)}
        dead = tuple(f for f in reported if id(f) not in alive)
        reported = [f for f in reported if id(f) in alive]
    else:
        dead = ()
    return Verdict(
        tuple(f for f in reported if cfg.fails(f.severity)),
        tuple(f for f in reported if not cfg.fails(f.severity)),
        dead,
    )
