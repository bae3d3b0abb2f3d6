"""The settings a command on disk judges with: the configuration file with the flags over it,
and the Policy (keylatch.policy) it makes. `keylatch ci` reads them from a commit instead
(commands/ci_settings.py).

    cfg = settle(config_flags(args, format=args.format), Path("."))
    pol = policy_of(cfg)

Light at import time (the hooks import it once the default rules found something).
"""

from __future__ import annotations

from pathlib import Path

from keylatch.commands.options import ConfigFlags
from keylatch.config import Config
from keylatch.policy import ANY, Policy


def settle(flags: ConfigFlags, start: Path) -> Config:
    """The config file's settings with every given flag applied over them.

    Paths in the file are relative to the file (config.py); `.keylatch-baseline.json` is used if
    it lies next to the file or, with no file, in the nearest directory from `start` up to the
    repository root, so a run from a subdirectory sees the same baseline as one from the root.
    """
    from keylatch import config

    cfg = config.load(flags.config) if flags.config else config.discover(start)
    if cfg.baseline is None:
        # `keylatch baseline create` writes this file; finding it is what makes it take effect.
        if cfg.source is not None:
            candidate: Path | None = cfg.source.parent / config.DEFAULT_BASELINE
        else:
            candidate = config.discover_baseline(start)
        if candidate is not None and candidate.is_file():
            cfg = cfg.override(baseline=candidate)
    return cfg.override(
        fail_on=flags.fail_on,
        format=flags.format,
        baseline=flags.baseline,
        flag_exclude=flags.exclude or None,
        ignore_baseline=True if flags.no_baseline else None,
    )


def policy_of(cfg: Config, fail_on_verdict: str = ANY) -> Policy:
    """How `cfg` judges findings; its baseline file is read when first needed."""
    return Policy(
        allow=cfg.allowlist,
        baseline_file=None if cfg.ignore_baseline else cfg.baseline,
        fail_on=cfg.fail_on,
        fail_on_verdict=fail_on_verdict,
    )
