#!/usr/bin/env bash
# End-to-end: urlcheck against real servers that users run, nginx and httpbin,
# started here on loopback with their own prefix and stopped on exit.
# Installs what is missing: nginx-light (Debian) and httpbin + gunicorn (PyPI,
# pinned, in a venv under target/). Usage: bash tests/e2e/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$root/target/e2e
run=$work/run
NGINX_HTTP=127.0.0.1:18480
NGINX_TLS=127.0.0.1:18443
HTTPBIN=127.0.0.1:18481

log() { printf 'e2e: %s\n' "$*" >&2; }

# --- install -----------------------------------------------------------------
if ! command -v nginx >/dev/null || [ ! -f /usr/lib/nginx/modules/ngx_http_echo_module.so ]; then
  log "installing nginx-light and its echo module"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light libnginx-mod-http-echo >/dev/null
fi
if [ ! -x "$work/venv/bin/gunicorn" ]; then
  log "installing httpbin and gunicorn into $work/venv"
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q "httpbin==0.10.4" "gunicorn==27.0.1"
fi
cargo build --locked -q
bin=$root/target/debug/urlcheck

# --- servers -----------------------------------------------------------------
rm -rf "$run" && mkdir -p "$run/logs" "$run/html"
cleanup() {
  [ -f "$run/nginx.pid" ] && kill "$(cat "$run/nginx.pid")" 2>/dev/null || true
  [ -f "$run/gunicorn.pid" ] && kill "$(cat "$run/gunicorn.pid")" 2>/dev/null || true
}
trap cleanup EXIT

# A CA of our own, and a certificate for 127.0.0.1 that it signed (30 days).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=urlcheck e2e CA" \
  -keyout "$run/ca.key" -out "$run/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$run/server.key" -out "$run/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$run/san.ext"
openssl x509 -req -in "$run/server.csr" -CA "$run/ca.pem" -CAkey "$run/ca.key" \
  -CAcreateserial -days 30 -extfile "$run/san.ext" -out "$run/server.pem" 2>/dev/null
# user:secret for basic auth.
printf 'user:%s\n' "$(openssl passwd -apr1 secret)" > "$run/htpasswd"
head -c 200000 /dev/zero | tr '\0' 'a' > "$run/html/big.txt"
printf 'private ok\n' > "$run/html/private"

cat > "$run/nginx.conf" <<CONF
daemon on;
pid $run/nginx.pid;
error_log $run/logs/error.log;
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $run/tmp;
  proxy_temp_path $run/tmp;
  fastcgi_temp_path $run/tmp;
  uwsgi_temp_path $run/tmp;
  scgi_temp_path $run/tmp;
  gzip on;
  gzip_types text/plain;
  gzip_min_length 1;
  server {
    listen $NGINX_HTTP;
    listen $NGINX_TLS ssl;
    ssl_certificate $run/server.pem;
    ssl_certificate_key $run/server.key;
    root $run/html;
    location = /ok { return 200 "ok\n"; }
    location = /teapot { return 418; }
    location = /moved { return 301 /ok; }
    location = /r3 { return 302 /r2; }
    location = /r2 { return 302 /r1; }
    location = /r1 { return 302 /ok; }
    location = /loop { return 302 /loop; }
    location = /to-ftp { return 302 ftp://127.0.0.1/file; }
    location = /slow { echo_sleep 1; echo "slow ok"; }
    # Served as a file: a return directive would answer before auth_basic.
    location = /private { auth_basic "e2e"; auth_basic_user_file $run/htpasswd; }
    location = /health { default_type application/json; return 200 '{"status": "up"}'; }
    location = /maintenance { return 503 "down for maintenance\n"; }
  }
}
CONF
mkdir -p "$run/tmp"
nginx -p "$run" -c "$run/nginx.conf"
"$work/venv/bin/gunicorn" -b "$HTTPBIN" -w 2 --daemon --pid "$run/gunicorn.pid" \
  --error-logfile "$run/logs/gunicorn.log" httpbin:app

# Wait for both with urlcheck itself.
"$bin" -q --wait 30s --wait-interval 200ms "http://$NGINX_HTTP/ok" "http://$HTTPBIN/status/200" \
  || { log "servers did not come up"; cat "$run/logs/"* >&2; exit 1; }

# --- checks ------------------------------------------------------------------
N=http://$NGINX_HTTP
T=https://$NGINX_TLS
H=http://$HTTPBIN
cat > "$run/urls.txt" <<URLS
$N/ok
$N/missing
$N/moved
$N/r3
$N/loop
$N/to-ftp
$N/private
http://user:secret@$NGINX_HTTP/private
http://user:wrong@$NGINX_HTTP/private?wrong
$N/big.txt
$T/ok
$H/status/418
$H/redirect/3
$H/relative-redirect/2
$H/delay/3
$H/gzip
$H/basic-auth/user/passwd
http://user:passwd@$HTTPBIN/basic-auth/user/passwd
URLS
log "checking $(wc -l < "$run/urls.txt") URLs against nginx and httpbin"
set +e
"$bin" -f jsonl -t 2s --cacert "$run/ca.pem" "$run/urls.txt" > "$run/plain.jsonl" 2> "$run/plain.err"
plain_code=$?
"$bin" -f jsonl "$T/ok" > "$run/untrusted.jsonl" 2>/dev/null
# A gzip body is decoded for body expectations: the text, not the gzip bytes.
"$bin" -f jsonl --compressed --expect-header 'Content-Encoding: ^gzip$' \
  --expect-body-regex '^a{1000}' "$N/big.txt" > "$run/gzip.jsonl" 2>/dev/null
