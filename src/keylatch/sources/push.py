"""Which commits a push publishes, as git rev-list arguments for the history scanner.

Plain git hook: git writes one line per ref to the hook's stdin,
`<local ref> <local sha> <remote ref> <remote sha>`. Every ref counts: the commits of each local
sha that neither the remote's old value of that ref nor any of the remote's tracking refs
already reach. A new branch (remote sha all zeros) is therefore scanned down to wherever it
meets the remote, however many commits that is; a deletion (local sha all zeros) publishes
nothing.

pre-commit framework: it reads that stdin itself and passes only the first ref with new commits
(`PRE_COMMIT_FROM_REF`/`TO_REF`), and neither variable on a push that includes a root commit.
Trusting them let `git push origin clean leak` publish a key. So without the ref lines keylatch
scans every local branch and tag (plus HEAD and TO_REF) that is not yet on the remote: a
superset of any push to that remote.

A pushed ref that is, or tags, a blob or a tree (`git tag keys <blob>`) publishes content that
no commit holds: it goes in `PushPlan.objects`, by the name the remote gets, and is scanned as
content (history/direct.py), unless the remote already has that very object. Without ref lines
every local branch and tag on a blob or tree is scanned: whether the remote has one cannot be
told without the network, and they are few.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from keylatch.errors import ScanError
from keylatch.sources.gitcmd import Git, null_id
from keylatch.sources.revs import damage_said


@dataclass(frozen=True, slots=True)
class PushedRef:
    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deletion(self) -> bool:
        return null_id(self.local_sha)

    @property
    def new_on_remote(self) -> bool:
        return null_id(self.remote_sha)


@dataclass(frozen=True, slots=True)
class PushPlan:
    remote: str
    # rev-list arguments selecting the commits to scan; empty when the push publishes nothing.
    revs: tuple[str, ...]
    refs: tuple[str, ...]  # what is being pushed, for messages
    # False when keylatch had to assume every local branch and tag (no ref lines available).
    exact: bool = True
    # (name, object id) of pushed refs that are, or tag, a blob or a tree: scanned as content.
    objects: tuple[tuple[str, str], ...] = ()
    # Pushed tips that are commits themselves (no tag): the walk need not ask what they are
    # (history/tags.py `named_tags`). Known only from ref lines, whose kinds are read anyway.
    commits: tuple[str, ...] = ()
    # The commit the first pushed annotated tag of a commit points at ("" for none): `tag_only`'s
    # answer, read with the kinds.
    tagged: str = ""


def parse_ref_lines(text: str) -> tuple[PushedRef, ...]:
    refs = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.rsplit(maxsplit=3)
        if len(parts) != 4 or not all(_is_sha(p) for p in (parts[1], parts[3])):
            raise ScanError(f"cannot read the refs being pushed: stdin line {n} is not '<ref> <sha> <ref> <sha>'")
        refs.append(PushedRef(*parts))
    return tuple(refs)


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def _known(git: Git, shas: Sequence[str]) -> list[str]:
    """The commits among `shas` that exist here (a remote sha we never fetched does not)."""
    if not shas:
        return []
    return [s for s, k in zip(shas, _kinds(git, (), shas)[3], strict=True) if k == "commit"]


def _remote_tracking(remote: str) -> str:
    # `--remotes=origin` means refs/remotes/origin/*; a URL matches nothing, so all is scanned.
    return f"--remotes={remote}"


def from_ref_lines(git: Git, remote: str, refs: Sequence[PushedRef]) -> PushPlan:
    pushed = [r for r in refs if not r.deletion]
    names = tuple(r.local_ref for r in pushed)
    if not pushed:
        return PushPlan(remote, (), names)
    olds_asked = list(dict.fromkeys(r.remote_sha for r in pushed if not r.new_on_remote))
    kinds, raw, peeled, old_kinds = _kinds(git, [r.local_sha for r in pushed], olds_asked)
    for r, kind in zip(pushed, kinds, strict=True):
        if kind == "missing":  # what it is cannot be told, so neither can what it publishes
            raise ScanError(
                f"the pushed object {r.local_sha} (or what it tags) is missing or unreadable; `git fsck` says more"
            )
    # A blob or a tree: its content is what is published. Named as the remote will name it (a
    # push of `<sha>:refs/tags/x` has no local ref); one the remote already has is not new.
    objects = tuple(
        dict.fromkeys(
            (r.remote_ref, r.local_sha)
            for r, k in zip(pushed, kinds, strict=True)
            if k in _CONTENT and r.local_sha != r.remote_sha
        )
    )
    commits = [(r, t, p) for r, k, t, p in zip(pushed, kinds, raw, peeled, strict=True) if k not in _CONTENT]
    if not commits:  # no commit to walk (and none for git's log to default to)
        return PushPlan(remote, (), names, objects=objects)
    # The remote's old values that are commits here, as `_known` tells them (`^{commit}`).
    known = {s for s, k in zip(olds_asked, old_kinds, strict=True) if k == "commit"}
    olds = [r.remote_sha for r, _, _ in commits if not r.new_on_remote and r.remote_sha in known]
    tips = list(dict.fromkeys(r.local_sha for r, _, _ in commits))
    plain = tuple(dict.fromkeys(r.local_sha for r, t, _ in commits if t == "commit"))
    tagged = next((p for _, t, p in commits if t == "tag"), "")
    revs = (*tips, "--not", *olds, _remote_tracking(remote))
    return PushPlan(remote, revs, names, objects=objects, commits=plain, tagged=tagged)


def _kinds(git: Git, shas: Sequence[str], olds: Sequence[str]) -> tuple[list[str], ...]:
    """For the pushed `shas`: what each is with tags peeled ("commit", "blob", "tree" or
    "missing", as `_peeled_kinds`), what it is itself ("tag" for an annotated tag), and the
    peeled id; for the remote's `olds`: "commit" for each that is one here (as `_known`). One
    `cat-file --batch-check` for all: these were three processes. Every request line is built
    from an id parse_ref_lines checked is hexadecimal, so none can be split or read otherwise."""
    request = [f"{s}^{{}}\n{s}\n" for s in shas] + [f"{s}^{{commit}}\n" for s in olds]
    out = git.run("cat-file", "--batch-check=%(objecttype) %(objectname)", input="".join(request).encode())
    rows = [row.split(" ") for row in out.decode("ascii", "replace").splitlines()]
    if len(rows) != 2 * len(shas) + len(olds):
        raise ScanError("git cat-file answered an unexpected number of lines about the pushed objects")
    peeled_rows, raw_rows, old_rows = rows[0 : 2 * len(shas) : 2], rows[1 : 2 * len(shas) : 2], rows[2 * len(shas) :]
    kinds = [row[-1] if row[-1] == "missing" else row[0] for row in peeled_rows]
    raw = [row[0] if row[-1] != "missing" else "missing" for row in raw_rows]
    peeled = [row[1] if row[-1] != "missing" and len(row) == 2 else "" for row in peeled_rows]
    old_kinds = [row[0] if row[-1] != "missing" else "missing" for row in old_rows]
    return kinds, raw, peeled, old_kinds


_CONTENT = ("blob", "tree")


def _peeled_kinds(git: Git, shas: Sequence[str]) -> list[str]:
    """What each object is, tags peeled: "commit", "blob", "tree", or "missing"."""
    return _kinds(git, shas, ())[0]


def local_objects(git: Git, *extra: str) -> tuple[tuple[str, str], ...]:
    """(ref, object id) of every local branch and tag (and of `extra` refs) that is, or tags, a
    blob or a tree: what `--branches --tags` leaves out, since they are no commits."""
    fmt = "--format=%(objectname) %(refname)"
    rows = git.run("for-each-ref", fmt, "refs/heads/", "refs/tags/").decode("utf-8", "surrogateescape").splitlines()
    named = [tuple(row.split(" ", 1)) for row in rows]
    extra_ids = [
        git.run("rev-parse", "--verify", "--quiet", "--end-of-options", ref, ok_codes=(0, 1)).decode().strip()
        for ref in extra
    ]
    named += [(sha, ref) for sha, ref in zip(extra_ids, extra, strict=True) if sha]
    if not named:
        return ()
    kinds = _peeled_kinds(git, [sha for sha, _ in named])
    return tuple(dict.fromkeys((ref, sha) for (sha, ref), k in zip(named, kinds, strict=True) if k in _CONTENT))


def unpushed(git: Git, remote: str, to_ref: str = "", from_ref: str = "") -> PushPlan:
    """Every local branch and tag (and HEAD, and `to_ref`) not yet on `remote`.

    Used when the pushed refs are unknown: under the pre-commit framework, or by hand.
    """
    tips = ["--branches", "--tags"]
    if to_ref:
        tips.append(to_ref)
    if git.returncode("rev-parse", "--verify", "--quiet", "HEAD") == 0:
        tips.append("HEAD")
    olds = _known(git, [from_ref]) if from_ref else []
    revs = (*tips, "--not", *olds, _remote_tracking(remote))
    objects = local_objects(git, *([to_ref] if to_ref else []))
    return PushPlan(remote, revs, ("local branches and tags",), exact=False, objects=objects)


def from_environment(git: Git, env: Mapping[str, str]) -> PushPlan:
    """Under the pre-commit framework, which passes the remote and (at most) the first ref."""
    remote = env.get("PRE_COMMIT_REMOTE_NAME", "")
    if not remote:
        raise ScanError("cannot tell which remote the push goes to (PRE_COMMIT_REMOTE_NAME is empty)")
    return unpushed(git, remote, env.get("PRE_COMMIT_TO_REF", ""), env.get("PRE_COMMIT_FROM_REF", ""))


def remote_names(git: Git) -> frozenset[str]:
    """The repository's configured remotes, as `git remote` lists them."""
    return frozenset(git.run("remote").decode("utf-8", "surrogateescape").split())


