#!/usr/bin/env bash
# Benchmark: urlcheck against curl (driven by xargs) and lychee, on a real
# local nginx, in one run, interleaved, medians of RUNS runs.
#
#   bash benches/run.sh            # full run: 10-15 minutes on 2 cores
#   QUICK=1 bash benches/run.sh    # small sizes, RUNS=2: about a minute
#
# The first run also installs lychee with cargo (about 10 more minutes).
#
# It installs what is missing (apt: nginx-light, its echo module, wrk,
# hyperfine, curl, GNU time; lychee 0.24.2 with cargo install into
# target/bench/tools), builds urlcheck in release mode, starts nginx on
# 127.0.0.1-127.0.0.8:18580 with its own prefix under target/bench/nginx
# (stopped on exit), writes URL lists under target/bench/lists and runs the
# scenarios of benches/measure.py:
#   1. latency-bound: 2,000 URLs that each take 50 ms, 100 workers
#   2. throughput-bound: 20,000 instant URLs, 64 workers (+ wrk as the ceiling,
#      and urlcheck's HTTP client alone as its floor: benches/reqwest_floor.rs)
#   3. memory: urlcheck peak RSS at 10,000 vs 1,000,000 URLs
#   4. single URL: process wall time of one check
#   5. workers sweep 1..1024 for urlcheck, drawn in benches/sweep.svg
#   6. grouped by host: 1,600 URLs x 50 ms over 8 hosts, --per-host 4, the
#      list grouped by host vs shuffled, urlcheck and lychee
#
# Output: one Markdown table on stdout, also in benches/results.md; raw numbers
# in benches/results.json; the chart in benches/sweep.svg. Progress goes to
# stderr.
#
# Environment knobs (all optional):
#   RUNS=N    runs of each measurement; medians are quoted (default 5, QUICK 2)
#   QUICK=1   small sizes, to test the script itself
#   BEFORE=REV  also build that git revision and run it beside this one in
#             scenarios 2, 3 and 4 (before/after figures from one run)
#   SCENARIOS=grouped,single   only these scenarios (latency, throughput,
#             memory, single, sweep, grouped); BENCH_OUT=DIR then keeps the
#             published results apart
#   Sizes, see the top of benches/measure.py: LAT_URLS, LAT_WORKERS,
#   TPUT_URLS, TPUT_WORKERS, CURL_TPUT_URLS, MEM_SMALL, MEM_LARGE, MEM_WORKERS,
#   SINGLE_RUNS, SWEEP_WORKERS, SWEEP_INSTANT_URLS, SWEEP_SLOW_PER_WORKER,
#   WRK_SECONDS, GROUP_URLS, GROUP_PER_HOST, GROUP_WORKERS.
#   BENCH_OUT=DIR  write results.md, results.json and sweep.svg there instead
#
# Root is needed only to install missing apt packages. Not run by CI: the
# numbers mean something only on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/bench
prefix=$work/nginx
tools=$work/tools
PORT=18580
LYCHEE_VERSION=0.24.2

log() { printf 'bench: %s\n' "$*" >&2; }
# shellcheck source=benches/nginx.sh
source "$root/benches/nginx.sh"

# --- install -----------------------------------------------------------------
missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
[ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ] || missing+=(libnginx-mod-http-echo)
command -v wrk >/dev/null || missing+=(wrk)
command -v hyperfine >/dev/null || missing+=(hyperfine)
command -v curl >/dev/null || missing+=(curl)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# shellcheck source=benches/tools.sh
source "$root/benches/tools.sh"
install_lychee "$tools" "$LYCHEE_VERSION" "$work"
log "building urlcheck (release)"
cargo build --release --locked -q
urlcheck=$root/target/release/urlcheck
# BEFORE=REV: that revision too, built from `git archive` (release, its own
# target directory), run beside this one in scenarios 2, 3 and 4.
before=""
if [ -n "${BEFORE:-}" ]; then
  log "building urlcheck at $BEFORE (release) for comparison"
  rm -rf "$work/before-src" && mkdir -p "$work/before-src"
  git archive "$BEFORE" | tar -x -C "$work/before-src"
  CARGO_TARGET_DIR=$work/before-target cargo build --release --locked -q \
    --manifest-path "$work/before-src/Cargo.toml"
  before=$work/before-target/release/urlcheck
fi
# The client alone (benches/reqwest_floor.rs): the floor under scenario 2.
floor=$(cargo build --release --locked -q --bench reqwest_floor --message-format=json \
  | python3 -c 'import json, sys
for m in map(json.loads, sys.stdin):
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "reqwest_floor" and m.get("executable"):
        print(m["executable"])')

# --- server ------------------------------------------------------------------
# Every check holds a socket: up to 1,024 workers, nginx up to 8,192
# connections. Raise the open-file limit as far as we may.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
nofile=$(ulimit -n)

log "starting nginx on 127.0.0.1-8:$PORT (prefix $prefix)"
start_nginx "$prefix" "$(printf '127.0.0.%d:'"$PORT"' ' 1 2 3 4 5 6 7 8)" \
  '    # A 200 after 50 ms, without holding the worker (echo module timers).
    location /slow/ { echo_sleep 0.05; echo ok; }' \
  'load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;'
for i in 1 2 3 4 5 6 7 8; do
  "$urlcheck" -q --wait 10s --wait-interval 100ms \
    "http://127.0.0.$i:$PORT/up" "http://127.0.0.$i:$PORT/slow/up" >/dev/null \
    || { log "nginx did not come up on 127.0.0.$i"; cat "$prefix/logs/error.log" >&2; exit 1; }
done

# --- measure -----------------------------------------------------------------
export BENCH_URLCHECK=$urlcheck BENCH_LYCHEE=$lychee BENCH_FLOOR=$floor BENCH_PORT=$PORT
export BENCH_BEFORE=$before BENCH_BEFORE_REV=${BEFORE:-}
export BENCH_WORK=$work BENCH_OUT=${BENCH_OUT:-$root/benches} BENCH_NOFILE=$nofile
# No __pycache__ left in benches/ (measure.py imports chart.py).
PYTHONDONTWRITEBYTECODE=1 python3 "$root/benches/measure.py"
if grep -q '\[\(alert\|crit\|emerg\)\]' "$prefix/logs/error.log" 2>/dev/null; then
  log "nginx logged errors during the run:"
  grep '\[\(alert\|crit\|emerg\)\]' "$prefix/logs/error.log" | tail -5 >&2
fi