gzip_code=$?
"$bin" -f jsonl --max-latency 500ms "$N/slow" > "$run/slow.jsonl" 2>/dev/null
"$bin" -f jsonl --min-cert-days 60 --cacert "$run/ca.pem" "$T/ok" > "$run/cert.jsonl" 2>/dev/null
cat > "$run/smoke.toml" <<TOML
[[check]]
url = "$N/health"
expect_body_regex = '"status":\s*"up"'
expect_header = { "Content-Type" = "^application/json" }

[[check]]
url = "$N/maintenance"
reject_body_regex = "maintenance"
expect_status = "503"

[[check]]
url = "$H/response-headers?X-Version=2.1"
expect_header = { "X-Version" = "^2\\\\." }
TOML
"$bin" -f jsonl -c "$run/smoke.toml" > "$run/config.jsonl" 2>/dev/null
set -e

python3 - "$run" "$plain_code" "$gzip_code" "$N" "$T" "$H" <<'PY'
import json, sys
run, plain_code, gzip_code, N, T, H = sys.argv[1:]
failures = []

def load(name):
    with open(f"{run}/{name}") as f:
        return {r["url"]: r for r in map(json.loads, f)}

def expect(records, url, **want):
    r = records.get(url)
    if r is None:
        failures.append(f"no record for {url}")
        return
    for key, value in want.items():
        got = r.get(key)
        ok = value(got) if callable(value) else got == value
        if not ok:
            failures.append(f"{url}: {key} = {got!r}, expected {value!r}")

plain = load("plain.jsonl")
if len(plain) != 18: failures.append(f"{len(plain)} records, expected 18")
if plain_code != "1": failures.append(f"exit {plain_code}, expected 1")
expect(plain, f"{N}/ok", ok=True, status=200, redirects=0)
expect(plain, f"{N}/missing", ok=False, status=404, error_kind="status")
expect(plain, f"{N}/moved", ok=True, status=200, redirects=1, final_url=f"{N}/ok")
expect(plain, f"{N}/r3", ok=True, redirects=3, final_url=f"{N}/ok")
expect(plain, f"{N}/loop", ok=False, error_kind="redirect")
expect(plain, f"{N}/to-ftp", ok=False, error_kind="redirect",
       error="redirect to unsupported scheme 'ftp:'")
expect(plain, f"{N}/private", ok=False, status=401)
expect(plain, f"http://user:***@{N[7:]}/private", ok=True, status=200)
expect(plain, f"http://user:***@{N[7:]}/private?wrong", ok=False, status=401)
expect(plain, f"{N}/big.txt", ok=True, status=200)
expect(plain, f"{T}/ok", ok=True, status=200, cert_days_left=lambda d: d in (29, 30))
expect(plain, f"{H}/status/418", ok=False, status=418, error_kind="status")
expect(plain, f"{H}/redirect/3", ok=True, redirects=3)
expect(plain, f"{H}/relative-redirect/2", ok=True, redirects=2)
expect(plain, f"{H}/delay/3", ok=False, error_kind="timeout", error="timed out after 2s")
expect(plain, f"{H}/gzip", ok=True, status=200)
expect(plain, f"{H}/basic-auth/user/passwd", ok=False, status=401)
expect(plain, f"http://user:***@{H[7:]}/basic-auth/user/passwd", ok=True, status=200)
with open(f"{run}/plain.jsonl") as f:
    text = f.read()
for secret in ("secret", "passwd@", "wrong@"):
    if secret in text: failures.append(f"{secret!r} appears in the output")

expect(load("untrusted.jsonl"), f"{T}/ok", ok=False, error_kind="tls",
       error=lambda e: "unknown authority" in e)
if gzip_code != "0": failures.append(f"gzip run exit {gzip_code}")
expect(load("gzip.jsonl"), f"{N}/big.txt", ok=True)
expect(load("slow.jsonl"), f"{N}/slow", ok=False, status=200, error_kind="slow")
expect(load("cert.jsonl"), f"{T}/ok", ok=False, error_kind="certificate")
config = load("config.jsonl")
expect(config, f"{N}/health", ok=True)
expect(config, f"{N}/maintenance", ok=False, status=503, error_kind="body")
expect(config, f"{H}/response-headers?X-Version=2.1", ok=True)

checked = 18 + 5 + 3
if failures:
    print("\n".join(f"e2e FAIL: {f}" for f in failures))
    print(f"{checked - len(failures)} passed, {len(failures)} failed")
    sys.exit(1)
print(f"e2e: every scenario behaved as expected ({checked} records)")
print(f"{checked} passed, 0 failed")
PY
