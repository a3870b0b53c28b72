#!/usr/bin/env bash
# Benchmark: crawling a whole site from its home page (issue 23), urlcheck
# --crawl against wget --spider -r, LinkChecker and linkinator --recurse, on a
# real local nginx.
#
#   bash benches/crawl.sh                  # 10,000 and 100,000 pages: about
#                                          # 20 minutes on 2 cores, 13 of them
#                                          # LinkChecker and linkinator at 100,000
#   PAGES=10000 bash benches/crawl.sh      # one size (space-separated sizes)
#   PAGES=1000 RUNS=1 bash benches/crawl.sh   # small, to test the script
#   REPORT_ONLY=1 bash benches/crawl.sh    # the report again, from the last runs
#                                          # (PAGES must name the sizes run)
#
# Knobs (environment):
#   PAGES    the site sizes, in pages (default "10000 100000")
#   RUNS     runs of each tool at each size (default 3; medians quoted), but
#   LONG_RUNS  runs of each peer (wget, LinkChecker, linkinator) from 100,000
#            pages up (default 1: they take minutes there; urlcheck seconds)
#   TOOLS    which to run (default "urlcheck urlcheck-per-host-64 wget
#            linkchecker linkinator")
#   TIMEOUT  seconds a run may take before it is stopped and recorded as "did
#            not finish", with its peak RSS so far (default 1800)
#   BENCH_OUT  where crawl.md goes (default benches/)
#
# The site (benches/gen_crawl.py): PAGES pages with no sitemap, reachable only
# by following links from / (a tree of 6 children a page, plus links home, to
# the parent, to the next page and to 3 to 5 random pages: cycles), each page
# with about 13 links: pages, images, stylesheets, scripts, and about 1.5%
# broken (PAGES / 10 distinct URLs that nginx answers 404). Every link stays
# on 127.0.0.1. A robots.txt that allows everything. The generator writes the
# truth (every page URL, every broken URL) that each tool's findings are
# compared with.
#
# It is served by nginx on 127.0.0.1:18640 (one worker process, no access
# log, its own prefix under target/bench/crawl, stopped on exit; the logic of
# benches/nginx.sh, with the site at the server's root). nginx sends a
# `LinkChecker` header so that LinkChecker may go past its default 10
# requests a second to one host (see the report). Each tool crawls from
# http://127.0.0.1:18640/ with recursion unlimited, under /usr/bin/time -v
# (wall, user+sys CPU, peak RSS) and `timeout`; nginx's stub_status counts the
# requests and connections each run made. Runs are interleaved, one tool at a
# time. Before them, each tool crawls a 200-page copy once with nginx's access
# log on, to count what it asks for (methods, pages or assets, statuses).
#
# It installs what is missing (apt: nginx-light, GNU time, curl, wget,
# linkchecker, nodejs and npm; linkinator, pinned, with npm into
# target/bench/tools/node as benches/sites.sh does), builds urlcheck in
# release mode, and writes benches/crawl.md. Progress goes to stderr.
# Not run by CI: the numbers mean something only on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bench=$root/target/bench
work=$bench/crawl
prefix=$work/nginx
tools=$bench/tools
PORT=18640
BASE=http://127.0.0.1:$PORT/
LINKINATOR_VERSION=7.6.1
PAGES=${PAGES:-10000 100000}
RUNS=${RUNS:-3}
LONG_RUNS=${LONG_RUNS:-1}
TOOLS=${TOOLS:-urlcheck urlcheck-per-host-64 wget linkchecker linkinator}
TIMEOUT=${TIMEOUT:-1800}
REPORT_ONLY=${REPORT_ONLY:-0}

log() { printf 'bench-crawl: %s [%s]\n' "$*" "$(date +%T)" >&2; }

# --- nginx (benches/nginx.sh's logic, with a root of our own) ------------------
stop_crawl_nginx() {
  if [ -f "$prefix/nginx.pid" ]; then
    kill "$(cat "$prefix/nginx.pid")" 2>/dev/null && sleep 1
    rm -f "$prefix/nginx.pid"
  fi
  return 0
}

