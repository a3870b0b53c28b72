#!/usr/bin/env python3
"""The measuring half of the benchmark; benches/run.sh sets up the tools and
the server, then runs this. Python 3.11 standard library only.

It writes the URL lists, runs every scenario with its contenders interleaved
(run 1 of each contender, then run 2 of each, ...), checks that every run
checked every URL and that all passed, and quotes medians. Before the timed
runs, each contender of a scenario makes one untimed run whose output is
checked line by line (it is also the warm-up).

Measurements:
  wall      Python's monotonic clock around the run (sub-millisecond;
            GNU time's %e has 10 ms steps), or hyperfine for one URL
  CPU, RSS  GNU time (/usr/bin/time -f '%U %S %M'): user + sys of the whole
            process tree it waited for (xargs reaps every curl, so their CPU
            counts), and the peak RSS of the largest process in it

Inputs (set by run.sh): BENCH_URLCHECK, BENCH_LYCHEE, BENCH_FLOOR (the
client alone, benches/reqwest_floor.rs; optional), BENCH_BEFORE and
BENCH_BEFORE_REV (an earlier build and its revision; optional), BENCH_PORT,
BENCH_WORK
(scratch directory), BENCH_OUT (where results.md, results.json and sweep.svg
go). Knobs: RUNS, QUICK and the sizes in SIZES below (each an environment
variable of the same name).
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chart  # noqa: E402  (benches/chart.py, next to this file)

QUICK = os.environ.get("QUICK", "") not in ("", "0")


def knob(name: str, full, quick):
    """An integer (or comma-separated list) from the environment, else the
    full-run or QUICK default."""
    raw = os.environ.get(name)
    default = quick if QUICK else full
    if raw is None or raw == "":
        return default
    if isinstance(default, list):
        return [int(x) for x in raw.split(",") if x.strip()]
    return int(raw)


RUNS = knob("RUNS", 5, 2)
SIZES = {
    # 1. latency-bound: URLs that each take 50 ms, and the workers for them.
    "LAT_URLS": knob("LAT_URLS", 2000, 500),
    "LAT_WORKERS": knob("LAT_WORKERS", 100, 100),
    "CURL_LAT_URLS": knob("CURL_LAT_URLS", 2000, 200),
    # 2. throughput-bound: instant URLs; curl gets fewer (one process per URL).
    "TPUT_URLS": knob("TPUT_URLS", 20000, 4000),
    "TPUT_WORKERS": knob("TPUT_WORKERS", 64, 64),
    "CURL_TPUT_URLS": knob("CURL_TPUT_URLS", 2000, 200),
    # 3. memory: urlcheck's peak RSS, small list vs large list.
    "MEM_SMALL": knob("MEM_SMALL", 10000, 10000),
    "MEM_LARGE": knob("MEM_LARGE", 1000000, 100000),
    "MEM_WORKERS": knob("MEM_WORKERS", 64, 64),
    # 4. single URL: hyperfine runs per contender (spread over RUNS rounds).
    "SINGLE_RUNS": knob("SINGLE_RUNS", 20, 10),
    # 5. workers sweep (urlcheck only).
    "SWEEP_WORKERS": knob("SWEEP_WORKERS", [2**i for i in range(11)], [2**i for i in range(11)]),
    "SWEEP_INSTANT_URLS": knob("SWEEP_INSTANT_URLS", 20000, 2000),
    "SWEEP_SLOW_PER_WORKER": knob("SWEEP_SLOW_PER_WORKER", 20, 5),
    "SWEEP_SLOW_MIN": knob("SWEEP_SLOW_MIN", 100, 25),
    # wrk duration, seconds.
    "WRK_SECONDS": knob("WRK_SECONDS", 5, 1),
    # 6. grouped by host: 50 ms URLs over 8 hosts, --per-host limits.
    "GROUP_URLS": knob("GROUP_URLS", 1600, 400),
    "GROUP_PER_HOST": knob("GROUP_PER_HOST", 4, 4),
    "GROUP_WORKERS": knob("GROUP_WORKERS", 64, 64),
}
# Which scenarios run (comma-separated names), e.g. SCENARIOS=grouped.
SCENARIOS = [s for s in os.environ.get("SCENARIOS", "").split(",") if s]
SLOW_S = 0.05  # what nginx's /slow/ location sleeps
TIMEOUT_S = 10  # per-request timeout, urlcheck's default, given to lychee too
RUN_LIMIT_S = 900  # any single run taking longer than this is a hang

URLCHECK = os.environ["BENCH_URLCHECK"]
LYCHEE = os.environ["BENCH_LYCHEE"]
FLOOR = os.environ.get("BENCH_FLOOR", "")
# An earlier build of urlcheck (run.sh's BEFORE=REV), run beside the current
# one in scenarios 2, 3 and 4.
BEFORE = os.environ.get("BENCH_BEFORE", "")
BEFORE_NAME = f"urlcheck before ({os.environ.get('BENCH_BEFORE_REV', 'earlier build')})"
PORT = int(os.environ.get("BENCH_PORT", "18580"))
WORK = Path(os.environ["BENCH_WORK"])
OUT = Path(os.environ["BENCH_OUT"])
LISTS = WORK / "lists"
SCRATCH = WORK / "scratch"
HOSTS = [f"127.0.0.{i}" for i in range(1, 9)]

# lychee with the same concurrency as the others, its per-host limits lifted
# (so that 8 hosts are not a bottleneck of its own making), no retries, no
# cache (off unless --cache is given), no progress bar, same timeout, and the
# JSON summary on stdout so that we can see it checked every URL.
LYCHEE_FLAGS = [
    "--no-progress",
    "--format", "json",
    "--max-retries", "0",
    "--timeout", str(TIMEOUT_S),
    "--host-request-interval", "0",
]


def lychee_flags(workers: int) -> list[str]:
    return LYCHEE_FLAGS + ["--max-concurrency", str(workers), "--host-concurrency", str(workers)]


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# --- URL lists ------------------------------------------------------------------


def url_list(kind: str, n: int) -> Path:
    """A file of n unique URLs, round-robin over the 8 loopback addresses.
    kind "i" is the instant 200, "slow" the 50 ms one."""
    LISTS.mkdir(parents=True, exist_ok=True)
    path = LISTS / f"{kind}-{n}.txt"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            f.writelines(f"http://{HOSTS[k % 8]}:{PORT}/{kind}/{k}\n" for k in range(n))
        tmp.rename(path)
    return path


def grouped_lists(n: int) -> tuple[Path, Path]:
    """n unique 50 ms URLs over the 8 hosts: all of the first host, then
    all of the second, ...; and the same lines shuffled (fixed seed)."""
    LISTS.mkdir(parents=True, exist_ok=True)
    grouped, shuffled = LISTS / f"grouped-{n}.txt", LISTS / f"shuffled-{n}.txt"
    per_host = n // len(HOSTS)
    lines = [f"http://{h}:{PORT}/slow/{i}-{k}\n" for i, h in enumerate(HOSTS)
             for k in range(per_host)]
    grouped.write_text("".join(lines))
    import random
    random.Random(14).shuffle(lines)
    shuffled.write_text("".join(lines))
    return grouped, shuffled


# --- one run -------------------------------------------------------------------------


class Invalid(Exception):
    """A run that did not check every URL, or where checks failed."""


@dataclass
class Sample:
    wall: float  # seconds
    user: float  # seconds
    sys: float  # seconds
    rss_kb: int  # peak RSS, KiB
    extra: dict = field(default_factory=dict)

    @property
    def cpu(self) -> float:
        return self.user + self.sys


Validator = Callable[[Iterable[bytes], int], None]


def run_timed(cmd: list[str], stdin: Path | None, n: int, validate: Validator | None) -> Sample:
    """Run cmd under GNU time. Without a validator stdout goes to /dev/null;
    with one, stdout is streamed through it (n = URLs expected)."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    tfile, efile = SCRATCH / "time.txt", SCRATCH / "stderr.txt"
    full = ["/usr/bin/time", "-f", "%e %U %S %M", "-o", str(tfile), *cmd]
    with open(stdin or os.devnull, "rb") as fin, open(efile, "wb") as ferr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            full, stdin=fin, stderr=ferr,
            stdout=subprocess.PIPE if validate else subprocess.DEVNULL,
        )
        problem = None
        if validate:
            try:
                validate(proc.stdout, n)
            except Invalid as e:
                problem = str(e)
            proc.stdout.read()  # drain whatever a failed validator left
        try:
            code = proc.wait(timeout=RUN_LIMIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise Invalid(f"no result after {RUN_LIMIT_S} s: {shlex.join(cmd)}")
        wall = time.perf_counter() - start
    err = efile.read_text(errors="replace").strip()
    if code != 0:
        raise Invalid(f"exit code {code}: {shlex.join(cmd)}\n{err[-2000:]}")
    if problem:
        raise Invalid(f"{problem}: {shlex.join(cmd)}\n{err[-2000:]}")
    last = tfile.read_text().strip().splitlines()[-1].split()
    return Sample(wall=wall, user=float(last[1]), sys=float(last[2]), rss_kb=int(last[3]))


def check_urlcheck(lines: Iterable[bytes], n: int) -> None:
    """urlcheck -f jsonl: one record per URL, every one ok."""
    count = bad = 0
    first_bad = b""
    for line in lines:
        count += 1
        if b'"ok":true' not in line:
            bad += 1
            first_bad = first_bad or line
    if count != n or bad:
        raise Invalid(f"urlcheck wrote {count} records for {n} URLs, {bad} not ok "
                      f"(first: {first_bad[:300].decode(errors='replace')})")


def check_curl(lines: Iterable[bytes], n: int) -> None:
    """curl -w '%{http_code}\\n': one 200 per URL."""
    codes: dict[str, int] = {}
    for line in lines:
        code = line.strip().decode()
        codes[code] = codes.get(code, 0) + 1
    if codes != {"200": n}:
        raise Invalid(f"curl status codes {codes}, expected {n} x 200")


def check_lychee(lines: Iterable[bytes], n: int) -> None:
    """lychee --format json: the summary's totals."""
    text = b"".join(lines).decode(errors="replace")
    try:
        summary = json.loads(text)
    except json.JSONDecodeError:
        raise Invalid(f"lychee printed no JSON summary: {text[:300]!r}")
    total, ok = summary.get("total"), summary.get("successful")
    if total != n or ok != n or summary.get("unique") != n or summary.get("cached"):
        others = {k: v for k, v in summary.items() if isinstance(v, int) and v}
        raise Invalid(f"lychee checked {total} of {n} URLs, {ok} successful ({others})")


def check_floor(lines: Iterable[bytes], n: int) -> None:
    """reqwest_floor: 'reqwest alone: OK/N ok in ...', every URL ok."""
    text = b"".join(lines).decode(errors="replace")
    m = re.search(r"(\d+)/(\d+) ok", text)
    if not m or int(m.group(1)) != n or int(m.group(2)) != n:
        raise Invalid(f"reqwest alone: expected {n}/{n} ok, got {text.strip()[:300]!r}")


# --- contenders --------------------------------------------------------------------


@dataclass
class Contender:
    name: str
    cmd: list[str]
    stdin: Path | None
    n: int  # URLs it checks
    validate: Validator

    def run(self, validate: bool) -> Sample:
        return run_timed(self.cmd, self.stdin, self.n, self.validate if validate else None)


def urlcheck(listfile: Path, n: int, workers: int, name="urlcheck", binary="") -> Contender:
    cmd = [binary or URLCHECK, "-q", "-f", "jsonl", "-w", str(workers), str(listfile)]
    return Contender(name, cmd, None, n, check_urlcheck)


def urlcheck_per_host(listfile: Path, n: int, workers: int, per_host: int,
                     name: str) -> Contender:
    cmd = [URLCHECK, "-q", "-f", "jsonl", "-w", str(workers), "--per-host", str(per_host),
           str(listfile)]
    return Contender(name, cmd, None, n, check_urlcheck)


def lychee_per_host(listfile: Path, n: int, workers: int, per_host: int,
                    name: str) -> Contender:
    cmd = [LYCHEE, *LYCHEE_FLAGS, "--max-concurrency", str(workers),
           "--host-concurrency", str(per_host), str(listfile)]
    return Contender(name, cmd, None, n, check_lychee)


def curl_xargs(listfile: Path, n: int, workers: int) -> Contender:
    cmd = ["xargs", "-P", str(workers), "-n", "1",
           "curl", "-s", "-o", "/dev/null", "-w", r"%{http_code}\n"]
    return Contender("curl (xargs)", cmd, listfile, n, check_curl)


def floor(listfile: Path, n: int, workers: int) -> Contender:
    """urlcheck's HTTP client alone, with nothing of urlcheck around it."""
    return Contender("reqwest alone (floor)", [FLOOR, str(listfile), str(workers)], None, n,
                     check_floor)


def lychee(listfile: Path, n: int, workers: int) -> Contender:
    cmd = [LYCHEE, *lychee_flags(workers), str(listfile)]
    return Contender("lychee", cmd, None, n, check_lychee)


@dataclass
class Wrk:
    """wrk on one URL, keep-alive: the requests/s ceiling of the server."""
    name: str
    url: str
    connections: int

    def run(self, validate: bool) -> Sample:
        seconds = SIZES["WRK_SECONDS"] if not validate else 1
        cmd = ["wrk", "-t1", f"-c{self.connections}", f"-d{seconds}s", self.url]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_LIMIT_S)
        if out.returncode != 0:
            raise Invalid(f"wrk exit {out.returncode}: {out.stderr.strip()}")
        for bad in ("Non-2xx or 3xx responses", "Socket errors"):
            if bad in out.stdout:
                raise Invalid(f"wrk: {bad}:\n{out.stdout}")
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1))
        return Sample(wall=seconds, user=0, sys=0, rss_kb=0, extra={"rps": rps})


