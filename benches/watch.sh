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

command -v nginx >/dev/null || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
}
log "building urlcheck (release)"
cargo build --release --locked -q
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

mkdir -p "$prefix/logs" "$prefix/tmp"
[ -f "$prefix/nginx.pid" ] && { kill "$(cat "$prefix/nginx.pid")" 2>/dev/null || true; sleep 1; }
trap '[ -f "$prefix/nginx.pid" ] && kill "$(cat "$prefix/nginx.pid")" 2>/dev/null || true' EXIT
cat > "$prefix/nginx.conf" <<CONF
daemon on;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log;
worker_processes 1;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $prefix/tmp;
  proxy_temp_path $prefix/tmp;
  fastcgi_temp_path $prefix/tmp;
  uwsgi_temp_path $prefix/tmp;
  scgi_temp_path $prefix/tmp;
  server {
    listen 127.0.0.1:$PORT;
    location / { return 200 "ok\n"; }
  }
}
CONF
nginx -p "$prefix" -c "$prefix/nginx.conf"
python3 benches/watch.py "$root/target/release/urlcheck" "http://127.0.0.1:$PORT" "$LISTEN" \
  "${URLS:-10000}" "${SECONDS_:-120}" "$work"
