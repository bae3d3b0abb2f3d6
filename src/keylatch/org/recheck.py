"""`org merge --verify`: each distinct key of the organisation checked once.

Result files never hold a key, so each key is read back from one place it was committed: its
blob, from a kept mirror (`--clones DIR`, what `org scan --keep-clones` wrote) or else a fresh
mirror clone of one repository that holds it, removed afterwards. The engine finds the key in
that blob again by fingerprint (in an archive blob, in its members first, as the scan found it:
a compressed member's key is not in the raw blob); verify.check then asks once per key. A key that cannot be read
back is UNKNOWN, never "revoked".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from keylatch.engine import scan_chunk
from keylatch.errors import KeylatchError
from keylatch.model import Chunk, Finding, KeyCheck, Verdict
from keylatch.org.fetch import kept_mirror, mirror
from keylatch.org.merge import Exposure, OrgKey
from keylatch.org.plan import PlannedRepo
from keylatch.org.results import RepoResult
from keylatch.sources.gitcmd import Git
from keylatch.verify import Options, check


def verdicts(
    keys: Sequence[OrgKey], scanned: Sequence[RepoResult], options: Options, clones: Path | None
) -> dict[str, KeyCheck]:
    repos = {r.repository: r for r in scanned}
    wanted: dict[str, list[tuple[OrgKey, Exposure]]] = {}
    for k in keys:
        place = next((p for p in k.places if p.blob), None)
        if place is not None:
            wanted.setdefault(place.repository, []).append((k, place))
    found: list[Finding] = []
    texts: dict[str, tuple[bytes, int]] = {}
    failed: dict[str, KeyCheck] = {}
    for name, items in sorted(wanted.items()):
        try:
            for finding, data in _read_back(repos[name], items, clones):
                found.append(finding)
                texts[finding.fingerprint] = (data, finding.location.line)
        except KeylatchError as exc:
            for k, _ in items:
                failed[k.fingerprint] = KeyCheck(Verdict.UNKNOWN, f"not checked: cannot read it back ({exc})")

    def context(f: Finding) -> Iterator[tuple[bytes, int]]:
        if f.fingerprint in texts:
            yield texts[f.fingerprint]

    result = check(found, options, context)
    for k in keys:
        if k.fingerprint not in result and k.fingerprint not in failed:
            failed[k.fingerprint] = KeyCheck(Verdict.UNKNOWN, "not checked: the key was not found again where it was")
    return {**failed, **result}


def _read_back(
    result: RepoResult, items: Sequence[tuple[OrgKey, Exposure]], clones: Path | None
) -> Iterator[tuple[Finding, bytes]]:
    kept = kept_mirror(clones, result.repository) if clones is not None else None
    if kept is not None and (kept / "HEAD").is_file():
        yield from _from(kept, items)
        return
    repo = PlannedRepo(result.repository, result.clone_url, "", result.head, 0, result.auth)
    with mirror(repo, None) as path:
        yield from list(_from(path, items))


def _from(path: Path, items: Sequence[tuple[OrgKey, Exposure]]) -> Iterator[tuple[Finding, bytes]]:
    git = Git(path)
    wanted: Mapping[str, str] = {k.fingerprint: p.blob for k, p in items}
    for fp, blob in sorted(wanted.items()):
        data = git.run("cat-file", "blob", blob)
        found = _found(data, blob, fp)
        if found is not None:
            yield found


def _found(data: bytes, blob: str, fp: str) -> tuple[Finding, bytes] | None:
    """The key with fingerprint `fp` in the blob, with the bytes it is in: an archive blob's
    members are read as the scan read them (a key in a compressed member is not in the raw
    blob), then its raw bytes (a damaged archive's key may be found only there)."""
    from keylatch.sources import archives

    if archives.is_archive(data, data, len(data)):  # a zip with bytes in front too, as the scan opens it
        import io

        try:
            for label, read in archives.members(io.BytesIO(data), "", archives.DEFAULT_LIMITS):
                member = b"".join(iter(lambda read=read: read(1 << 20), b""))  # type: ignore[misc]
                for f in scan_chunk(Chunk(member, label, blob=blob)):
                    if f.fingerprint == fp:
                        return f, member
        except KeylatchError:
            pass  # not read whole: the members before the break and its raw bytes were read
    for f in scan_chunk(Chunk(data, "", blob=blob)):
        if f.fingerprint == fp:
            return f, data
    return None
