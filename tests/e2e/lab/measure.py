#!/usr/bin/env python3
"""Measure a urlcheck binary against the issue-9 lab, with curl as ground truth.

Run by measure.sh once the servers of servers.sh are up; python3 stdlib only.
Writes OUT/results.md (the tables), OUT/results.json (every number) and the
raw outputs (OUT/raw/: URL lists, urlcheck jsonl, curl -w lines, stderr).

Every request goes to 127.0.0.1 (or localhost, which /etc/hosts maps there).
The one IDN host (xn--bcher-kva.localhost) is only looked up inside a private
mount namespace whose /etc/hosts maps it to 127.0.0.1 (unshare -m), or by
squid, whose own hosts file maps it: no lookup leaves the machine.
"""

import argparse
import collections
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time

IP = "127.0.0.1"
PROXY_VARS = ["http_proxy", "https_proxy", "all_proxy", "no_proxy"]
TOP = 5  # error messages shown per cell (all are in results.json)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default="urlcheck")
    p.add_argument("--run", required=True, help="LAB_RUN of servers.sh")
    p.add_argument("--out", required=True)
    p.add_argument("--quick", action="store_true", help="small lists, to test the script")
    p.add_argument("--only", default="", help="comma-separated scenario ids to run")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite OUT/results.md from OUT/results.json, run nothing")
    p.add_argument("--repeat", type=int, default=1,
                   help="run each load cell N times (counts are shown per run)")
    return p.parse_args()


ARGS = parse_args()
BIN = os.path.abspath(ARGS.bin)
RUN = ARGS.run
OUT = ARGS.out
RAW = os.path.join(OUT, "raw")
CA = os.path.join(RUN, "certs", "ca.pem")
CLIENT_CERT = os.path.join(RUN, "certs", "client.pem")
CLIENT_KEY = os.path.join(RUN, "certs", "client.key")
ONLY = set(filter(None, ARGS.only.split(",")))
os.makedirs(RAW, exist_ok=True)


def clean_env(extra=None):
    """The environment without any proxy variable, plus EXTRA."""
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in PROXY_VARS}
    env.update(extra or {})
    return env


def q(cmd):
    return " ".join(shlex.quote(c) for c in cmd)


def short(cmd):
    """A command line for the report, with the run dir and binary abbreviated."""
    s = q(cmd).replace(RUN, "$LAB_RUN").replace(RAW, "$OUT/raw")
    return s.replace(BIN, "BIN")


def top(counter, n=TOP):
    return [{"kind": k, "message": m, "count": c} for (k, m), c in counter.most_common(n)]


def fmt_top(items):
    if not items:
        return ""
    return "; ".join(f"{i['count']}× {i['kind']}: {i['message']}" for i in items)


# --- urlcheck and curl runners -----------------------------------------------------

