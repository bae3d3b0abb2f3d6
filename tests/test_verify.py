"""--verify against tests/helpers/openai_emulator.py: a real HTTP server on 127.0.0.1 answering like the
OpenAI API and an Azure OpenAI resource. No test here reaches the internet: every URL keylatch is
given is a loopback one, and the Azure resource host is only ever a name in a file."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from keylatch.engine import scan_text
from keylatch.model import Finding, KeyCheck, Verdict
from keylatch.rules.synthetic import make_key
from keylatch.verify import Options, check
from keylatch.verify.cache import VerdictCache, entry_key
from keylatch.verify.context import files
from keylatch.verify.transport import _why
from tests.helpers.gitrepo import GitRepo
from tests.helpers.openai_emulator import ORG, PROJECT, Emulator, Reply, emulator, scenario
from tests.helpers.run import SRC, Result, RunKeylatch

PROJ = make_key("sk-proj-", 1)
ADMIN = make_key("sk-admin-", 3)
AZURE = make_key("azure", 1)
AZURE_CLASSIC = make_key("azure-classic", 1)

# Every kind of OpenAI key and the read-only request it is checked with.
OPENAI_KINDS = [
    ("sk-proj-", "/v1/models"),
    ("sk-svcacct-", "/v1/models"),
    ("sk-named", "/v1/models"),
    ("sk-", "/v1/models"),
    ("sk-None-", "/v1/models"),
    ("sk-admin-", "/v1/organization/users?limit=1"),
]


def one(key: str, text: str | None = None) -> Finding:
    (f,) = [f for f in scan_text(key if text is None else text) if f.secret.value == key]
    return f


def verdict_of(key: str, api: Emulator, **options: object) -> KeyCheck:
    opts = Options(base_url=api.url, **options)  # type: ignore[arg-type]
    return check([one(key)], opts)[one(key).fingerprint]


# --- the verdict table (issue 10), one row per answer -------------------------------------------

TABLE = [
    # scenario, verdict, words the reason must contain
    ("live", Verdict.LIVE, "HTTP 200"),
    ("revoked", Verdict.REVOKED, "invalid_api_key"),
    (scenario("restricted", status="401"), Verdict.LIVE_RESTRICTED, "restricted (missing api.model.read)"),
    (scenario("restricted", status="403"), Verdict.LIVE_RESTRICTED, "HTTP 403"),
    ("ip", Verdict.LIVE_IP_RESTRICTED, "allow-list"),
    ("no-org", Verdict.INACTIVE_OWNER, "still purge it"),
    ("no-credit", Verdict.LIVE_NO_CREDIT, "insufficient_quota"),
    ("region", Verdict.UNKNOWN, "country or region"),
    (scenario("server-error", status="500"), Verdict.UNKNOWN, "HTTP 500: server error"),
    (scenario("server-error", status="503"), Verdict.UNKNOWN, "HTTP 503: server error"),
    (Reply(404, {"error": {"message": "Not found", "code": None}}), Verdict.UNKNOWN, "HTTP 404"),
    (Reply(401, {"error": {"message": "Something new", "code": "new_code"}}), Verdict.UNKNOWN, "new_code"),
]


@pytest.mark.parametrize(("reply", "verdict", "words"), TABLE, ids=lambda v: getattr(v, "value", None))
def test_each_answer_gives_its_verdict(api: Emulator, reply: Reply | str, verdict: Verdict, words: str) -> None:
    api.answer(PROJ, reply)
    got = verdict_of(PROJ, api)
    assert (got.verdict, words in got.reason) == (verdict, True), got
    # The reason is keylatch's words: never the server's echo of the (masked) key.
    assert PROJ[-4:] not in got.reason and PROJ not in got.reason


@pytest.mark.parametrize(("kind", "path"), OPENAI_KINDS)
def test_each_kind_is_asked_read_only_with_a_bearer_header(api: Emulator, kind: str, path: str) -> None:
    key = make_key(kind, 7)
    api.answer(key, "live" if kind != "sk-admin-" else "admin-live")
    assert verdict_of(key, api).verdict is Verdict.LIVE
    (req,) = api.seen()
    assert (req.method, req.path) == ("GET", path)
    assert req.headers["authorization"] == f"Bearer {key}" and "api-key" not in req.headers
    assert req.headers["user-agent"] == "keylatch-verify"


def test_a_restricted_admin_key_is_live(api: Emulator) -> None:
    api.answer(ADMIN, "restricted-admin")  # {"error": "You have insufficient permissions ..."}
    got = verdict_of(ADMIN, api)
    assert got.verdict is Verdict.LIVE_RESTRICTED and "api.management.read" in got.reason


def test_organisation_and_project_are_recorded_from_headers(api: Emulator) -> None:
    api.answer(PROJ, "live")
    got = verdict_of(PROJ, api)
    assert (got.organization, got.project) == (ORG, PROJECT)
    # Header values are untrusted output too: no control sequences, bounded length.
    hostile = Reply(200, {"data": []}, {"openai-organization": "org-x\x1b[31mEVIL", "openai-project": "p" * 300})
    api.answer(PROJ, hostile)
    got = verdict_of(PROJ, api)
    assert (got.organization, got.project) == ("org-x31mEVIL", "p" * 64)


def test_one_request_per_distinct_key(api: Emulator) -> None:
    other = make_key("sk-proj-", 2)
    findings = scan_text(f"a={PROJ}\nb={PROJ}\nc={other}\nd='{PROJ}'\n")
    assert len(findings) == 4
    result = check(findings, Options(base_url=api.url))
    assert len(result) == 2
    assert sorted(r.key for r in api.seen()) == sorted([PROJ, other])


# --- no answer, or an answer that is not about the key ------------------------------------------


def test_a_redirect_is_refused_and_the_key_not_resent(api: Emulator) -> None:
    with emulator() as elsewhere:
        api.answer(PROJ, scenario("redirect", location=elsewhere.url + "/v1/models"))
        got = verdict_of(PROJ, api)
        assert got.verdict is Verdict.UNKNOWN and "redirect refused" in got.reason
        assert elsewhere.seen() == [] and len(api.seen()) == 1


def test_a_timeout_is_unknown(api: Emulator) -> None:
    api.answer(PROJ, scenario("slow", delay="3"))
    got = verdict_of(PROJ, api, timeout=0.5)
    assert got.verdict is Verdict.UNKNOWN and "timed out" in got.reason


def test_a_refused_connection_is_unknown() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens
    got = check([one(PROJ)], Options(base_url=f"http://127.0.0.1:{port}"))[one(PROJ).fingerprint]
    assert got.verdict is Verdict.UNKNOWN and "connection refused" in got.reason


def test_a_tls_failure_is_unknown(api: Emulator) -> None:
    # https:// to a plain-HTTP server: the TLS handshake fails locally.
    got = check([one(PROJ)], Options(base_url=api.url.replace("http://", "https://")))[one(PROJ).fingerprint]
    assert got.verdict is Verdict.UNKNOWN and "TLS" in got.reason


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (socket.gaierror(-2, "Name or service not known"), "DNS lookup failed"),
        (ssl.SSLCertVerificationError("certificate verify failed"), "TLS certificate not trusted"),
        (TimeoutError(), "timed out"),
    ],
)
def test_network_failures_are_named(exc: Exception, words: str) -> None:
    # The mapping alone; tests/verify/test_transport.py produces each failure for real (a
    # self-signed server, an `.invalid` name, servers that never answer) through the CLI.
    assert _why(exc) == words


# --- rate limits ----------------------------------------------------------------------------------


def test_a_rate_limit_is_retried_after_the_time_the_api_asks(api: Emulator) -> None:
    api.answer(PROJ, scenario("rate-limited", **{"retry-after-ms": "300"}), "live")
    started = time.monotonic()
    assert verdict_of(PROJ, api).verdict is Verdict.LIVE
    assert len(api.seen(PROJ)) == 2
    assert time.monotonic() - started >= 0.3  # it waited as asked (a lower bound: load only adds)


def test_retry_after_in_seconds_is_honoured(api: Emulator) -> None:
    api.answer(PROJ, scenario("rate-limited", **{"Retry-After": "1"}), "no-credit")
    started = time.monotonic()
    assert verdict_of(PROJ, api).verdict is Verdict.LIVE_NO_CREDIT
    assert time.monotonic() - started >= 1.0


def test_a_lasting_rate_limit_is_unknown_after_the_last_attempt(api: Emulator) -> None:
    api.answer(PROJ, scenario("rate-limited", **{"retry-after-ms": "10"}))
    got = verdict_of(PROJ, api, attempts=3)
    assert got.verdict is Verdict.UNKNOWN and "rate-limited" in got.reason
    assert len(api.seen(PROJ)) == 3


def test_without_retry_after_it_backs_off(api: Emulator) -> None:
    api.answer(PROJ, "rate-limited", "live")
    started = time.monotonic()
    assert verdict_of(PROJ, api, backoff=0.2).verdict is Verdict.LIVE
    assert time.monotonic() - started >= 0.2


def test_a_long_retry_after_gives_up_at_once(api: Emulator) -> None:
    api.answer(PROJ, scenario("rate-limited", **{"Retry-After": "120"}))
    got = verdict_of(PROJ, api)
    assert got.verdict is Verdict.UNKNOWN and "asked to wait 120 s" in got.reason
    assert len(api.seen(PROJ)) == 1


# --- Azure: only to an Azure host found next to the key --------------------------------------------


def azure_file(tmp_path: Path, endpoint_line: str, key: str = AZURE) -> Finding:
    path = tmp_path / "settings.env"
    path.write_text(f"{endpoint_line}\nAZURE_OPENAI_API_KEY={key}\n")
    found = [f for f in scan_text(path.read_text(), path=str(path)) if f.secret.value == key]
    return found[0]


@pytest.mark.parametrize("key", [AZURE, AZURE_CLASSIC], ids=["azure-84", "azure-classic"])
@pytest.mark.parametrize(
    "host", ["contoso.openai.azure.com", "contoso.cognitiveservices.azure.com", "contoso.services.ai.azure.com"]
)
def test_an_azure_key_is_checked_at_the_endpoint_next_to_it(api: Emulator, tmp_path: Path, key: str, host: str) -> None:
    f = azure_file(tmp_path, f"AZURE_OPENAI_ENDPOINT=https://{host}/", key)
    api.answer(key, "azure-live")
    got = check([f], Options(base_url=api.url, azure_url=api.url), files)[f.fingerprint]
    assert got.verdict is Verdict.LIVE and host in got.reason
    (req,) = api.seen()
    assert req.path.startswith("/openai/models?api-version=")
    assert req.headers["api-key"] == key and "authorization" not in req.headers


def test_an_azure_refusal_does_not_call_the_key_dead(api: Emulator, tmp_path: Path) -> None:
    # "invalid subscription key or wrong API endpoint": the endpoint may be another resource's.
    f = azure_file(tmp_path, "endpoint: https://contoso.openai.azure.com")
    api.answer(AZURE, "azure-denied")
    got = check([f], Options(base_url=api.url, azure_url=api.url), files)[f.fingerprint]
    assert got.verdict is Verdict.UNKNOWN and "another resource" in got.reason


def test_the_nearest_azure_endpoint_is_used(api: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "two.env"
    path.write_text(
        "A_ENDPOINT=https://far.openai.azure.com\n" + "\n" * 20
        + f"B_ENDPOINT=https://near.openai.azure.com\nB_KEY={AZURE}\n"
    )  # fmt: skip
    (f,) = scan_text(path.read_text(), path=str(path))
    api.answer(AZURE, "azure-live")
    got = check([f], Options(base_url=api.url, azure_url=api.url), files)[f.fingerprint]
    assert "near.openai.azure.com" in got.reason


HOSTILE = [
    "AZURE_OPENAI_ENDPOINT={evil}",
    "AZURE_OPENAI_ENDPOINT={evil}/openai.azure.com",
    "AZURE_OPENAI_ENDPOINT=https://contoso.openai.azure.com.evil.test/",
    "AZURE_OPENAI_ENDPOINT=https://evil.test/?next=openai.azure.com",
    "AZURE_OPENAI_ENDPOINT=https://contoso-openai-azure-com.evil.test",
    "AZURE_OPENAI_ENDPOINT=https://openai.azure.com/",
]


@pytest.mark.parametrize("line", HOSTILE)
def test_an_azure_key_is_never_sent_to_another_host_named_in_the_file(api: Emulator, tmp_path: Path, line: str) -> None:
    with emulator() as evil:
        f = azure_file(tmp_path, line.format(evil=evil.url))
        # Even with Azure checks routed to the emulator, no Azure host was found: no request.
        got = check([f], Options(base_url=api.url, azure_url=api.url), files)[f.fingerprint]
        assert got.verdict is Verdict.UNKNOWN and "needs its endpoint" in got.reason
        assert evil.seen() == [] and api.seen() == []


def test_an_azure_key_without_an_endpoint_needs_one(api: Emulator) -> None:
    got = verdict_of(AZURE, api)
    assert got.verdict is Verdict.UNKNOWN and "needs its endpoint" in got.reason
    assert api.seen() == []


def test_an_openai_key_goes_to_the_configured_api_not_a_base_url_in_the_file(api: Emulator, tmp_path: Path) -> None:
    with emulator() as evil:
        (tmp_path / ".env").write_text(f"OPENAI_BASE_URL={evil.url}/v1\nOPENAI_API_KEY={PROJ}\n")
        api.answer(PROJ, "live")
        (f,) = scan_text((tmp_path / ".env").read_text(), path=str(tmp_path / ".env"))
        assert check([f], Options(base_url=api.url), files)[f.fingerprint].verdict is Verdict.LIVE
        assert evil.seen() == [] and len(api.seen()) == 1


@pytest.mark.parametrize("kind", ["sess-", "whsec_"])
def test_secrets_with_no_read_only_check_are_not_sent(api: Emulator, kind: str) -> None:
    secret = make_key(kind, 1)
    f = one(secret, f"OPENAI_SECRET={secret}\n")
    got = check([f], Options(base_url=api.url))[f.fingerprint]
    assert got.verdict is Verdict.UNKNOWN and "not checked" in got.reason and api.seen() == []


# --- the command line ------------------------------------------------------------------------------


@pytest.fixture
def run(keylatch: RunKeylatch, tmp_path: Path) -> RunKeylatch:
    """keylatch in tmp_path, with a verdict cache of its own (never the user's)."""
    cache = tmp_path / "xdg-cache"

    def go(*args: str, cwd: Path = tmp_path) -> Result:
        return keylatch(*args, cwd=cwd, env={"XDG_CACHE_HOME": str(cache)})

    return go


def test_scan_reports_verdict_and_reason_in_every_format(api: Emulator, tmp_path: Path, run: RunKeylatch) -> None:
    dead, restricted = make_key("sk-proj-", 9), make_key("sk-svcacct-", 4)
    api.answer(PROJ, "live")
    api.answer(restricted, "restricted")
    (tmp_path / ".env").write_text(f"A={dead}\nB={restricted}\nC={PROJ}\n")
    verify = ("--verify", "--verify-url", api.url, "--no-verify-cache")
    doc = json.loads(run("scan", ".env", *verify, "-f", "json").out)
    assert doc["schema_version"] == 2
    got = [(f["line"], f["verification"]["verdict"]) for f in doc["findings"]]
    assert got == [(1, "revoked"), (2, "live-restricted"), (3, "live")]
    assert doc["findings"][2]["verification"]["organization"] == ORG
    assert "api.model.read" in doc["findings"][1]["verification"]["reason"]
    text = run("scan", ".env", *verify)
    lines = text.out.splitlines()
    # Live keys first, then restricted ones, revoked last.
    assert [ln.split(":")[1] for ln in lines[:3]] == ["3", "2", "1"], text.out
    assert lines[0].endswith(f"verdict:live (HTTP 200: the API accepted it) org:{ORG} project:{PROJECT}")
    assert "verdict:revoked (HTTP 401 invalid_api_key: revoked or never valid)" in lines[2]
    sarif = json.loads(run("scan", ".env", *verify, "-f", "sarif").out)
    props = [r["properties"]["verdict"] for r in sarif["runs"][0]["results"]]
    assert props == ["revoked", "live-restricted", "live"]
    assert "Verdict: live, restricted" in sarif["runs"][0]["results"][1]["message"]["text"]
    gh = run("scan", ".env", *verify, "-f", "github").out
    assert "Verdict: revoked or never valid (HTTP 401 invalid_api_key" in gh
    assert len(api.seen()) == 4 * 3


def test_fail_on_verdict_live_blocks_only_keys_not_known_dead(api: Emulator, tmp_path: Path, run: RunKeylatch) -> None:
    dead, broke = make_key("sk-proj-", 9), make_key("sk-proj-", 8)
    api.answer(broke, "no-credit")
    (tmp_path / "dead.env").write_text(f"K={dead}\n")
    (tmp_path / "broke.env").write_text(f"K={broke}\n")
    (tmp_path / "unchecked.env").write_text(f"K={AZURE}\n")  # no endpoint: unknown
    v = ("--verify", "--verify-url", api.url)
    assert run("scan", "dead.env", *v).code == 1  # default: every key fails the run
    result = run("scan", "dead.env", *v, "--fail-on-verdict", "live")
    assert result.code == 0 and "revoked or never valid" in result.out and "not failing" in result.err
    assert run("scan", "dead.env", "broke.env", *v, "--fail-on-verdict", "live").code == 1
    assert run("scan", "dead.env", "unchecked.env", *v, "--fail-on-verdict", "live").code == 1
    misuse = run("scan", "dead.env", "--fail-on-verdict", "live")
    assert misuse.code == 2 and "needs --verify" in misuse.err


@pytest.mark.parametrize(
    "url", ["http://api.example.test", "ftp://127.0.0.1/", "file:///etc/passwd", "http://10.0.0.1:8080"]
)
def test_keys_go_only_over_https_or_to_loopback(url: str, tmp_path: Path, run: RunKeylatch) -> None:
    (tmp_path / "k.env").write_text(f"K={PROJ}\n")
    result = run("scan", "k.env", "--verify", "--verify-url", url)
    assert result.code == 2 and "must be an https:// URL" in result.err


def test_the_hostile_endpoint_gets_nothing_from_the_cli(api: Emulator, tmp_path: Path, run: RunKeylatch) -> None:
    (tmp_path / "azure.env").write_text(f"AZURE_OPENAI_ENDPOINT={api.url}\nAZURE_OPENAI_API_KEY={AZURE}\n")
    result = run("scan", "azure.env", "--verify", "--verify-url", api.url, "--verify-azure-url", api.url)
    assert result.code == 1 and "verdict:unknown (needs its endpoint" in result.out
    assert api.seen() == []


def test_verdicts_are_cached_without_the_key(api: Emulator, tmp_path: Path, run: RunKeylatch) -> None:
    api.answer(PROJ, "live")
    (tmp_path / "k.env").write_text(f"K={PROJ}\nA={AZURE}\n")
    v = ("scan", "k.env", "--verify", "--verify-url", api.url)
    assert "verdict:live (HTTP 200" in run(*v).out
    again = run(*v)
    assert "(cached)" in again.out and len(api.seen()) == 1
    assert "(cached)" not in run(*v, "--no-verify-cache").out and len(api.seen()) == 2
    cache = tmp_path / "xdg-cache" / "keylatch" / "verdicts.json"
    raw = cache.read_text()
    assert PROJ not in raw and AZURE not in raw and PROJ[-8:] not in raw
    assert cache.stat().st_mode & 0o077 == 0
    entries = json.loads(raw)["entries"]
    assert [e["verdict"] for e in entries.values()] == ["live"]  # unknown is never stored


def test_an_expired_verdict_is_asked_again(tmp_path: Path) -> None:
    path = tmp_path / "v.json"
    old = VerdictCache.load(path)
    old.put("k", KeyCheck(Verdict.REVOKED, "HTTP 401"), now=1000.0)
    old.save()
    assert VerdictCache.load(path, ttl=60, now=1059.0).get("k") is not None
    assert VerdictCache.load(path, ttl=60, now=1061.0).get("k") is None
    path.write_text("{not json")
    assert VerdictCache.load(path).get("k") is None  # corrupt: ask again, do not fail
    assert entry_key("fp", "https://a") != entry_key("fp", "https://b")


def test_history_verifies_each_key_once_and_finds_azure_endpoints_in_the_commit(
    api: Emulator, make_repo: Callable[..., GitRepo], run: RunKeylatch
) -> None:
    repo = make_repo()
    repo.write("config.yaml", "azure:\n  endpoint: https://contoso.openai.azure.com/\n")
    repo.write("secrets.env", f"AZURE_KEY={AZURE}\nOPENAI_API_KEY={PROJ}\n")
    repo.commit("add config")
    repo.write("other.env", f"K={PROJ}\n")
    repo.commit("copy key")
    api.answer(PROJ, "live")
    api.answer(AZURE, "azure-live")
    v = ("--verify", "--verify-url", api.url, "--verify-azure-url", api.url, "--no-verify-cache")
    doc = json.loads(run("history", str(repo.path), *v, "-f", "json").out)
    verdicts = {f["secret"][:3]: f["verification"]["verdict"] for f in doc["findings"]}
    assert set(verdicts.values()) == {"live"}
    assert len(api.seen(PROJ)) == 1 and len(api.seen(AZURE)) == 1
    azure_reason = next(f for f in doc["findings"] if f["rule_id"].startswith("azure"))["verification"]["reason"]
    assert "contoso.openai.azure.com" in azure_reason
    text = run("history", str(repo.path), *v).out
    assert text.count("verdict:live") == 2


def test_ci_verifies_the_range(api: Emulator, make_repo: Callable[..., GitRepo], run: RunKeylatch) -> None:
    repo = make_repo()
    base = repo.commit("empty")
    repo.write("k.env", f"K={PROJ}\n")
    repo.commit("key")
    api.answer(PROJ, "revoked")
    v = ("--verify", "--verify-url", api.url, "--range", f"{base}..HEAD", "--repo", str(repo.path))
    assert run("ci", *v).code == 1
    result = run("ci", *v, "--fail-on-verdict", "live")
    assert result.code == 0 and "verdict:revoked" in result.out


def test_scan_without_verify_sends_nothing(api: Emulator, tmp_path: Path, run: RunKeylatch) -> None:
    (tmp_path / "k.txt").write_text(PROJ)
    assert run("scan", "k.txt").code == 1 and api.seen() == []


def test_hooks_never_load_the_network_code(make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo()
    repo.write("k.env", f"K={PROJ}\n")
    repo.git("add", "-A")
    probe = (
        "import sys; from keylatch.cli import main\n"
        "code = main(['staged'])\n"
        "print(code, sorted(m for m in ('keylatch.verify', 'urllib.request', 'ssl') if m in sys.modules))"
    )
    env = dict(repo.env, PYTHONPATH=str(SRC))
    out = subprocess.run([sys.executable, "-c", probe], cwd=repo.path, env=env, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "1 []", out.stdout + out.stderr


# --- configuration and the hooks ------------------------------------------------------------------

POLICY = "verify: true\nfail-on-verdict: live\n"


def hook_env(api: Emulator, tmp_path: Path) -> dict[str, str]:
    return {"KEYLATCH_VERIFY_URL": api.url, "XDG_CACHE_HOME": str(tmp_path / "xdg-cache")}


def test_the_pre_commit_hook_verifies_when_configured(
    api: Emulator, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = make_repo()
    repo.write(".keylatch.yaml", POLICY)
    dead, live = make_key("sk-proj-", 9), PROJ
    api.answer(live, "live")
    repo.write("old.env", f"K={dead}\n")
    repo.git("add", "-A")
    allowed = keylatch("staged", cwd=repo.path, env=hook_env(api, tmp_path))
    assert allowed.code == 0 and "old.env:1" in allowed.err and "revoked or never valid" in allowed.err
    repo.write("new.env", f"K={live}\n")
    repo.git("add", "-A")
    blocked = keylatch("staged", cwd=repo.path, env=hook_env(api, tmp_path))
    assert blocked.code == 1 and "commit blocked" in blocked.out
    assert "new.env:1" in blocked.out and "[live]" in blocked.out
    assert len(api.seen(dead)) == 1 and len(api.seen(live)) == 1  # the second run used the cache


def test_without_the_setting_the_hook_sends_nothing(
    api: Emulator, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    repo = make_repo()
    repo.write("k.env", f"K={PROJ}\n")
    repo.git("add", "-A")
    assert keylatch("staged", cwd=repo.path, env=hook_env(api, tmp_path)).code == 1
    assert api.seen() == []


def test_the_pre_push_hook_lets_a_revoked_key_through_when_configured(
    api: Emulator, make_repo: Callable[..., GitRepo], keylatch: RunKeylatch, tmp_path: Path
) -> None:
    origin = make_repo("origin.git", "--bare")
    repo = make_repo("work")
    repo.git("remote", "add", "origin", str(origin.path))
    repo.write(".keylatch.yaml", POLICY)
    repo.commit("base")
    repo.git("push", "-q", "origin", "main")
    repo.write("k.env", f"K={make_key('sk-proj-', 9)}\n")
    repo.commit("a revoked key")
    res = keylatch("pre-push", "origin", cwd=repo.path, env=hook_env(api, tmp_path))
    assert res.code == 0 and "revoked or never valid (fail-on-verdict live: not blocking)" in res.err
    repo.write("k.env", f"K={PROJ}\n")
    repo.commit("a live key")
    api.answer(PROJ, "live")
    res = keylatch("pre-push", "origin", cwd=repo.path, env=hook_env(api, tmp_path))
    assert res.code == 1 and "push blocked" in res.out and "[live]" in res.out


def test_scan_and_ci_read_verify_from_the_config_history_does_not(
    api: Emulator, make_repo: Callable[..., GitRepo], run: RunKeylatch
) -> None:
    repo = make_repo()
    repo.write(".keylatch.yaml", POLICY)
    repo.write("k.env", f"K={make_key('sk-proj-', 9)}\n")
    repo.commit("revoked key")
    scan = run("scan", ".", "--verify-url", api.url, cwd=repo.path)
    assert scan.code == 0 and "verdict:revoked" in scan.out
    # A repository being audited (perhaps a stranger's) cannot switch the network on.
    history = run("history", ".", cwd=repo.path)
    assert history.code == 1 and "verdict:" not in history.out and len(api.seen()) == 1


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ("verify: yes please\n", "'verify' must be true or false"),
        ("fail-on-verdict: live\n", "'fail-on-verdict' needs 'verify = true'"),
        ("verify: true\nfail-on-verdict: dead\n", "'fail-on-verdict' must be one of any, live"),
        ("verify-url: http://evil.test\n", "unknown key 'verify-url'"),
    ],
)
def test_bad_verify_settings_are_usage_errors(config: str, words: str, tmp_path: Path, run: RunKeylatch) -> None:
    (tmp_path / ".keylatch.yaml").write_text(config)
    (tmp_path / "k.env").write_text("nothing\n")
    result = run("scan", "k.env")
    assert result.code == 2 and words in result.err, result.err


def test_an_unwritable_cache_is_a_warning_not_a_failure(api: Emulator, tmp_path: Path, keylatch: RunKeylatch) -> None:
    (tmp_path / "not-a-dir").write_text("")
    (tmp_path / "k.env").write_text(f"K={PROJ}\n")
    api.answer(PROJ, "live")
    env = {"XDG_CACHE_HOME": str(tmp_path / "not-a-dir")}
    result = keylatch("scan", "k.env", "--verify", "--verify-url", api.url, cwd=tmp_path, env=env)
    assert result.code == 1 and "verdict:live" in result.out and "cannot write the verdict cache" in result.err


def test_standard_proxy_variables_are_honoured_and_see_no_key(
    api: Emulator, tmp_path: Path, keylatch: RunKeylatch
) -> None:
    (tmp_path / "k.env").write_text(f"K={PROJ}\n")
    with emulator() as proxy:
        env = {"XDG_CACHE_HOME": str(tmp_path / "c"), "HTTPS_PROXY": proxy.url, "NO_PROXY": ""}
        # An https API goes through the proxy as a CONNECT tunnel: the proxy learns the host only.
        # (This proxy refuses the tunnel, so nothing goes further: the verdict is unknown.)
        result = keylatch("scan", "k.env", "--verify", "--verify-url", "https://api.openai.test", cwd=tmp_path, env=env)
        assert "verdict:unknown (no answer from api.openai.test" in result.out
        (tunnel,) = proxy.seen()
        assert (tunnel.method, tunnel.path) == ("CONNECT", "api.openai.test:443")
        assert PROJ not in json.dumps(tunnel.headers)
        # Loopback never goes through a proxy.
        api.answer(PROJ, "live")
        env["HTTP_PROXY"] = proxy.url
        result = keylatch("scan", "k.env", "--verify", "--verify-url", api.url, cwd=tmp_path, env=env)
        assert "verdict:live" in result.out and len(proxy.seen()) == 1 and len(api.seen()) == 1
