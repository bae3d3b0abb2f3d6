"""Every key has an exposure block in ci's and history's JSON and SARIF, whatever holds it: a
commit, an annotated tag's message, or a blob only a tag reaches (no commit has it). The block
has the same fields everywhere; a tag's message is dated and authored by its tagger, a blob no
tag dates has `days_exposed` null, never a made-up 0."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.redaction import assert_redacted
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=501)
TAGGER = ("-c", "user.name=Tina Tagger", "-c", "user.email=tina@example.test")
FIELDS = {"authors", "shared", "first_commit", "last_seen", "removed", "days_exposed", "in_head", "published", "refs"}


def _commit(repo: GitRepo) -> None:
    repo.write("conf.env", f"OPENAI_API_KEY={KEY}\n")
    repo.commit("add key")


def _tag_message(repo: GitRepo) -> None:
    repo.git(*TAGGER, "tag", "-a", "v1.0", "HEAD", "-m", f"release\n\nOPENAI_API_KEY={KEY}\n")


def _tagged_blob(repo: GitRepo) -> None:
    loose = repo.path.parent / "loose.env"
    loose.write_text(f"OPENAI_API_KEY={KEY}\n")
    blob = repo.git("hash-object", "-w", str(loose)).strip()
    repo.git(*TAGGER, "tag", "-a", "blob-tag", blob, "-m", "a blob")


PLACES: dict[str, Callable[[GitRepo], None]] = {"commit": _commit, "tag-message": _tag_message,
                                                "tagged-blob": _tagged_blob}  # fmt: skip


def _exposures(keylatch: RunKeylatch, repo: GitRepo, fmt: str) -> list[dict[str, Any]]:
    res = keylatch("history", "--no-cache", "-f", fmt, cwd=repo.path, input="")
    assert res.code == 1, res
    assert_redacted(res.out, res.err, keys=[KEY])
    doc = json.loads(res.out)
    if fmt == "json":
        return [f["exposure"] for f in doc["findings"]]
    return [r["properties"]["exposure"] for r in doc["runs"][0]["results"]]


@pytest.mark.parametrize("fmt", ["json", "sarif"])
@pytest.mark.parametrize("place", sorted(PLACES))
def test_history_gives_every_key_an_exposure(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, place: str, fmt: str
) -> None:
    repo = make_repo()
    repo.write("README", "hello\n")
    repo.commit("base")
    PLACES[place](repo)
    (exposure,) = _exposures(keylatch, repo, fmt)
    assert exposure is not None and set(exposure) == FIELDS
    if place == "tag-message":
        assert exposure["authors"] == ["Tina Tagger <tina@example.test>"] and exposure["first_commit"]
        assert isinstance(exposure["days_exposed"], int) and exposure["refs"] == ["refs/tags/v1.0"]
    elif place == "tagged-blob":
        assert exposure["days_exposed"] is None and exposure["refs"] == ["refs/tags/blob-tag"]
        assert exposure["authors"] == [] and exposure["published"] is False
    else:
        assert isinstance(exposure["days_exposed"], int) and exposure["in_head"] is True


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_cis_rendering_gives_a_tag_only_key_an_exposure(make_repo: Callable[..., GitRepo], fmt: str) -> None:
    """ci renders per place with report/exposure.render_places and exposures(): a key only a tag
    holds (ci's range names commits, so it is built here from the walk) gets its block too."""
    import datetime as dt

    from keylatch.commands.scanning import places
    from keylatch.history import scan_history
    from keylatch.report.exposure import exposures, render_places

    repo = make_repo()
    repo.write("README", "hello\n")
    repo.commit("base")
    _tag_message(repo)
    result = scan_history(repo.path)
    found = places(result)
    doc = json.loads(render_places(fmt, found, exposures(result.findings, dt.datetime.now(dt.timezone.utc))))
    blocks = [f["exposure"] for f in doc["findings"]] if fmt == "json" else [
        r["properties"]["exposure"] for r in doc["runs"][0]["results"]]  # fmt: skip
    (exposure,) = blocks
    assert set(exposure) == FIELDS and exposure["authors"] == ["Tina Tagger <tina@example.test>"]