def run_urlcheck(list_path, workers, tag, extra=(), env=None, timeout=600):
    out = os.path.join(RAW, f"{tag}.urlcheck.jsonl")
    err = os.path.join(RAW, f"{tag}.urlcheck.stderr")
    cmd = [BIN, "-f", "jsonl", "-q", "-w", str(workers), "--cacert", CA, *extra, list_path]
    t0 = time.monotonic()
    with open(out, "wb") as fo, open(err, "wb") as fe:
        rc = subprocess.call(cmd, stdout=fo, stderr=fe, env=clean_env(env), timeout=timeout)
    wall = time.monotonic() - t0
    records = []
    with open(out, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if line:
                records.append(json.loads(line))
    fails = collections.Counter()
    for r in records:
        if not r["ok"]:
            fails[(r["error_kind"], r["error"])] += 1
    return {
        "cmd": short(cmd), "rc": rc, "wall_s": round(wall, 2), "records": len(records),
        "failures": sum(fails.values()), "top": top(fails, 50),
        "kinds": dict(collections.Counter(k for (k, _m) in fails.elements())),
    }


def norm_curl(msg):
    """curl names the stream and the time in its messages: fold them for counting."""
    msg = re.sub(r"stream \d+", "stream N", msg)
    return re.sub(r"after \d+ ms", "after N ms", msg)


CURL_W = "%{http_code} %{exitcode} %{errormsg}\\n"


def run_curl(urls, workers, tag, extra=(), timeout=600):
    cfg = os.path.join(RAW, f"{tag}.curl.cfg")
    with open(cfg, "w") as f:
        for u in urls:
            f.write(f'url = "{u}"\noutput = "/dev/null"\n')
    out = os.path.join(RAW, f"{tag}.curl.out")
    cmd = ["curl", "-Z", "--parallel-max", str(min(workers, 300)), "-s", "--max-time", "30",
           "--cacert", CA, *extra, "-w", CURL_W, "-K", cfg]
    t0 = time.monotonic()
    with open(out, "wb") as fo:
        rc = subprocess.call(cmd, stdout=fo, stderr=subprocess.DEVNULL,
                             env=clean_env(), timeout=timeout)
    wall = time.monotonic() - t0
    fails = collections.Counter()
    n = 0
    with open(out, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) < 2:
                continue
            n += 1
            code, exitcode = parts[0], parts[1]
            msg = parts[2] if len(parts) > 2 else ""
            if exitcode != "0":
                fails[(f"exit {exitcode}", norm_curl(msg))] += 1
            elif not code.startswith("2"):
                fails[("status", code)] += 1
    fails_n = sum(fails.values()) + max(0, len(urls) - n)  # a missing line is a failure
    return {"cmd": short(cmd).replace(cfg, f"$OUT/raw/{tag}.curl.cfg"), "rc": rc,
            "wall_s": round(wall, 2), "records": n, "failures": fails_n, "top": top(fails, 50)}


# --- load scenarios -------------------------------------------------------------------
# (id, server, what, base URL, N, workers, curl extra args)
def load_scenarios():
    S = []

    def add(sid, server, what, url, n, workers, curl_extra=(), reload=None, uc_extra=()):
        S.append(dict(id=sid, server=server, what=what, url=url, n=n, workers=workers,
                      curl_extra=list(curl_extra), reload=reload, uc_extra=list(uc_extra)))

    add("nginx-h1", "nginx", "HTTP/1.1 plain, /ok", f"http://{IP}:18500/ok", 20000, [16, 128])
    add("nginx-h1-ka5", "nginx", "HTTP/1.1 plain, keepalive_requests 5, /ok",
        f"http://{IP}:18507/ok", 2000, [16, 128])
    add("nginx-h2", "nginx", "TLS + HTTP/2, keepalive_requests 1000 (default), /ok",
        f"https://{IP}:18501/ok", 20000, [16, 128])
    add("nginx-h2-ka5", "nginx", "TLS + HTTP/2, keepalive_requests 5, /ok",
        f"https://{IP}:18502/ok", 2000, [1, 8, 16, 64, 128])
    add("nginx-h2-ka5-threads2", "nginx", "TLS + HTTP/2, keepalive_requests 5, /ok, --threads 2",
        f"https://{IP}:18502/ok", 2000, [16, 64], uc_extra=["--threads", "2"])
    add("nginx-h2c-ka5", "nginx", "h2c (prior knowledge), keepalive_requests 5, /ok",
        f"http://{IP}:18508/ok", 2000, [16, 64], curl_extra=["--http2-prior-knowledge"],
        uc_extra=["--http2-prior-knowledge"])
    add("nginx-h2-ka100", "nginx", "TLS + HTTP/2, keepalive_requests 100, /ok",
        f"https://{IP}:18503/ok", 20000, [16, 128])
    add("nginx-h2-streams4", "nginx", "TLS + HTTP/2, http2_max_concurrent_streams 4, /ok",
        f"https://{IP}:18504/ok", 2000, [1, 16, 64, 128])
    add("nginx-h2-big", "nginx", "TLS + HTTP/2, 2 MB body (over the 1 MiB cap)",
        f"https://{IP}:18501/big.bin", 1000, [1, 16, 64])
    add("nginx-h2-mid", "nginx", "TLS + HTTP/2, 1 MB body (under the cap)",
        f"https://{IP}:18501/mid.bin", 1000, [16])
    add("nginx-h1tls-big", "nginx", "TLS + HTTP/1.1 only, 2 MB body",
        f"https://{IP}:18506/big.bin", 1000, [1, 16, 64])
    add("apache-h1", "apache", "HTTP/1.1 plain (h2c offered), /ok", f"http://{IP}:18600/ok",
        5000, [16, 128])
    add("apache-h2", "apache", "TLS + HTTP/2, MaxKeepAliveRequests 100, /ok",
        f"https://{IP}:18601/ok", 5000, [16, 128])
    add("apache-h2-ka5", "apache", "TLS + HTTP/2, MaxKeepAliveRequests 5, KeepAliveTimeout 1, /ok",
        f"https://{IP}:18606/ok", 2000, [1, 16, 64])
    add("apache-h2-big", "apache", "TLS + HTTP/2, 2 MB body", f"https://{IP}:18601/big.bin",
        1000, [1, 16, 64])
    add("apache-h1-big", "apache", "HTTP/1.1 plain, 2 MB body", f"http://{IP}:18600/big.bin",
        1000, [16])
    add("apache-tls12", "apache", "TLS 1.2 only + HTTP/2, /ok", f"https://{IP}:18602/ok",
        2000, [16])
    add("apache-tls13", "apache", "TLS 1.3 only + HTTP/2, /ok", f"https://{IP}:18603/ok",
        2000, [16])
    add("lighttpd-h2", "lighttpd", "TLS + HTTP/2, /ok", f"https://{IP}:18700/ok", 5000, [16, 128])
    add("lighttpd-h2-mid", "lighttpd", "TLS + HTTP/2, 1 MB body", f"https://{IP}:18700/mid.bin",
        50, [8, 16, 32])
    add("lighttpd-h2-big", "lighttpd", "TLS + HTTP/2, 2 MB body", f"https://{IP}:18700/big.bin",
        50, [8, 16])
    add("lighttpd-h1-mid", "lighttpd", "HTTP/1.1 plain, 1 MB body", f"http://{IP}:18701/mid.bin",
        50, [16, 32])
    add("caddy-h2", "caddy", "TLS + HTTP/2, /ok", f"https://{IP}:18800/ok", 5000, [16, 128])
    add("caddy-h2-big", "caddy", "TLS + HTTP/2, 2 MB body", f"https://{IP}:18800/big.bin",
        1000, [1, 16, 64])
    add("caddy-h1-big", "caddy", "HTTP/1.1 plain, 2 MB body", f"http://{IP}:18801/big.bin",
        1000, [16])
    # A graceful reload is how servers close busy connections in real life
    # (logrotate, deploys): nginx -s reload / apachectl graceful, 3 times in the run.
    # Apache's mod_http2 here keeps one connection for 300+ requests whatever
    # MaxKeepAliveRequests says, so this is the way to get a GOAWAY from Apache.
    add("nginx-h1-reload", "nginx", "HTTP/1.1 plain, /ok, 3 × nginx -s reload during the run",
        f"http://{IP}:18500/ok", 20000, [64], reload="nginx")
    add("nginx-h2-reload", "nginx", "TLS + HTTP/2 (default keepalive), /ok, "
        "3 × nginx -s reload during the run", f"https://{IP}:18501/ok", 20000, [64],
        reload="nginx")
    add("apache-h2-reload", "apache", "TLS + HTTP/2, /ok, 3 × apache2 -k graceful during the run",
        f"https://{IP}:18601/ok", 20000, [64], reload="apache")
    return S


RELOAD = {
    "nginx": lambda: ["nginx", "-p", os.path.join(RUN, "nginx"), "-c",
                      os.path.join(RUN, "nginx", "nginx.conf"), "-s", "reload"],
    "apache": lambda: ["apache2", "-f", os.path.join(RUN, "apache", "httpd.conf"),
                       "-k", "graceful"],
}
RELOAD_PROBE = {"nginx": f"http://{IP}:18500/ok", "apache": f"http://{IP}:18600/ok"}


def reloader(server, times=3, first=0.2, every=0.3):
    """Start a thread that reloads SERVER TIMES times; returns the thread."""
    def go():
        time.sleep(first)
        for _ in range(times):
            subprocess.call(RELOAD[server](), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
            time.sleep(every)
    t = threading.Thread(target=go)
    t.start()
    return t


def settle(server):
    """After reloads: wait (bounded) until the server answers again and old workers drain."""
    for _ in range(50):
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                            "--max-time", "1", RELOAD_PROBE[server]], capture_output=True)
        if r.stdout == b"200":
            break
        time.sleep(0.1)
    time.sleep(1.5)


