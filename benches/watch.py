#!/usr/bin/env python3
"""Drive the watch-mode benchmark (see watch.sh): sample the watcher's RSS
and CPU from /proc, read its /metrics, and compare CPU per check with a
one-shot run over the same URLs. /metrics is scraped every 5 s from the
start, as Prometheus would. Prints a Markdown table."""

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

BIN, BASE, LISTEN, N, SECONDS, WORK = sys.argv[1:7]
N, SECONDS = int(N), int(SECONDS)
TICK = os.sysconf("SC_CLK_TCK")


def proc(pid):
    with open(f"/proc/{pid}/status") as f:
        status = dict(line.split(":", 1) for line in f)
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICK
    kb = lambda k: int(status[k].split()[0])
    return {"rss_kb": kb("VmRSS"), "peak_kb": kb("VmHWM"), "cpu_s": cpu}


def metrics():
    request = urllib.request.Request(
        f"http://{LISTEN}/metrics",
        headers={"Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"})
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.read().decode()


def scrape_like_prometheus(stop):
    """Scrape every 5 s from the start, as a Prometheus would: its cost is
    part of the watcher's steady state."""
    while not stop.wait(5):
        try:
            metrics()
        except OSError:
            pass


def total(text, name):
    return sum(float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M))


def p99_lag(text):
    buckets = [(float(le), float(v)) for le, v in re.findall(
        r'^urlcheck_schedule_lag_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M)]
    count = buckets[-1][1]
    for le, v in buckets:
        if v >= 0.99 * count:
            return le, count
    return float("inf"), count


os.makedirs(WORK, exist_ok=True)
lst = os.path.join(WORK, "urls.txt")
with open(lst, "w") as f:
    f.write("".join(f"{BASE}/u{i}\n" for i in range(N)))

# One-shot: the same URLs, 5 passes in one list, for CPU per check.
oneshot = os.path.join(WORK, "oneshot.txt")
with open(oneshot, "w") as f:
    f.write("".join(f"{BASE}/u{i}?pass={p}\n" for p in range(5) for i in range(N)))
# It varies from run to run on a small machine: the median of 5.
runs = []
for _ in range(5):
    t0 = time.monotonic()
    r = subprocess.run(["/usr/bin/time", "-f", "%U %S", BIN, "-q", "-f", "jsonl", oneshot],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    user, sys_ = map(float, r.stderr.strip().splitlines()[-1].split())
    runs.append((user + sys_) * 1000 / (5 * N))
    print(f"one-shot: {5 * N} checks in {time.monotonic() - t0:.2f} s, "
          f"{runs[-1] * 1000:.1f} µs CPU per check", file=sys.stderr)
oneshot_cpu_ms = sorted(runs)[len(runs) // 2]

watcher = subprocess.Popen([BIN, "--watch", "1s", "--listen", LISTEN, "-q", "-f", "jsonl", lst],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
start = time.monotonic()
samples = {}
stop = threading.Event()
scraper = threading.Thread(target=scrape_like_prometheus, args=(stop,), daemon=True)
scraper.start()
try:
    for at in sorted({20, *range(30, SECONDS, 20), SECONDS}):
        time.sleep(max(0, start + at - time.monotonic()))
        samples[at] = dict(proc(watcher.pid), checks=total(metrics(), "urlcheck_checks_total"))
        print(f"at {at:>3} s: {samples[at]}", file=sys.stderr)
    text = metrics()
finally:
    stop.set()
    watcher.terminate()
    watcher.wait(timeout=30)

first, last = samples[20], samples[SECONDS]
checks = last["checks"] - first["checks"]
cpu_ms = (last["cpu_s"] - first["cpu_s"]) * 1000 / checks if checks else float("nan")
lag_le, lagged = p99_lag(text)
skipped = total(text, "urlcheck_checks_skipped_total")
fails = sum(float(v) for v in re.findall(r'result="fail"\} (\S+)$', text, re.M))
rss_growth = (last["rss_kb"] - first["rss_kb"]) / first["rss_kb"] * 100
peak_growth = (last["peak_kb"] - first["peak_kb"]) / first["peak_kb"] * 100
rate = checks / (SECONDS - 20)

print(f"""
| watch: {N:,} URLs, --watch 1s, {SECONDS} s | value | target |
|---|---|---|
| checks/s (20 s to {SECONDS} s) | {rate:,.0f} (ideal {N:,}) | |
| RSS at 20 s / at {SECONDS} s | {first['rss_kb'] / 1024:.1f} MB / {last['rss_kb'] / 1024:.1f} MB ({rss_growth:+.1f}%) | within 5% |
| peak RSS at 20 s / at {SECONDS} s | {first['peak_kb'] / 1024:.1f} MB / {last['peak_kb'] / 1024:.1f} MB ({peak_growth:+.1f}%) | within 5% |
| CPU per check, watch / one-shot (median of 5; range {min(runs) * 1000:.0f}-{max(runs) * 1000:.0f}) | {cpu_ms * 1000:.1f} µs / {oneshot_cpu_ms * 1000:.1f} µs ({(cpu_ms / oneshot_cpu_ms - 1) * 100:+.0f}%) | within 20% |
| p99 schedule lag | ≤ {lag_le * 1000:g} ms (of {lagged:,.0f} turns) | |
| RSS over time (MB) | {" ".join(f"{s['rss_kb'] / 1024:.1f}" for _, s in sorted(samples.items()))} | |
| turns skipped (URL still being checked) | {skipped:,.0f} | |
| failed checks | {fails:,.0f} | 0 |
""")