# start_crawl_nginx SITE_DIR [ACCESS_LOG]: serves SITE_DIR at
# http://127.0.0.1:$PORT/, with an access log of each request's connection,
# method, path and status if ACCESS_LOG is given.
start_crawl_nginx() {
  local access="access_log off;"
  [ -z "${2:-}" ] || access="log_format methods '\$connection \$request_method \$uri \$status';
  access_log $2 methods;"
  mkdir -p "$prefix/logs" "$prefix/tmp"
  stop_crawl_nginx
  # A fresh error log: what it says after the runs is about them.
  : > "$prefix/logs/error.log"
  cat > "$prefix/nginx.conf" <<CONF
daemon on;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log;
# One worker: the other core is left to the crawler being measured.
worker_processes 1;
worker_rlimit_nofile $(ulimit -n);
events { worker_connections 16384; }
http {
  $access
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  client_body_temp_path $prefix/tmp;
  proxy_temp_path $prefix/tmp;
  fastcgi_temp_path $prefix/tmp;
  uwsgi_temp_path $prefix/tmp;
  scgi_temp_path $prefix/tmp;
  server {
    listen 127.0.0.1:$PORT;
    root $1;
    # LinkChecker waits 0.1 to 0.6 s between requests to a host unless the
    # host answers with this header (then 1 / maxrequestspersecond).
    add_header LinkChecker "benchmark: no request limit" always;
    location = /nginx_status { stub_status; }
  }
}
CONF
  nginx -p "$prefix" -c "$prefix/nginx.conf"
}

# Connections accepted and requests answered so far (stub_status's counters).
counters() { curl -s "http://127.0.0.1:$PORT/nginx_status" | awk 'NR == 3 { print $1, $3 }'; }

# measure SIZE NAME RUN OUTPUT -- COMMAND...: runs COMMAND in a fresh working
# directory under /usr/bin/time -v and timeout, its stdout in OUTPUT; keeps
# the timing, the exit code (124: stopped at TIMEOUT), the requests and the
# connections.
measure() {
  local size=$1 name=$2 run=$3 output=$4
  shift 5
  local dir=$work/$size/out/$name.$run before after code
  rm -rf "$dir" && mkdir -p "$dir/cwd"
  # LinkChecker drops root for `nobody`: it must be able to write its cwd.
  chmod 777 "$dir/cwd"
  printf '%s\n' "$*" > "$dir/command"
  read -r -a before < <(counters)
  set +e
  (cd "$dir/cwd" && /usr/bin/time -v -o "$dir/time" \
    timeout -k 10 "$TIMEOUT" "$@" > "$dir/$output" 2> "$dir/stderr")
  code=$?
  set -e
  read -r -a after < <(counters)
  echo "$code" > "$dir/code"
  # Less the status request (and its connection) that read `before`.
  echo $((after[1] - before[1] - 1)) > "$dir/requests"
  echo $((after[0] - before[0] - 1)) > "$dir/connections"
  rm -rf "$dir/cwd"
  local what="$size pages"
  [[ $size =~ ^[0-9]+$ ]] || what="$size (200 pages)"
  log "$what, $name run $run: exit $code, $(awk -F': ' '/Elapsed/ { print $2 }' "$dir/time") wall, $(awk -F': ' '/Maximum resident/ { print $2 }' "$dir/time") KB peak RSS, $(cat "$dir/requests") requests, $(cat "$dir/connections") connections"
}

