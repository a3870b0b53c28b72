#!/usr/bin/env bash
# Benchmark: checking a whole site, urlcheck against lychee and linkinator,
# on a real local nginx.
#
#   bash benches/sites.sh              # about 25 minutes on 2 cores (lychee at
#                                      # its default per-host pace takes ~18 of them)
#   LYCHEE_DEFAULT=0 bash benches/sites.sh   # without that run: a few minutes
#   PAGES=200 RUNS=1 bash benches/sites.sh   # small, to test the script
#
# The site (benches/gen_site.py): 2,000 pages of 50 links each, about 20,000
# distinct URLs in all, 2% of them missing (404: pages, images, stylesheets,
# scripts), listed by a sitemap index of four sitemaps (the last gzipped),
# served by nginx (benches/nginx.sh: one worker, no access log) on
# 127.0.0.1:18589 under /s/, with its own prefix under target/bench/sites
# (stopped on exit). Each tool checks every page and every link on it, one
# hop, each distinct URL once:
#
#   urlcheck    --sitemap .../sitemap_index.xml --links (it finds the pages)
#   lychee      --files-from pages.txt: each page URL is an input whose links
#               it checks (a remote URL input is a page to read, not a link),
#               with --include-verbatim (else it skips <script src>)
#   linkinator  the 2,000 page URLs as arguments, without --recurse: each is
#               read and its links checked, one cache for the whole run
#
# lychee runs twice: at its per-host defaults (10 at once, 50 ms apart) and
# relaxed (--host-concurrency 64 --host-request-interval 0); urlcheck twice:
# at its default for sites (--per-host 8) and with --per-host 64. Every run is
# under /usr/bin/time -v (wall, user+sys CPU, peak RSS); nginx's stub_status
# counts the requests each run made. RUNS runs of each (default 3, medians
# quoted), interleaved; lychee at its defaults once. The broken set each tool
# reports is compared with the generator's truth.
#
# It installs what is missing (apt: nginx-light, GNU time, curl, nodejs and
# npm; lychee 0.24.2 with cargo install into target/bench/tools, as
# benches/run.sh does; linkinator, pinned, with npm into
# target/bench/tools/node), builds urlcheck in release mode, and writes
# benches/sites.md (BENCH_OUT=DIR: there instead). Progress goes to stderr.
# Not run by CI: the numbers mean something only on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bench=$root/target/bench
work=$bench/sites
prefix=$work/nginx
tools=$bench/tools
PORT=18589
BASE=http://127.0.0.1:$PORT/s
LYCHEE_VERSION=0.24.2
LINKINATOR_VERSION=7.6.1
RUNS=${RUNS:-3}
PAGES=${PAGES:-2000}
LYCHEE_DEFAULT=${LYCHEE_DEFAULT:-1}

log() { printf 'bench-sites: %s\n' "$*" >&2; }
# shellcheck source=benches/nginx.sh
source "$root/benches/nginx.sh"

# --- install -----------------------------------------------------------------
missing=()
command -v nginx >/dev/null || missing+=(nginx-light)
[ -x /usr/bin/time ] || missing+=(time)
command -v curl >/dev/null || missing+=(curl)
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# shellcheck source=benches/tools.sh
source "$root/benches/tools.sh"
install_lychee "$tools" "$LYCHEE_VERSION" "$bench"
linkinator=$tools/node/node_modules/.bin/linkinator
if [ ! -x "$linkinator" ] || [ "$("$linkinator" --version)" != "$LINKINATOR_VERSION" ]; then
  log "installing linkinator $LINKINATOR_VERSION into $tools/node"
  npm install --silent --no-audit --no-fund --prefix "$tools/node" "linkinator@$LINKINATOR_VERSION"
fi
log "building urlcheck (release)"
cargo build --release --locked -q
urlcheck=$root/target/release/urlcheck
# The revision measured, and whether the tree built had changes beyond it.
rev=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- src Cargo.toml Cargo.lock || rev+=" with uncommitted changes in src/"

