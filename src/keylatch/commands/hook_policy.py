"""Config, allow comments and baseline for the hooks, applied exactly as `keylatch scan`/`ci` do.

Loaded only once the default rules found something: configuration can only take findings away
(excluded paths, disabled rules, allow comments, baseline entries, fail-on), so a commit in which
the default rules find nothing needs none of it, and the hook stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from keylatch.model import Chunk, Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.config import Config
    from keylatch.policy import Outcome, Policy


def settle(start: Path) -> tuple[Config, Policy]:
    """The repository's keylatch config (and its default baseline file), as `keylatch scan` reads
    it with no flags, and the policy it makes (fail-on-verdict only with `verify = true`)."""
    from keylatch.commands.options import ConfigFlags
    from keylatch.commands.settings import policy_of
    from keylatch.commands.settings import settle as settle_flags

    cfg = settle_flags(ConfigFlags(), start)
    return cfg, policy_of(cfg, cfg.fail_on_verdict if cfg.verify else "any")


def judge_chunks(chunks: Sequence[Chunk], cfg: Config, pol: Policy) -> list[Finding]:
    """Findings of the configured rules in `chunks`, minus excluded paths and allow comments."""
    from keylatch import allowlist, policy
    from keylatch.engine import scan_chunk

    kept: list[Finding] = []
    for chunk in chunks:
        kept += policy.allowed(scan_chunk(chunk, cfg.rules), pol, allowlist.lines_in(chunk.data)).kept
    return kept


def verdict(findings: Sequence[Finding], cfg: Config, pol: Policy) -> Outcome:
    from keylatch import policy

    reported = policy.known(findings, pol)
    if cfg.verify and reported:
        # Only with `verify = true` in the config: the network code loads only then.
        from keylatch.commands.options import VerifyFlags
        from keylatch.commands.output import verify_findings
        from keylatch.sources.gitcmd import Git

        # Pushed findings carry commits: an Azure key's endpoint is looked for in its commit.
        repo = Git(Path(".")) if any(f.location.commit for f in reported) else None
        reported = verify_findings(reported, VerifyFlags(), cfg, repo)
    return policy.judge(reported, pol)
