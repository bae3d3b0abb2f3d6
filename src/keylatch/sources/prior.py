"""What HEAD (or the branch being merged) holds at the staged paths, as bytes.

Read only when the pre-commit hook found a key (history/prior.py matches these versions): a key
that was already committed is not added by this commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from keylatch.sources.gitcmd import Git
from keylatch.sources.objects import read_objects
from keylatch.sources.staged import Staged, split_z


def head_versions(git: Git, staged: Staged, paths: Iterable[str]) -> dict[str, bytes]:
    """HEAD's content for each of `paths` (following a staged rename back to its source)."""
    if not staged.has_head:
        return {}
    wanted = list(dict.fromkeys(paths))
    by_path = {f.path: f for f in staged.files}
    source = {p: p for p in wanted}
    if any(by_path.get(p) is None or by_path[p].head_blob is None for p in wanted):
        source.update(_rename_sources(git))
    here = "./" if staged.cwd_relative else ""  # `HEAD:./x` is relative to the current directory
    names: dict[str, str] = {}
    for p in wanted:
        known = by_path[p].head_blob if p in by_path else None
        names[p] = known or f"HEAD:{here}{source.get(p, p)}"
    objects = read_objects(git, names.values())
    return {p: data for p, n in names.items() if (data := objects.get(n)) is not None}


def _rename_sources(git: Git) -> dict[str, str]:
    out = git.run("diff-index", "--cached", "-z", "--name-status", "-M", "HEAD", "--")
    fields = split_z(out)
    renames: dict[str, str] = {}
    i = 0
    while i < len(fields):
        status = fields[i]
        if status[:1] in ("R", "C"):
            renames[fields[i + 2]] = fields[i + 1]
            i += 3
        else:
            i += 2
    return renames


def prior_versions(git: Git, staged: Staged, paths: Iterable[str]) -> list[tuple[str, dict[str, bytes]]]:
    """("HEAD", path -> content), then ("MERGE_HEAD", ...) while a merge is in progress: the
    committed versions a staged key may already be in. Bytes only; the caller matches."""
    wanted = list(dict.fromkeys(paths))
    out = [("HEAD", head_versions(git, staged, wanted))]
    if staged.has_head and git.returncode("rev-parse", "--verify", "--quiet", "MERGE_HEAD") == 0:
        here = "./" if staged.cwd_relative else ""
        merged = read_objects(git, (f"MERGE_HEAD:{here}{p}" for p in wanted))
        out.append(("MERGE_HEAD", {p: d for p in wanted if (d := merged.get(f"MERGE_HEAD:{here}{p}")) is not None}))
    return out