def run_load():
    rows = []
    for s in load_scenarios():
        if ONLY and s["id"] not in ONLY:
            continue
        n = min(s["n"], 200) if ARGS.quick else s["n"]
        sep = "&" if "?" in s["url"] else "?"
        urls = [f"{s['url']}{sep}i={i}" for i in range(n)]
        list_path = os.path.join(RAW, f"{s['id']}.txt")
        with open(list_path, "w") as f:
            f.write("\n".join(urls) + "\n")
        for w in s["workers"]:
            uruns, cruns = [], []
            for rep in range(ARGS.repeat):
                tag = f"{s['id']}.w{w}" + (f".r{rep + 1}" if ARGS.repeat > 1 else "")
                t = reloader(s["reload"]) if s["reload"] else None
                u = run_urlcheck(list_path, w, tag, extra=s["uc_extra"])
                if t:
                    t.join()
                    settle(s["reload"])
                    t = reloader(s["reload"])
                c = run_curl(urls, w, tag, s["curl_extra"])
                if t:
                    t.join()
                    settle(s["reload"])
                uruns.append(u)
                cruns.append(c)
                print(f"[load] {tag}: urlcheck {u['failures']}/{n} failed in {u['wall_s']} s"
                      f" ({fmt_top(u['top'][:1])}); curl {c['failures']} failed in"
                      f" {c['wall_s']} s ({fmt_top(c['top'][:1])})", flush=True)
            rows.append(dict(id=s["id"], server=s["server"], what=s["what"], urls=n,
                             workers=w, urlcheck=uruns, curl=cruns))
    return rows