if [ "$REPORT_ONLY" != 1 ]; then
  # --- install -------------------------------------------------------------------
  missing=()
  command -v nginx >/dev/null || missing+=(nginx-light)
  [ -x /usr/bin/time ] || missing+=(time)
  command -v curl >/dev/null || missing+=(curl)
  command -v wget >/dev/null || missing+=(wget)
  command -v linkchecker >/dev/null || missing+=(linkchecker)
  command -v npm >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
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

  # LinkChecker's settings beyond its command line: no pace limit (with the
  # header above) and a result cache larger than the site (its default,
  # 100,000, is smaller than the 100,000-page site: past it, URLs are checked
  # again each time they are found). Readable by `nobody`.
  mkdir -p "$work"
  echo "$rev" > "$work/rev"
  lcrc=$work/linkcheckerrc
  printf '[checking]\nmaxrequestspersecond=1000000\nresultcachesize=10000000\n' > "$lcrc"
  chmod 644 "$lcrc"

  # Every crawler holds sockets: as many open files as we may (nginx too).
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  ulimit -n > "$work/nofile"
  # run_tool SIZE TOOL RUN: one measured crawl of the site being served.
  run_tool() {
    local size=$1 tool=$2 run=$3
    case $tool in
      urlcheck)
        measure "$size" urlcheck "$run" out.jsonl -- \
          "$urlcheck" -q -f jsonl --crawl "$BASE" ;;
      urlcheck-per-host-64)
        measure "$size" urlcheck-per-host-64 "$run" out.jsonl -- \
          "$urlcheck" -q -f jsonl --crawl "$BASE" --per-host 64 ;;
      wget)
        # -o: its log (what it visited, then the broken links) in the run's directory.
        measure "$size" wget "$run" stdout -- \
          wget --spider -r -l inf -nd -nv -o "$work/$size/out/wget.$run/wget.log" "$BASE" ;;
      linkchecker)
        # -v: every URL, not only the failures; threads and recursion (unlimited) at their defaults.
        measure "$size" linkchecker "$run" out.csv -- \
          linkchecker -f "$lcrc" --no-status -v -o csv "$BASE" ;;
      linkinator)
        measure "$size" linkinator "$run" out.csv -- \
          "$linkinator" "$BASE" --recurse --format csv ;;
      *) log "unknown tool $tool"; exit 2 ;;
    esac
  }

  # serve SITE_DIR [ACCESS_LOG]: nginx on the site, once it answers.
  serve() {
    log "starting nginx on 127.0.0.1:$PORT (prefix $prefix, root $1)"
    start_crawl_nginx "$@"
    "$urlcheck" -q --wait 10s --wait-interval 100ms "${BASE}robots.txt" >/dev/null \
      || { log "nginx did not come up"; cat "$prefix/logs/error.log" >&2; exit 1; }
  }

  trap stop_crawl_nginx EXIT
  start=$(date +%s)

  # What each tool asks for: one crawl of a 200-page copy with nginx's access
  # log on, counted by method, kind of URL and status (not timed).
  dir=$work/methods
  rm -rf "$dir" && mkdir -p "$dir"
  python3 "$root/benches/gen_crawl.py" "$dir/site" "$BASE" "$dir" 200
  serve "$dir/site" "$dir/access.log"
  for tool in $TOOLS; do
    : > "$dir/access.log"
    run_tool methods "$tool" 1
    # connection method path status -> count, method, kind, status; then the connections.
    awk '$3 != "/nginx_status" {
           kind = $3 == "/robots.txt" ? "robots.txt" : ($3 ~ /(\.html|\/)$/ ? "page" : "asset")
           n[$2 " " kind " " $4]++; c[$1] = 1
         }
         END { for (k in n) print n[k], k; print length(c), "connections" }' \
      "$dir/access.log" | sort -k2 > "$dir/$tool.methods"
  done
  stop_crawl_nginx

  for size in $PAGES; do
    dir=$work/$size
    rm -rf "$dir" && mkdir -p "$dir"
    log "writing the site: $size pages"
    python3 "$root/benches/gen_crawl.py" "$dir/site" "$BASE" "$dir" "$size"
    # The site's files on disk before anything is timed.
    sync
    serve "$dir/site"
    for run in $(seq 1 "$RUNS"); do
      for tool in $TOOLS; do
        case $tool in
          urlcheck*) ;;
          *) [ "$size" -lt 100000 ] || [ "$run" -le "$LONG_RUNS" ] || continue ;;
        esac
        run_tool "$size" "$tool" "$run"
      done
    done
    if grep -q '\[\(alert\|crit\|emerg\)\]' "$prefix/logs/error.log" 2>/dev/null; then
      log "nginx logged errors during the $size-page runs:"
      grep '\[\(alert\|crit\|emerg\)\]' "$prefix/logs/error.log" | tail -5 >&2
    fi
    stop_crawl_nginx
  done
  echo $(($(date +%s) - start)) > "$work/seconds"
  log "all runs took $(($(date +%s) - start)) s"
