#!/usr/bin/env bash
# The real-server suite: urlcheck against nginx, Apache, lighttpd, Caddy,
# squid and tinyproxy on loopback (servers.sh), every scenario of measure.py,
# judged by check.py: zero failures on every healthy server at every
# --workers, and the right verdict, kind and message for each single URL.
# Installs what is missing. Usage: bash tests/e2e/lab/suite.sh [BINARY]
# (default: the debug build that `cargo test` made, built here if missing).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=${1:-$root/target/debug/urlcheck}
if [ ! -x "$bin" ]; then
  (cd "$root" && cargo build --locked -q)
fi
out=$root/target/e2e/lab-results/suite
mkdir -p "$(dirname "$out")"
LAB_OUT=$out LAB_LABEL=suite bash "$here/measure.sh" "$bin" >"$out.log" 2>&1 || {
  echo "suite: the measurement failed; its log:" >&2
  tail -40 "$out.log" >&2
  exit 1
}
python3 "$here/check.py" "$out/results.json"
