"""`--repos FILE`: one repository per line, as a URL (https, ssh, git, file, `user@host:path`)
or a local path; blank lines and `#` comments are skipped. A URL holding a password is refused:
it would be written to the plan and to the clone's config."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from keylatch.errors import UsageError
from keylatch.org.plan import Listed
from keylatch.org.tokens import host_owner, owner
from keylatch.sources.clone import is_url

_SCP = re.compile(r"^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(?!/)(.+)$")


def read_list(path: Path) -> Iterator[Listed]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield entry(line, f"{path}:{n}", path.parent)


def entry(line: str, where: str, base: Path) -> Listed:
    scp = _SCP.match(line)
    if scp:
        return Listed(_name(scp.group(1), scp.group(2)), line, "", 0, auth=host_owner(scp.group(1), os.environ))
    if is_url(line):
        parts = urlsplit(line)
        if parts.password is not None:
            raise UsageError(f"{where}: a URL with a password; give the token in GITHUB_TOKEN or GITLAB_TOKEN instead")
        host = parts.hostname or ""
        return Listed(_name(host, parts.path), line, "", 0, auth=owner(line, os.environ))
    local = (base / line).resolve()
    if not local.exists():
        raise UsageError(f"{where}: neither a URL nor an existing path: {line}")
    return Listed(_name("", str(local)), local.as_uri(), "", 0)


def _name(host: str, path: str) -> str:
    path = path.strip("/").removesuffix(".git")
    return f"{host}/{path}" if host else "/" + path