else
  urlcheck=$root/target/release/urlcheck
  linkinator=$tools/node/node_modules/.bin/linkinator
fi

# --- report --------------------------------------------------------------------
export CRAWL_WORK=$work CRAWL_OUT=${BENCH_OUT:-$root/benches} CRAWL_BASE=$BASE CRAWL_ROOT=$root
export CRAWL_PAGES=$PAGES CRAWL_URLCHECK=$urlcheck CRAWL_LINKINATOR=$linkinator CRAWL_TIMEOUT=$TIMEOUT
PYTHONDONTWRITEBYTECODE=1 python3 - <<'PY'
"""The report: reads CRAWL_WORK/SIZE/out/NAME.RUN/{time,code,requests,command,...}
and the generator's truth (CRAWL_WORK/SIZE/{pages,broken}.txt), writes
CRAWL_OUT/crawl.md (also printed). Medians over the runs of each tool."""
import csv
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys

csv.field_size_limit(sys.maxsize)
work, out_dir, base, root = (os.environ[k] for k in ("CRAWL_WORK", "CRAWL_OUT", "CRAWL_BASE", "CRAWL_ROOT"))
sizes = [int(s) for s in os.environ["CRAWL_PAGES"].split() if os.path.isdir(f"{work}/{s}/out")]
timeout = int(os.environ["CRAWL_TIMEOUT"])

TOOLS = [
    ("urlcheck", "urlcheck", "--crawl, its default for sites: 64 workers, --per-host 8"),
    ("urlcheck-per-host-64", "urlcheck", "--crawl --per-host 64"),
    ("wget", "wget", "--spider -r -l inf, one request at a time"),
    ("linkchecker", "linkchecker", "10 threads (default), recursion unlimited (default), pace limit lifted"),
    ("linkinator", "linkinator", "--recurse, concurrency 100 (default)"),
]
PEERS = ["wget", "linkchecker", "linkinator"]


def rel(path):
    return os.path.relpath(path, root) if path.startswith(root + "/") else path


def timing(path):
    text = open(path).read()

    def field(name):
        m = re.search(rf"{re.escape(name)}.*: (.+)", text)
        return m.group(1).strip() if m else None

    parts = [float(p) for p in field("Elapsed (wall clock) time").split(":")]
    wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return wall, cpu, int(field("Maximum resident set size (kbytes)")) / 1024


def findings(tool, d):
    """(URLs the run reported, URLs it reported broken, a note on its output)."""
    if tool == "urlcheck":
        rows = []
        for line in open(f"{d}/out.jsonl"):
            try:
                rows.append(json.loads(line))
            except ValueError:
                pass  # a line cut off by a stop
        seen = [r["url"] for r in rows]
        dup = len(seen) - len(set(seen))
        return (set(seen), {r["url"] for r in rows if not r["ok"]},
                f"{len(rows):,} records" + (f", {dup:,} of them a URL's second record" if dup else ""))
    if tool == "wget":
        text = open(f"{d}/wget.log", errors="replace").read()
        seen = set(re.findall(r"^\S+ \S+ URL: ?(\S+?)(?: \[| \d{3} )", text, re.M))
        errors = set(re.findall(r"^(\S+):\n(?:Remote file does not exist|.*ERROR)", text, re.M))
        m = re.search(r"^Found (\d+) broken links?\.\n\n((?:\S+\n)*)", text, re.M)
        broken = set(m.group(2).split()) if m else set()
        note = (f"{m.group(1)} in its closing list" if m else "no closing list of broken links")
        return seen | broken | errors, broken, note
    rows = []
    with open(f"{d}/out.csv", newline="", errors="replace") as f:
        if tool == "linkchecker":
            lines = (l for l in f if not l.startswith("#"))
            reader = csv.DictReader(lines, delimiter=";")
            for r in reader:
                if r.get("url"):
                    rows.append((r["url"], r["valid"] != "True"))
        else:
            failed = set()
            for r in csv.DictReader(f):
                if r.get("url"):
                    rows.append((r["url"], r["state"] == "BROKEN"))
                    if r["status"] == "0":
                        failed.add(r["url"])
    note = f"{len(rows):,} result rows for {len({u for u, _ in rows}):,} URLs"
    if tool == "linkinator" and failed:
        note += f", {len(failed):,} URLs broken with status 0 (the request failed, no response)"
    return {u for u, _ in rows}, {u for u, bad in rows if bad}, note


