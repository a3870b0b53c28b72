#!/usr/bin/env bash
# End-to-end: urlcheck --sitemap --links over a real static site that nginx
# serves on loopback, with its own prefix, stopped on exit. The site
# (tests/e2e/gen_site.py) has a robots.txt naming a sitemap index, a plain and
# a gzipped sitemap, 41 pages linking to each other, images, a srcset, a
# stylesheet, a script, a <base href>, a mailto, fragments, and a known set of
# broken links, assets and sitemap entries. The records, the SARIF report, the
# GitHub annotations and the human output must say exactly that.
# Installs nginx-light (Debian) if missing. Usage: bash tests/e2e/sites.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$root/target/e2e-sites
run=$work/run
NGINX_HTTP=127.0.0.1:18482
BASE=http://$NGINX_HTTP

log() { printf 'e2e-sites: %s\n' "$*" >&2; }

# --- install -----------------------------------------------------------------
if ! command -v nginx >/dev/null; then
  log "installing nginx-light"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
cargo build --locked -q
bin=$root/target/debug/urlcheck

# --- site and server ---------------------------------------------------------
rm -rf "$run" && mkdir -p "$run/logs" "$run/tmp"
cleanup() {
  [ -f "$run/nginx.pid" ] && kill "$(cat "$run/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

python3 "$root/tests/e2e/gen_site.py" "$run/html" "$BASE" "$run/truth.json"

cat > "$run/nginx.conf" <<CONF
daemon on;
pid $run/nginx.pid;
error_log $run/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  client_body_temp_path $run/tmp;
  proxy_temp_path $run/tmp;
  fastcgi_temp_path $run/tmp;
  uwsgi_temp_path $run/tmp;
  scgi_temp_path $run/tmp;
  server {
    listen $NGINX_HTTP;
    root $run/html;
    # The .xml.gz sitemap is a file: sent as it is, without Content-Encoding.
    location = /error { return 500; }
  }
}
CONF
nginx -p "$run" -c "$run/nginx.conf"
"$bin" -q --wait 30s --wait-interval 200ms "$BASE/robots.txt" >/dev/null \
  || { log "nginx did not come up"; cat "$run/logs/"* >&2; exit 1; }

# --- runs --------------------------------------------------------------------
log "checking $BASE/ with --sitemap --links"
set +e
"$bin" -f jsonl --sitemap "$BASE/" --links --report "sarif:$run/report.sarif" \
  > "$run/links.jsonl" 2> "$run/links.err"
links_code=$?
GITHUB_ACTIONS=true "$bin" -q -f jsonl --sitemap "$BASE/" --links \
  > "$run/gh.jsonl" 2> "$run/gh.err"
gh_code=$?
"$bin" --sitemap "$BASE/" --links > "$run/human.txt" 2> "$run/human.err"
human_code=$?
"$bin" -f jsonl --sitemap "$BASE/" --links --check-fragments \
  > "$run/fragments.jsonl" 2> "$run/fragments.err"
fragments_code=$?
set -e

python3 - "$run" "$links_code" "$gh_code" "$human_code" "$fragments_code" <<'PY'
import json, sys
run, links_code, gh_code, human_code, fragments_code = sys.argv[1:]
truth = json.load(open(f"{run}/truth.json"))
failures = []
checks = 0

def check(ok, message):
    global checks
    checks += 1
    if not ok:
        failures.append(message)

def records(name):
    with open(f"{run}/{name}") as f:
        return [json.loads(line) for line in f]

def by_url(name, rows):
    table = {}
    for r in rows:
        check(r["url"] not in table, f"{name}: two records for {r['url']}")
        table[r["url"]] = r
    return table

def places_of(entry):
    return sorted(tuple(p) for p in entry["places"])

