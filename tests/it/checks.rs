//! What a check reports: statuses, redirects, failure kinds, headers, and the
//! exact record fields, against servers started here on 127.0.0.1:0.

use std::time::{Duration, Instant};

use crate::support::{TestServer, refused_url, run};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A record without its timing, which is the one field a test cannot fix.
fn fields(mut record: serde_json::Value) -> serde_json::Value {
    assert!(
        record["elapsed_ms"].as_u64().is_some(),
        "elapsed_ms is a number"
    );
    let fields = record.as_object_mut().unwrap();
    fields.remove("elapsed_ms");
    for phase in ["dns_ms", "connect_ms", "tls_ms", "ttfb_ms", "transfer_ms"] {
        let took = fields.remove(phase).unwrap();
        assert!(took.is_null() || took.as_f64().is_some(), "{phase}: {took}");
    }
    record
}

#[test]
fn a_mix_of_outcomes_gives_exact_records_and_exit_1() {
    let server = TestServer::http();
    let (ok, missing, error, moved, refused) = (
        server.url("/ok"),
        server.url("/status/404"),
        server.url("/status/500"),
        server.url("/redirect/2"),
        refused_url(),
    );
    let out = run(
        &["-f", "jsonl", "-q", &ok, &missing, &error, &moved, &refused],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.records().len(), 5);
    assert_eq!(out.stderr, "");
    assert_eq!(
        fields(out.record(&ok)),
        json!({"url": ok, "ok": true, "status": 200, "error_kind": null, "error": null,
               "final_url": ok, "redirects": 0, "source": "arg", "line": null, "attempts": 1, "cert_not_after": null,
               "cert_days_left": null, "up_after_ms": null, "http_version": "HTTP/1.1",
               "remote_addr": server.addr.to_string(), "tls_version": null, "known": null, "shard": null,
               "column": null, "occurrences": 1})
    );
    assert_eq!(
        fields(out.record(&missing)),
        json!({"url": missing, "ok": false, "status": 404, "error_kind": "status",
               "error": "status 404, expected 200-299", "final_url": missing, "redirects": 0,
               "source": "arg", "line": null, "attempts": 1, "cert_not_after": null,
               "cert_days_left": null, "up_after_ms": null, "http_version": "HTTP/1.1",
               "remote_addr": server.addr.to_string(), "tls_version": null, "known": null, "shard": null,
               "column": null, "occurrences": 1})
    );
    assert_eq!(out.record(&error)["error"], "status 500, expected 200-299");
    assert_eq!(
        fields(out.record(&moved)),
        json!({"url": moved, "ok": true, "status": 200, "error_kind": null, "error": null,
               "final_url": server.url("/redirect/0"), "redirects": 2, "source": "arg",
               "line": null, "attempts": 1, "cert_not_after": null, "cert_days_left": null,
               "up_after_ms": null, "http_version": "HTTP/1.1", "remote_addr": server.addr.to_string(), "tls_version": null, "known": null, "shard": null,
               "column": null, "occurrences": 1})
    );
    assert_eq!(
        fields(out.record(&refused)),
        json!({"url": refused, "ok": false, "status": null, "error_kind": "connect",
               "error": "connection refused", "final_url": refused, "redirects": 0,
               "source": "arg", "line": null, "attempts": 1, "cert_not_after": null,
               "cert_days_left": null, "up_after_ms": null, "http_version": null,
               "remote_addr": null, "tls_version": null, "known": null, "shard": null,
               "column": null, "occurrences": 1})
    );
}

