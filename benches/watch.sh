#!/usr/bin/env bash
# Watch-mode benchmark: 10,000 URLs on loopback nginx at --watch 1s for
# 2 minutes. Reports peak RSS at 20 s and at 2 min (target: within 5%), CPU
# per check against one-shot mode on the same URLs (target: within 20%),
# and the p99 schedule lag (from urlcheck_schedule_lag_seconds).
# Not run by CI (about 3 minutes). Usage: bash benches/watch.sh
#   URLS=N SECONDS_=S   other sizes (default 10000 and 120)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/bench-watch
prefix=$work/nginx
PORT=18587
LISTEN=127.0.0.1:18588
log() { printf 'bench-watch: %s\n' "$*" >&2; }
# shellcheck source=benches/nginx.sh
source "$root/benches/nginx.sh"

command -v nginx >/dev/null || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
}
log "building urlcheck (release)"
cargo build --release --locked -q
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

start_nginx "$prefix" "127.0.0.1:$PORT"
python3 benches/watch.py "$root/target/release/urlcheck" "http://127.0.0.1:$PORT" "$LISTEN" \
  "${URLS:-10000}" "${SECONDS_:-120}" "$work"
