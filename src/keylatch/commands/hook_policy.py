"""Config, allow comments and baseline for the hooks, applied exactly as `keylatch scan`/`ci` do.

Loaded only once the default rules found something: configuration can only take findings away
(excluded paths, disabled rules, allow comments, baseline entries, fail-on), so a commit in which
the default rules find nothing needs none of it, and the hook stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from keylatch.model import Chunk, Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.config import Config
    from keylatch.history.model import DamagedObject, UnreadBlob
    from keylatch.policy import Outcome, Policy, SetAside
    from keylatch.report.notice import Notice
    from keylatch.sources.gitcmd import Git


class Pushed(NamedTuple):
    """A push judged by judge_push: what blocks, what is only reported, and the notices."""

    blocking: tuple[Finding, ...]
    below: tuple[Finding, ...]  # below fail-on under every base's settings
    dead: tuple[Finding, ...]  # found revoked (fail-on-verdict live)
    notices: tuple[Notice, ...]  # settings files the push changes, or a base's that are not valid
    unread: tuple[UnreadBlob, ...] = ()  # archive blobs not read whole: exit 3 after the report
    # Objects a damaged repository lacks (history/damage.py): every other key is judged and
    # reported, then the push is blocked with the damage named (exit 3).
    damaged: tuple[DamagedObject, ...] = ()
    set_aside: SetAside | None = None  # what the bases' settings kept out (report/set_aside.py)


def settle(top: Path) -> tuple[Config, Policy]:
    """The repository's keylatch config (and its default baseline file), as `keylatch scan` reads
    it with no flags from `top`, the top of the working tree, and the policy it makes
    (fail-on-verdict only with `verify = true`).

    Always the top's, whatever directory the hook runs in: git runs hooks at the top, but
    `keylatch staged` also runs by hand from a subdirectory, and the paths it judges are the
    repository's (`exclude` globs of a subdirectory's own config are relative to that
    subdirectory, so they would be matched against the wrong paths).
    """
    from keylatch.commands.options import ConfigFlags
    from keylatch.commands.settings import policy_of
    from keylatch.commands.settings import settle as settle_flags

    cfg = settle_flags(ConfigFlags(), top)
    return cfg, policy_of(cfg, cfg.fail_on_verdict if cfg.verify else "any")


def judge_chunks(
    chunks: Sequence[Chunk], cfg: Config, pol: Policy, prefix: str = "", aside: list[SetAside] | None = None
) -> list[Finding]:
    """Findings of the configured rules in `chunks`, minus excluded paths and allow comments
    (`aside` gets what they dropped, when they dropped any: policy.SetAside).

    `prefix`: the chunks' paths are relative to this directory of the repository (`sub/`, as
    `git rev-parse --show-prefix` spells it; files named on the command line in a subdirectory).
    `exclude` globs are matched against the repository path; findings keep the path as given.
    """
    from keylatch import allowlist, policy
    from keylatch.engine import scan_chunk

    kept: list[Finding] = []
    for chunk in chunks:
        judged = chunk.replace(path=in_repository(prefix, chunk.path)) if prefix else chunk
        allowed = policy.allowed(scan_chunk(judged, cfg.rules), pol, allowlist.lines_in(chunk.data))
        if aside is not None and allowed.set_aside:
            aside.append(allowed.set_aside)
        found = allowed.kept
        if prefix:
            found = tuple(f.replace(location=f.location.replace(path=chunk.path)) for f in found)
        kept += found
    return kept


def judge_names(paths: Sequence[str], cfg: Config, pol: Policy, prefix: str = "") -> list[Finding]:
    """Keys written in the `paths` a commit adds (history/pathkeys.py: file and directory names,
    archive members), minus excluded paths; an allow comment cannot stand in a name. `prefix`
    as for judge_chunks."""
    from keylatch.commands.scanning import in_paths

    kept = list(in_paths([in_repository(prefix, p) if prefix else p for p in paths], cfg, pol))
    if prefix:  # findings keep the path as given: the names were cut after the key's
        given = {in_repository(prefix, p): p for p in paths}
        kept = [f.replace(location=f.location.replace(path=_as_given(f.location.path, given))) for f in kept]
    return kept


def _as_given(path: str, given: dict[str, str]) -> str:
    """A cut repository path back in the form given (relative to the current directory)."""
    for repo_path, as_given in given.items():
        if repo_path == path or repo_path.startswith(path + "/"):
            return as_given[: len(as_given) - (len(repo_path) - len(path))]
    return path


def in_repository(prefix: str, path: str) -> str:
    """`path`, relative to the repository directory `prefix` (`sub/dir/`), as a repository path."""
    import posixpath

    return posixpath.normpath(posixpath.join(prefix, path))


def verdict(findings: Sequence[Finding], cfg: Config, pol: Policy) -> Outcome:
    """The findings judged (Outcome.set_aside: how many the baseline accepted)."""
    from keylatch import policy

    reported, accepted = policy.known_counted(findings, pol)
    if cfg.verify and reported:
        # Only with `verify = true` in the config: the network code loads only then.
        from keylatch.commands.options import VerifyFlags
        from keylatch.commands.output import verify_findings
        from keylatch.sources.gitcmd import Git

        # Pushed findings carry commits: an Azure key's endpoint is looked for in its commit.
        repo = Git(Path(".")) if any(f.location.commit for f in reported) else None
        reported = verify_findings(reported, VerifyFlags(), cfg, repo)
    outcome = policy.judge(reported, pol)
    return outcome.replace(set_aside=accepted) if accepted else outcome


def judge_push(
    git: Git,
    top: Path,
    revs: Sequence[str],
    bases: Sequence[str],
    head: str,
    objects: Sequence[tuple[str, str]] = (),
    commits: Sequence[str] = (),
) -> Pushed:
    """The pushed commits `revs` judged with the settings the remote already has.

    A push must not approve itself: the configuration and baseline come from the commits the
    push builds on (`bases`, rev-list's boundary), read from git as `keylatch ci` reads its base
    commit (commands/ci_settings.py), never from the working tree or the pushed commits. With
    several bases (a branch that merged others), a key blocks if the settings of any of them
    would block it; with none (the push brings its own history), keylatch's defaults and no
    baseline, the strictest. `head`, a pushed commit, is read to check its settings: a
    configuration the push breaks is exit 2. Changes the push makes to them are named.
    `objects`: (name, id) of pushed blobs and trees (a tag of a blob), judged with the same
    settings (history/direct.py); `head` may then be a base, or "" (no commit at all).
    `commits`: positive revisions of `revs` known to be commit ids, not tags (push.PushPlan):
    the walk does not ask what they are.
    """
    from keylatch import policy
    from keylatch.commands.ci_settings import Where, settle_range
    from keylatch.commands.options import ConfigFlags
    from keylatch.commands.output import with_rules_off
    from keylatch.commands.scanning import judge_places
    from keylatch.history import scan_history
    from keylatch.report.notice import JUDGED_WITH

    judged_at: list[str | None] = [*bases] or [None]
    sides = [settle_range(ConfigFlags(), git, Where(top, ""), base, head) for base in judged_at]
    # One walk with every rule any side enables; each side then keeps its own rules' findings.
    rules = {r.id: r for side in sides for r in side.cfg.rules}
    # Archives are opened as deep and as far as any side's settings allow (a side cannot shrink
    # what another would read).
    limits = max((side.cfg.archives for side in sides), key=lambda a: (a.depth, a.max_bytes, a.max_ratio))
    result = scan_history(
        Path("."), revs, rules=tuple(rules.values()), allow_shallow=True, offer_flags=False, report_unread=True,
        report_damage=True, archives=limits, git=git, direct=objects, commits=commits,
    )  # fmt: skip
    blocking: dict[tuple[object, ...], Finding] = {}
    other: dict[tuple[object, ...], tuple[Finding, bool]] = {}
    aside = policy.NOTHING
    for side in sides:
        cfg = side.cfg
        live = cfg.fail_on_verdict if cfg.verify else "any"
        pol = policy.Policy(allow=cfg.allowlist, known=side.known, baseline_label=side.baseline_label,
                            fail_on=cfg.fail_on, fail_on_verdict=live)  # fmt: skip
        ids = {r.id for r in cfg.rules}
        judged = judge_places(result, Path("."), pol, git=git)
        found = [f for f in judged.kept if f.rule_id in ids]
        outcome = verdict(found, cfg, pol)
        # Several bases: the most each kind of setting set aside under one of them.
        aside = aside.most(with_rules_off(judged.set_aside + outcome.set_aside, cfg))
        blocking.update((_place(f), f) for f in outcome.blocking)
        other.update((_place(f), (f, True)) for f in outcome.below)
        other.update((_place(f), (f, False)) for f in outcome.dead)
    left = [fb for k, fb in other.items() if k not in blocking]
    changed = {n.path: n for side in sides for n in side.notices if n.kind != JUDGED_WITH}
    return Pushed(
        tuple(blocking.values()),
        tuple(f for f, below in left if below),
        tuple(f for f, below in left if not below),
        tuple(changed.values()),
        result.unread,
        result.damaged,
        aside,
    )


def _place(f: Finding) -> tuple[object, ...]:
    loc = f.location
    return (f.rule_id, f.fingerprint, loc.commit, loc.path, loc.line, loc.column)
