"""What scan, hook and audit of `keylatch detect-secrets` share: detect-secrets' own argument
parsing, the settings it runs with (keylatch's plugin and filter enabled, what it would load
checked), baselines written without a machine path, and file checks that never open a file.
"""

from __future__ import annotations

import argparse
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from keylatch.detect_secrets_baseline import OUR_FILTER, Trusted, check_settings, shown
from keylatch.detect_secrets_plugin import KeylatchOpenAIDetector, plugin_file
from keylatch.errors import ScanError, UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from keylatch.model import Chunk

NAME = KeylatchOpenAIDetector.__name__
_STOCK_FILTER = "detect_secrets.filters.heuristic.is_indirect_reference"


def parsed(parse: Callable[[list[str]], argparse.Namespace], argv: Sequence[str]) -> argparse.Namespace | int:
    """detect-secrets' own parsing (it loads the baseline into its settings), or an exit code."""
    try:
        return parse(list(argv))
    except SystemExit as exc:  # help, version, or a usage error detect-secrets already printed
        if exc.code in (0, None):
            return 0
        raise UsageError("invalid detect-secrets arguments (see above)") from None
    except ValueError:  # the hook's "baseline file is unstaged", already printed
        return 1
    except ImportError as exc:  # a baseline filter that needs a package detect-secrets lacks
        raise UsageError(f"detect-secrets cannot load a filter the baseline names: {exc}") from None


def configure(args: argparse.Namespace, trusted: Trusted, source: str) -> None:
    """After detect-secrets parsed argv and baseline: check what it would load, enable our
    plugin and filter.

    `check_settings` repeats the baseline check on what detect-secrets actually holds now (a
    `--plugin` class replaces a baseline entry of the same name); nothing was imported from the
    baseline before this point.
    """
    from detect_secrets.settings import get_filters, get_plugins, get_settings

    if NAME in (getattr(args, "disable_plugin", None) or ()):
        raise UsageError(f"keylatch detect-secrets cannot disable {NAME}; use stock detect-secrets")
    settings = get_settings()
    check_settings(settings.plugins, settings.filters, trusted, source)
    # The path is for multiprocessing children started with `spawn` (macOS), which rebuild the
    # catalogue from settings; `portable` keeps it out of every baseline written.
    settings.plugins[NAME] = {"path": f"file://{plugin_file()}"}
    if settings.filters.pop(_STOCK_FILTER, None) is not None:
        settings.filters[OUR_FILTER] = {}
    get_plugins.cache_clear()
    get_filters.cache_clear()
    try:
        loaded = get_plugins()
    except Exception as exc:  # any failure here means the scan cannot be trusted
        raise ScanError(f"detect-secrets cannot load its plugins: {exc}") from exc
    # By type, not class: `--plugin <this file>` loads a second copy of the class.
    if not any(p.secret_type == KeylatchOpenAIDetector.secret_type for p in loaded):
        raise ScanError(f"detect-secrets did not load {NAME}")


def portable(baseline: dict[str, Any]) -> dict[str, Any]:
    """The baseline without our plugin's absolute path, so it works on any machine."""
    for plugin in baseline.get("plugins_used", ()):
        if plugin.get("name") == NAME:
            plugin.pop("path", None)
    return baseline


def regular(path: str) -> bool:
    """A regular file (through symlinks); False when missing. Never opens it: a FIFO would block."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ScanError(f"cannot read {escaped(path)}: {exc.strerror or exc}") from exc


def file_chunks(path: str) -> Iterator[Chunk]:
    """`path` read as `keylatch scan` reads it, chunk by chunk: an archive (zip, tar, gzip ...)
    opened, where detect-secrets' line model would read compressed bytes and no key shows. What
    cannot be read whole is an error (exit 3), never a clean result. Nothing for a file that is
    gone or not regular (detect-secrets skips it too). scan and audit read files so alike."""
    from pathlib import Path

    from keylatch.model import Chunk
    from keylatch.sources.files import Unread, walk

    if not regular(path):
        return
    for chunk in walk([Path(path)]):
        if isinstance(chunk, Unread):
            raise ScanError(chunk.message)
        if isinstance(chunk, Chunk):
            yield chunk


def escaped(path: str) -> str:
    """A path from the repository, on one line: control characters escaped, keys redacted."""
    return shown(path, limit=200)[1:-1]
