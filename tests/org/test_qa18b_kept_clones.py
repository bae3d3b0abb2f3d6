"""`org scan --keep-clones DIR`: a relative DIR works, and names that slug() maps alike keep
mirrors of their own (org/fetch.py `kept_mirror`).

A relative DIR failed every repository ("FileNotFoundError", exit 3): git cloned into
DIR/DIR/<name>.partial since it runs in the mirror's parent. GitLab's `acme/a__b` and
`acme/a/b` shared `acme__a__b.git`; with --jobs 2 both cloned or fetched into it at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

KEY = make_key("sk-proj-", seed=77)


@pytest.mark.parametrize("names", [("acme/a__b", "acme/a/b"), ("acme/a b", "acme/a_b"), ("acme/one", "acme/two")])
@pytest.mark.parametrize("relative", [True, False], ids=["relative-dir", "absolute-dir"])
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_each_repository_keeps_its_own_mirror(
    make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path, names: tuple[str, str], relative: bool,
    jobs: str,
) -> None:  # fmt: skip
    keyed, clean = make_repo("keyed"), make_repo("clean")
    keyed.write("k.env", f"OPENAI_API_KEY={KEY}\n")
    keyed.commit("key")
    clean.write("README", "clean\n")
    clean.commit("clean")
    plan = tmp_path / "plan.jsonl"
    urls = {names[0]: keyed.path.as_uri(), names[1]: clean.path.as_uri()}
    plan.write_text("".join(json.dumps({"repository": n, "clone_url": u}) + "\n" for n, u in urls.items()))
    keep = "clones" if relative else str(tmp_path / "clones")
    for run in ("first", "again"):  # cloned, then fetched into the kept mirrors
        out = tmp_path / run
        r = keylatch("org", "scan", str(plan), "--out", str(out), "--keep-clones", keep, "--jobs", jobs, cwd=tmp_path)
        assert r.code == 1, r.err
        merged = keylatch("org", "merge", str(out), "-f", "json", "--clones", keep, cwd=tmp_path)
        doc = json.loads(merged.out)
        assert doc["complete"] and doc["repositories_scanned"] == 2
        (key,) = doc["keys"]
        assert key["repositories"] == [names[0]] and key["locations"][0]["path"] == "k.env"
    assert len(list((tmp_path / "clones").glob("*.git"))) == 2
