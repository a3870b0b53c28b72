# The benchmarks' nginx, sourced by run.sh, shards.sh and watch.sh: one
# worker process, keep-alive without a request limit, no access log, an
# instant 200 for any path, under its own prefix. An nginx left over from an
# interrupted run with the same prefix is stopped first; this one is stopped
# when the script exits.
#
#   start_nginx PREFIX "ADDR:PORT ..." [SERVER_LINES] [MAIN_LINES]
#
# SERVER_LINES go into the server block (more locations), MAIN_LINES at the
# top of the configuration (load_module).

start_nginx() {
  local prefix=$1 server=${3:-} main=${4:-} listen="" addr
  for addr in $2; do
    listen+="    listen $addr;"$'\n'
  done
  # Every check holds a socket: as many open files as we may.
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  mkdir -p "$prefix/logs" "$prefix/tmp"
  stop_nginx "$prefix"
  # shellcheck disable=SC2064  # the prefix is fixed now
  trap "stop_nginx '$prefix'" EXIT
  cat > "$prefix/nginx.conf" <<CONF
daemon on;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log;
$main
# One worker: the machine's other core(s) are left to the client being
# measured, so the client never competes with more than one server process.
worker_processes 1;
worker_rlimit_nofile $(ulimit -n);
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  default_type text/plain;
  client_body_temp_path $prefix/tmp;
  proxy_temp_path $prefix/tmp;
  fastcgi_temp_path $prefix/tmp;
  uwsgi_temp_path $prefix/tmp;
  scgi_temp_path $prefix/tmp;
  server {
$listen
    # An instant 200 for any path.
    location / { return 200 "ok\n"; }
$server
  }
}
CONF
  nginx -p "$prefix" -c "$prefix/nginx.conf"
}

# Stop the nginx of PREFIX, if one runs.
stop_nginx() {
  local pidfile=$1/nginx.pid
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null && sleep 1
    rm -f "$pidfile"
  fi
  return 0
}