def fmt_wall(s):
    return f"{s:,.0f} s" if s >= 100 else f"{s:.2f} s"


def median(xs):
    return statistics.median(xs) if xs else None


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        text = (out.stdout + out.stderr).strip().splitlines()
        return [l for l in text if not l.startswith("WARNING")][0].strip()
    except Exception as e:  # noqa: BLE001 - a version is informative only
        return f"unknown ({e})"


lines = []
say = lines.append
rev = open(f"{work}/rev").read().strip() if os.path.exists(f"{work}/rev") else "unknown"
seconds = int(open(f"{work}/seconds").read()) if os.path.exists(f"{work}/seconds") else None
nofile = open(f"{work}/nofile").read().strip() if os.path.exists(f"{work}/nofile") else "?"
cpu_model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem_gib = int(open("/proc/meminfo").readline().split()[1]) / 1024 / 1024
nginx_v = version(["nginx", "-v"]).replace("nginx version: ", "")
say("# Crawling a whole site: urlcheck, wget, LinkChecker and linkinator\n")
say(f"`bash benches/crawl.sh`, {datetime.date.today().isoformat()}, urlcheck at {rev} (release build)"
    + (f"; the whole run took {seconds // 60} min {seconds % 60} s" if seconds else "")
    + f". Machine: {cpu_model}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, Linux {platform.release()}; "
    f"{nginx_v} (one worker process, no access log) on loopback, sharing the cores with the tool; "
    f"open files allowed to each process (`ulimit -n`, the machine's hard limit): {nofile}.\n")
say("The site (`benches/gen_crawl.py`): no sitemap; every page is reached only by following links from "
    "`/` (a tree of 6 children a page, plus links to the home page, the parent, the next page and 3 to 5 "
    "random pages, so there are cycles), about 13 links a page: pages, images, stylesheets and scripts, "
    "about 1.5% of them broken (404: missing pages, images, stylesheets and scripts). Every link is on "
    "127.0.0.1; robots.txt allows everything. Each tool starts at `" + base + "` with recursion unlimited, "
    "under `/usr/bin/time -v` (wall, user+sys CPU, peak RSS) and `timeout " + str(timeout) + "`, one at a time; "
    "requests and connections are what nginx's `stub_status` counted. \"Pages found\" is the generator's page URLs that the "
    "tool reported or visited; \"broken\" is the distinct URLs it reported broken, compared with the truth.\n")

