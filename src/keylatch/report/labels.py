"""Words every report uses for one finding: how its key was written, and where it is when it is
in no file. Imports nothing, so the hook's text (hook_text.py) can use it on a clean commit.

An encoding belongs to one occurrence: the same key can be written plainly in `.env` and
base64-encoded in a Kubernetes secret, and each place says which.
"""

from __future__ import annotations

import time

# engine.py's `Finding.encoding` values, in a user's words.
_ENCODINGS = {"base64": "base64-encoded", "utf-16": "UTF-16-encoded", "utf-32": "UTF-32-encoded"}


def encoding_label(encoding: str | None) -> str:
    """`base64-encoded`, `UTF-16-encoded`, `UTF-32-encoded`, or "" for a key found as written."""
    if not encoding:
        return ""
    return _ENCODINGS.get(encoding, f"{encoding}-encoded")


def expiry_iso(expires: int | None) -> str | None:
    """A credential's own expiry (`Secret.expires`, Unix seconds) as UTC ISO 8601, or None."""
    return None if expires is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))


def expiry_text(expires: int | None) -> str:
    """` expires:2026-01-01T00:00:00Z` for a key that says when it stops working, else "".

    A past date goes with the low severity the rule gave it: the report states what the token
    says and never decides expiry itself (the rule did, when it scanned).
    """
    iso = expiry_iso(expires)
    return f" expires:{iso}" if iso else ""


def no_file_place(commit: str | None, blob: str | None, ref: str | None = None, tag: str | None = None) -> str:
    """Where a key in no file is: a commit's message, an annotated tag's text, or a blob reached
    only by a ref (a tag on a blob) or by nothing. Only for locations whose path is empty."""
    if tag:
        return f"message of tag {tag} (tag object {blob[:12] if blob else '?'})"
    if commit:
        return f"message of commit {commit[:12]}"
    if ref:
        return f"blob {blob[:12] if blob else '?'} reached by {ref}"
    if blob:
        return f"blob {blob[:12]}, in no commit"
    return "no file"


# A key written in a path (a file or directory name, history/pathkeys.py) has line 0: it is in no
# line of a file. Every format says so with these words (docs/reports.md).
IN_PATH = "in the path"


def in_path(line: int) -> bool:
    """Whether a finding's place is its path itself (line 0) rather than a line of the file."""
    return line == 0


def path_shown(path: str, line: int, key: str, redacted: str) -> str:
    """The path of a finding, the key written in it (line 0) redacted whatever its kind: an Azure
    key whose owner evidence was beside it is no key to report/untrusted.py's redaction alone.
    Untrusted still: the caller redacts and escapes it for its output."""
    return path.replace(key, redacted) if line == 0 and key else path


def in_tree_of(ref: str, path: str) -> str:
    """A file in a tree no commit holds, only a ref reaches (`git tag keys <tree>`), as git names
    it (`refs/tags/keys:deploy/prod.env`): every format says how the place is reached, as the
    pre-push hook's text and JSON's `ref` do. Untrusted: the caller escapes it for its output."""
    return f"{ref}:{path}"


def counted(n: int, noun: str, plural: str = "") -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def found_summary(fingerprints: list[str], places: list[tuple[str, str, str]]) -> str:
    """`keylatch: 5 distinct keys found at 11 places in 10 files`: keys are distinct keys (one
    written twice is one key), places are where they are. `places` holds (path, commit, blob) per
    finding; a place with no path is a commit's message (commit set) or a blob in no file.

    When every key is at exactly one place the places need no count of their own:
    `keylatch: 1 key found in 1 file`.
    """
    if not places:
        return "keylatch: no keys found"
    keys = len(set(fingerprints))
    files = len({p for p, _, _ in places if p})
    messages = len({c for p, c, _ in places if not p and c})
    blobs = len({b for p, c, b in places if not p and not c})
    where = [counted(n, noun) for n, noun in ((files, "file"), (messages, "commit message"), (blobs, "blob")) if n]
    scope = " and ".join(where)
    if keys == len(places):
        return f"keylatch: {counted(keys, 'key')} found in {scope}"
    return f"keylatch: {counted(keys, 'distinct key')} found at {len(places)} places in {scope}"
