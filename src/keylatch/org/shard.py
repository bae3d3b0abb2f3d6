"""`--shard I/N` and `--shard auto`: which repositories of the plan this worker scans.

Repository k of the plan (0-based, plan order) belongs to shard k mod N, 1-based in `I/N`; round
robin spreads the plan's neighbours (often one team's similar repositories) over the workers.
`auto` reads the index the engine gives each worker:

- Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` (0-based); the total is `--shard-total`, else
  `KEYLATCH_SHARD_TOTAL` (a Job does not export its `completions`);
- GitLab CI `parallel: N`: `CI_NODE_INDEX` (1-based) and `CI_NODE_TOTAL`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from keylatch.errors import UsageError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Shard:
    index: int  # 0-based
    total: int

    def pick(self, items: Sequence[T]) -> tuple[T, ...]:
        return tuple(items[self.index :: self.total])

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.total}"


WHOLE = Shard(0, 1)


def parse(spec: str | None, env: Mapping[str, str], total: int | None = None) -> Shard:
    if spec is None:
        return WHOLE
    if spec == "auto":
        return _auto(env, total)
    first, sep, second = spec.partition("/")
    if not (sep and first.isdigit() and second.isdigit()):
        raise UsageError(f"--shard must be I/N (1 <= I <= N) or auto, not {spec!r}")
    return _checked(int(first) - 1, int(second), f"--shard {spec}")


def _auto(env: Mapping[str, str], total: int | None) -> Shard:
    if "JOB_COMPLETION_INDEX" in env:
        count = total if total is not None else env.get("KEYLATCH_SHARD_TOTAL")
        if count is None:
            raise UsageError("--shard auto: JOB_COMPLETION_INDEX is set; give the job's completions "
                             "as --shard-total N or KEYLATCH_SHARD_TOTAL")  # fmt: skip
        return _checked(_number(env["JOB_COMPLETION_INDEX"], "JOB_COMPLETION_INDEX"),
                        _number(str(count), "--shard-total"), "JOB_COMPLETION_INDEX")  # fmt: skip
    if "CI_NODE_INDEX" in env:
        count = total if total is not None else env.get("CI_NODE_TOTAL")
        if count is None:
            raise UsageError("--shard auto: CI_NODE_INDEX is set but CI_NODE_TOTAL is not")
        # GitLab numbers parallel jobs from 1.
        return _checked(_number(env["CI_NODE_INDEX"], "CI_NODE_INDEX") - 1,
                        _number(str(count), "CI_NODE_TOTAL"), "CI_NODE_INDEX")  # fmt: skip
    raise UsageError("--shard auto: neither JOB_COMPLETION_INDEX (Kubernetes) nor CI_NODE_INDEX (GitLab) is set")


def _number(text: str, name: str) -> int:
    if not text.strip().isdigit():
        raise UsageError(f"{name} is not a number: {text!r}")
    return int(text)


def _checked(index: int, total: int, what: str) -> Shard:
    if total < 1 or not 0 <= index < total:
        raise UsageError(f"{what}: shard {index + 1} of {total} does not exist")
    return Shard(index, total)
