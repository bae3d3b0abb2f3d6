"""The Azure endpoint an Azure key was found next to, if it is an Azure OpenAI / AI services host.

A scanned file is untrusted: a hostile repository can name its own server as the "endpoint" of a
key it planted, hoping a scanner sends a real key there. So only a host name under one of
Azure's own suffixes is taken, and only the host: the request URL is built by keylatch
(https://<host>/openai/models), never copied from the file (no scheme, port, user or path).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SUFFIXES = ("openai.azure.com", "cognitiveservices.azure.com", "services.ai.azure.com")
API_VERSION = "2024-10-21"

# One DNS label, then an allowed suffix, standing alone: not `x.openai.azure.com.evil.test`, and
# not `a.b.openai.azure.com` read as `b.openai.azure.com`.
_HOST = re.compile(
    rb"(?<![A-Za-z0-9.-])([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)\.("
    + b"|".join(re.escape(s.encode()) for s in SUFFIXES)
    + rb")(?![A-Za-z0-9-]|\.[A-Za-z0-9])",
    re.IGNORECASE,
)


def endpoints(data: bytes) -> list[tuple[int, str]]:
    """(line, host) of every Azure OpenAI host named in `data`, lower-case."""
    out = []
    line, pos = 1, 0
    for m in _HOST.finditer(data):
        line += data.count(b"\n", pos, m.start())
        pos = m.start()
        out.append((line, m.group(0).decode("ascii").lower()))
    return out


def nearest(texts: Iterable[tuple[bytes, int]]) -> str | None:
    """The host closest to the key's line in the first text that names one.

    `texts` are (data, line of the key in it, or 0 when the key is elsewhere), most relevant first:
    the key's own file, then the other files of its commit.
    """
    for data, line in texts:
        found = endpoints(data)
        if found:
            return min(found, key=lambda h: (abs(h[0] - line), h[0]))[1]
    return None


def models_url(host: str) -> str:
    return f"https://{host}/openai/models?api-version={API_VERSION}"