# --- single-URL scenarios ----------------------------------------------------------------

def can_unshare():
    try:
        return subprocess.call(["unshare", "-m", "true"], stderr=subprocess.DEVNULL) == 0
    except OSError:
        return False


HOSTS = os.path.join(RAW, "hosts.idn")
with open(HOSTS, "w") as f:
    f.write("127.0.0.1 localhost xn--bcher-kva.localhost\n")


def in_private_hosts(cmd):
    """Run CMD in a mount namespace whose /etc/hosts maps the IDN name to 127.0.0.1."""
    return ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"',
            HOSTS, *cmd]


def proxy_log_count(kind):
    """Requests a proxy has logged so far (squid: access.log lines; tinyproxy: requests)."""
    if kind == "squid":
        path, needle = os.path.join(RUN, "squid", "logs", "access.log"), None
    else:
        path, needle = os.path.join(RUN, "tinyproxy", f"{kind}.log"), "Request (file descriptor"
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return sum(1 for line in f if needle is None or needle in line)
    except FileNotFoundError:
        return 0


def single(sid, group, what, url, uc_args=(), curl_args=(), env=None, expect_body=None,
           proxy=None, private_hosts=False, curl_only=False, note=""):
    """One URL through urlcheck and through curl (same env), plus proxy log deltas."""
    tag = f"single.{sid}"
    res = dict(id=sid, group=group, what=what, url=url, note=note, env=env or {})
    wrap = in_private_hosts if private_hosts else (lambda c: c)
    if private_hosts and not can_unshare():
        res["skipped"] = "unshare -m is not available: the IDN host cannot be mapped to loopback"
        return res
    before = proxy_log_count(proxy) if proxy else None
    if not curl_only:
        cmd = wrap([BIN, "-f", "jsonl", "-q", "--cacert", CA, *uc_args, url])
        p = subprocess.run(cmd, capture_output=True, env=clean_env(env), timeout=60)
        rec = None
        for line in p.stdout.decode("utf-8", "replace").splitlines():
            if line.strip():
                rec = json.loads(line)
        res["urlcheck"] = dict(cmd=short(cmd), rc=p.returncode, record=rec,
                               stderr=p.stderr.decode("utf-8", "replace").strip()[:500])
        if proxy:
            time.sleep(0.3)
            res["urlcheck"]["proxy_log_delta"] = proxy_log_count(proxy) - before
            before = proxy_log_count(proxy)
    body = os.path.join(RAW, f"{tag}.curl.body")
    cmd = wrap(["curl", "-s", "-L", "--max-redirs", "10", "--max-time", "10", "--cacert", CA,
                *curl_args, "-o", body, "-w",
                "%{http_code} %{http_connect} %{exitcode} %{num_redirects} %{url_effective} "
                "%{errormsg}", url])
    p = subprocess.run(cmd, capture_output=True, env=clean_env(env), timeout=60)
    parts = p.stdout.decode("utf-8", "replace").split(" ", 5)
    parts += [""] * (6 - len(parts))
    c = dict(cmd=short(cmd), rc=p.returncode, http_code=parts[0], http_connect=parts[1],
             exitcode=parts[2], redirects=parts[3], url_effective=parts[4], errormsg=parts[5])
    if expect_body is not None:
        data = open(body, "rb").read() if os.path.exists(body) else b""
        c["body_contains"] = expect_body.encode() in data
        c["body_first_bytes"] = data[:4].hex()
    if proxy:
        time.sleep(0.3)
        c["proxy_log_delta"] = proxy_log_count(proxy) - before
    res["curl"] = c
    print(f"[single] {sid}: urlcheck "
          f"{verdict_uc(res.get('urlcheck'))} | curl {verdict_curl(c)}", flush=True)
    return res


