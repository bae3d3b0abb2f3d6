"""Every key in a repository's history: who introduced it, where, and whether it is still there.

    from keylatch.history import scan_history
    result = scan_history(Path("."))  # a HistoryResult: one KeyFinding per key

The walker (walk.py) reads each object once (sources/objects.py) and runs the engine over it,
attribute.py traces the few keyed blobs back to commits, model.py holds the records it returns.
Names are imported on first use: the pre-commit hook imports history/prior.py alone, without the
walker.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.history.blobscan import Progress, ProgressFn
    from keylatch.history.model import WHOLE_HISTORY, CommitInfo, HistoryResult, KeyFinding, Occurrence
    from keylatch.history.walk import scan_history

__all__ = [
    "WHOLE_HISTORY",
    "CommitInfo",
    "HistoryResult",
    "KeyFinding",
    "Occurrence",
    "Progress",
    "ProgressFn",
    "scan_history",
]

_HOME = {
    "WHOLE_HISTORY": "model",
    "CommitInfo": "model",
    "HistoryResult": "model",
    "KeyFinding": "model",
    "Occurrence": "model",
    "Progress": "blobscan",
    "ProgressFn": "blobscan",
    "scan_history": "walk",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