def interleaved(title: str, contenders: list, runs: int = 0) -> dict[str, list[Sample] | str]:
    """One untimed checked run of each contender, then `runs` rounds of one
    run of each. Returns samples per contender name, or the reason it is
    invalid."""
    runs = runs or RUNS
    results: dict[str, list[Sample] | str] = {}
    for c in contenders:
        log(f"{title}: {c.name}: warm-up run, output checked")
        try:
            c.run(validate=True)
            results[c.name] = []
        except Invalid as e:
            log(f"{title}: {c.name} INVALID: {e}")
            results[c.name] = str(e).splitlines()[0]
    for r in range(runs):
        for c in contenders:
            if isinstance(results[c.name], str):
                continue
            try:
                s = c.run(validate=False)
            except Invalid as e:
                log(f"{title}: {c.name} INVALID: {e}")
                results[c.name] = str(e).splitlines()[0]
                continue
            results[c.name].append(s)
            extra = f" {s.extra['rps']:,.0f} req/s" if s.extra else \
                f" wall {s.wall:.3f} s, cpu {s.cpu:.2f} s, rss {s.rss_kb / 1000:.1f} MB"
            log(f"{title}: round {r + 1}/{runs}: {c.name}:{extra}")
    return results


def median(samples: list[Sample], f: Callable[[Sample], float]) -> float:
    return statistics.median(f(s) for s in samples)


