#!/usr/bin/env bash
# End-to-end: urlcheck --crawl against real nginx on loopback, three hosts:
#
#   a static site (127.0.0.1:18483): pages linked in a cycle, a page
#     robots.txt disallows, a depth bound, real 404s; curl is the ground
#     truth for every status;
#   a single-page app (127.0.0.1:18484): `try_files $uri /index.html`, so
#     every path answers 200 with the app's shell: nothing may be failed as
#     a soft 404, and urlcheck must say once that it cannot tell;
#   a CMS-like site (127.0.0.1:18485): `error_page 404 =200 /notfound.html`,
#     so a missing article answers 200 with the site's "not found" page: it
#     must fail as soft_404, and the real pages pass.
#
# Installs nginx-light (Debian) if missing. Usage: bash tests/e2e/crawl.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
run=$root/target/e2e-crawl
STATIC=127.0.0.1:18483
SPA=127.0.0.1:18484
CMS=127.0.0.1:18485

log() { printf 'e2e-crawl: %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

if ! command -v nginx >/dev/null; then
  log "installing nginx-light"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
cargo build --locked -q
bin=$root/target/debug/urlcheck

rm -rf "$run" && mkdir -p "$run/logs" "$run/tmp" "$run/static" "$run/spa" "$run/cms"
cleanup() {
  [ -f "$run/nginx.pid" ] && kill "$(cat "$run/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT

page() { # page FILE TITLE LINK...
  local file=$1 title=$2
  shift 2
  mkdir -p "$(dirname "$file")"
  {
    printf '<!doctype html><html><head><title>%s</title></head><body><h1>%s</h1>\n' "$title" "$title"
    for link in "$@"; do printf '<a href="%s">%s</a>\n' "$link" "$link"; done
    printf '</body></html>\n'
  } > "$file"
}

# --- the static site -----------------------------------------------------
s=$run/static
page "$s/index.html" Home /a.html /b/ /missing.html /img/logo.png /private/secret.html
page "$s/a.html" A / /b/ /c.html
page "$s/b/index.html" B ../a.html d.html
page "$s/b/d.html" D /e.html /gone.css
page "$s/c.html" C /a.html
page "$s/e.html" E /f.html
page "$s/f.html" F /
page "$s/private/secret.html" Secret /private/hidden.html
page "$s/private/hidden.html" Hidden /
mkdir -p "$s/img" && printf 'PNG' > "$s/img/logo.png"
printf 'User-agent: *\nDisallow: /private/\n' > "$s/robots.txt"

# --- the single-page app ----------------------------------------------------
shell='<!doctype html><html><head><title>Dashboard</title><script src="/app.js"></script></head><body><div id="root">Loading...</div><a href="/reports">Reports</a> <a href="/settings/profile">Profile</a> <a href="/an/old/route">Old</a></body></html>'
printf '%s\n' "$shell" > "$run/spa/index.html"
printf 'render(document.getElementById("root"));\n' > "$run/spa/app.js"

# --- the CMS-like site ----------------------------------------------------
cms_page() { # cms_page FILE TITLE MAIN
  mkdir -p "$(dirname "$1")"
  printf '<!doctype html><html><head><title>%s | The Example Times</title></head><body><header><a href="/">The Example Times</a><nav><a href="/world.html">World</a> <a href="/business.html">Business</a> <a href="/sport.html">Sport</a></nav></header><main>%s</main><footer>The Example Times Ltd. Contact, privacy, terms.</footer></body></html>\n' "$2" "$3" > "$1"
}
c=$run/cms
cms_page "$c/index.html" Home '<h1>Today</h1><a href="/articles/storm.html">The storm</a> <a href="/articles/old-story.html">An old story</a> <a href="/articles/election.html">The election</a>'
cms_page "$c/articles/storm.html" "The storm" '<h1>The storm</h1><p>A storm crossed the coast last night, and the harbour was closed until the morning.</p>'
cms_page "$c/articles/election.html" "The election" '<h1>The election</h1><p>Counting went on through the night in every district, with results expected by noon.</p>'
for section in world business sport; do
  cms_page "$c/$section.html" "$section" "<h1>$section</h1><p>The latest from the $section desk.</p>"
done
cms_page "$c/notfound.html" "Page not found" '<h1>We could not find that page</h1><p>It may have moved, or the address may be mistyped. Try the front page.</p>'

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
  server { listen $STATIC; root $run/static; }
  server { listen $SPA; root $run/spa; location / { try_files \$uri /index.html; } }
  server { listen $CMS; root $run/cms; error_page 404 =200 /notfound.html; }
}
CONF
nginx -p "$run" -c "$run/nginx.conf"
"$bin" -q --wait 30s --wait-interval 200ms "http://$STATIC/" "http://$SPA/" "http://$CMS/" >/dev/null \
  || { log "nginx did not come up"; cat "$run/logs/"* >&2; exit 1; }

# --- the static site: depth, cycles, robots.txt, real 404s -----------------
set +e
"$bin" -f jsonl --crawl "http://$STATIC/" > "$run/static.jsonl" 2> "$run/static.err"
static_code=$?
"$bin" -f jsonl --crawl 1 "http://$STATIC/" > "$run/depth.jsonl" 2> "$run/depth.err"
depth_code=$?
set -e
[ "$static_code" = 1 ] || fail "the static crawl exited $static_code: $(cat "$run/static.err")"
[ "$depth_code" = 1 ] || fail "the depth-1 crawl exited $depth_code: $(cat "$run/depth.err")"

python3 - "$run" "$STATIC" <<'PY'
import json, subprocess, sys
run, host = sys.argv[1], sys.argv[2]
base = f"http://{host}"

def records(name):
    out = {}
    for line in open(f"{run}/{name}.jsonl"):
        r = json.loads(line)
        assert r["url"] not in out, f"two records for {r['url']}"
        out[r["url"]] = r
    return out

every = records("static")
expected = {base + p for p in [
    "/", "/a.html", "/b/", "/missing.html", "/img/logo.png", "/private/secret.html",
    "/c.html", "/b/d.html", "/e.html", "/gone.css", "/f.html",
]}
assert set(every) == expected, f"pages: {sorted(set(every) ^ expected)}"
# robots.txt: the disallowed page is checked, its links are not read.
assert base + "/private/hidden.html" not in every
# curl is the ground truth for every status.
for url, record in every.items():
    code = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", url],
                          capture_output=True, text=True).stdout
    assert str(record["status"]) == code, f"{url}: urlcheck {record['status']}, curl {code}"
    assert record["ok"] == (code == "200"), record