# --- site and server -----------------------------------------------------------
rm -rf "$work/site" "$work/out" && mkdir -p "$work/site" "$work/out"
log "writing the site: $PAGES pages"
python3 "$root/benches/gen_site.py" "$work/site/s" "$BASE" "$work" "$PAGES"
log "starting nginx on 127.0.0.1:$PORT (prefix $prefix)"
# /s/ is the site, with its types; stub_status counts the requests.
start_nginx "$prefix" "127.0.0.1:$PORT" "    location /s/ {
      root $work/site;
      include /etc/nginx/mime.types;
      default_type application/octet-stream;
    }
    location = /nginx_status { stub_status; }"
"$urlcheck" -q --wait 10s --wait-interval 100ms "$BASE/sitemap_index.xml" >/dev/null \
  || { log "nginx did not come up"; cat "$prefix/logs/error.log" >&2; exit 1; }

# Requests nginx has answered so far (stub_status's third counter).
requests() { curl -s "http://127.0.0.1:$PORT/nginx_status" | awk 'NR == 3 { print $3 }'; }

# measure NAME RUN OUTPUT -- COMMAND...: runs COMMAND under /usr/bin/time -v,
# its stdout in OUTPUT; keeps the timing, the exit code and the request count.
measure() {
  local name=$1 run=$2 output=$3
  shift 4
  local dir=$work/out/$name.$run before after code
  mkdir -p "$dir"
  printf '%s\n' "$*" > "$dir/command"
  before=$(requests)
  set +e
  /usr/bin/time -v -o "$dir/time" "$@" > "$dir/$output" 2> "$dir/stderr"
  code=$?
  set -e
  after=$(requests)
  echo "$code" > "$dir/code"
  # Less the status request that read `before`.
  echo $((after - before - 1)) > "$dir/requests"
  log "$name run $run: exit $code, $(awk -F': ' '/Elapsed/ { print $2 }' "$dir/time") wall, $(cat "$dir/requests") requests"
}

pages=$work/pages.txt
# --include-verbatim: lychee leaves out links inside <script> (and pre, code)
# by default, so <script src> would go unchecked; this site has no pre or code.
lychee_common=(--no-progress --format json --max-concurrency 64 --include-verbatim)
lychee_relaxed=(--host-concurrency 64 --host-request-interval 0 --max-retries 0 --timeout 10)
for run in $(seq 1 "$RUNS"); do
  measure urlcheck "$run" out.jsonl -- \
    "$urlcheck" -q -f jsonl --sitemap "$BASE/sitemap_index.xml" --links
  measure urlcheck-per-host-64 "$run" out.jsonl -- \
    "$urlcheck" -q -f jsonl --sitemap "$BASE/sitemap_index.xml" --links --per-host 64
  measure lychee-relaxed "$run" out.json -- \
    "$lychee" "${lychee_common[@]}" "${lychee_relaxed[@]}" --files-from "$pages"
  # shellcheck disable=SC2046  # one argument per page URL
  measure linkinator "$run" out.json -- \
    "$linkinator" --format json --concurrency 64 $(cat "$pages")
done
if [ "$LYCHEE_DEFAULT" = 1 ]; then
  log "lychee at its per-host defaults (10 at once, 50 ms apart): about $((PAGES * 11 / 20 / 60 + 1)) minutes"
  measure lychee-default 1 out.json -- "$lychee" "${lychee_common[@]}" --files-from "$pages"
fi

if grep -q '\[\(alert\|crit\|emerg\)\]' "$prefix/logs/error.log" 2>/dev/null; then
  log "nginx logged errors during the run:"
  grep '\[\(alert\|crit\|emerg\)\]' "$prefix/logs/error.log" | tail -5 >&2
fi

# --- report --------------------------------------------------------------------
export SITES_WORK=$work SITES_OUT=${BENCH_OUT:-$root/benches} SITES_BASE=$BASE
export SITES_URLCHECK=$urlcheck SITES_REV=$rev SITES_LYCHEE=$lychee SITES_LINKINATOR=$linkinator
PYTHONDONTWRITEBYTECODE=1 python3 "$root/benches/sites.py"
