#!/usr/bin/env python3
"""The real-server suite's verdict: read the results.json that measure.py
wrote and check every scenario against what a correct URL checker says
there. Every load cell of a healthy server must give zero failures (curl is
the ground truth that the server is healthy); every single-URL scenario
must give the verdict, kind and message below. Prints one line per check
and 'N passed, M failed'; exits 1 on any failure.

Usage: python3 tests/e2e/lab/check.py OUT/results.json
"""

import json
import sys

# Load cells with a graceful reload of the server during the run: what they
# give depends on when each reload lands, so they are reported, not judged
# (Apache's graceful reload really cuts HTTP/2 streams: curl fails there too).
REPORTED_ONLY = {"apache-h2-reload", "nginx-h1-reload", "nginx-h2-reload"}


def ok(**extra):
    return dict(ok=True, **extra)


def fails(kind, *needles, exit_code=None):
    return dict(ok=False, kind=kind, needles=needles, exit_code=exit_code)


# What each single-URL scenario must give; a scenario not listed is only
# reported.
SINGLES = {
    "loc-utf8": ok(redirects=1),
    "loc-latin1": ok(redirects=1),
    "loc-utf8-query": ok(redirects=1),
    "loc-ascii": ok(redirects=1),
    "loc-idn": ok(redirects=1),
    "loc-idn-squid": ok(redirects=1),
    "gzip-cgi": ok(),
    "gzip-deflate": ok(),
    "gzip-nginx-ae": ok(),
    "caddy-encode": ok(),
    "caddy-encode-ae": ok(),
    "caddy-encode-zstd": ok(),
    "mtls-nocert": fails("tls", "requires a client certificate", "--cert"),
    "mtls-cert": ok(),
    "tls12": ok(),
    "tls13": ok(),
    "leaf-only": fails("tls"),
    # A port that speaks only HTTP/2 with prior knowledge: without the flag
    # neither urlcheck nor curl can talk to it; with it, both can.
    "h2c-nginx": fails("protocol"),
    "h2c-nginx-pk": ok(http_version="HTTP/2"),
    "h2c-apache": ok(),
    "h2c-apache-pk": ok(http_version="HTTP/2"),
    "h2c-lighttpd": ok(),
    "proxy-malformed": dict(usage_error=("HTTP_PROXY", "quotes")),
    "proxy-unreachable-http": fails("connect", "proxy 127.0.0.1:18999", "connection refused"),
    "proxy-unreachable-https": fails("connect", "proxy 127.0.0.1:18999", "connection refused"),
    "proxy-no-proxy": ok(),
    "squid-http": ok(via_proxy=True),
    "squid-http-localhost": ok(via_proxy=True),
    "squid-https": ok(via_proxy=True),
    # The proxy answers a plain http request itself: a 407 is its status.
    "squid-auth-none-http": fails("status", "407"),
    "squid-auth-none-https": fails("connect", "proxy 127.0.0.1:", "407"),
    "squid-connect-403": fails("connect", "proxy 127.0.0.1:", "refused the tunnel"),
    "squid-connect-503": fails("connect", "proxy 127.0.0.1:", "refused the tunnel"),
    "squid-auth-http": ok(via_proxy=True),
    "squid-auth-https": ok(via_proxy=True),
    "tinyproxy-http": ok(via_proxy=True),
    "tinyproxy-https": ok(via_proxy=True),
    "tinyproxy-auth-none-http": fails("status", "407"),
    "tinyproxy-auth-none-https": fails("connect", "proxy 127.0.0.1:", "407"),
    "tinyproxy-auth-http": ok(via_proxy=True),
    "tinyproxy-auth-https": ok(via_proxy=True),
}


def check_load(rows, results):
    for row in rows:
        if row["id"] in REPORTED_ONLY:
            for run in row["urlcheck"]:
                print(f"info load {row['id']} -w {row['workers']}: {run['failures']} failed "
                      f"of {row['urls']} (reported, not judged)")
            continue
        for i, run in enumerate(row["urlcheck"]):
            name = f"load {row['id']} -w {row['workers']} run {i + 1} ({row['urls']} URLs)"
            failures = run["failures"]
            good = failures == 0 and run["records"] == row["urls"]
            detail = "; ".join(f"{t['count']}x {t['kind']}: {t['message']}" for t in run["top"][:3])
            results.append((good, name, f"{run['failures']} failed, {run['records']} records {detail}"))


def check_single(single, want, results):
    name = f"single {single['id']}"
    if "skipped" in single:
        results.append((True, name, f"skipped: {single['skipped']}"))
        return
    u = single.get("urlcheck") or {}
    record = u.get("record")
    if "usage_error" in want:
        good = u.get("rc") == 2 and record is None and all(n in u.get("stderr", "") for n in want["usage_error"])
        results.append((good, name, f"exit {u.get('rc')}: {u.get('stderr', '')[:200]}"))
        return
    if record is None:
        results.append((False, name, f"no record, exit {u.get('rc')}: {u.get('stderr', '')[:200]}"))
        return
    shown = f"ok={record['ok']} {record['status']} {record['error_kind']}: {record['error']}"
    good = record["ok"] == want["ok"]
    if not want["ok"]:
        good = good and record["error_kind"] == want["kind"]
        good = good and all(n in (record["error"] or "") for n in want["needles"])
    if "redirects" in want:
        good = good and record["redirects"] == want["redirects"]
    if "http_version" in want:
        good = good and record.get("http_version") == want["http_version"]
        shown += f" {record.get('http_version')}"
    if want.get("via_proxy"):
        seen = u.get("proxy_log_delta")
        good = good and seen is not None and seen >= 1
        shown += f" [proxy saw {seen}]"
    results.append((good, name, shown))


def main():
    data = json.load(open(sys.argv[1]))
    results = []
    check_load(data.get("load", []), results)
    for single in data.get("singles", []):
        want = SINGLES.get(single["id"])
        if want is not None and "urlcheck" in single or (want and "skipped" in single):
            check_single(single, want, results)
    for good, name, detail in results:
        print(f"{'ok  ' if good else 'FAIL'} {name}: {detail}")
    passed = sum(1 for good, _, _ in results if good)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