def spread(samples: list[Sample], f: Callable[[Sample], float]) -> list[float]:
    values = sorted(f(s) for s in samples)
    return [values[0], values[-1]]


# --- formatting ----------------------------------------------------------------------


def num(x: float, digits: int = 0) -> str:
    return f"{x:,.{digits}f}"


def near(x: float, limit: float, digits: int = 2, unit: str = "×") -> str:
    """x for a verdict against limit: one more digit when rounding would make
    a miss look like the limit itself (1.996 shown as 2.00)."""
    shown = f"{x:.{digits}f}"
    if float(shown) == limit and x != limit:
        shown = f"{x:.{digits + 1}f}"
    return shown + unit


def met(ok: bool, detail: str) -> str:
    return f"✅ met ({detail})" if ok else f"❌ missed ({detail})"


Row = tuple[str, str, str, str, str]


# --- scenarios -----------------------------------------------------------------------


def latency_bound(raw: dict, rows: list[Row]) -> None:
    n, w, nc = SIZES["LAT_URLS"], SIZES["LAT_WORKERS"], SIZES["CURL_LAT_URLS"]
    lst, lst_curl = url_list("slow", n), url_list("slow", nc)
    ideal = n * SLOW_S / w
    scen = f"1. latency-bound: {n:,} URLs × 50 ms, {w} workers (ideal {ideal:.2f} s)"
    res = interleaved("latency", [
        urlcheck(lst, n, w), curl_xargs(lst_curl, nc, w), lychee(lst, n, w),
        Wrk("wrk (1 URL)", f"http://127.0.0.1:{PORT}/slow/x", w),
    ])
    raw["latency_bound"] = out = {"urls": n, "curl_urls": nc, "workers": w, "ideal_s": ideal,
                                  "contenders": {}}
    wrk = res.get("wrk (1 URL)")
    # What this server can do: the wall time of n URLs at wrk's request rate.
    ceiling = n / median(wrk, lambda s: s.extra["rps"]) if isinstance(wrk, list) and wrk else None
    for name, samples in res.items():
        if isinstance(samples, str):
            out["contenders"][name] = {"invalid": samples}
            rows.append((scen, name, "wall time", "invalid", samples))
            continue
        if name.startswith("wrk"):
            rps = median(samples, lambda s: s.extra["rps"])
            out["contenders"][name] = {"rps": [s.extra["rps"] for s in samples], "median_rps": rps}
            rows.append((scen, f"{name}, /slow/x", "requests/s, server ceiling",
                         num(rps), f"{rps * SLOW_S / w:.2f}× ideal {num(w / SLOW_S)}/s "
                                   f"(= {w} / 0.05 s)"))
            continue
        wall = median(samples, lambda s: s.wall)
        own_ideal = ideal
        label = name
        if name.startswith("curl") and nc != n:
            # Fewer URLs for curl: its ratio is to the ideal of its own list.
            own_ideal = nc * SLOW_S / w
            label = f"{name}, {nc:,} URLs (ideal {own_ideal:.2f} s)"
        ratio = wall / own_ideal
        out["contenders"][name] = {
            "wall_s": [s.wall for s in samples], "median_wall_s": wall, "ratio": ratio,
            "cpu_s": [s.cpu for s in samples], "rss_kb": [s.rss_kb for s in samples]}
        verdict = ""
        if name == "urlcheck":
            verdict = "target ≤ 1.05× ideal: " + met(ratio <= 1.05, f"{ratio:.3f}×")
            if ceiling:
                verdict += (f"; {wall / ceiling:.2f}× the server's ceiling "
                            f"({ceiling:.2f} s at wrk's rate)")
        rows.append((scen, label, "wall time (× ideal)", f"{wall:.3f} s ({ratio:.2f}×)", verdict))


