"""Which commits a CI job should scan: event payload / CI variables -> rev-list arguments.

    spec = detect(env, event, range_arg=None, since_arg=None)   # pure: what the CI says
    plan = resolve(spec, Git(repo), inspect(repo).shallow)      # git: merge bases, shallow checks

`detect` reads nothing itself: the caller passes the environment and the parsed GitHub event
payload (`load_event(env)` reads GITHUB_EVENT_PATH). It understands

- GitHub Actions `push`: `before..after`; a new branch or tag (`before` is all zeros): the
  commits not on the default branch (`repository.default_branch`); a deleted ref: nothing; a
  tag of a blob or a tree (`git tag keys <blob>`): that content, no commit (history/direct.py);
- GitHub `pull_request` / `pull_request_target`: merge-base(base.sha, head.sha)..head.sha;
- GitHub `merge_group`: base_sha..head_sha;
- GitLab merge request pipelines: CI_MERGE_REQUEST_DIFF_BASE_SHA..head, where head is
  CI_MERGE_REQUEST_SOURCE_BRANCH_SHA in merged-results pipelines, else CI_COMMIT_SHA;
- GitLab external pull request pipelines (a GitHub pull request built by GitLab CI):
  merge-base(CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA, ..._SOURCE_BRANCH_SHA)..source;
- GitLab push pipelines: CI_COMMIT_BEFORE_SHA..CI_COMMIT_SHA, or for a new branch the commits
  not on CI_DEFAULT_BRANCH;
- `--range A..B` / `--since REV` (REV..HEAD), which win over all of the above.

`resolve` fails closed: a base that is not in the clone, or a range that runs into the shallow
boundary, is a ScanError (exit 3) whose message names the fix (`fetch-depth: 0` on
actions/checkout, `GIT_DEPTH: 0` on GitLab, or `git fetch --deepen`/`--unshallow`), and, where
deepening cannot bring it (a pull request's target branch GitLab never fetched, a fork's head
under `pull_request_target`), the `git fetch` that does. A damaged
repository (a commit of the range, or the base itself, that git cannot read) is planned anyway,
`damaged`: the walk reports the readable commits' keys and names what is lost (exit 3).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from keylatch.errors import ScanError, UsageError
from keylatch.sources.ci_fields import Fields, variable
from keylatch.sources.gitcmd import Git, null_id
from keylatch.sources.revs import commit, commit_ids, damage_said, non_commit, unreadable

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RangeSpec:
    """What the CI asked for, before git is consulted."""

    origin: str  # e.g. "GitHub push", shown to the user
    head: str = "HEAD"
    base: str | None = None  # exclusive base commit
    # PR: scan from the merge base of `base` and `head` rather than from `base` itself.
    from_merge_base: bool = False
    # New branch: exclude what this branch (name) already holds; None = scan all of head.
    default_branch: str | None = None
    platform: str = ""  # "github", "gitlab" or "": picks the wording of the shallow-clone fix
    nothing: str | None = None  # why there is nothing to scan (a deleted branch)
    # The tag the event pushed (refs/tags/<name>): its commits are `head`'s, and an annotated
    # tag's message is pushed content too, read as the pre-push hook reads a pushed tag.
    tag: str | None = None
    # A pull request's: the branch its base (target) commit is on, fetched by name when the clone
    # lacks it (the CI fetched only the pipeline's ref); never the force-push fallback.
    fetch_base: str | None = None
    # pull_request_target: the ref of the head commit (`refs/pull/N/head`), which the job's
    # checkout of the base branch does not fetch, however deep.
    fetch_head: str | None = None


@dataclass(frozen=True, slots=True)
class RangePlan:
    """What to scan: `rev-list` arguments, a description for the log, and the commit count."""

    revs: tuple[str, ...]
    description: str
    commits: int
    origin: str
    head: str = ""  # the range's head commit id ("" when there is nothing to scan)
    # The commit the range is judged against: its configuration and baseline are what the
    # protected branch already accepted (commands/ci_settings.py). None: there is none (a first
    # push, or a new branch that shares no history with the default branch).
    base: str | None = None
    # A name of the head (a pushed tag, --range's head) the walk reads as a tag: with no new
    # commit (a tag pushed on a commit the default branch has) there is still a message to read.
    tag: str | None = None
    # (name, object id) of a pushed ref that is, or tags, a blob or a tree (`git tag keys <blob>`):
    # no commit is walked, that content is scanned (history/direct.py), as pre-push does.
    objects: tuple[tuple[str, str], ...] = ()
    # The repository is damaged (git cannot read a commit the range needs, or the base itself):
    # `commits` is unknown (0); the walk scans every readable commit of the range and names the
    # lost objects (history/salvage.py), exit 3.
    damaged: bool = False


def _zero(sha: str | None) -> bool:
    return sha is None or null_id(sha)


# GitHub caps webhook payloads at 25 MB; anything larger is not an event payload.
MAX_EVENT_BYTES = 64 << 20


def load_event(env: Mapping[str, str]) -> dict[str, object] | None:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    # Bounded, and only a regular file: GITHUB_EVENT_PATH=/dev/zero read until the kernel killed
    # keylatch (exit 137), a FIFO blocked forever (QA t-qa19; tests/sources/test_qa19_ci_event.py).
    from keylatch.sources.files import read_small

    try:
        data = read_small(Path(path), MAX_EVENT_BYTES)
        if len(data) > MAX_EVENT_BYTES:
            raise ValueError(f"larger than {MAX_EVENT_BYTES >> 20} MiB")
        doc = json.loads(data.decode("utf-8"))
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"cannot read the GitHub event payload {path}: {why}") from exc
    if not isinstance(doc, dict):
        raise UsageError(f"the GitHub event payload {path} is not a JSON object")
    return doc


def detect(
    env: Mapping[str, str],
    event: Mapping[str, object] | None,
    *,
    range_arg: str | None = None,
    since_arg: str | None = None,
) -> RangeSpec:
    if range_arg:
        base, sep, head = range_arg.partition("..")
        if not sep or head.startswith(".") or not base:
            raise UsageError(f"--range must look like BASE..HEAD, not {range_arg!r}")
        return RangeSpec("--range", head=head or "HEAD", base=base)
    if since_arg:
        return RangeSpec("--since", head="HEAD", base=since_arg)
    if env.get("GITHUB_ACTIONS") == "true":
        return _github(env.get("GITHUB_EVENT_NAME", ""), event or {}, env)
    if env.get("GITLAB_CI") == "true":
        return _gitlab(env)
    raise UsageError("not in GitHub Actions or GitLab CI; pass --range BASE..HEAD or --since REV")


def _github(name: str, event: Mapping[str, object], env: Mapping[str, str]) -> RangeSpec:
    # Every field is checked as it is read: a present but malformed one is exit 2 (ci_fields.py).
    f = Fields(event, f"GitHub {name or '(none)'} event")
    default = f.text("repository", "default_branch")
    if name == "push":
        before, after = f.commit("before"), f.commit("after") or variable(env, "GITHUB_SHA")
        if after is None or _zero(after):
            if f.flag("deleted"):
                return RangeSpec("GitHub push", nothing=f"{f.text('ref') or 'the ref'} was deleted")
            raise UsageError("GitHub push event without an 'after' commit")
        ref = f.text("ref")
        tag = ref if ref and ref.startswith("refs/tags/") else None
        # The first push of the default branch itself has nothing to compare against: scan it all.
        # So does a force push to it whose `before` the clone lacks (resolve's fallback): its
        # commits are all on the default branch by then, "not on it" would be none.
        on_default = ref == f"refs/heads/{default}"
        branch = None if on_default else default
        if not _zero(before):
            return RangeSpec("GitHub push", head=after, base=before, default_branch=branch, platform="github", tag=tag)
        return RangeSpec("GitHub push (new ref)", head=after, default_branch=branch, platform="github", tag=tag)
    if name in ("pull_request", "pull_request_target"):
        base, head = f.commit("pull_request", "base", "sha"), f.commit("pull_request", "head", "sha")
        if base is None or head is None:
            raise UsageError(f"GitHub {name} event without pull_request.base.sha / head.sha")
        number = f.number("number")
        number = f.number("pull_request", "number") if number is None else number
        pull = f"refs/pull/{number}/head" if number is not None else None
        return RangeSpec(f"GitHub {name}", head=head, base=base, from_merge_base=True, platform="github",
                         fetch_base=f.text("pull_request", "base", "ref"),
                         fetch_head=pull if name == "pull_request_target" else None)  # fmt: skip
    if name == "merge_group":
        base, head = f.commit("merge_group", "base_sha"), f.commit("merge_group", "head_sha")
        if base is None or head is None:
            raise UsageError("GitHub merge_group event without base_sha / head_sha")
        return RangeSpec("GitHub merge_group", head=head, base=base, platform="github",
                         fetch_base=f.text("merge_group", "base_ref"))  # fmt: skip
    raise UsageError(
        f"GitHub event {name or '(none)'!r} has no commit range; "
        "pass --range BASE..HEAD or --since REV (or run `keylatch history` for a full audit)"
    )


def _gitlab(env: Mapping[str, str]) -> RangeSpec:
    source = env.get("CI_PIPELINE_SOURCE", "")
    # Commit ids are checked as GitHub's are (ci_fields.variable): a malformed one is exit 2.
    head = variable(env, "CI_COMMIT_SHA") or "HEAD"
    default = env.get("CI_DEFAULT_BRANCH") or None
    if source in ("merge_request_event",) or env.get("CI_MERGE_REQUEST_IID"):
        base = variable(env, "CI_MERGE_REQUEST_DIFF_BASE_SHA")
        if not base:
            raise UsageError("GitLab merge request pipeline without CI_MERGE_REQUEST_DIFF_BASE_SHA")
        # Merged-results pipelines run on a merge commit; the MR's own commits end at the source SHA.
        mr_head = variable(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or head
        return RangeSpec("GitLab merge request", head=mr_head, base=base, from_merge_base=True, platform="gitlab",
                         fetch_base=env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME") or None)  # fmt: skip
    if source == "external_pull_request_event" or env.get("CI_EXTERNAL_PULL_REQUEST_IID"):
        # A GitHub pull request built by GitLab CI (docs.gitlab.com, predefined variables for
        # external pull request pipelines): from where the source branch left the target's tip.
        base = variable(env, "CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA")
        if not base:
            raise UsageError("GitLab external pull request pipeline without CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_SHA")
        pr_head = variable(env, "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_SHA") or head
        target = env.get("CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME") or None
        return RangeSpec("GitLab external pull request", head=pr_head, base=base, from_merge_base=True,
                         platform="gitlab", fetch_base=target)  # fmt: skip
    if source == "push":
        before = variable(env, "CI_COMMIT_BEFORE_SHA")
        tag = f"refs/tags/{env['CI_COMMIT_TAG']}" if env.get("CI_COMMIT_TAG") else None
        # As on GitHub: a first or force push of the default branch is scanned whole.
        branch = None if env.get("CI_COMMIT_BRANCH") == default else default
        if not _zero(before):
            return RangeSpec("GitLab push", head=head, base=before, default_branch=branch, platform="gitlab", tag=tag)
        return RangeSpec("GitLab push (new ref)", head=head, default_branch=branch, platform="gitlab", tag=tag)
    raise UsageError(
        f"GitLab pipeline source {source or '(none)'!r} has no commit range; "
        "pass --range BASE..HEAD or --since REV (or run `keylatch history` for a full audit)"
    )


def _fix(platform: str) -> str:
    if platform == "github":
        first = "set `fetch-depth: 0` on actions/checkout"
    elif platform == "gitlab":
        first = "set `GIT_DEPTH: 0` in the job's variables"
    else:
        first = "clone with full history"
    return f"{first}, or run `git fetch --deepen=100` (or `git fetch --unshallow`) before keylatch"


def _head_fix(spec: RangeSpec) -> str:
    if spec.origin == "GitHub pull_request_target":
        # The job checks out the base branch; no depth fetches the pull request's commits (a
        # fork's live in the fork), but the base repository serves them as refs/pull/N/head.
        ref = spec.fetch_head or "refs/pull/<number>/head"
        return (
            f"run `git fetch origin {ref}` before keylatch (a pull_request_target job checks out the base "
            "branch, and `fetch-depth: 0` fetches no fork's commits), or check out "
            "`${{ github.event.pull_request.head.sha }}` with `fetch-depth: 0` on actions/checkout"
        )
    return _fix(spec.platform)


def _base_fix(spec: RangeSpec, shallow: Collection[str]) -> str:
    branch = spec.fetch_base or "<target branch>"
    fetch = f"run `git fetch origin {branch.removeprefix('refs/heads/')}` before keylatch"
    return f"{_fix(spec.platform)}; if it is still missing, {fetch}" if shallow else fetch


def _has_commit(git: Git, rev: str) -> bool:
    return git.returncode("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}") == 0


def _commit_id(git: Git, rev: str) -> str | None:
    """The commit `rev` names, or None where _has_commit says False (any failure of git's)."""
    proc = git.popen("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    out, _ = proc.communicate()
    sha = out.decode("ascii", "replace").strip()
    return sha if proc.returncode == 0 and sha else None


def _short(rev: str) -> str:
    return rev[:12] if len(rev) >= 40 else rev


def _default_ref(git: Git, branch: str) -> str | None:
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        if _has_commit(git, ref):
            return ref
    return None


def _named_tag(spec: RangeSpec, git: Git, head: str, note: str) -> tuple[str, ...]:
    """The name the range's head was given, as one more positive revision for the walk: it adds
    no commit (it names `head`), but a name that is an annotated tag has its message read
    (history/tags.py). A tag the CI event pushed must be in the clone: its message is part of
    what was pushed, so not finding it is a scan that could not read its input (exit 3)."""
    if spec.tag is not None:
        if _commit_id(git, spec.tag) != head:
            raise ScanError(
                f"{spec.origin}: the pushed tag {spec.tag} is not in this clone at {_short(head)}, so its "
                f"message cannot be read{note}; fetch it (`git fetch origin {spec.tag}:{spec.tag}`)"
            )
        return (spec.tag,)
    # --range A..NAME: NAME was checked by revs.commit (exit 2 if it names nothing). HEAD and a
    # commit id name no tag; --since's head is HEAD.
    return (spec.head,) if spec.origin == "--range" and spec.head not in ("HEAD", head) else ()


def resolve(spec: RangeSpec, git: Git, shallow: Collection[str] = ()) -> RangePlan:
    """Check the range against the clone; `shallow` is its boundary (`repostate.inspect`)."""
    if spec.nothing:
        return RangePlan((), f"nothing ({spec.nothing})", 0, spec.origin)
    note = " (the clone is shallow)" if shallow else ""
    # Commit ids already resolved: both ends in one process (revs.commit_ids); an end that does
    # not resolve there is asked again below, for the message its case has always had.
    ids = commit_ids(git, [r for r in (spec.head, spec.base) if r is not None])
    known: dict[str, str] = {}
    lost = False  # the base is a commit the damaged repository cannot read
    if not spec.platform:
        # Given on the command line: a name that resolves to nothing is a typo (exit 2); an object
        # id a shallow clone lacks may be missing history (exit 3). See sources/revs.py.
        for rev in (spec.head, spec.base):
            if rev is None:
                continue
            if sha := ids.get(rev):
                known[rev] = sha
                continue
            try:
                known[rev] = commit(git, rev, spec.origin, shallow=bool(shallow) or None, fix=_fix(spec.platform))
            except UsageError:
                if rev != spec.base or not unreadable(git, rev, known[spec.head]):
                    raise
                known[rev], lost = rev.lower(), True
    if spec.head not in known:
        # The platform's commit ids: one rev-parse each says whether it is here and which it is.
        head_id = ids[spec.head] if spec.head in ids else _commit_id(git, spec.head)
        kind = non_commit(git, spec.head) if head_id is None else None
        if kind is not None:
            return _content_plan(spec, git, kind)
        if head_id is None:
            raise ScanError(
                f"{spec.origin}: head commit {_short(spec.head)} is not in this clone{note}; {_head_fix(spec)}"
            )
        known[spec.head] = head_id
    head = known[spec.head]
    base = spec.base
    if base is not None and base not in known:
        base_id = ids[base] if base in ids else _commit_id(git, base)
        if base_id is not None:
            known[base] = base_id
        elif unreadable(git, base, head):
            known[base], lost = base.lower(), True
    if base is not None and base not in known and (spec.from_merge_base or spec.fetch_base is not None):
        # A pull request's target: scanning all of head instead (the force-push fallback) would
        # blame the pull request for the target branch's history. Deepening brings it only when
        # it is an ancestor of what was fetched (GitLab fetches the pipeline's ref alone).
        raise ScanError(
            f"{spec.origin}: base commit {_short(base)} is not in this clone{note}; {_base_fix(spec, shallow)}"
        )
    if base is not None and base not in known:
        if shallow or not spec.platform:
            raise ScanError(
                f"{spec.origin}: base commit {_short(base)} is not in this clone{note}; {_fix(spec.platform)}"
            )
        # A force push leaves `before` unreachable and unfetched: fall back to the new-branch rule.
        what = "the commits not on the default branch" if spec.default_branch else f"every commit of {_short(head)}"
        log.warning("%s: before commit %s is not in this clone (force push?); scanning %s",
                    spec.origin, _short(base), what)  # fmt: skip
        base = None
    if base is not None:
        base = known[base]
    damaged = lost
    if base is not None and spec.from_merge_base and not lost:
        try:
            out = git.run("merge-base", base, head, ok_codes=(0, 1)).strip()
        except ScanError as exc:
            if not damage_said(str(exc)):
                raise
            # A commit between them is lost: every commit of head not in base is still the range.
            out, damaged = base.encode("ascii"), True
        if not out:
            raise ScanError(
                f"{spec.origin}: {_short(base)} and {_short(spec.head)} have no common ancestor in this clone"
                f"{note}; {_fix(spec.platform)}"
            )
        base = out.decode()
    if base is not None:
        revs: tuple[str, ...] = (head, f"^{base}")
        description = f"{_short(base)}..{_short(head)}"
    elif spec.default_branch is not None:
        ref = _default_ref(git, spec.default_branch)
        if ref is None:
            # GitLab fetches the pipeline's own ref only, whatever GIT_DEPTH: only a fetch brings it.
            # A single-branch clone's fetch of it updates no remote-tracking ref unless told to.
            fix = "" if spec.platform == "gitlab" else f"{_fix(spec.platform)}, or "
            name = spec.default_branch
            raise ScanError(
                f"{spec.origin}: the default branch {name!r} is not in this clone, so the new commits cannot be "
                f"told apart{note}; {fix}run `git fetch origin {name}` before keylatch "
                f"(`git fetch origin {name}:refs/remotes/origin/{name}` in a single-branch clone)"
            )
        revs = (head, f"^{ref}")
        description = f"{_short(head)} not on {ref.removeprefix('refs/remotes/').removeprefix('refs/heads/')}"
        # Judged with the settings of the commit the branch forked from.
        base = _merge_base(git, head, ref)
    else:
        revs = (head,)
        description = f"all of {_short(head)}"
    try:
        commits = git.run("rev-list", *revs, "--").split()
    except ScanError as exc:
        if not damage_said(str(exc)):
            raise
        commits, damaged = [], True  # the walk reads what it can (history/salvage.py)
    named = _named_tag(spec, git, head, note)
    revs = (*revs, *named)
    if shallow:
        cut = [c.decode() for c in commits if c.decode() in shallow]
        if cut:
            raise ScanError(
                f"{spec.origin}: the range {description} reaches the shallow clone's boundary at "
                f"{_short(cut[0])}, so part of it is missing; {_fix(spec.platform)}"
            )
    if spec.tag is not None:
        description += f", tag {spec.tag.removeprefix('refs/tags/')}"
    tag = named[0] if named else None
    if damaged:
        description += "; the repository is damaged"
    # A lost base's settings cannot be read: judged as with no base, keylatch's defaults (the strictest).
    return RangePlan(
        revs, description, len(commits), spec.origin, head=head, base=None if lost else base, tag=tag, damaged=damaged
    )


def _content_plan(spec: RangeSpec, git: Git, kind: str) -> RangePlan:
    """A push whose ref is, or tags, a blob or a tree publishes no commit, only that content:
    it is scanned as `history --range X` and the pre-push hook scan it, placed by the pushed
    ref's name, and judged with the settings of the default branch's tip (pre-push: the
    remote's HEAD), or keylatch's defaults when the clone lacks it."""
    name = spec.tag or spec.head
    base = _commit_id(git, ref) if spec.default_branch and (ref := _default_ref(git, spec.default_branch)) else None
    named = f"tag {spec.tag.removeprefix('refs/tags/')}" if spec.tag is not None else "the pushed ref"
    what = f"{kind} ({_short(spec.head)}, named by {named}; no commit)"
    return RangePlan((), what, 0, spec.origin, head=base or "", base=base, objects=((name, spec.head),))


def _merge_base(git: Git, head: str, ref: str) -> str | None:
    """The fork point of `head` from `ref`; None when there is none, or when git cannot read the
    history between them (damage the walk names): judged with keylatch's defaults then."""
    try:
        return git.run("merge-base", head, ref, ok_codes=(0, 1)).decode().strip() or None
    except ScanError as exc:
        if not damage_said(str(exc)):
            raise
        return None