broken = {u for u, r in every.items() if not r["ok"]}
assert broken == {base + "/missing.html", base + "/gone.css"}, broken
assert all(r["error_kind"] == "status" for u, r in every.items() if u in broken)
# A crawled page names the page it was first found on.
assert every[base + "/e.html"]["source"] == base + "/b/d.html", every[base + "/e.html"]
err = open(f"{run}/static.err").read()
assert "1 not crawled, disallowed by robots.txt" in err, err

# --crawl 1: the start page and the pages it links to are read; what
# those link to is checked but not read.
shallow = records("depth")
assert base + "/b/d.html" in shallow and base + "/c.html" in shallow, sorted(shallow)
assert base + "/e.html" not in shallow, sorted(shallow)
print(f"e2e-crawl: static site: {len(every)} URLs, each once, statuses as curl says, "
      f"robots.txt and --crawl 1 obeyed", file=sys.stderr)
PY

# --- the single-page app: nothing failed, said once ------------------------
set +e
"$bin" -f jsonl --crawl "http://$SPA/" > "$run/spa.jsonl" 2> "$run/spa.err"
spa_code=$?
set -e
[ "$spa_code" = 0 ] || fail "the SPA crawl exited $spa_code: $(cat "$run/spa.jsonl" "$run/spa.err")"
[ "$(grep -c 'answers every path with the same page' "$run/spa.err")" = 1 ] \
  || fail "the SPA host was not named once: $(cat "$run/spa.err")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$SPA/an/old/route")" = 200 ] \
  || fail "nginx's try_files fallback did not answer 200"
log "single-page app: $(wc -l < "$run/spa.jsonl") URLs, none failed, the host named once"

# --- the CMS-like site: the missing article is a soft 404 ------------------
set +e
"$bin" -f jsonl --crawl "http://$CMS/" > "$run/cms.jsonl" 2> "$run/cms.err"
cms_code=$?
"$bin" --crawl "http://$CMS/" > "$run/cms.txt" 2> "$run/cms-human.err"
set -e
[ "$cms_code" = 1 ] || fail "the CMS crawl exited $cms_code: $(cat "$run/cms.err")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$CMS/articles/old-story.html")" = 200 ] \
  || fail "nginx's error_page did not answer 200"
python3 - "$run" "$CMS" <<'PY'
import json, sys
run, host = sys.argv[1], sys.argv[2]
records = [json.loads(line) for line in open(f"{run}/cms.jsonl")]
failed = {r["url"]: r for r in records if not r["ok"]}
missing = f"http://{host}/articles/old-story.html"
assert set(failed) == {missing}, sorted(failed)
soft = failed[missing]
assert soft["status"] == 200 and soft["error_kind"] == "soft_404", soft
assert "% alike" in soft["error"] and "Page not found" in soft["error"], soft["error"]
print(f"e2e-crawl: CMS site: {len(records)} URLs; the missing article: {soft['error']}",
      file=sys.stderr)
PY
grep -q 'soft 404' "$run/cms.txt" || fail "human output: $(cat "$run/cms.txt")"
log "ok"