def looks_like_url(remote: str) -> bool:
    """Whether git would take `remote` for a URL or path rather than a remote's name: `scheme://`,
    scp-like `host:path` (a colon before any slash), or something on disk (a repository, a bundle).
    git then passes it to pre-push as both the name and the URL."""
    import os

    return "://" in remote or ":" in remote.split("/", 1)[0] or os.path.exists(remote)


def has_commits(git: Git, plan: PushPlan) -> bool:
    """Whether the plan selects any commit (a fast answer for pushes of already-published work)."""
    return bool(newest(git, plan))


def newest(git: Git, plan: PushPlan) -> str:
    """The newest commit the plan selects ("" for none): a commit the push publishes."""
    if not plan.revs:
        return ""
    try:
        return git.run("rev-list", "--max-count=1", *plan.revs, "--").decode("ascii", "replace").strip()
    except ScanError as exc:
        if not damage_said(str(exc)):
            raise
    # A damaged repository (git cannot read a commit it must walk to tell what the remote has):
    # the first pushed tip that is a readable commit; the walk names what is lost (exit 3).
    for tip in _tips(plan):
        out = git.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{tip}^{{commit}}", ok_codes=(0, 1))
        if out.strip():
            return out.decode("ascii", "replace").strip()
    return ""


def _tips(plan: PushPlan) -> tuple[str, ...]:
    return plan.revs[: plan.revs.index("--not")] if "--not" in plan.revs else plan.revs