def throughput_bound(raw: dict, rows: list[Row]) -> None:
    n, w, nc = SIZES["TPUT_URLS"], SIZES["TPUT_WORKERS"], SIZES["CURL_TPUT_URLS"]
    lst, lst_curl = url_list("i", n), url_list("i", nc)
    scen = f"2. throughput-bound: {n:,} instant URLs, {w} workers"
    res = interleaved("throughput", [
        urlcheck(lst, n, w), curl_xargs(lst_curl, nc, w), lychee(lst, n, w),
        *([floor(lst, n, w)] if FLOOR else []),
        *([urlcheck(lst, n, w, BEFORE_NAME, BEFORE)] if BEFORE else []),
        Wrk("wrk (1 URL)", f"http://127.0.0.1:{PORT}/", w),
    ])
    raw["throughput_bound"] = out = {"urls": n, "curl_urls": nc, "workers": w, "contenders": {}}
    stats = {}
    for name, samples in res.items():
        if isinstance(samples, str):
            out["contenders"][name] = {"invalid": samples}
            rows.append((scen, name, "checks/s", "invalid", samples))
            continue
        if name.startswith("wrk"):
            rps = median(samples, lambda s: s.extra["rps"])
            out["contenders"][name] = {"rps": [s.extra["rps"] for s in samples], "median_rps": rps}
            stats[name] = (rps, None)
            continue
        urls = nc if name.startswith("curl") else n
        cps = median(samples, lambda s: urls / s.wall)
        cpu = median(samples, lambda s: s.cpu / urls * 1e6)  # ms per 1,000 checks
        stats[name] = (cps, cpu)
        out["contenders"][name] = {
            "urls": urls, "wall_s": [s.wall for s in samples],
            "cpu_s": [s.cpu for s in samples], "rss_kb": [s.rss_kb for s in samples],
            "median_checks_per_s": cps, "median_cpu_ms_per_1000": cpu}
    lyc = stats.get("lychee")
    base = stats.get("reqwest alone (floor)")
    for name, (cps, cpu) in stats.items():
        if cpu is None:
            rows.append((scen, f"{name}, keep-alive", "requests/s, server ceiling", num(cps), ""))
            continue
        label = name if not name.startswith("curl") else f"{name}, {nc:,} URLs"
        v_cps = v_cpu = ""
        if name == "urlcheck" and lyc and lyc[0] > 0 and lyc[1] > 0:
            v_cps = "target ≥ 2× lychee: " + met(cps >= 2 * lyc[0], near(cps / lyc[0], 2))
            v_cpu = "target ≤ ½ lychee: " + met(cpu <= lyc[1] / 2, near(cpu / lyc[1], 0.5))
            v_cpu += "; target ≤ 30: " + met(cpu <= 30, num(cpu, 1))
            if base and base[1]:
                v_cpu += f"; {cpu / base[1]:.2f}× the client alone ({num(base[1], 1)})"
        elif name == "urlcheck":
            v_cps = v_cpu = "no valid lychee figure to compare with"
        rows.append((scen, label, "checks/s", num(cps), v_cps))
        rows.append((scen, label, "CPU ms per 1,000 checks", num(cpu, 1), v_cpu))