def verdict_uc(u):
    if not u:
        return "(not run)"
    r = u.get("record")
    if r is None:
        return f"no record (exit {u['rc']}): {u['stderr'][:200]}"
    if r["ok"]:
        s = f"ok {r['status']}"
    else:
        s = f"FAIL {r['status'] if r['status'] is not None else '---'} {r['error_kind']}: {r['error']}"
    if r.get("redirects"):
        s += f" ({r['redirects']} redirects -> {r['final_url']})"
    if "proxy_log_delta" in u:
        s += f" [proxy saw {u['proxy_log_delta']}]"
    return s


def verdict_curl(c):
    s = f"exit {c['exitcode']}, status {c['http_code']}"
    if c["http_connect"] not in ("000", ""):
        s += f", CONNECT {c['http_connect']}"
    if c["redirects"] not in ("0", ""):
        s += f", {c['redirects']} redirects -> {c['url_effective']}"
    if c["errormsg"]:
        s += f": {c['errormsg']}"
    if "body_contains" in c:
        s += f", body has text: {c['body_contains']} (starts {c['body_first_bytes']})"
    if "proxy_log_delta" in c:
        s += f" [proxy saw {c['proxy_log_delta']}]"
    return s


def client_cert_args():
    """urlcheck's client-certificate flags, if this binary has any (today's has none)."""
    try:
        help_text = subprocess.run([BIN, "--help"], capture_output=True, timeout=20).stdout.decode()
    except Exception:  # noqa: BLE001
        return None
    if "--cert" not in help_text:
        return None
    if "--key" in help_text:
        return ["--cert", CLIENT_CERT, "--key", CLIENT_KEY]
    return ["--cert", os.path.join(RUN, "certs", "client-bundle.pem")]


