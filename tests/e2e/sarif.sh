#!/usr/bin/env bash
# End-to-end for SARIF: Microsoft's SARIF Multitool (from the npm registry,
# pinned) validates urlcheck's SARIF against the SARIF 2.1.0 schema and its
# rules, and against GitHub code scanning's ingestion rules (`Gh`): for a
# run with failures from a list file, a config file's [[check]] and an
# argument; for a shard; with a baseline; and merged by --replay.
# Installs what is missing. Usage: bash tests/e2e/sarif.sh [BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
bin=${1:-$root/target/debug/urlcheck}
work=$root/target/e2e/sarif
tool_dir=$root/target/e2e/sarif-tool
MULTITOOL_VERSION=5.7.0
PORT=18993

log() { printf 'sarif e2e: %s\n' "$*" >&2; }

multitool=$tool_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
if [ ! -x "$multitool" ]; then
  command -v npm >/dev/null || {
    log "installing npm (Debian)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
  }
  log "installing @microsoft/sarif-multitool@$MULTITOOL_VERSION (npm)"
  mkdir -p "$tool_dir"
  (cd "$tool_dir" && npm install --no-audit --no-fund --silent \
    "@microsoft/sarif-multitool@$MULTITOOL_VERSION" >/dev/null)
  # npm no longer runs the package's install script, which sets this bit.
  chmod u+x "$multitool"
fi
[ -x "$bin" ] || cargo build --locked -q

rm -rf "$work" && mkdir -p "$work"
cd "$work"
python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1 & server=$!
trap 'kill $server 2>/dev/null || true' EXIT
base=http://127.0.0.1:$PORT
for _ in $(seq 1 50); do curl -s -o /dev/null "$base/" && break; sleep 0.1; done

printf '%s\n' "# a list" "$base/" "$base/missing-page" "not a url" "$base/also missing" \
  > urls.txt
cat > urlcheck.toml <<TOML
[[check]]
url = "$base/"
expect_status = "201"
TOML
refused=http://127.0.0.1:1/

# Exit 1 is expected: there are failures.
"$bin" -q -f sarif --config urlcheck.toml urls.txt "$refused" > run.sarif || [ $? -eq 1 ]
"$bin" -q -f jsonl --report sarif:report.sarif urls.txt > run.jsonl || [ $? -eq 1 ]
"$bin" -q -f sarif --shard 1/2 urls.txt > shard.sarif || [ $? -eq 1 ]
"$bin" -q -f sarif --baseline run.jsonl urls.txt "$refused" > baseline.sarif || [ $? -eq 1 ]
"$bin" -q -f sarif --replay run.jsonl > replay.sarif || [ $? -eq 1 ]

fail=0
for f in run.sarif report.sarif shard.sarif baseline.sarif replay.sarif; do
  "$multitool" validate --rule-kind "Sarif;Gh" --output "$f.validation" "$f" >"$f.log" 2>&1 || {
    log "$f: the validator failed:"; cat "$f.log" >&2; fail=1; continue
  }
  # Every error or warning fails the test, except SARIF2005 (no
  # informationUri: urlcheck has no public home page to name yet).
  if ! python3 - "$f" "$f.validation" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
found = [r for run in json.load(open(path))["runs"] for r in run.get("results", [])
         if r["ruleId"] != "SARIF2005" and r.get("level", "warning") in ("error", "warning")]
for r in found:
    print(f"{name}: {r.get('level', 'warning')} {r['ruleId']}: {r['message']}", file=sys.stderr)
results = json.load(open(name))["runs"][0]["results"]
if not results:
    print(f"{name}: no results, but the run had failures", file=sys.stderr)
    sys.exit(1)
sys.exit(1 if found else 0)
PY
  then
    fail=1
  else
    log "$f: valid SARIF 2.1.0, and fit for GitHub code scanning ($(python3 -c \
      "import json,sys; print(len(json.load(open(sys.argv[1]))['runs'][0]['results']))" "$f") results)"
  fi
done
exit $fail
