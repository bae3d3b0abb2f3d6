"""Keys in annotated tag objects: a release note pasted with a key in it is in no commit.

The walker scans every tag object the store lists (whole history) or that a range names
(`v1.0`, a pushed tag's id), from its `tag` header on: name, tagger, message and signature, with
lines numbered as in the object itself (`git cat-file tag <id>`), so the object id and line of a
location read back the key's line. The `object` and `type` headers are git's ids, not content.

A keyed tag is reported with the refs that reach it, through nested tags too (one
`for-each-ref`, then one `cat-file --batch` per nesting level over the tags refs point at).
A tag no ref reaches (deleted, dangling) is reported only with `include_unreachable`, as
dangling blobs are. The tag's own name (its `tag` header) and tagger are the tagger's text,
untrusted: report/ escapes and redacts them as it does paths and author names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from keylatch.history.damage import damaged
from keylatch.history.model import CommitInfo, KeyFinding, Occurrence
from keylatch.model import Chunk, Finding
from keylatch.sources.gitcmd import Git
from keylatch.sources.objects import BLOCK, BlobHeader, read_batch

_IDS = (b"object ", b"type ")  # git's own headers, the first two lines of every tag object
TAG_NEEDED = "tag object that a ref needs"


@dataclass(frozen=True, slots=True)
class Tag:
    oid: bytes
    target: bytes
    target_type: bytes
    name: str  # the `tag` header: the tagger's text
    tagger: CommitInfo  # name, email and date of the `tagger` header; summary: the message's first line


def tag_body(header: BlobHeader, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """A tag object from its `tag` header on, lines numbered from the object's first."""
    if header.size > BLOCK:  # a giant (hostile) tag object: scan it raw, in blocks
        yield from chunks
        return
    data = b"".join(c.data for c in chunks)  # one block
    start, line = 0, 1
    while line <= len(_IDS) and data.startswith(_IDS, start):
        end = data.find(b"\n", start)
        if end < 0:
            break
        start, line = end + 1, line + 1
    yield Chunk(data[start:], "", first_line=line)


def parse_tag(oid: bytes, data: bytes) -> Tag:
    head, _, message = data.partition(b"\n\n")
    fields: dict[bytes, bytes] = {}
    for row in head.split(b"\n"):
        key, _, value = row.partition(b" ")
        fields.setdefault(key, value)
    return Tag(
        oid,
        fields.get(b"object", b""),
        fields.get(b"type", b""),
        fields.get(b"tag", b"").decode("utf-8", "backslashreplace"),
        _tagger(fields.get(b"tagger", b""), message.split(b"\n", 1)[0]),
    )


def _tagger(value: bytes, subject: bytes) -> CommitInfo:
    who, _, when = value.rpartition(b">")
    name, _, email = who.partition(b"<")
    date = ""
    stamp, _, zone = when.strip().partition(b" ")
    try:
        hours, minutes = int(zone[:3]), int(zone[0:1] + zone[3:5])
        tz = dt.timezone(dt.timedelta(hours=hours, minutes=minutes))
        date = dt.datetime.fromtimestamp(int(stamp), tz).isoformat()
    except (ValueError, OverflowError, OSError):
        pass  # no tagger line (old or hand-made tags) or a malformed one: no date
    text = "utf-8", "backslashreplace"
    return CommitInfo("", name.strip().decode(*text), email.decode(*text), date, subject.decode(*text))


def named_tags(git: Git, revs: Sequence[str], commits: Collection[str] = ()) -> tuple[bytes, ...]:
    """The tag objects a range names as a positive revision (`v1.0`, `B` of `A..B`, a pushed
    tag's id), and the tags nested in them. Pseudo-options (`--all`, `--tags`) name no tag here:
    under pre-push `--tags` means every local tag, most of them published long ago. `commits`:
    revisions the caller knows are commit ids (ci's resolved head): not asked about."""
    names: list[str] = []
    negated = False
    for rev in revs:
        if rev == "--not":
            negated = not negated
        elif not rev.startswith(("-", "^")) and "\n" not in rev:
            left, dots, right = rev.partition("..")
            if not dots:
                names += [] if negated else [rev]
            elif right.startswith("."):  # A...B: both sides
                names += [n for n in (left, right[1:]) if n]
            elif right:
                names.append(right)
    names = [n for n in names if n not in commits]
    if not names:
        return ()
    fmt = "--batch-check=%(objecttype) %(objectname)"
    rows = git.run("cat-file", fmt, input="".join(f"{n}\n" for n in names).encode("utf-8", "surrogateescape"))
    tags = [parts[1] for parts in (r.split(b" ") for r in rows.splitlines()) if parts[0] == b"tag" and len(parts) == 2]
    return tuple(_nested(git, Path(git.repo or "."), dict.fromkeys(tags)))