summary = {}
for size in sizes:
    truth = json.load(open(f"{work}/{size}/truth.json"))
    pages = set(open(f"{work}/{size}/pages.txt").read().split())
    broken_truth = set(open(f"{work}/{size}/broken.txt").read().split())
    say(f"## {size:,} pages\n")
    say(f"The site: {truth['pages']:,} pages, {truth['assets']:,} assets, {truth['broken']:,} broken URLs; "
        f"{truth['links']:,} links on the pages ({truth['links'] / truth['pages']:.1f} a page), "
        f"{truth['broken_links']:,} of them broken ({100 * truth['broken_links'] / truth['links']:.1f}%); "
        f"{truth['distinct']:,} distinct URLs.\n")
    rows, detail, commands = [], [], []
    for name, tool, config in TOOLS:
        runs = sorted((d for d in os.listdir(f"{work}/{size}/out") if d.rsplit(".", 1)[0] == name),
                      key=lambda d: int(d.rsplit(".", 1)[1]))
        if not runs:
            continue
        res = []
        for r in runs:
            d = f"{work}/{size}/out/{r}"
            wall, cpu, rss = timing(f"{d}/time")
            code = int(open(f"{d}/code").read())
            reqs = int(open(f"{d}/requests").read())
            conns = int(open(f"{d}/connections").read())
            try:
                seen, broken, note = findings(tool, d)
            except (OSError, ValueError) as e:
                seen, broken, note = set(), set(), f"its output could not be read ({e})"
            res.append(dict(wall=wall, cpu=cpu, rss=rss, code=code, reqs=reqs, conns=conns, seen=seen, broken=broken,
                            note=note, done=code not in (124, 137), pages=len(seen & pages),
                            exact=broken == broken_truth))
            if r == runs[0]:
                cmd = open(f"{d}/command").read().strip()
                cmd = cmd.replace(f"{work}/{size}/out/wget.1/", "").replace(root + "/", "")
                commands.append(cmd)
        done = [x for x in res if x["done"]]
        use = done or res
        m = dict(wall=median([x["wall"] for x in use]), cpu=median([x["cpu"] for x in use]),
                 rss=median([x["rss"] for x in use]), reqs=median([x["reqs"] for x in use]),
                 conns=median([x["conns"] for x in use]),
                 pages=median([x["pages"] for x in use]), nbroken=median([len(x["broken"]) for x in use]),
                 exact=all(x["exact"] for x in use), done=bool(done), runs=len(res),
                 seen=use[0]["seen"], broken=use[0]["broken"])
        summary[(size, name)] = m
        fin = "" if done else f" (did not finish in {timeout:,} s: figures so far)"
        rows.append(f"| {tool} | {config}{fin} | {len(res)} | {fmt_wall(m['wall'])} | {m['cpu']:.2f} s | "
                    f"{m['rss']:,.1f} MB | {m['reqs']:,.0f} | {m['conns']:,.0f} | {m['pages']:,.0f} | {m['nbroken']:,.0f} | "
                    f"{'yes' if m['exact'] else '**no**'} |")
        for i, x in enumerate(res, 1):
            missed, extra = broken_truth - x["broken"], x["broken"] - broken_truth
            lost = pages - x["seen"]
            state = "finished" if x["done"] else f"stopped at the {timeout:,} s timeout"
            text = (f"- {name} run {i}: {state}, exit {x['code']}, {x['note']}; {x['pages']:,} of "
                    f"{len(pages):,} pages")
            if lost:
                text += f" (not found: {len(lost):,}, e.g. {', '.join(sorted(lost)[:3])})"
            text += f"; {len(x['broken']):,} broken URLs"
            if not missed and not extra:
                text += ": exactly the truth"
            else:
                if missed:
                    text += f"; {len(missed):,} broken not reported (e.g. {', '.join(sorted(missed)[:3])})"
                if extra:
                    text += f"; {len(extra):,} reported broken that are not (e.g. {', '.join(sorted(extra)[:3])})"
            detail.append(text)
    say("Medians of the runs that finished (of those stopped at the timeout if none did).\n")
    say("| tool | configuration | runs | wall | CPU (user+sys) | peak RSS | requests | connections | pages found | broken found | broken = truth |")
    say("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    lines.extend(rows)
    say("")
    say(f"Truth: {len(pages):,} pages, {len(broken_truth):,} broken URLs.\n")
    say("Every run:\n")
    lines.extend(detail)
    say("")
    say("Commands (the first run of each; in " + rel(f"{work}/{size}/out/NAME.RUN/cwd") + "):\n")
    say("```sh")
    lines.extend(commands)
    say("```\n")

# --- targets ---------------------------------------------------------------------
say("## Targets\n")
say("Issue 23's targets, for urlcheck at its default (`--per-host 8`) and with `--per-host 64`:\n")


def verdict(ok):
    return "✅ met" if ok else "❌ missed"


for size in sizes:
    pages = set(open(f"{work}/{size}/pages.txt").read().split())
    broken_truth = set(open(f"{work}/{size}/broken.txt").read().split())
    peers = [p for p in PEERS if (size, p) in summary and summary[(size, p)]["done"]]
    say(f"**{size:,} pages**\n")
    if peers:
        agree_pages = set.intersection(*[summary[(size, p)]["seen"] & pages for p in peers])
        agree_broken = set.intersection(*[summary[(size, p)]["broken"] for p in peers])
    for name in ("urlcheck", "urlcheck-per-host-64"):
        u = summary.get((size, name))
        if not u:
            continue
        label = "urlcheck" if name == "urlcheck" else "urlcheck --per-host 64"
        items = []
        if peers:
            got_pages = u["seen"] & pages
            ok = agree_pages <= got_pages and agree_broken <= u["broken"]
            items.append(f"same pages and broken links as the peers where they agree ({len(agree_pages):,} pages "
                         f"and {len(agree_broken):,} broken URLs that {', '.join(peers)} all found): "
                         f"{verdict(ok)}, {len(got_pages):,} pages and {len(u['broken']):,} broken "
                         f"({'exactly the truth' if u['exact'] and got_pages == pages else 'not the truth'})")
        for p in PEERS:
            s = summary.get((size, p))
            if not s:
                continue
            note = "" if s["done"] else f" (it did not finish in {timeout:,} s)"
            items.append(f"faster than {p}: {verdict(u['wall'] < s['wall'])}, {fmt_wall(u['wall'])} against "
                         f"{fmt_wall(s['wall'])}{note} ({u['wall'] / s['wall']:.3f}×)")
        s = summary.get((size, "linkinator"))
        if s:
            items.append(f"peak RSS at most a tenth of linkinator's: {verdict(u['rss'] <= s['rss'] / 10)}, "
                         f"{u['rss']:,.1f} MB against {s['rss']:,.1f} MB ({u['rss'] / s['rss']:.3f}×)")
        s = summary.get((size, "wget"))
        if s and size >= 100000:
            items.append(f"peak RSS no more than wget's: {verdict(u['rss'] <= s['rss'])}, "
                         f"{u['rss']:,.1f} MB against {s['rss']:,.1f} MB ({u['rss'] / s['rss']:.2f}×)")
        items.append(f"peak RSS per page: {u['rss'] / size * 1024:.2f} KB ({u['rss'] / size:.6f} MB) a page")
        say(f"- {label}:")
        for item in items:
            say(f"  - {item}")
    say("")

if len(sizes) >= 2:
    a, b = sizes[0], sizes[-1]
    for name in ("urlcheck", "urlcheck-per-host-64", "wget"):
        if (a, name) in summary and (b, name) in summary:
            ra, rb = summary[(a, name)]["rss"], summary[(b, name)]["rss"]
            say(f"- {name}: peak RSS {ra:,.1f} MB at {a:,} pages, {rb:,.1f} MB at {b:,} "
                f"({rb / ra:.2f}× for {b // a}× the pages; {(rb - ra) * 1024 * 1024 / (b - a):,.0f} bytes "
                f"a page more)")
    say("")

# --- versions and what each does ---------------------------------------------------
say("## Versions\n")
say(f"- urlcheck: {version([os.environ['CRAWL_URLCHECK'], '--version'])} at {rev}")
say(f"- wget: {version(['wget', '--version'])}")
say(f"- LinkChecker: {version(['linkchecker', '--version'])} (Debian package "
    f"{version(['dpkg-query', '-W', '-f', '${Version}', 'linkchecker'])}), {version(['/usr/bin/python3', '--version'])}")
say(f"- linkinator: {version([os.environ['CRAWL_LINKINATOR'], '--version'])}, node {version(['node', '--version'])}")
say(f"- nginx: {nginx_v}\n")
say("LinkChecker reads `target/bench/crawl/linkcheckerrc`:\n")
say("```ini\n[checking]\nmaxrequestspersecond=1000000\nresultcachesize=10000000\n```\n")
def methods_site():
    path = f"{work}/methods/truth.json"
    if not os.path.exists(path):
        return "not run"
    t = json.load(open(path))
    return f"{t['pages']:,} pages, {t['assets']:,} assets, {t['broken']:,} broken URLs: {t['distinct']:,} distinct URLs"


def methods_text():
    out = ["| tool | requests: method, kind of URL, status × count | connections |", "|---|---|---:|"]
    for name, tool, _ in TOOLS:
        path = f"{work}/methods/{name}.methods"
        if not os.path.exists(path):
            continue
        parts, conns = [], "?"
        for line in open(path):
            f = line.split()
            if f[1] == "connections":
                conns = f[0]
            else:
                parts.append((f[1], f[2], f[3], int(f[0])))
        order = {"robots.txt": 0, "page": 1, "asset": 2}
        parts.sort(key=lambda p: (order.get(p[1], 3), p[0] != "HEAD", p[2]))
        out.append(f"| {name} | " + ", ".join(f"{m} {k} {st} × {n:,}" for m, k, st, n in parts)
                   + f" | {conns} |")
    return "\n".join(out)


say("""## What each tool does differently

What each sends, from nginx's access log of one crawl of a 200-page copy
of the site (METHODS_SITE), before the timed runs:

METHODS

The requests and connections columns of the tables above are the same
figures at full size.

- **urlcheck** `--crawl` reads robots.txt once and asks once for a path that
  cannot exist (its soft-404 probe), then GETs each distinct URL once: a
  page's HTML is read for its links, anything else is not read. At most 8
  requests are in flight to the host (64 with `--per-host 64`), on as many
  keep-alive connections at most. One record per distinct URL.
- **wget** `--spider -r` makes one request at a time, on one keep-alive
  connection. It sends HEAD for every URL, then GET for each that is HTML
  or CSS (to parse it), so a page costs two requests; it writes the page to
  its working directory, parses it and deletes it (hence the `unlink: No
  such file or directory` lines in its log), and obeys robots.txt. Its log
  lists each URL visited and, at the end, the broken links, without the
  pages that link to them.
- **LinkChecker** checks with 10 threads in one Python process (one core at
  most for its own work) and GETs every URL, HTML or not; it obeys
  robots.txt and reports each URL once (later links to it are cached). By
  default it waits 0.1 to 0.6 s between requests to a host
  (`maxrequestspersecond=10`), 0.35 s a URL on average: at that pace,
  LINKCHECKER_PACE. The site's `LinkChecker` header and
  `maxrequestspersecond=1000000` lift that pace, as benches/sites.sh
  relaxes lychee's. Its result cache holds 100,000 URLs by
  default, fewer than the 100,000-page site has; past it URLs are checked
  again each time they are found, so the benchmark raises it to 10,000,000.
- **linkinator** `--recurse` does not read robots.txt, GETs every URL (pages
  and assets alike) with up to 100 at once and no limit per host, and opens
  a new connection for most of them, held open: when it runs out of open
  files, requests fail before they are sent (`connect EMFILE`, which the
  CSV reports as status 0, broken, without the error; seen on the
  development machine at 100,000 pages, under its 20,000 open files, with
  linkinator's API and a `link` listener printing `failureDetails`). With
  `--format csv` it writes a row per link as it is checked (a broken URL once for each page that links to
  it), and it also keeps every result in memory for the summary it returns
  at the end.
""".replace("METHODS_SITE", methods_site()).replace("METHODS", methods_text()).replace("LINKCHECKER_PACE", " and ".join(
    f"about {json.load(open(f'{work}/{n}/truth.json'))['distinct'] * 0.35 / 3600:.1f} hours "
    f"for the {n:,}-page site" for n in sizes)))

text = "\n".join(lines).rstrip() + "\n"
os.makedirs(out_dir, exist_ok=True)
open(f"{out_dir}/crawl.md", "w").write(text)
print(text)
PY
