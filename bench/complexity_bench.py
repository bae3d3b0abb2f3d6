"""Cost of adversarial input against clean text of the same size, measured in the same run.

    python3 bench/complexity_bench.py [--sizes 1,2,4,8] [--only NAME,...] [--scan] [--runs 3]

For every input class below, builds 1, 2, 4 and 8 MB of it, times `engine.scan_chunk` with the
default rules (best of `--runs`) and prints, per size, the ratio to clean source-like text of the
same size timed in the same run, and the growth per doubling of the input (linear is ~2x,
quadratic ~4x). With `--scan`, the same for `keylatch scan FILE` as a subprocess (engine, allow
comments, dedup and the text report), after subtracting the time of scanning an empty file
(interpreter start-up) in the same run. `--limit S` skips the larger sizes of a class once one
measurement took longer than S seconds (for measuring a quadratic build).

An input class is a shape an attacker (or an unlucky file) can give a byte-oriented scanner:
every rule's keyword repeated densely, keywords without the rest of a key, long runs of the
hex/base64 alphabets, base64-looking and UTF-16-looking data, one huge line, and files that are
nothing but keys (one finding per line). bench/README.md holds the measured numbers.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from keylatch.encoded import BASE64_MARKERS, UTF16_MARKER  # noqa: E402
from keylatch.engine import scan_chunk  # noqa: E402
from keylatch.model import Chunk  # noqa: E402
from keylatch.rules.synthetic import MARKER, make_key  # noqa: E402

M = MARKER.encode()
ALNUM = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
URLSAFE = ALNUM + b"-_"
HEX = b"0123456789abcdef"
B64 = ALNUM + b"+/"


def _alphabet(n: int, alphabet: bytes, seed: int) -> bytes:
    """n random characters of `alphabet` (fast: one randbytes + translate)."""
    table = bytes(alphabet[i % len(alphabet)] for i in range(256))
    return random.Random(seed).randbytes(n).translate(table)


def _fill(n: int, unit: bytes, head: bytes = b"") -> bytes:
    return (head + unit * (n // len(unit) + 1))[:n]


def _clean(n: int) -> bytes:
    rng = random.Random(1)
    words = [b"def", b"return", b"import", b"client", b"openai", b"api_key", b"self", b"value", b"= 1", b"#"]
    block = b"\n".join(b" ".join(rng.choice(words) for _ in range(rng.randint(3, 14))) for _ in range(4000))
    return _fill(n, block + b"\n")


def _keys_per_line(kind: str, prefix: str = "", count: int = 512) -> Callable[[int], bytes]:
    def make(n: int) -> bytes:
        lines = b"".join(f"{prefix}{make_key(kind, seed=i)}\n".encode() for i in range(count))
        head = b"from openai import AzureOpenAI  # openai.azure.com\n" if kind in ("azure-classic", "sess-") else b""
        return _fill(n, lines, head)

    return make


def _near_miss(n: int, unit: Callable[[int], bytes], head: bytes = b"") -> bytes:
    """Distinct non-keys (so nothing is deduplicated by accident): unit(i) for i = 0, 1, ..."""
    parts = [head]
    size = len(head)
    i = 0
    while size < n:
        part = unit(i)
        parts.append(part)
        size += len(part)
        i += 1
    return b"".join(parts)[:n]


def _tok(i: int, k: int, alphabet: bytes = ALNUM) -> bytes:
    return _alphabet(k, alphabet, i)


def _wrapped(data: bytes, width: int = 76) -> bytes:
    return b"\n".join(data[i : i + width] for i in range(0, len(data), width))


EVIDENCE = b"OPENAI_API_BASE=https://x.openai.azure.com/  # azure_openai\n"

# name -> (what it is, generator of n bytes)
CLASSES: dict[str, tuple[str, Callable[[int], bytes]]] = {
    "marker-dense": ("the marker repeated, no separator", lambda n: _fill(n, M)),
    "marker-lines": ("the marker alone on every line", lambda n: _fill(n, M + b"\n")),
    "marker-no-tail": (
        "sk-proj- + head + marker, no tail, one per line",
        lambda n: _near_miss(n, lambda i: b"sk-proj-" + _tok(i, 74, URLSAFE) + M + b"\n"),
    ),
    "marker-no-head": (
        "marker + 74-char tail, no prefix, one per line",
        lambda n: _near_miss(n, lambda i: M + _tok(i, 74, URLSAFE) + b"\n"),
    ),
    "marker-in-token": (
        "one endless token with the marker every 100 characters",
        lambda n: _near_miss(n, lambda i: _tok(i, 92, URLSAFE) + M),
    ),
    "sk-marker-token": (
        "sk- + marker runs inside one endless token",
        lambda n: _near_miss(n, lambda i: b"sk-" + _tok(i, 30, URLSAFE) + M + _tok(i + 1, 300, URLSAFE)),
    ),
    "sk-proj-marker": ("`sk-proj-` + marker repeated", lambda n: _fill(n, b"sk-proj-" + M)),
    "sk-dense": ("`sk-` repeated (no marker)", lambda n: _fill(n, b"sk-")),
    "sess-dense": ("`sess-` repeated after OpenAI evidence", lambda n: _fill(n, b"sess-", b"openai\n")),
    "sess-near-miss": (
        "`sess-` + 39 alphanumerics per line after OpenAI evidence",
        lambda n: _near_miss(n, lambda i: b"sess-" + _tok(i, 39) + b"\n", b"openai\n"),
    ),
    "whsec-dense": ("`whsec_` repeated after OpenAI evidence", lambda n: _fill(n, b"whsec_", b"openai\n")),
    "whsec-near-miss": (
        "`whsec_` + 30 base64 characters per line after OpenAI evidence",
        lambda n: _near_miss(n, lambda i: b"whsec_" + _tok(i, 30, B64) + b"\n", b"openai\n"),
    ),
    "azure-word": ("`azure ` repeated (no Azure OpenAI evidence)", lambda n: _fill(n, b"azure ")),
    "azure-evidence": ("`AZURE_OPENAI ` repeated", lambda n: _fill(n, b"AZURE_OPENAI ")),
    "azure-hex-line": (
        "Azure evidence, then one line of 32-hex tokens after `api_key=`",
        lambda n: _near_miss(
            n, lambda i: b"api_key=" + _tok(i, 32, HEX) + b" sha=" + _tok(i + 7, 32, HEX) + b" ", EVIDENCE
        ),
    ),
    "azure-hex-lines": (
        "Azure evidence, then `hash = <32 hex>` lines",
        lambda n: _near_miss(n, lambda i: b"hash = " + _tok(i, 32, HEX) + b"\n", EVIDENCE),
    ),
    "hex-run": ("Azure evidence, then one run of hex digits", lambda n: EVIDENCE + _alphabet(n, HEX, 3)),
    "jqqj99-dense": ("`JQQJ99` repeated", lambda n: _fill(n, b"JQQJ99")),
    "azure84-no-tail": (
        "52 alphanumerics + JQQJ99, no tail, one per line",
        lambda n: _near_miss(n, lambda i: _tok(i, 52) + b"JQQJ99\n"),
    ),
    "acog-dense": ("`AAABACOG` repeated", lambda n: _fill(n, b"AAABACOG")),
    "alnum-run": ("one run of random alphanumerics", lambda n: _alphabet(n, ALNUM, 4)),
    "base64-wrapped": (
        "random base64 wrapped at 76 columns (no marker)",
        lambda n: _wrapped(_alphabet(n, B64, 5))[:n],
    ),
    "base64-markers": (
        "the three encoded markers repeated in one base64 run",
        lambda n: _fill(n, b"".join(BASE64_MARKERS) + b"AA"),
    ),
    "base64-of-markers": (
        "base64 of the marker repeated (decodes to marker-dense)",
        lambda n: base64.b64encode(_fill(n * 3 // 4, M))[:n],
    ),
    "utf16-markers": ("the UTF-16 marker repeated", lambda n: _fill(n, UTF16_MARKER + b"\0")),
    "utf16-nul": ("one UTF-16 marker, then NULs", lambda n: _fill(n, b"\0", UTF16_MARKER)),
    "one-line": ("clean text with no line breaks", lambda n: _clean(n).replace(b"\n", b" ")),
    "keys-azure84": ("an Azure 84-character key per line", _keys_per_line("azure")),
    "keys-sk-proj": ("an sk-proj- key per line", _keys_per_line("sk-proj-", "OPENAI_API_KEY=")),
    "keys-azure-hex": (
        "`api_key = <32 hex>` per line after Azure evidence",
        _keys_per_line("azure-classic", "api_key = "),
    ),
    "keys-one-line": (
        "sk- keys separated by spaces on one line",
        lambda n: _fill(n, b" ".join(make_key("sk-", seed=i).encode() for i in range(512)) + b" "),
    ),
}


def _repeated(unit: bytes, head: bytes) -> Callable[[int], bytes]:
    return lambda n: _fill(n, unit, head)


OPENAI = b"openai\n"
AZURE = b"AZURE_OPENAI_ENDPOINT=https://x.openai.azure.com/\n"
# Dense escapes and joins: a keyword on every line, then ~15-20 escapes (or joins) of key
# characters, every spelling the decoders accept next to every kind of keyword window: the
# decoders make a piece per escape, so these measure their memory (the QA reproducer is
# `esc-pct-whsec`: 3.3 MB of it took 490 MB RSS before t-escmem).
CLASSES.update(
    {
        name: (what, _repeated(unit, head))
        for name, what, unit, head in (
            ("esc-pct-whsec", "`whsec_` + `a%2F` x15 per line", b"whsec_" + b"a%2F" * 15 + b"\n", OPENAI),
            ("esc-pct-dense", "`whsec_%2F` repeated, no separator", b"whsec_%2F", OPENAI),
            ("esc-u-marker", "the marker + `\\u0041` x15 per line", M + b"\\u0041" * 15 + b"\n", b""),
            ("esc-x-sess", "`sess-` + `\\x41` x15 per line", b"sess-" + b"\\x41" * 15 + b"\n", OPENAI),
            ("esc-octal-ek", "`ek_` + `\\101` x15 per line", b"ek_" + b"\\101" * 15 + b"\n", OPENAI),
            ("esc-slash-whsec", "`whsec_` + `a\\/` x20 per line (JSON)", b"whsec_" + b"a\\/" * 20 + b"\n", OPENAI),
            (
                "esc-entity-whsec",
                "`whsec_` + `&#65;&#x41;&amp;` x5 per line",
                b"whsec_" + b"&#65;&#x41;&amp;" * 5 + b"\n",
                OPENAI,
            ),
            ("esc-pct-jqqj99", "`JQQJ99` + `%41` x20 per line", b"JQQJ99" + b"%41" * 20 + b"\n", b""),
            ("esc-pct-jwt", "a JWT header + `%41` x20 per line", b"eyJhbGciOi" + b"%41" * 20 + b"\n", b""),
            (
                "esc-pct-azure",
                "Azure evidence, then `%41` x20 per line (whole file decoded)",
                b"%41" * 20 + b"\n",
                AZURE,
            ),
            (
                "esc-whole-x",
                "`whsec_` wholly escaped once, then `\\x41` x20 per line (whole file decoded)",
                b"\\x41" * 20 + b"\n",
                OPENAI + b"\\x77\\x68\\x73\\x65\\x63\\x5f\n",
            ),
            ("join-quote-whsec", '`"whsec_` + `a" "` x20 per line', b'"whsec_' + b'a" "' * 20 + b"\n", OPENAI),
            ("join-plus-jwt", '`"` JWT header + `a" + "` x20 per line', b'"eyJhbGciOi' + b'a" + "' * 20 + b"\n", b""),
            (
                "join-bsnl-whsec",
                "`whsec_` + `a\\<newline>  ` x15 per line",
                b"whsec_" + b"a\\\n  " * 15 + b"\n",
                OPENAI,
            ),
            ("join-quote-azure", 'Azure evidence, then `"a" "` x20 per line', b'"a" "' * 20 + b"\n", AZURE),
            (
                "yaml-fold-whsec",
                "YAML block scalars folding `whsec_` over short lines",
                b"k: >-\n  whsec_ab\n  cd\n  ef\n  gh\n",
                OPENAI,
            ),
            ("hex-marker-dense", "the marker's hex spelling repeated", b"5433426c626b464a" * 20 + b" ", b""),
        )
    }
)


def best(fn: Callable[[], object], runs: int, clock: Callable[[], float] = time.process_time) -> float:
    """The fastest of `runs` calls, in CPU seconds: the machine is shared, and CPU time does not
    count the time another process held the core (wall time varied 2x between runs under load)."""
    times = []
    for _ in range(runs):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def engine_time(data: bytes, runs: int) -> float:
    return best(lambda: scan_chunk(Chunk(data, "bench")), runs)


def engine_peak(data: bytes) -> float:
    """The peak of Python's allocations during `scan_chunk`, as a multiple of the input
    (tracemalloc: deterministic, where RSS depends on the allocator; not timed, it is slow)."""
    tracemalloc.start()
    try:
        scan_chunk(Chunk(data, "bench"))
        return tracemalloc.get_traced_memory()[1] / max(1, len(data))
    finally:
        tracemalloc.stop()


# `keylatch scan` run so that it writes its own peak RSS (VmHWM, counted from its exec) to a file:
# a child's ru_maxrss counts the parent's RSS it was forked with (Linux keeps it across exec).
_SCAN_CHILD = """import runpy, sys
out = sys.argv.pop(1)
try:
    runpy.run_module("keylatch", run_name="__main__", alter_sys=True)