def _nested(git: Git, repo: Path, tags: Mapping[bytes, object]) -> dict[bytes, Tag]:
    """`tags` and every tag they point at, read level by level (each tag object once)."""
    found: dict[bytes, Tag] = {}
    todo = [t for t in tags if t not in found]
    while todo:
        objs = read_batch(git, [t.decode("ascii") for t in todo])
        level = []
        for oid in todo:
            obj = objs.get(oid.decode("ascii"))
            if obj is None or obj.kind != b"tag":
                raise damaged(repo, 1, TAG_NEEDED, "missing or unreadable", oid)
            tag = found[oid] = parse_tag(oid, obj.data)
            if tag.target_type == b"tag" and tag.target not in found:
                level.append(tag.target)
        todo = list(dict.fromkeys(level))
    return found


def _refs(git: Git, repo: Path) -> dict[bytes, set[str]]:
    """tag object -> the refs that reach it, directly or through tags nested in tags."""
    direct: dict[bytes, set[str]] = defaultdict(set)
    for line in git.run("for-each-ref", "--format=%(objecttype) %(objectname) %(refname)").splitlines():
        kind, oid, ref = line.split(b" ", 2)
        if kind == b"tag":
            direct[oid].add(ref.decode("utf-8", "backslashreplace"))
    tags = _nested(git, repo, direct)
    reached: dict[bytes, set[str]] = defaultdict(set)
    for start, refs in direct.items():
        at: bytes | None = start
        # Stops where these refs were already recorded: every tag below has them too.
        while at is not None and at in tags and not refs <= reached[at]:
            reached[at] |= refs
            tag = tags[at]
            at = tag.target if tag.target_type == b"tag" else None
    return reached


def tag_keys(
    git: Git,
    repo: Path,
    keyed: Mapping[bytes, tuple[Finding, ...]],
    others: Sequence[KeyFinding],
    *,
    named: Collection[bytes] = (),
    include_unreachable: bool = False,
) -> list[KeyFinding]:
    """`others` (the walk's findings) with the keys of the keyed tag objects added: a key also
    found elsewhere gains the tag's place and refs, a key only in tags is a finding of its own."""
    if not keyed:
        return list(others)
    reached = _refs(git, repo)
    tags = {oid: tag for oid, tag in _nested(git, repo, dict.fromkeys(keyed)).items() if oid in keyed}
    places: dict[str, list[tuple[Occurrence, Tag, Finding]]] = defaultdict(list)
    refs_of: dict[str, set[str]] = defaultdict(set)
    for oid, tag in sorted(tags.items()):
        refs = reached.get(oid, set())
        if not refs and oid not in named and not include_unreachable:
            continue
        for f in keyed[oid]:
            who = tag.tagger
            occ = Occurrence("", "", f.location.line, f.location.column, who.author_name, who.author_email,
                             oid.decode("ascii"), f.encoding, tag=tag.name)  # fmt: skip
            places[f.fingerprint].append((occ, tag, f))
            refs_of[f.fingerprint] |= refs
    out = []
    for k in others:
        extra = places.pop(k.fingerprint, [])
        if extra:
            locs = tuple(sorted({*k.locations, *(o for o, _, _ in extra)}, key=_order))
            k = dataclasses.replace(k, locations=locs, refs=tuple(sorted({*k.refs, *refs_of[k.fingerprint]})))
        out.append(k)
    for fp, lst in sorted(places.items()):
        lst.sort(key=lambda t: (t[1].tagger.date, _order(t[0])))
        _, tag, f = lst[0]
        info = dataclasses.replace(tag.tagger, summary=f"(in no commit: message of tag {tag.name})")
        locs = tuple(sorted({o for o, _, _ in lst}, key=_order))
        named_by = tuple(sorted(refs_of[fp]))
        out.append(KeyFinding(f.rule_id, f.severity, f.secret, info, info, locs, False, named_by))
    return out


def _order(o: Occurrence) -> tuple[str, str, int, int, str, str]:
    return (o.path, o.tag, o.line, o.column, o.commit, o.blob)