def memory(raw: dict, rows: list[Row]) -> None:
    small, large, w = SIZES["MEM_SMALL"], SIZES["MEM_LARGE"], SIZES["MEM_WORKERS"]
    scen = f"3. memory: peak RSS, instant URLs, {w} workers"
    ls, ll = url_list("i", small), url_list("i", large)
    big = urlcheck(ll, large, w, name=f"urlcheck {large:,}")
    res = interleaved("memory", [
        urlcheck(ls, small, w, name=f"urlcheck {small:,}"), lychee(ls, small, w),
        *([urlcheck(ls, small, w, f"{BEFORE_NAME} {small:,}", BEFORE)] if BEFORE else []),
    ])
    # The large run is checked while it is measured (its stdout streamed and
    # counted; RSS does not depend on where stdout goes): one more warm-up of
    # a million URLs would only cost time.
    log(f"memory: urlcheck {large:,}: {RUNS} runs, the first one's output checked")
    samples: list[Sample] = []
    big_invalid = None
    for r in range(RUNS):
        try:
            samples.append(big.run(validate=(r == 0)))
            log(f"memory: round {r + 1}/{RUNS}: rss {samples[-1].rss_kb / 1000:.1f} MB, "
                f"wall {samples[-1].wall:.1f} s")
        except Invalid as e:
            log(f"memory: {big.name} INVALID: {e}")
            big_invalid = str(e).splitlines()[0]
            break
    res[big.name] = big_invalid or samples
    raw["memory"] = out = {"small": small, "large": large, "workers": w, "contenders": {}}
    rss = {}
    for name, s in res.items():
        if isinstance(s, str):
            out["contenders"][name] = {"invalid": s}
            continue
        rss[name] = median(s, lambda x: x.rss_kb) * 1024 / 1e6  # MB
        out["contenders"][name] = {"rss_kb": [x.rss_kb for x in s], "median_rss_mb": rss[name],
                                   "wall_s": [x.wall for x in s]}
    small_name, large_name = f"urlcheck {small:,}", big.name
    named = [(small_name, f"urlcheck, {small:,} URLs"),
             (large_name, f"urlcheck, {large:,} URLs"),
             ("lychee", f"lychee, {small:,} URLs")]
    if BEFORE:
        named.append((f"{BEFORE_NAME} {small:,}", f"{BEFORE_NAME}, {small:,} URLs"))
    for name, label in named:
        if name not in rss:
            rows.append((scen, label, "peak RSS", "invalid", out["contenders"][name]["invalid"]))
            continue
        verdict = ""
        if name == large_name:
            verdict = "target < 30 MB: " + met(rss[name] < 30, near(rss[name], 30, 1, " MB"))
        rows.append((scen, label, "peak RSS", f"{rss[name]:.1f} MB", verdict))
    if small_name in rss and large_name in rss:
        ratio = rss[large_name] / rss[small_name]
        out["ratio"] = ratio
        rows.append((scen, "urlcheck", f"RSS {large:,} ÷ {small:,}", f"{ratio:.2f}×",
                     "target ≤ 1.1×: " + met(ratio <= 1.1, near(ratio, 1.1))))


