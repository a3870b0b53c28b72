#!/usr/bin/env bash
# End-to-end for watch mode: a real Prometheus (the Debian package) scrapes
# `urlcheck --watch --listen` every second while a server on loopback flips
# a URL from 200 to 503 and back; Prometheus's query API must see
# urlcheck_up go 1 -> 0 -> 1, and promtool must accept the exposition.
# Installs what is missing. Usage: bash tests/e2e/prometheus.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin=${1:-$root/target/debug/urlcheck}
work=$root/target/e2e/prometheus
PROM=127.0.0.1:18990
LISTEN=127.0.0.1:18991
FLIP_PORT=18992

log() { printf 'prometheus e2e: %s\n' "$*" >&2; }

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  log "installing prometheus (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
[ -x "$bin" ] || cargo build --locked -q

rm -rf "$work" && mkdir -p "$work/data"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# The flipping server: answers with the status in $work/status.
echo 200 > "$work/status"
cat > "$work/flip.py" <<PY
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        code = int(open("$work/status").read().strip() or 200)
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", $FLIP_PORT), H).serve_forever()
PY
python3 "$work/flip.py" & pids+=($!)
url=http://127.0.0.1:$FLIP_PORT/health
for _ in $(seq 1 50); do curl -s -o /dev/null "$url" && break; sleep 0.1; done

"$bin" --watch 500ms --listen "$LISTEN" -f jsonl "$url" >"$work/events.jsonl" 2>"$work/urlcheck.err" &
pids+=($!)

cat > "$work/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: urlcheck
    static_configs:
      - targets: ["$LISTEN"]
YML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
  --web.listen-address="$PROM" >"$work/prometheus.log" 2>&1 &
pids+=($!)

# urlcheck_up as Prometheus sees it now ("" until it has a sample).
up_now() {
  curl -s --max-time 5 "http://$PROM/api/v1/query" --data-urlencode "query=urlcheck_up{url=\"$url\"}" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")' 2>/dev/null || true
}
wait_for() { # VALUE
  for _ in $(seq 1 60); do
    [ "$(up_now)" = "$1" ] && { log "Prometheus: urlcheck_up{url=\"$url\"} = $1"; return 0; }
    sleep 1
  done
  log "FAILED: Prometheus never saw urlcheck_up = $1 (last: '$(up_now)')"
  tail -20 "$work/prometheus.log" >&2
  cat "$work/urlcheck.err" >&2
  return 1
}

wait_for 1
echo 503 > "$work/status"
wait_for 0
echo 200 > "$work/status"
wait_for 1

# The series as Prometheus stored it: the flip, scrape by scrape.
curl -s "http://$PROM/api/v1/query" --data-urlencode "query=urlcheck_up{url=\"$url\"}[1m]" \
  > "$work/query.json"
log "Prometheus urlcheck_up[1m]: $(python3 -c '
import json, sys
values = json.load(open(sys.argv[1]))["data"]["result"][0]["values"]
runs = []
for _, v in values:
    if not runs or runs[-1][0] != v:
        runs.append([v, 0])
    runs[-1][1] += 1
print(" ".join(f"{v} x{n}" for v, n in runs))' "$work/query.json")"

curl -s "http://$LISTEN/metrics" > "$work/metrics.txt"
if ! promtool check metrics < "$work/metrics.txt" > "$work/promtool.out" 2>&1; then
  log "FAILED: promtool check metrics:"
  cat "$work/promtool.out" >&2
  exit 1
fi
log "promtool check metrics: accepted ($(grep -vc '^#' "$work/metrics.txt") samples)"
events=$(python3 -c 'import json,sys; print(" -> ".join(json.loads(l)["event"] for l in open(sys.argv[1])))' "$work/events.jsonl")
log "events: $events"
[ "$events" = "up -> down -> up" ] || { log "FAILED: events were $events"; exit 1; }
log "passed"