def tag_only(plan: PushPlan) -> str:
    """For a push of annotated tags alone (their commits already on the remote, so `newest` is
    ""): the commit the first tag points at, else "". The tag object is new, and its message
    is content the walker reads (history/tags.py), so such a push is still judged. Read with
    the pushed objects' kinds (`from_ref_lines`); a plan without ref lines has none."""
    return plan.tagged if plan.exact else ""


def ends(git: Git, plan: PushPlan) -> tuple[str, tuple[str, ...]]:
    """(newest, bases) from one walk. `newest`: the newest commit the plan selects ("" for
    none). `bases`: the commits the remote already has that the pushed commits build on
    (rev-list's boundary), whose settings a push is judged with; empty when the push brings its
    own history (a first push, an unrelated branch). The range was walked twice, `rev-list
    --max-count=1` then `--boundary`; the first commit the second lists is the first's answer
    (git orders both walks alike: tests/sources/test_push.py compares them)."""
    if not plan.revs:
        return "", ()
    try:
        out = git.run("rev-list", "--boundary", *plan.revs, "--").decode("ascii", "replace")
    except ScanError as exc:
        if not damage_said(str(exc)):
            raise
        # A damaged repository: the boundary cannot be walked to, so no bases (keylatch's
        # defaults and no baseline, the strictest); the newest commit as `newest` finds it (git
        # may still tell it, else the first readable tip). The walk names what is lost (exit 3).
        return newest(git, plan), ()
    lines = out.split("\n")
    first = next((line for line in lines if line and not line.startswith("-")), "")
    return first, tuple(dict.fromkeys(line[1:] for line in lines if line.startswith("-")))


def remote_head(git: Git, remote: str) -> tuple[str, ...]:
    """The commit the remote's default branch is at here (`refs/remotes/<remote>/HEAD`), as the
    base to judge a push that brings no commit with (a tag of a blob alone); () when unknown
    (a URL, a remote added by hand): keylatch's defaults then, the strictest."""
    if looks_like_url(remote):
        return ()
    ref = f"refs/remotes/{remote}/HEAD^{{commit}}"
    out = git.run("rev-parse", "--verify", "--quiet", "--end-of-options", ref, ok_codes=(0, 1, 128))
    sha = out.decode("ascii", "replace").strip()
    return (sha,) if sha else ()