def single_url(raw: dict, rows: list[Row]) -> None:
    """hyperfine, in RUNS rounds of all three, so that they interleave too."""
    url = f"http://127.0.0.1:{PORT}/i/single"
    cmds = {
        "urlcheck": [URLCHECK, "-q", url],
        "curl": ["curl", "-s", "-f", "-o", "/dev/null", url],
        "lychee": [LYCHEE, *lychee_flags(1), url],
    }
    if BEFORE:
        cmds[BEFORE_NAME] = [BEFORE, "-q", url]
    for name, cmd in cmds.items():  # checked once, outside the timing
        p = subprocess.run(cmd, capture_output=True, timeout=60)
        if p.returncode != 0:
            raise SystemExit(f"single URL: {name} failed: {p.stderr.decode()[-500:]}")
    total = SIZES["SINGLE_RUNS"]
    per_round = max(1, math.ceil(total / RUNS))
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for r in range(RUNS):
        log(f"single URL: round {r + 1}/{RUNS}: hyperfine, {per_round} runs each")
        export = SCRATCH / "hyperfine.json"
        hf = ["hyperfine", "-N", "--style", "none", "--warmup", "3", "--runs", str(per_round),
              "--export-json", str(export)]
        for name, cmd in cmds.items():
            hf += ["-n", name, shlex.join(cmd)]
        subprocess.run(hf, check=True, stdout=subprocess.DEVNULL, timeout=RUN_LIMIT_S)
        for result in json.loads(export.read_text())["results"]:
            times[result["command"]] += result["times"]
    scen = "4. single URL: one instant check, whole process"
    raw["single_url"] = out = {"runs": per_round * RUNS, "contenders": {}}
    for name, t in times.items():
        m = statistics.median(t) * 1000
        out["contenders"][name] = {"wall_ms": [x * 1000 for x in t], "median_ms": m}
        verdict = "target < 20 ms: " + met(m < 20, near(m, 20, 1, " ms")) if name == "urlcheck" else ""
        rows.append((scen, name, f"wall time, median of {len(t)}", f"{m:.1f} ms", verdict))