finally:
    with open("/proc/self/status") as status, open(out, "w") as f:
        f.write(next((line.split()[1] for line in status if line.startswith("VmHWM:")), "0"))
"""


def scan_time(data: bytes, runs: int, tmp: Path, rss: list[int] | None = None) -> float:
    """CPU of `keylatch scan FILE` (best of `runs`); each run's peak RSS in bytes is added to
    `rss` (Linux; 0 elsewhere)."""
    path = tmp / "input.txt"
    path.write_bytes(data)
    out = tmp / "rss.txt"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    cmd = [sys.executable, "-c", _SCAN_CHILD, str(out), "scan", str(path), "--no-baseline"]

    def run() -> None:
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp, check=False)
        if rss is not None:
            rss.append(int(out.read_text() or 0) * 1024 if out.exists() else 0)  # kB

    return best(run, runs, _children_cpu)


def _row(name: str, times: list[float | None], clean: list[float], mem: float | None = None) -> str:
    """One line of the table; `mem` (peak memory / input, the largest over the sizes) last."""
    cells = []
    for i, t in enumerate(times):
        if t is None:
            cells.append(f"{'-':>18}")
            continue
        prev = times[i - 1] if i else None
        growth = f"x{t / prev:.1f}" if prev else "    "
        cells.append(f"{t:7.3f}s {t / clean[i]:5.1f}x {growth:>5}")
    return f"{name:<18}" + " ".join(cells) + (f" {mem:6.1f}x" if mem is not None else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,2,4,8", help="sizes in MB (default 1,2,4,8)")
    ap.add_argument("--only", default="", help="comma-separated class names")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scan", action="store_true", help="also time `keylatch scan FILE` end to end")
    ap.add_argument("--limit", type=float, default=0.0, help="skip larger sizes after a slower measurement")
    ap.add_argument("--no-mem", action="store_true", help="skip the peak-memory column (tracemalloc)")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    if args.list:
        for name, (what, _) in CLASSES.items():
            print(f"{name:<18} {what}")
        return
    sizes = [int(float(s) * (1 << 20)) for s in args.sizes.split(",")]
    names = [n for n in args.only.split(",") if n] or list(CLASSES)
    header = f"{'':<18}" + " ".join(f"{s / (1 << 20):>6g} MB: time ratio grow" for s in sizes) + "    mem"
    clean_data = [_clean(n) for n in sizes]
    # Warm: rules are built when a document first meets their literals (about 8 ms), which the
    # first size of clean text (it holds `openai`) would otherwise pay.
    scan_chunk(Chunk(b"".join(CLASSES[name][1](4096) for name in names) + _clean(1 << 16), "warm"))
    clean = [engine_time(d, args.runs) for d in clean_data]
    print("engine.scan_chunk, default rules; ratio = class / clean of the same size, grow = per doubling,")
    print("mem = tracemalloc peak during the scan / input size, the largest over the sizes")
    print(header)
    mem = None if args.no_mem else max(engine_peak(d) for d in clean_data)
    print(
        _row("clean", list[float | None](clean), clean, mem)
        + "   "
        + " ".join(f"{len(d) / t / 1e6:.0f} MB/s" for d, t in zip(clean_data, clean, strict=True))
    )
    worst: dict[str, float] = {}
    for name in names:
        gen = CLASSES[name][1]
        times: list[float | None] = []
        peaks: list[float] = []
        for n in sizes:
            if args.limit and times and (times[-1] is None or times[-1] > args.limit):
                times.append(None)
                continue
            data = gen(n)
            times.append(engine_time(data, args.runs))
            if not args.no_mem:
                peaks.append(engine_peak(data))
        print(_row(name, times, clean, max(peaks) if peaks else None), flush=True)
        worst[name] = max(t / c for t, c in zip(times, clean, strict=True) if t is not None)
    print(f"worst ratio: {max(worst.values()):.1f}x ({max(worst, key=worst.__getitem__)})")
    if not args.scan:
        return
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        base: list[int] = []
        startup = scan_time(b"", args.runs, tmp, base)
        print(f"\nkeylatch scan FILE, minus start-up ({startup:.3f}s); mem = peak RSS above an empty file's / input")
        print(header)

        def over(rss: list[int], size: int) -> float:
            return (min(rss) - min(base)) / size

        sclean: list[float] = []
        crss: list[float] = []
        for d in clean_data:
            rss: list[int] = []
            sclean.append(scan_time(d, args.runs, tmp, rss) - startup)
            crss.append(over(rss, len(d)))
        print(_row("clean", list[float | None](sclean), sclean, max(crss)))
        for name in names:
            gen = CLASSES[name][1]
            stimes: list[float | None] = []
            srss: list[float] = []
            for n in sizes:
                if args.limit and stimes and (stimes[-1] is None or stimes[-1] > args.limit):
                    stimes.append(None)
                    continue
                rss = []
                stimes.append(scan_time(gen(n), args.runs, tmp, rss) - startup)
                srss.append(over(rss, n))
            print(_row(name, stimes, sclean, max(srss)), flush=True)


if __name__ == "__main__":
    main()
