"""A key in an archive's own bytes rather than in a member's data: a zip comment, a member's
comment or extra field, a tar pax record, a link target, a member's name. The archive read
whole, only its members were scanned: such a key passed every command with exit 0 (QA). The
container's bytes around its members are a leaf too (sources/archives.py), reported at the
archive's path; the members' own data is not scanned twice."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.engine import scan_chunk
from keylatch.rules.synthetic import make_key
from keylatch.sources.archives import Limits, stream_chunks
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

MakeRepo = Callable[..., GitRepo]
KEY = make_key("sk-proj-", seed=191)
SHORT = make_key("sk-", seed=192)  # 51 characters: fits a tar header's 100-byte name field


def _zip(comment: bytes = b"", info: Callable[[zipfile.ZipInfo], None] | None = None, name: str = "a.txt") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        zi = zipfile.ZipInfo(name)
        zi.compress_type = zipfile.ZIP_DEFLATED
        if info is not None:
            info(zi)
        z.writestr(zi, b"nothing to see\n")
        z.comment = comment
    return out.getvalue()


def _tar(member: tarfile.TarInfo, pax: dict[str, str] | None = None) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT if pax else tarfile.GNU_FORMAT) as t:
        if pax:
            member.pax_headers = pax
        t.addfile(member, io.BytesIO(b"nothing to see\n") if member.isreg() else None)
    return out.getvalue()


def _member_comment(zi: zipfile.ZipInfo) -> None:
    zi.comment = f"key={KEY}".encode()


def _extra(zi: zipfile.ZipInfo) -> None:
    data = f"key={KEY}".encode()
    zi.extra = struct.pack("<HH", 0xCAFE, len(data)) + data


def _regular(name: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = len(b"nothing to see\n")
    return info


def _link(target: str) -> tarfile.TarInfo:
    info = tarfile.TarInfo("current")
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


PLACES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "zip comment": ("bundle.zip", lambda: _zip(comment=f"key={KEY}\n".encode())),
    "zip member comment": ("bundle.zip", lambda: _zip(info=_member_comment)),
    "zip extra field": ("bundle.zip", lambda: _zip(info=_extra)),
    "zip member name": ("bundle.zip", lambda: _zip(name=f"keys/{SHORT}.txt")),
    "tar pax record": ("bundle.tar", lambda: _tar(_regular("a.txt"), {"comment": f"key={KEY}"})),
    "tar link target": ("bundle.tar", lambda: _tar(_link(f"k/{SHORT}"))),
    "tar member name": ("bundle.tar", lambda: _tar(_regular(f"k/{SHORT}.txt"))),
}


@pytest.mark.parametrize("command", ["scan", "staged", "history"])
@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_key_in_an_archive_s_own_bytes_is_found(
    make_repo: MakeRepo, keylatch: RunKeylatch, place: str, command: str
) -> None:
    name, build = PLACES[place]
    repo = make_repo()
    repo.write(name, build())
    repo.git("add", name)
    if command == "history":
        repo.commit("an archive")
    argv = {"scan": ("scan", name), "staged": ("staged",), "history": ("history", ".")}[command]
    res = keylatch(*argv, "--format", "json", cwd=repo.path)
    assert res.code == 1, res
    found = json.loads(res.out)["findings"]
    paths = [loc["path"] for f in found for loc in f.get("locations", [f])]  # history: by location
    assert name in paths, found  # at the archive's own path
    key = SHORT if place.endswith(("name", "target")) else KEY
    assert {f["fingerprint"] for f in found} == {hashlib.sha256(key.encode()).hexdigest()}


@pytest.mark.parametrize("command", ["scan", "staged"])
def test_a_member_s_key_is_reported_once_not_again_in_the_container_s_bytes(
    make_repo: MakeRepo, keylatch: RunKeylatch, command: str
) -> None:
    repo = make_repo()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:  # stored: the key shows in the raw bytes
        z.writestr("app.env", f"OPENAI_API_KEY={KEY}\n")
    repo.write("bundle.zip", out.getvalue())
    repo.git("add", "bundle.zip")
    res = keylatch(*((command, "bundle.zip") if command == "scan" else (command,)), "--format", "json", cwd=repo.path)
    assert res.code == 1 and res.out.count('"path": "bundle.zip!app.env"') == 1
    assert '"path": "bundle.zip"' not in res.out, res.out


@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_streamed_archive_is_scanned_around_its_members_too(place: str) -> None:
    # Standard input and FIFOs (`scan -`, `<(cmd)`) are read by stream_chunks, not members.
    name, build = PLACES[place]
    chunks = list(stream_chunks(io.BytesIO(build()).read, name, Limits(), 1 << 20))
    key = SHORT if place.endswith(("name", "target")) else KEY
    found = {(f.location.path, f.secret.value) for c in chunks for f in scan_chunk(c)}
    assert (name, key) in found, sorted(p for p, _ in found)


@pytest.mark.parametrize("place", sorted(p for p in PLACES if p.startswith("tar")))
def test_a_tar_on_standard_input_is_scanned_around_its_members_too(
    tmp_path: Path, keylatch: RunKeylatch, place: str
) -> None:
    _, build = PLACES[place]
    res = keylatch("scan", "-", cwd=tmp_path, input=build().decode("ascii"))  # a tar of ASCII text
    assert res.code == 1 and "keylatch: scanned 1 file" in res.err, res
