from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from _pytest.capture import CaptureFixture, CaptureResult
from hypothesis import settings

import keylatch.rules.synthetic as synthetic
from tests.helpers.gitrepo import GitRepo, git_env
from tests.helpers.openai_emulator import Emulator, emulator
from tests.helpers.redaction import Planted, assert_redacted, leaks, snapshot, written
from tests.helpers.run import SRC, Result, RunKeylatch, in_process, in_subprocess

# Property tests: no per-example deadline (a shared 2-core runner makes a 200 ms deadline flaky,
# and speed is measured in bench/, never asserted), and under CI a fixed example sequence, so a
# build is reproducible; local runs keep exploring new examples (that is how the decoders' and
# rules' bugs were found).
settings.register_profile("keylatch", deadline=None)
settings.register_profile("keylatch-ci", deadline=None, derandomize=True)
settings.load_profile("keylatch-ci" if os.environ.get("CI") else "keylatch")

# --- The suite-wide leak check (tests/helpers/redaction.py; proven by tests/test_leak_check.py) ---------
#
# Which keys: every key `make_key` returns anywhere in the session (at import, in fixtures,
# in hypothesis examples), plus every rule example's key. Recorded, not guessed: the session
# replaces `synthetic.make_key` with a recording wrapper in pytest_configure, before any test
# module is imported, so `from keylatch.rules.synthetic import make_key` binds the wrapper. Modules
# imported earlier (conftest's own helpers, keylatch.rules for its examples) hold the
# original; every loaded `tests.*` module is swept at collection and rebound, and the examples
# are registered directly. A key any test made is a secret in every test's output: keys are
# seeded, so two tests planting `make_key("sk-proj-", seed=3)` plant the same key.
#
# Where: after each test, the captured stdout, stderr and log records of its setup, call and
# teardown (pytest's report sections), everything capsys/capfd handed the test (readouterr),
# each `keylatch` run's stdout and stderr, and the files those runs created or changed under
# tmp_path (git's own internals excepted). A hit turns the test's teardown into an error.
#
# Opt out: `@pytest.mark.prints_secrets("reason")`, for tests whose point is printing a key. It
# exempts what that test's `keylatch ... --show-secrets` runs print and write, nothing else: its
# other runs, its own output and its logs are still checked. A marker without a reason, or on a
# test that never ran --show-secrets, is an error, so opt-outs stay explained and current.

PLANTED = pytest.StashKey[Planted]()
SEEN = pytest.StashKey[list[tuple[str, str]]]()
REVEALED = pytest.StashKey[bool]()
_ORIGINAL = synthetic.make_key


def _recording(planted: Planted) -> Callable[..., str]:
    @functools.wraps(_ORIGINAL)
    def make_key(kind: str, seed: int = 0, n: int | None = None) -> str:
        key = _ORIGINAL(kind, seed, n)
        planted.add(key)
        return key

    return make_key


def pytest_configure(config: pytest.Config) -> None:
    from keylatch.rules import DEFAULT_RULES

    planted = config.stash[PLANTED] = Planted()
    for rule in DEFAULT_RULES:  # made by the original make_key when keylatch.rules was imported
        for ex in rule.examples:
            planted.add(ex.key)
    wrapper = _recording(planted)
    synthetic.make_key = wrapper
    config.add_cleanup(functools.partial(setattr, synthetic, "make_key", _ORIGINAL))
    _rebind_test_modules(wrapper)

    readouterr = CaptureFixture.readouterr

    def recorded(self: CaptureFixture[str], /) -> CaptureResult[str]:
        res = readouterr(self)
        seen = self.request.node.stash.get(SEEN, None)
        if seen is not None:
            for name, text in (("stdout", res.out), ("stderr", res.err)):
                seen.append((f"{name} read through readouterr", _text(text)))
        return res

    # The fixture is generic in AnyStr; the recorder handles both (_text), so str stands for either.
    CaptureFixture.readouterr = recorded  # type: ignore[method-assign, assignment]
    config.add_cleanup(functools.partial(setattr, CaptureFixture, "readouterr", readouterr))


def _rebind_test_modules(wrapper: Callable[..., str]) -> None:
    here = sys.modules[__name__]  # holds _ORIGINAL itself
    for name, mod in list(sys.modules.items()):
        if (name == "tests" or name.startswith("tests.")) and isinstance(mod, ModuleType) and mod is not here:
            for attr, value in list(vars(mod).items()):
                if value is _ORIGINAL:
                    setattr(mod, attr, wrapper)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _rebind_test_modules(synthetic.make_key)


def _text(data: str | bytes) -> str:
    return data.decode("latin-1") if isinstance(data, bytes) else data


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[SEEN] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when != "teardown":
        return report
    if report.outcome != "passed":
        return report
    problem = _marker_problem(item) or _leaks(item, report)
    if problem:
        report.outcome = "failed"
        report.longrepr = problem
    return report


def _marker_problem(item: pytest.Item) -> str:
    marker = item.get_closest_marker("prints_secrets")
    if marker is None:
        return ""
    if not (marker.args and isinstance(marker.args[0], str) and marker.args[0].strip()):
        return "@pytest.mark.prints_secrets needs a reason: prints_secrets('why this test prints a key')"
    if not item.stash.get(REVEALED, False):
        return "@pytest.mark.prints_secrets, no revealing `keylatch` run (REVEALING): remove the marker"
    return ""