def run_singles():
    R = []
    A = f"http://{IP}:18600"
    cert = ["--cert", CLIENT_CERT, "--key", CLIENT_KEY]

    def add(*a, **k):
        if ONLY and a[0] not in ONLY and "singles" not in ONLY:
            return
        R.append(single(*a, **k))

    # Non-ASCII Location headers (Apache CGI writes the raw bytes).
    add("loc-utf8", "redirect", "Location: /dest/bücher as raw UTF-8 bytes",
        f"{A}/cgi-bin/loc?utf8")
    add("loc-latin1", "redirect", "Location: /dest/b\\xfccher (raw Latin-1 byte)",
        f"{A}/cgi-bin/loc?latin1")
    add("loc-utf8-query", "redirect", "Location: /ok?q=ü as raw UTF-8 bytes",
        f"{A}/cgi-bin/loc?utf8-query")
    add("loc-ascii", "redirect", "control: Location: /dest/b%C3%BCcher (percent-encoded)",
        f"{A}/cgi-bin/loc?ascii")
    add("loc-idn", "redirect",
        "Location: http://bücher.localhost:18600/ok (raw UTF-8 IDN host), hosts mapped in a "
        "private mount namespace", f"{A}/cgi-bin/loc?idn", private_hosts=True)
    add("loc-idn-squid", "redirect",
        "the same IDN redirect through squid (HTTP_PROXY; squid's hosts file maps the name)",
        f"{A}/cgi-bin/loc?idn",
        env={"HTTP_PROXY": f"http://{IP}:18900", "http_proxy": f"http://{IP}:18900"},
        proxy="squid")
    # Bodies that are always gzip.
    add("gzip-cgi", "gzip", "Apache CGI: always Content-Encoding: gzip, --expect-body",
        f"{A}/cgi-bin/gz", uc_args=["--expect-body", "hello lab world"],
        expect_body="hello lab world", note="curl without --compressed")
    add("gzip-cgi-curl-compressed", "gzip", "the same, curl --compressed",
        f"{A}/cgi-bin/gz", curl_args=["--compressed"], expect_body="hello lab world",
        curl_only=True)
    add("gzip-deflate", "gzip", "Apache mod_deflate with force-gzip, --expect-body",
        f"{A}/gz/hello.txt", uc_args=["--expect-body", "hello lab world"],
        expect_body="hello lab world", note="curl without --compressed")
    add("gzip-deflate-curl-compressed", "gzip", "the same, curl --compressed",
        f"{A}/gz/hello.txt", curl_args=["--compressed"], expect_body="hello lab world",
        curl_only=True)
    add("gzip-nginx-ae", "gzip",
        "nginx gzip on, -H 'Accept-Encoding: gzip' (curl: --compressed), --expect-body",
        f"http://{IP}:18500/hello.txt",
        uc_args=["-H", "Accept-Encoding: gzip", "--expect-body", "hello lab world"],
        curl_args=["--compressed"], expect_body="hello lab world")
    add("caddy-encode", "gzip", "Caddy encode zstd gzip, no Accept-Encoding, --expect-body",
        f"https://{IP}:18800/hello.txt", uc_args=["--expect-body", "hello lab world"],
        expect_body="hello lab world")
    add("caddy-encode-ae", "gzip",
        "Caddy encode zstd gzip, -H 'Accept-Encoding: gzip' (curl: --compressed), "
        "--expect-body", f"https://{IP}:18800/hello.txt",
        uc_args=["-H", "Accept-Encoding: gzip", "--expect-body", "hello lab world"],
        curl_args=["--compressed"], expect_body="hello lab world")
    # zstd keeps the first "hello lab world\n" of this repetitive body as literal
    # bytes, so a substring check on the compressed body can pass by accident.
    add("caddy-encode-zstd", "gzip",
        "Caddy encode zstd gzip, -H 'Accept-Encoding: zstd' (curl: the same header, no "
        "decoding), --expect-body", f"https://{IP}:18800/hello.txt",
        uc_args=["-H", "Accept-Encoding: zstd", "--expect-body", "hello lab world"],
        curl_args=["-H", "Accept-Encoding: zstd"], expect_body="hello lab world")
    # TLS.
    add("mtls-nocert", "tls", "Apache SSLVerifyClient require, no client certificate",
        f"https://{IP}:18605/ok")
    uc_cert = client_cert_args()
    add("mtls-cert", "tls", "the same with the client certificate: curl --cert/--key; urlcheck "
        + (q(uc_cert) if uc_cert else "not run (its --help has no --cert)"),
        f"https://{IP}:18605/ok", curl_args=cert, uc_args=uc_cert or (),
        curl_only=not uc_cert)
    add("tls12", "tls", "Apache TLS 1.2 only", f"https://{IP}:18602/ok")
    add("tls13", "tls", "Apache TLS 1.3 only", f"https://{IP}:18603/ok")
    add("leaf-only", "tls", "Apache serving the leaf without its intermediate",
        f"https://{IP}:18604/ok")
    # h2c.
    add("h2c-nginx", "h2c", "nginx listen ... http2 without TLS (prior knowledge only)",
        f"http://{IP}:18505/ok")
    add("h2c-nginx-pk", "h2c", "the same, --http2-prior-knowledge (both)",
        f"http://{IP}:18505/ok", uc_args=["--http2-prior-knowledge"],
        curl_args=["--http2-prior-knowledge"])
    add("h2c-apache", "h2c", "Apache Protocols h2c http/1.1, H2Direct on",
        f"http://{IP}:18600/ok")
    add("h2c-apache-pk", "h2c", "the same, --http2-prior-knowledge (both)",
        f"http://{IP}:18600/ok", uc_args=["--http2-prior-knowledge"],
        curl_args=["--http2-prior-knowledge"])
    add("h2c-lighttpd", "h2c", "lighttpd server.h2c enabled, plain port",
        f"http://{IP}:18701/ok")
    # Proxies. Both spellings of each variable: curl ignores upper-case HTTP_PROXY.
    def penv(http=None, https=None, no=None):
        e = {}
        if http is not None:
            e.update(HTTP_PROXY=http, http_proxy=http)
        if https is not None:
            e.update(HTTPS_PROXY=https, https_proxy=https)
        if no is not None:
            e.update(NO_PROXY=no, no_proxy=no)
        return e
    sq, sqa = f"http://{IP}:18900", f"http://{IP}:18901"
    sqa_ok = f"http://user:secret@{IP}:18901"
    tp, tpa, tpa_ok = f"http://{IP}:18910", f"http://{IP}:18911", f"http://user:secret@{IP}:18911"
    H, T = f"http://{IP}:18500/ok", f"https://{IP}:18501/ok"
    add("proxy-malformed", "proxy", 'HTTP_PROXY=\'"http://127.0.0.1:18900"\' (literal quotes)',
        f"{H}?p=malformed", env=penv(http=f'"{sq}"'), proxy="squid")
    add("proxy-unreachable-http", "proxy", "HTTP_PROXY=http://127.0.0.1:18999 (nothing listens)",
        f"{H}?p=unreachable", env=penv(http=f"http://{IP}:18999"))
    add("proxy-unreachable-https", "proxy", "HTTPS_PROXY=http://127.0.0.1:18999 (nothing listens)",
        f"{T}?p=unreachable", env=penv(https=f"http://{IP}:18999"))
    add("proxy-no-proxy", "proxy", "HTTP_PROXY unreachable, NO_PROXY=127.0.0.1",
        f"{H}?p=noproxy", env=penv(http=f"http://{IP}:18999", no=IP))
    add("squid-http", "proxy", "squid, no auth, http URL", f"{H}?p=squid",
        env=penv(http=sq), proxy="squid")
    add("squid-http-localhost", "proxy", "squid, no auth, http://localhost URL",
        f"http://localhost:18500/ok?p=squid-localhost", env=penv(http=sq), proxy="squid")
    add("squid-https", "proxy", "squid, no auth, https URL (CONNECT)", f"{T}?p=squid",
        env=penv(https=sq), proxy="squid")
    add("squid-auth-none-http", "proxy", "squid with auth, no credentials, http URL (407)",
        f"{H}?p=squid-407", env=penv(http=sqa), proxy="squid")
    add("squid-auth-none-https", "proxy",
        "squid with auth, no credentials, https URL (CONNECT refused: 407)",
        f"{T}?p=squid-407", env=penv(https=sqa), proxy="squid")
    add("squid-connect-403", "proxy",
        "squid, CONNECT to a port its ACL forbids (127.0.0.1:18990: 403)",
        f"https://{IP}:18990/ok", env=penv(https=sq), proxy="squid")
    add("squid-connect-503", "proxy",
        "squid, CONNECT to a closed port (127.0.0.1:18998: squid answers 503)",
        f"https://{IP}:18998/ok", env=penv(https=sq), proxy="squid")
    add("squid-auth-http", "proxy", "squid with auth, user:secret@ in HTTP_PROXY, http URL",
        f"{H}?p=squid-auth", env=penv(http=sqa_ok), proxy="squid")
    add("squid-auth-https", "proxy", "squid with auth, user:secret@ in HTTPS_PROXY, https URL",
        f"{T}?p=squid-auth", env=penv(https=sqa_ok), proxy="squid")
    add("tinyproxy-http", "proxy", "tinyproxy, no auth, http URL", f"{H}?p=tiny",
        env=penv(http=tp), proxy="open")
    add("tinyproxy-https", "proxy", "tinyproxy, no auth, https URL (CONNECT)", f"{T}?p=tiny",
        env=penv(https=tp), proxy="open")
    add("tinyproxy-auth-none-http", "proxy", "tinyproxy BasicAuth, no credentials, http URL",
        f"{H}?p=tiny-407", env=penv(http=tpa), proxy="auth")
    add("tinyproxy-auth-none-https", "proxy",
        "tinyproxy BasicAuth, no credentials, https URL (CONNECT)",
        f"{T}?p=tiny-407", env=penv(https=tpa), proxy="auth")
    add("tinyproxy-auth-http", "proxy", "tinyproxy BasicAuth, user:secret@, http URL",
        f"{H}?p=tiny-auth", env=penv(http=tpa_ok), proxy="auth")
    add("tinyproxy-auth-https", "proxy", "tinyproxy BasicAuth, user:secret@, https URL",
        f"{T}?p=tiny-auth", env=penv(https=tpa_ok), proxy="auth")
    return R


