"""`org plan` against list entries of odd shape: every listed repository is planned or the plan
fails naming it. Before, an entry with no name or clone URL (null, missing, not a string) was
left out silently or planned as the str() of an object, `"archived": "false"` (a string) left the
repository out as archived, and a size of "big" or Infinity ended in "unexpected ValueError"."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from tests.helpers.fakehost import FakeHost, HostedRepo, serve
from tests.helpers.run import RunKeylatch

MISSING = object()  # the field is left out of the entry
NAME = {"github": "full_name", "gitlab": "path_with_namespace"}
URL = {"github": "clone_url", "gitlab": "http_url_to_repo"}


@dataclass
class Odd(FakeHost):
    """Lists acme/fine and acme/odd; acme/odd's entry gets `patch` (MISSING: field removed)."""

    patch: dict[str, object] = field(default_factory=dict)

    def _github(self, r: HostedRepo) -> dict[str, object]:
        return self._patched(r, super()._github(r))

    def _gitlab(self, r: HostedRepo) -> dict[str, object]:
        return self._patched(r, super()._gitlab(r))

    def _patched(self, r: HostedRepo, doc: dict[str, object]) -> dict[str, object]:
        if r.name != "acme/odd":
            return doc
        doc = {**doc, **self.patch}
        return {k: v for k, v in doc.items() if v is not MISSING}


def _plan(keylatch: RunKeylatch, kind: str, patch: dict[str, object]) -> tuple[int, str, list[dict[str, object]]]:
    repos = [HostedRepo(f"acme/{n}", f"file:///nonexistent/{n}.git") for n in ("fine", "odd")]
    with serve(Odd(kind, repos, orgs={"acme"}, page_size=10, patch=patch)) as host:
        res = keylatch("org", "plan", f"--{kind}", "acme", "--api-url", host.api_url)
    return res.code, res.err, [json.loads(line) for line in res.out.splitlines()]


UNPLANNABLE = {
    "no-name": ("name", None),
    "name-missing": ("name", MISSING),
    "name-an-object": ("name", {"a": 1}),
    "no-url": ("url", None),
    "url-missing": ("url", MISSING),
    "url-a-list": ("url", ["file:///nonexistent/odd.git"]),
    "url-a-number": ("url", 7),
}


@pytest.mark.parametrize("kind", ["github", "gitlab"])
@pytest.mark.parametrize(("which", "value"), UNPLANNABLE.values(), ids=UNPLANNABLE.keys())
def test_an_entry_without_a_name_or_url_fails_the_plan_naming_it(
    keylatch: RunKeylatch, kind: str, which: str, value: object
) -> None:
    key = NAME[kind] if which == "name" else URL[kind]
    code, err, plan = _plan(keylatch, kind, {key: value})
    assert code == 3, err
    assert plan == []
    (line,) = [x for x in err.splitlines() if "keylatch: error:" in x]
    assert "listed 1 repositories without a name or a clone URL" in line
    assert ("acme/odd" if which == "url" else "nonexistent/odd.git") in line
    assert "{'a': 1}" not in line


KEPT = {
    "archived-string-false": {"archived": "false"},
    "archived-one": {"archived": 1},
    "fork-string": {"fork": "false", "forked_from_project": "no"},
    "size-a-word": {"size": "big", "statistics": {"repository_size": "big"}},
    "size-infinite": {"size": float("inf"), "statistics": {"repository_size": float("inf")}},
    "size-negative": {"size": -5, "statistics": {"repository_size": -5}},
    "size-a-list": {"size": [], "statistics": {"repository_size": True}},
}


@pytest.mark.parametrize("kind", ["github", "gitlab"])
@pytest.mark.parametrize("patch", KEPT.values(), ids=KEPT.keys())
def test_odd_flags_and_sizes_leave_the_repository_in_the_plan(
    keylatch: RunKeylatch, kind: str, patch: dict[str, object]
) -> None:
    code, err, plan = _plan(keylatch, kind, patch)
    assert code == 0, err
    assert [(p["repository"], p["size"]) for p in plan] == [("acme/fine", 3), ("acme/odd", 0 if "size" in patch else 3)]


@pytest.mark.parametrize("kind", ["github", "gitlab"])
def test_a_true_archived_flag_still_leaves_it_out(keylatch: RunKeylatch, kind: str) -> None:
    code, err, plan = _plan(keylatch, kind, {"archived": True})
    assert code == 0, err
    assert [p["repository"] for p in plan] == ["acme/fine"]