def expect_set(name, rows, broken, passing):
    table = by_url(name, rows)
    # Every sitemap page, every link and asset: exactly one record each.
    for url in truth["pages"]:
        check(url in table, f"{name}: no record for the sitemap page {url}")
    want = set(truth["pages"]) | set(truth["ok"]) | set(broken) | set(passing)
    check(set(table) == want,
          f"{name}: records for {sorted(set(table) - want)} not expected, "
          f"none for {sorted(want - set(table))}")
    for url in truth["not_links"]:
        check(url not in table, f"{name}: {url} is not a link, yet has a record")
    # Exactly the broken set, each with its kind, status and places.
    failed = {u for u, r in table.items() if not r["ok"]}
    check(failed == set(broken),
          f"{name}: failed {sorted(failed - set(broken))} unexpectedly, "
          f"passed {sorted(set(broken) - failed)} unexpectedly")
    for url, want in broken.items():
        r = table.get(url)
        if r is None:
            continue
        check(r["error_kind"] == want["kind"], f"{name}: {url}: kind {r['error_kind']}, expected {want['kind']}")
        check(r["status"] == want["status"], f"{name}: {url}: status {r['status']}, expected {want['status']}")
        if want["places"]:
            check(r["occurrences"] == len(want["places"]),
                  f"{name}: {url}: occurrences {r['occurrences']}, expected {len(want['places'])}")
            # The record's place is the first of its places (any of them: pages are read in parallel).
            check((r["source"], r["line"]) in places_of(want),
                  f"{name}: {url}: at {r['source']}:{r['line']}, not one of {places_of(want)}")
            check(isinstance(r["column"], int) and r["column"] >= 1, f"{name}: {url}: column {r['column']}")
        else:
            check([r["source"], r["line"]] == want["sitemap"],
                  f"{name}: {url}: at {r['source']}:{r['line']}, expected {want['sitemap']}")
    for url in truth["pages"]:
        r = table.get(url)
        if r is not None and url not in broken:
            check(r["ok"] and r["status"] == 200, f"{name}: page {url}: {r['status']} {r['error']}")
    return table

broken = truth["broken"]
expect_set("links.jsonl", records("links.jsonl"), broken, {})
check(links_code == "1", f"--links exit {links_code}, expected 1")
# The summary counts the sitemaps read (robots.txt, the index, both sitemaps),
# the distinct links that are not sitemap pages, and the mailto left out.
summary = open(f"{run}/links.err").read()
links = len(truth["ok"]) + sum(1 for b in broken.values() if b["places"])
for words in (f"sitemaps: 4 read, {len(truth['pages'])} pages listed",
              f" {links} distinct URLs", "links not checked: 1 mailto:"):
    check(words in summary, f"the summary lacks {words!r}:\n{summary}")

# SARIF: one result per place, located by the page's URL (the sitemap's for a page).
sarif = json.load(open(f"{run}/report.sarif"))
got = {}
for result in sarif["runs"][0]["results"]:
    url = result["properties"]["url"]
    where = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    got.setdefault(url, []).append(where)
want = {u: sorted(p for p, _ in b["places"]) or [b["sitemap"][0]] for u, b in broken.items()}
check({u: sorted(w) for u, w in got.items()} == want,
      f"SARIF results by URL and place: {got}, expected {want}")
places = sum(len(b["places"]) for b in broken.values())
sitemap_entries = sum(1 for b in broken.values() if not b["places"])
check(len(sarif["runs"][0]["results"]) == places + sitemap_entries,
      f"SARIF has {len(sarif['runs'][0]['results'])} results, expected {places + sitemap_entries}")

# GitHub annotations: one ::error per place, each naming its page.
expect_set("gh.jsonl", records("gh.jsonl"), broken, {})
check(gh_code == "1", f"GITHUB_ACTIONS run exit {gh_code}, expected 1")
annotations = [l for l in open(f"{run}/gh.err") if l.startswith("::error")]
check(len(annotations) == places + sitemap_entries,
      f"{len(annotations)} annotations, expected {places + sitemap_entries}")
for url, b in broken.items():
    for page, _ in b["places"]:
        n = sum(1 for a in annotations if f"::{url}: " in a and f"(on {page})" in a)
        check(n == 1, f"{n} annotations for {url} on {page}, expected 1")

# Human output: the places of a URL linked from several.
human = open(f"{run}/human.txt").read()
check(human_code == "1", f"human run exit {human_code}, expected 1")
for url, b in broken.items():
    n = len(b["places"])
    if n > 1:
        check(f"linked from {n} places" in human, f"human output lacks 'linked from {n} places' for {url}")
        for page, _ in b["places"]:
            check(page in human, f"human output lacks the place {page} of {url}")

# --check-fragments: the missing anchor fails, the present one passes.
fragments = truth["fragments"]
fbroken = dict(broken)
fbroken.update({u: {"kind": f["kind"], "status": 200, "places": f["places"]}
                for u, f in fragments.items() if not f["ok"]})
fpassing = {u: f for u, f in fragments.items() if f["ok"]}
expect_set("fragments.jsonl", records("fragments.jsonl"), fbroken, fpassing)
check(fragments_code == "1", f"--check-fragments exit {fragments_code}, expected 1")

if failures:
    print("\n".join(f"e2e-sites FAIL: {f}" for f in failures))
    print(f"{checks - len(failures)} passed, {len(failures)} failed")
    sys.exit(1)
print(f"e2e-sites: {len(truth['pages'])} sitemap pages (robots.txt -> index -> "
      f"sitemap + .xml.gz), {links} distinct links and assets, "
      f"{len(broken)} broken URLs at {places + sitemap_entries} places: "
      "records, SARIF, annotations, human output and --check-fragments as expected")
print(f"{checks} passed, 0 failed")
PY