# --- report ---------------------------------------------------------------------------------

def md_escape(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def per_run(runs):
    return " / ".join(f"{r['failures']:,}" for r in runs)


def walls(runs):
    return " / ".join(f"{r['wall_s']:.2f} s" for r in runs)


def merged_top(runs, n=TOP):
    c = collections.Counter()
    for r in runs:
        for t in r["top"]:
            msg = norm_curl(t["message"]) if t["kind"].startswith("exit ") else t["message"]
            c[(t["kind"], msg)] += t["count"]
    return top(c, n)


def write_report(load_rows, singles, versions, total_s):
    lines = [f"# urlcheck lab results: {BIN}", "",
             f"Run of `measure.sh` in {total_s:.0f} s. Versions: "
             + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".", ""]
    runs = "one run" if ARGS.repeat == 1 else f"{ARGS.repeat} runs, counts and walls per run"
    lines += [f"## Load scenarios (unique URLs; {runs})", "",
              "urlcheck: `BIN -f jsonl -q -w W --cacert $LAB_RUN/certs/ca.pem LIST`; "
              "curl: `curl -Z --parallel-max W -s --max-time 30 --cacert ... "
              "-w '%{http_code} %{exitcode} %{errormsg}\\n' -K LIST.cfg` "
              "(a failure is a non-zero exit code or a non-2xx status).", ""]
    order = list(dict.fromkeys(r["server"] for r in load_rows))
    load_rows = sorted(load_rows, key=lambda r: order.index(r["server"]))  # stable
    server = None
    for r in load_rows:
        if r["server"] != server:
            server = r["server"]
            lines += ["", f"### {server}", "",
                      "| scenario | URLs | W | urlcheck failed | urlcheck errors (all runs) "
                      "| urlcheck wall | curl failed | curl errors (all runs) | curl wall |",
                      "|---|---:|---:|---:|---|---:|---:|---|---:|"]
        u, c = r["urlcheck"], r["curl"]
        lines.append(
            f"| {md_escape(r['what'])} | {r['urls']:,} | {r['workers']} | {per_run(u)} "
            f"| {md_escape(fmt_top(merged_top(u)))} | {walls(u)} | {per_run(c)} "
            f"| {md_escape(fmt_top(merged_top(c)))} | {walls(c)} |")
    lines += ["", "## Single-URL scenarios", "",
              "urlcheck: `BIN -f jsonl -q --cacert ca.pem [ARGS] URL`; "
              "curl: `curl -s -L --max-redirs 10 --max-time 10 --cacert ca.pem [ARGS] URL`, "
              "both in the same environment. `proxy saw N`: requests the proxy logged "
              "during that command.", "",
              "| id | scenario | urlcheck | curl |", "|---|---|---|---|"]
    for s in singles:
        if "skipped" in s:
            lines.append(f"| {s['id']} | {md_escape(s['what'])} | skipped: {s['skipped']} | |")
            continue
        lines.append(f"| {s['id']} | {md_escape(s['what'])} "
                     f"| {md_escape(verdict_uc(s.get('urlcheck')))} "
                     f"| {md_escape(verdict_curl(s['curl']))} |")
    lines += ["", "## Commands", ""]
    for r in load_rows:
        lines.append(f"- `{r['id']}` W={r['workers']}: `{r['urlcheck'][0]['cmd']}`; "
                     f"`{r['curl'][0]['cmd']}`")
    for s in singles:
        if "skipped" in s:
            continue
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in s["env"].items())
        for part in ("urlcheck", "curl"):
            if part in s:
                lines.append(f"- `{s['id']}` {part}: `{(env + ' ') if env else ''}"
                             f"{s[part]['cmd']}`")
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def versions():
    def first(cmd):
        try:
            out = subprocess.run(cmd, capture_output=True, timeout=20)
            return (out.stdout or out.stderr).decode().strip().splitlines()[0]
        except Exception as e:  # noqa: BLE001 - a version is only informative
            return f"? ({e})"
    caddy = os.path.join(os.environ.get("LAB_VENV", ""), "bin", "caddy")
    return {
        "urlcheck": first([BIN, "--version"]),
        "curl": first(["curl", "--version"]).split(" (")[0],
        "nginx": first(["nginx", "-v"]),
        "apache": first(["apache2", "-v"]),
        "lighttpd": first(["lighttpd", "-v"]),
        "caddy": first([caddy, "version"]).split(" ")[0],
        "squid": first(["squid", "-v"]),
        "tinyproxy": first(["tinyproxy", "-v"]),
    }


def main():
    if ARGS.report_only:
        with open(os.path.join(OUT, "results.json")) as f:
            data = json.load(f)
        global BIN  # noqa: PLW0603 - the report names the binary that was measured
        BIN = data["binary"]
        ARGS.repeat = max(len(r["urlcheck"]) for r in data["load"]) if data["load"] else 1
        write_report(data["load"], data["singles"], data["versions"], data["total_s"])
        print(f"rewrote {OUT}/results.md", flush=True)
        return
    t0 = time.monotonic()
    v = versions()
    print("versions: " + json.dumps(v), flush=True)
    load_rows = run_load()
    singles = run_singles()
    total = time.monotonic() - t0
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(dict(binary=BIN, versions=v, total_s=round(total, 1), load=load_rows,
                       singles=singles), f, indent=1)
    write_report(load_rows, singles, v, total)
    print(f"wrote {OUT}/results.md and results.json in {total:.0f} s", flush=True)


if __name__ == "__main__":
    main()