def sweep(raw: dict, rows: list[Row]) -> None:
    ws = SIZES["SWEEP_WORKERS"]
    ni = SIZES["SWEEP_INSTANT_URLS"]
    contenders = []
    for w in ws:
        contenders.append(urlcheck(url_list("i", ni), ni, w, name=f"instant w{w}"))
        ns = max(SIZES["SWEEP_SLOW_MIN"], SIZES["SWEEP_SLOW_PER_WORKER"] * w)
        contenders.append(urlcheck(url_list("slow", ns), ns, w, name=f"slow w{w}"))
    res = interleaved("sweep", contenders)
    raw["sweep"] = out = {"instant_urls": ni, "points": []}
    scen = f"5. workers sweep: urlcheck, {ni:,} instant URLs / max({SIZES['SWEEP_SLOW_MIN']}, " \
           f"{SIZES['SWEEP_SLOW_PER_WORKER']}×W) 50 ms URLs"
    for k, w in enumerate(ws):
        point = {"workers": w}
        for c in contenders[2 * k:2 * k + 2]:
            kind = c.name.split()[0]
            s = res[c.name]
            if isinstance(s, str):
                point[kind] = {"invalid": s}
                continue
            point[kind] = {"urls": c.n, "wall_s": [x.wall for x in s],
                           "median_checks_per_s": median(s, lambda x, n=c.n: n / x.wall),
                           "cpu_s": [x.cpu for x in s], "rss_kb": [x.rss_kb for x in s]}
        out["points"].append(point)

        def fmt(kind: str) -> str:
            p = point[kind]
            return "invalid" if "invalid" in p else num(p["median_checks_per_s"])

        ideal = w / SLOW_S
        slow = point["slow"]
        of_ideal = "" if "invalid" in slow else \
            f"50 ms at {slow['median_checks_per_s'] / ideal:.0%} of ideal ({num(ideal)}/s)"
        rows.append((scen, f"urlcheck -w {w}", "checks/s: instant / 50 ms",
                     f"{fmt('instant')} / {fmt('slow')}", of_ideal))


# --- report --------------------------------------------------------------------------


def grouped(raw: dict, rows: list[Row]) -> None:
    """6. A list grouped by host (sitemaps, sorted crawls) against the same
    list shuffled, under a per-host limit: ideal n × 50 ms / (8 × per-host)."""
    n, ph, w = SIZES["GROUP_URLS"], SIZES["GROUP_PER_HOST"], SIZES["GROUP_WORKERS"]
    lst_grouped, lst_shuffled = grouped_lists(n)
    ideal = n * SLOW_S / (len(HOSTS) * ph)
    scen = (f"6. grouped by host: {n:,} URLs × 50 ms over 8 hosts, per-host {ph}, "
            f"{w} workers (ideal {ideal:.2f} s)")
    res = interleaved("grouped", [
        urlcheck_per_host(lst_grouped, n, w, ph, "urlcheck, grouped"),
        urlcheck_per_host(lst_shuffled, n, w, ph, "urlcheck, shuffled"),
        lychee_per_host(lst_grouped, n, w, ph, "lychee, grouped"),
        lychee_per_host(lst_shuffled, n, w, ph, "lychee, shuffled"),
    ])
    raw["grouped"] = out = {"urls": n, "per_host": ph, "workers": w, "ideal_s": ideal,
                            "contenders": {}}
    walls: dict[str, float] = {}
    for name, samples in res.items():
        if isinstance(samples, str):
            out["contenders"][name] = {"invalid": samples}
            rows.append((scen, name, "wall time", "invalid", samples))
            continue
        wall = median(samples, lambda s: s.wall)
        walls[name] = wall
        out["contenders"][name] = {"wall_s": [s.wall for s in samples], "median_wall_s": wall,
                                   "cpu_s": [s.cpu for s in samples]}
        rows.append((scen, name, "wall time (× ideal)", f"{wall:.3f} s ({wall / ideal:.2f}×)",
                     ""))
    for tool in ("urlcheck", "lychee"):
        g, s = walls.get(f"{tool}, grouped"), walls.get(f"{tool}, shuffled")
        if g and s:
            verdict = ("target ≤ 1.05: " + met(g / s <= 1.05, f"{g / s:.2f}")
                       if tool == "urlcheck" else "")
            out[f"{tool}_ratio"] = g / s
            rows.append((scen, tool, "grouped ÷ shuffled", f"{g / s:.2f}", verdict))


