"""Which host token, if any, a clone URL may be offered: decided from the URL and the environment
every time a git process is started, never from a plan or list field.

A plan file is input like any other (it may have been edited in a shared bucket), so its `auth`
field is only a note for people: a token goes to its own host alone. `GITHUB_TOKEN` belongs to
github.com and to the server the CI names ($GITHUB_SERVER_URL / $GITHUB_API_URL: GitHub
Enterprise); `GITLAB_TOKEN` to gitlab.com and $CI_SERVER_URL / $CI_API_V4_URL (self-hosted
GitLab). `org plan --api-url URL` adds that URL's host for the plan's own `ls-remote` calls.
Over https only; a host that merely contains the word (`github.attacker.example`) gets nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

# kind -> (its public hosts, the environment variables naming its server for this run)
_HOSTS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "github": (("github.com",), ("GITHUB_SERVER_URL", "GITHUB_API_URL")),
    "gitlab": (("gitlab.com",), ("CI_SERVER_URL", "CI_API_V4_URL")),
}


def hosts(env: Mapping[str, str], kind: str, extra: Sequence[str] = ()) -> frozenset[str]:
    """The hosts (`host` or `host:port`) `kind`'s token may go to: the public ones, those the
    environment names, `extra` (URLs the user gave on the command line for this kind)."""
    public, names = _HOSTS.get(kind, ((), ()))
    named = (_host(env.get(name, "")) for name in names)
    return frozenset(h for h in (*public, *named, *(_host(u) for u in extra)) if h)


def owner(url: str, env: Mapping[str, str], extra: Mapping[str, Sequence[str]] | None = None) -> str:
    """Whose token an https `url` may be offered: "github", "gitlab" or ""."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        return ""
    host = _host(url)
    for kind in _HOSTS:
        if host and host in hosts(env, kind, (extra or {}).get(kind, ())):
            return kind
    return ""


def host_owner(host: str, env: Mapping[str, str]) -> str:
    """`owner` for a bare host name (an scp-style `git@host:path` entry): its kind, for the plan's note."""
    return owner(f"https://{host}/", env)


def _host(url: str) -> str:
    """`host`, or `host:port` for a port other than https's: git's credentials match the port
    too, and another port on the same name may be another service."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower().rstrip("."), parts.port
    except ValueError:  # a port that is not a number
        return ""
    return f"{host}:{port}" if host and port not in (None, 443) else host
