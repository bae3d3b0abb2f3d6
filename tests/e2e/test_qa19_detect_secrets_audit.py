"""`keylatch detect-secrets audit --report` of what `keylatch detect-secrets scan` catalogued,
× every kind of file keylatch's own scan pass reads and detect-secrets' line model does not
(QA t-qa19).

Before the fix the report re-read each entry line by line as UTF-8 with the plugin: a UTF-16,
UTF-32 or binary file or an archive stopped it with "unexpected UnicodeDecodeError" (exit 3), a
wrapped base64 block left the entry out of the report (exit 0), and a line holding the key base64
encoded was printed whole in the redacted report. Every entry is now in the report, at the line
the baseline names, and no shown line holds the key in any spelling.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import textwrap
import zipfile
from collections.abc import Callable

import pytest

from keylatch.engine import scan_text
from keylatch.rules.synthetic import make_key
from tests.helpers.gitrepo import GitRepo
from tests.helpers.run import RunKeylatch

pytestmark = pytest.mark.e2e

KEY = make_key("sk-proj-", seed=1903)
OURS = "keylatch OpenAI key"
ENV = f"OPENAI_API_KEY={KEY}\n"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("conf/.env", ENV)
    return buf.getvalue()


# name -> (file name, content): one file detect-secrets' line model reads differently.
FILES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "plain": ("plain.env", lambda: ENV.encode()),
    "utf-16": ("win.env", lambda: ("# settings\n" + ENV).encode("utf-16")),
    "utf-32": ("wide.env", lambda: ("# settings\n" + ENV).encode("utf-32")),
    "binary": ("page.db", lambda: b"\xff\xfe\x00\x01row " + ENV.encode()),
    "zip-member": ("bundle.zip", _zip),
    "gzip": ("env.gz", lambda: gzip.compress(ENV.encode(), mtime=0)),
    "base64-line": ("secret.yaml", lambda: b"data: " + base64.b64encode(ENV.encode()) + b"\n"),
    "base64-value": ("token.txt", lambda: b"data: " + base64.b64encode(ENV.strip().encode()) + b"\n"),
    "base64-wrapped": (
        "blob.txt",
        lambda: "\n".join(textwrap.wrap(base64.b64encode(ENV.encode()).decode(), 40)).encode() + b"\n",
    ),
}


@pytest.mark.parametrize("kind", sorted(FILES))
def test_audit_report_shows_every_entry_keylatch_catalogued(
    kind: str, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch
) -> None:
    name, content = FILES[kind]
    repo = make_repo()
    repo.write(name, content())
    repo.commit("add")
    scan = keylatch("detect-secrets", "scan", "--disable-plugin", "OpenAIDetector", name, cwd=repo.path)
    assert scan.code == 0, scan.err
    baseline = json.loads(scan.out)
    lines = {str(r["line_number"]) for r in baseline["results"][name] if r["type"] == OURS}
    assert lines, "keylatch's scan pass catalogues the key"
    repo.write(".secrets.baseline", scan.out)
    r = keylatch("detect-secrets", "audit", "--report", ".secrets.baseline", cwd=repo.path)  # checked redacted
    assert r.code == 0, r.err
    (entry,) = [e for e in json.loads(r.out)["results"] if OURS in e["types"] and e["filename"] == name]
    assert set(entry["lines"]) == lines
    assert entry["secrets"] != KEY
    for line in entry["lines"].values():
        wide = line.replace("\x00", "")  # a UTF-16 or UTF-32 line, its NULs gone
        assert KEY not in wide and not scan_text(wide) and not scan_text(line), line