def version(cmd: list[str], words: int = 2) -> str:
    """The first `words` words of the tool's version line, e.g. "curl 7.88.1"."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except OSError as e:
        return f"unavailable ({e})"
    text = (p.stdout or p.stderr).strip().splitlines()
    return " ".join(text[0].replace("nginx version: ", "").split()[:words]) if text else "?"


def machine() -> dict:
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "kernel": f"{platform.system()} {platform.release()}",
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "open_files_limit": int(os.environ.get("BENCH_NOFILE", "0")) or None,
    }


def versions() -> dict:
    return {
        "urlcheck": version([URLCHECK, "--version"]),
        "curl": version(["curl", "--version"]),
        "lychee": version([LYCHEE, "--version"]),
        "wrk": version(["wrk", "-v"]),
        "nginx": version(["nginx", "-v"]),
        "hyperfine": version(["hyperfine", "--version"]),
        "xargs": version(["xargs", "--version"], 4),
    }


def escape(cell: str) -> str:
    return cell.replace("|", "\\|")


def report(raw: dict, rows: list[Row], started: float) -> str:
    m, v = raw["machine"], raw["versions"]
    minutes = (time.time() - started) / 60
    lines = [
        "# urlcheck benchmark",
        "",
        f"- Date: {raw['date']}; measuring took {minutes:.1f} min; RUNS={RUNS} "
        "(medians quoted)" + ("; QUICK=1 (small sizes: a test of the script, not results)"
                              if QUICK else ""),
        f"- Machine: {m['nproc']} cores, {m['cpu']}, {m['memory_gb']} GB RAM, {m['kernel']}",
        "- Server: nginx, 1 worker process, on 127.0.0.1-127.0.0.8 (URLs round-robin), "
        "instant `return 200` and 50 ms `echo_sleep`",
        "- Versions: " + "; ".join(f"{k}: `{val}`" for k, val in v.items()),
        "",
        "| scenario | contender | figure | median | target / verdict |",
        "|---|---|---|---|---|",
    ]
    last_scen = None
    for scen, *cells in rows:
        shown = f"**{scen}**" if scen != last_scen else ""
        last_scen = scen
        lines.append("| " + " | ".join(escape(c) for c in (shown, *cells)) + " |")
    lyc = shlex.join(lychee_flags(SIZES["TPUT_WORKERS"]))
    lines += [
        "",
        "Notes:",
        f"- Each figure is the median of {RUNS} runs; contenders interleaved (run 1 of each, "
        "then run 2 of each, ...), after one untimed warm-up run per contender whose output "
        "was checked: every URL reported, every check passed (urlcheck's JSON lines, curl's "
        "status codes, lychee's JSON summary totals). A failing run is shown as invalid.",
        "- Wall time: monotonic clock around the process; CPU (user + sys) and peak RSS: "
        "GNU time, for the whole process tree (xargs and every curl it started). "
        "CPU ms per 1,000 checks = (user + sys) / URLs × 10⁶. Single URL: hyperfine -N, "
        f"{SIZES['SINGLE_RUNS']} runs in {RUNS} interleaved rounds, 3 warm-ups per round.",
        f"- urlcheck: `urlcheck -q -f jsonl -w W LIST > /dev/null`.",
        "- curl: `xargs -P W -n 1 curl -s -o /dev/null -w '%{http_code}\\n' < LIST`, one "
        "process per URL; where it says so, it checks fewer URLs than the others (a "
        "process per URL is slow, and its rate does not depend on the list's length).",
        f"- lychee: `lychee {lyc} LIST` (W = the scenario's workers): "
        "--max-concurrency and --host-concurrency W with --host-request-interval 0 lift its "
        "per-host limits (by default 10 requests at once per host, 50 ms apart), "
        "--max-retries 0 (it retries 3 times by default), the same 10 s timeout as "
        "urlcheck (its default is 20 s), no progress bar, the JSON summary to count what it "
        "checked; its cache is off (no --cache), it follows up to 10 redirects like urlcheck "
        "(none here), threads: one per core (its default).",
        f"- wrk: `wrk -t1 -cW -d{SIZES['WRK_SECONDS']}s URL`: one URL over keep-alive "
        "connections, the ceiling of this server on this machine.",
        f"- The chart of the sweep: [sweep.svg](sweep.svg). Raw numbers: results.json.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    started = time.time()
    log(f"RUNS={RUNS}{' QUICK=1' if QUICK else ''}; sizes: "
        + ", ".join(f"{k}={v}" for k, v in SIZES.items()))
    raw: dict = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "runs": RUNS, "quick": QUICK, "sizes": SIZES,
        "machine": machine(), "versions": versions(),
        "lychee_flags": LYCHEE_FLAGS + ["--max-concurrency", "W", "--host-concurrency", "W"],
    }
    rows: list[Row] = []
    scenarios = {"latency": latency_bound, "throughput": throughput_bound, "memory": memory,
                 "single": single_url, "sweep": sweep, "grouped": grouped}
    for name, scenario in scenarios.items():
        if not SCENARIOS or name in SCENARIOS:
            scenario(raw, rows)
    raw["minutes"] = round((time.time() - started) / 60, 2)
    md = report(raw, rows, started)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.md").write_text(md)
    (OUT / "results.json").write_text(json.dumps(raw, indent=1) + "\n")
    if "sweep" in raw:
        chart.render(raw["sweep"]["points"], raw["machine"]["nproc"], OUT / "sweep.svg")
    log(f"wrote {OUT}/results.md, results.json, sweep.svg in {raw['minutes']} min")
    sys.stdout.write(md)
    if "| invalid |" in md:
        log("some runs were invalid (see the table)")
        sys.exit(1)


if __name__ == "__main__":
    main()