def _leaks(item: pytest.Item, report: pytest.TestReport) -> str:
    texts = [(title, content) for title, content in report.sections]
    seen: list[tuple[str, str]] = item.stash.get(SEEN, [])
    texts += seen
    found = leaks(item.config.stash[PLANTED], texts)
    if not found:
        return ""
    return (
        "leak check: a full synthetic key reached what users see (tests/helpers/redaction.py)\n"
        + "\n".join(f"  {line}" for line in found)
        + "\nRedact it; a test whose point is `--show-secrets` is marked @pytest.mark.prints_secrets('reason')."
    )


# The flags with which a user explicitly asks keylatch for full keys: on screen, or in the
# replacements file `git filter-repo --replace-text` needs (`keylatch remediate`).
REVEALING = ("--show-secrets", "--write-replacements")


TMP_NUMBERS = pytest.StashKey[dict[str, int]]()
TMP_PATH = pytest.StashKey[Path]()


def _tmp_path_name(request: pytest.FixtureRequest, factory: pytest.TempPathFactory) -> Path:
    """The path this test's tmp_path has or will have, chosen once and not made: pytest's own
    (the test's name made safe, 30 characters, then a number, under the session's base
    directory), numbered by a count instead of a listing: pytest's mktemp lists every entry of
    the base directory to find the next number, once per test, so the session paid with the
    square of its test count (~3 ms a test at 5,000 entries, ~8 s CPU in all)."""
    path: Path | None = request.node.stash.get(TMP_PATH, None)
    if path is None:
        name = re.sub(r"[\W]", "_", request.node.name)[:30]
        numbers = request.config.stash.setdefault(TMP_NUMBERS, {})
        base = factory.getbasetemp()
        while True:
            n = numbers.get(name, 0)
            numbers[name] = n + 1
            path = base / f"{name}{n}"
            if not os.path.lexists(path):  # else made by tmp_path_factory.mktemp, which numbers by listing
                break
        request.node.stash[TMP_PATH] = path
    return path


@pytest.fixture
def tmp_path(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pytest's tmp_path, at the path _tmp_path_name chose. The project keeps pytest's default
    retention, "all"."""
    path = _tmp_path_name(request, tmp_path_factory)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:  # this test's own: a cache in it was written before it asked for it
        path.chmod(0o700)
    return path


@pytest.fixture(autouse=True)
def own_cache_dir(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keylatch's caches (history's per-repository caches, the cache key, verdicts) go to this
    test's own directory: nothing in the real user's cache, nothing shared between tests. Under
    its tmp_path (home/.cache), named but not made: about a third of the tests never write a
    file, and a directory each was a mkdir they all paid (keylatch makes its cache's parents)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(_tmp_path_name(request, tmp_path_factory) / "home" / ".cache"))


@pytest.fixture
def api() -> Iterator[Emulator]:
    """An OpenAI API emulator serving on 127.0.0.1 (tests/helpers/openai_emulator.py)."""
    with emulator() as e:
        yield e


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir(exist_ok=True)
    return h


@pytest.fixture
def make_repo(tmp_path: Path, home: Path) -> Callable[..., GitRepo]:
    def make(name: str = "repo", *args: str) -> GitRepo:
        return GitRepo.init(tmp_path / name, home, *args)

    return make


def _runner(home: Path, tmp_path: Path, request: pytest.FixtureRequest, process: bool) -> RunKeylatch:
    seen = request.node.stash.setdefault(SEEN, [])
    may_reveal = request.node.get_closest_marker("prints_secrets") is not None

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        from keylatch.report.untrusted import for_terminal

        full_env = git_env(home)
        # Run the code of this checkout, whatever is installed.
        full_env["PYTHONPATH"] = str(SRC)
        full_env.pop("NO_COLOR", None)
        full_env.pop("CI", None)
        if env:
            full_env.update(env)
        before = snapshot(tmp_path)
        how = in_subprocess if process else in_process
        result = how(args, cwd, full_env, input)
        if may_reveal and any(a in REVEALING for a in args):
            request.node.stash[REVEALED] = True
        else:
            # For the leak check at teardown: what this run printed and wrote.
            label = for_terminal(" ".join(("keylatch", *args)), limit=200)
            seen.extend([(f"{label}: stdout", result.out), (f"{label}: stderr", result.err)])
            seen.extend(written(tmp_path, before))
        if not any(a in REVEALING for a in args):
            # Every CLI run in the suite doubles as a redaction test.
            assert_redacted(result.out, result.err)
        return result

    return run


@pytest.fixture
def keylatch(home: Path, tmp_path: Path, request: pytest.FixtureRequest) -> RunKeylatch:
    """Run the CLI as a user would, with a hermetic git config: `keylatch.cli.main(argv)` in this
    process, with the child's environment, cwd, stdin and pipes (tests/helpers/run.py), since
    starting an interpreter per run was most of the suite's CPU time."""
    return _runner(home, tmp_path, request, process=False)


@pytest.fixture
def keylatch_process(home: Path, tmp_path: Path, request: pytest.FixtureRequest) -> RunKeylatch:
    """`python -m keylatch` in a child process: for tests whose subject is the process itself
    (what it imports, how it exits, its signals, what reaches a real pipe)."""
    return _runner(home, tmp_path, request, process=True)