#[test]
fn all_passing_exits_0() {
    let server = TestServer::http();
    let out = run(&[&server.url("/ok"), &server.url("/redirect/1")], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(out.stderr.contains("2 ok, 0 failed"), "{}", out.stderr);
}

#[test]
fn redirect_failures() {
    let server = TestServer::http();
    let (looping, long, ftp, file) = (
        server.url("/loop"),
        server.url("/redirect/5"),
        server.url("/to?ftp://127.0.0.1/x"),
        server.url("/to?file:///etc/passwd"),
    );
    let relative = server.url("/to?../redirect/0");
    let out = run(
        &[
            "-f",
            "jsonl",
            "--max-redirects",
            "3",
            &looping,
            &long,
            &ftp,
            &file,
            &relative,
        ],
        None,
    );
    assert_eq!(out.code, Some(1));
    let looped = out.record(&looping);
    assert_eq!(looped["error_kind"], "redirect");
    assert_eq!(
        looped["error"],
        format!("redirect loop: {} was already visited", server.url("/loop"))
    );
    let too_many = out.record(&long);
    assert_eq!(too_many["error_kind"], "redirect");
    assert_eq!(too_many["error"], "more than 3 redirects");
    assert_eq!(too_many["redirects"], 3);
    assert_eq!(
        out.record(&ftp)["error"],
        "redirect to unsupported scheme 'ftp:'"
    );
    assert_eq!(
        out.record(&file)["error"],
        "redirect to unsupported scheme 'file:'"
    );
    let relative = out.record(&relative);
    assert_eq!(relative["ok"], true, "a relative redirect works");
    assert_eq!(relative["final_url"], server.url("/redirect/0"));
}

#[test]
fn max_redirects_0_reports_the_redirect_itself() {
    let server = TestServer::http();
    let url = server.url("/redirect/1");
    let out = run(&["-f", "jsonl", "--max-redirects", "0", &url], None);
    assert_eq!(out.code, Some(1));
    let record = out.record(&url);
    assert_eq!(record["status"], 302);
    assert_eq!(record["error"], "status 302, expected 200-299");
    let out = run(
        &[
            "-f",
            "jsonl",
            "--max-redirects",
            "0",
            "--expect-status",
            "200-299,302",
            &url,
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(server.counters.requests(), 2, "no hop was followed");
}

#[test]
fn expect_status_accepts_lists() {
    let server = TestServer::http();
    let out = run(
        &[
            "-f",
            "jsonl",
            "--expect-status",
            "200,404",
            &server.url("/status/404"),
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    // Classes, as people write them.
    let out = run(&["--expect-status", "2xx,3xx", &server.url("/ok")], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    let out = run(&["--expect-status", "6xx", &server.url("/ok")], None);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("'6xx' is not a status code"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_hanging_server_hits_the_timeout_and_the_run_still_ends() {
    let silent = TestServer::raw(|mut socket| async move {
        let mut buf = [0u8; 1024];
        let _ = socket.read(&mut buf).await;
        tokio::time::sleep(Duration::from_secs(3600)).await;
    });
    let fast = TestServer::http();
    let hang = silent.url("/");
    let started = Instant::now();
    let out = run(&["-f", "jsonl", "-t", "1s", &hang, &fast.url("/ok")], None);
    assert_eq!(out.code, Some(1));
    let record = out.record(&hang);
    assert_eq!(record["error_kind"], "timeout");
    assert_eq!(record["error"], "timed out after 1s");
    assert!(record["elapsed_ms"].as_u64().unwrap() >= 1000);
    assert_eq!(out.record(&fast.url("/ok"))["ok"], true);
    // Generous: the point is that it ends, not how fast.
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_body_cut_short_and_a_non_http_answer_are_classified() {
    let short = TestServer::raw(|mut socket| async move {
        let mut buf = [0u8; 1024];
        let _ = socket.read(&mut buf).await;
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a little")
            .await;
    });
    let garbage = TestServer::raw(|mut socket| async move {
        let mut buf = [0u8; 1024];
        let _ = socket.read(&mut buf).await;
        let _ = socket.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
    });
    let out = run(&["-f", "jsonl", &short.url("/"), &garbage.url("/")], None);
    assert_eq!(out.code, Some(1));
    let body = out.record(&short.url("/"));
    assert_eq!(body["error_kind"], "body");
    assert_eq!(body["status"], 200);
    let protocol = out.record(&garbage.url("/"));
    assert_eq!(protocol["error_kind"], "protocol");
    assert!(
        protocol["error"]
            .as_str()
            .unwrap()
            .starts_with("not a valid HTTP response"),
        "{protocol}"
    );
}

#[test]
fn https_to_a_plain_http_port_is_a_tls_failure() {
    let server = TestServer::http();
    let url = format!("https://{}/ok", server.addr);
    let out = run(&["-f", "jsonl", &url], None);
    let record = out.record(&url);
    assert_eq!(record["error_kind"], "tls");
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .contains("did not answer with TLS")
    );
}

#[test]
fn headers_method_and_user_agent_are_sent() {
    let server = TestServer::http();
    let out = run(
        &[
            "-X",
            "head",
            "-H",
            "X-Token: abc",
            "-H",
            "Accept: text/plain",
            &server.url("/ok"),
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let seen = server.counters.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "HEAD");
    assert_eq!(seen[0].headers["x-token"], "abc");
    assert_eq!(seen[0].headers["accept"], "text/plain");
    assert_eq!(
        seen[0].headers["user-agent"],
        concat!("urlcheck/", env!("CARGO_PKG_VERSION"))
    );
    run(&["-A", "probe/1", &server.url("/ok")], None);
    assert_eq!(server.counters.seen()[1].headers["user-agent"], "probe/1");
    assert_eq!(server.counters.seen()[1].method, "GET");
}

#[test]
fn extra_headers_stay_on_their_origin_across_redirects() {
    let first = TestServer::http();
    let second = TestServer::http_on("127.0.0.2");
    let target = second.url("/ok");
    let url = first.url(&format!("/to?{target}"));
    let out = run(&["-H", "Authorization: Bearer s3cret", &url], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        first.counters.seen()[0].headers["authorization"],
        "Bearer s3cret"
    );
    let at_second = &second.counters.seen()[0];
    assert!(
        !at_second.headers.contains_key("authorization"),
        "the header followed the redirect to another host"
    );
}

#[test]
fn passwords_never_appear_in_any_output() {
    let server = TestServer::http();
    let url = format!("http://alice:hunter2@{}/status/500", server.addr);
    let (_dir, list) = crate::support::url_file("bob:hunter2@nowhere\nhttps://carol:hunter2@\n");
    for format in ["human", "jsonl", "csv"] {
        let out = run(&["-f", format, "--color", "always", &url, &list], None);
        assert_eq!(out.code, Some(1));
        assert!(!out.stdout.contains("hunter2"), "{format}: {}", out.stdout);
        assert!(!out.stderr.contains("hunter2"), "{format}: {}", out.stderr);
        assert!(
            out.stdout.contains("alice:***@"),
            "{format}: {}",
            out.stdout
        );
    }
    // A mistyped URL taken for a file name does not leak either.
    let out = run(&["bob:hunter2@nowhere"], None);
    assert_eq!(out.code, Some(2));
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
    // The credentials were still used, as basic auth.
    let auth = &server.counters.seen()[0].headers["authorization"];
    assert!(auth.to_str().unwrap().starts_with("Basic "));
}

#[test]
fn csv_has_a_header_and_one_row_per_url() {
    let server = TestServer::http();
    let out = run(
        &["-f", "csv", &server.url("/ok"), &server.url("/status/503")],
        None,
    );
    assert_eq!(out.code, Some(1));
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "url",
            "ok",
            "status",
            "error_kind",
            "error",
            "elapsed_ms",
            "final_url",
            "redirects",
            "source",
            "line",
            "attempts",
            "cert_not_after",
            "cert_days_left",
            "up_after_ms",
            "http_version",
            "remote_addr",
            "tls_version",
            "dns_ms",
            "connect_ms",
            "tls_ms",
            "ttfb_ms",
            "transfer_ms",
            "known",
            "shard",
            "column",
            "occurrences",
        ]
    );
    let mut rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][2], "200");
    assert_eq!(&rows[1][4], "status 503, expected 200-299");
    assert_eq!(&rows[1][8], "arg");
}

#[test]
fn human_output_is_plain_unless_colour_is_asked_for() {
    let server = TestServer::http();
    let out = run(&[&server.url("/ok"), &server.url("/status/404")], None);
    assert!(!out.stdout.contains('\u{1b}') && !out.stderr.contains('\u{1b}'));
    assert!(
        out.stdout.lines().any(|l| l.starts_with("ok    200")),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("status 404, expected 200-299"));
    let out = run(&["--color", "always", &server.url("/status/404")], None);
    assert!(out.stdout.contains("\u{1b}["));
}

#[test]
fn only_failures_hides_passes_but_counts_them() {
    let server = TestServer::http();
    let out = run(
        &[
            "-f",
            "jsonl",
            "--only-failures",
            &server.url("/ok"),
            &server.url("/status/404"),
        ],
        None,
    );
    assert_eq!(out.code, Some(1));
    let records = out.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["status"], 404);
    assert!(out.stderr.contains("2 URLs"), "{}", out.stderr);
}

#[test]
fn control_characters_from_servers_and_input_never_reach_the_terminal() {
    let hostile = TestServer::raw(|mut socket| async move {
        let mut buf = [0u8; 1024];
        let _ = socket.read(&mut buf).await;
        let body = "\u{1b}[2J\u{1b}]0;owned\u{7}\r\nerror: \u{1b}[31mred\u{1b}[0m";
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = socket.write_all(head.as_bytes()).await;
        let _ = socket.write_all(body.as_bytes()).await;
    });
    let (_dir, list) =
        crate::support::url_file("http://a.test/\u{1b}[31mx\u{7}\nbad\u{1b}]0;t\u{7}line\n");
    let url = hostile.url("/");
    for format in ["human", "csv"] {
        let out = run(
            &[
                "-f",
                format,
                "--reject-body-regex",
                "error.*",
                "--color",
                "never",
                &url,
                &list,
            ],
            None,
        );
        assert_eq!(out.code, Some(1));
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            for c in ['\u{1b}', '\u{7}', '\r'] {
                assert!(!text.contains(c), "{format} {stream} has {c:?}: {text:?}");
            }
        }
        assert!(
            out.stdout.contains("\\u{1b}"),
            "shown escaped: {}",
            out.stdout
        );
    }
    // An unreadable path with control characters: the error is escaped too.
    let out = run(&["/nonexistent/\u{1b}[2Jx.txt"], None);
    assert_eq!(out.code, Some(2));
    assert!(
        !out.stderr.contains('\u{1b}') && out.stderr.contains("\\u{1b}"),
        "{}",
        out.stderr
    );
}

#[test]
fn min_cert_days_on_http_urls_is_said_once_not_silently_ignored() {
    let server = TestServer::http();
    let (a, b) = (server.url("/ok?a"), server.url("/ok?b"));
    let out = run(&["--min-cert-days", "14", &a, &b], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        out.stderr
            .matches("--min-cert-days applies to https URLs only")
            .count(),
        1,
        "{}",
        out.stderr
    );
}

/// A name the resolver refuses at once (a label over DNS's 63 bytes, so no
/// query leaves the machine) fails as `dns`, known by the resolver's error
/// type, not by its words.
#[test]
fn a_name_that_cannot_be_resolved_fails_as_dns() {
    let url = format!("http://{}.test/", "a".repeat(70));
    let out = run(&["-f", "jsonl", &url], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let record = out.record(&url);
    assert_eq!(record["error_kind"], "dns", "{record}");
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .starts_with("could not resolve host: "),
        "{record}"
    );
}
