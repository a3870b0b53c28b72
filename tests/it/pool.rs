//! The worker pool and the run around it: concurrency bounds, input lines
//! and their records, exit codes, signals and a closed stdout.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{TestServer, run, sorted_lines, url_file, urlcheck};

#[test]
fn never_more_than_n_in_flight_and_n_workers_really_run_in_parallel() {
    in_flight_on_threads("1");
}

#[test]
fn workers_spread_over_threads_keep_the_same_bounds() {
    in_flight_on_threads("3");
}

fn in_flight_on_threads(threads: &str) {
    let server = TestServer::http();
    let urls: Vec<String> = (0..12)
        .map(|i| server.url(&format!("/slow/500?n={i}")))
        .collect();
    let mut args = vec!["-w", "4", "--threads", threads, "-f", "jsonl"];
    args.extend(urls.iter().map(String::as_str));
    let started = Instant::now();
    let out = run(&args, None);
    let elapsed = started.elapsed();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.records().len(), 12);
    assert_eq!(
        server.counters.max_in_flight(),
        4,
        "exactly --workers checks in flight"
    );
    // 12 URLs x 500 ms on 4 workers is 3 rounds: at least 1.5 s, and well
    // under the 6 s that one at a time would take.
    assert!(elapsed >= Duration::from_millis(1500), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(6),
        "not parallel: {elapsed:?}"
    );
}

#[test]
fn one_worker_means_one_at_a_time() {
    let server = TestServer::http();
    let urls: Vec<String> = (0..4)
        .map(|i| server.url(&format!("/slow/50?n={i}")))
        .collect();
    let mut args = vec!["-w", "1", "-q"];
    args.extend(urls.iter().map(String::as_str));
    assert_eq!(run(&args, None).code, Some(0));
    assert_eq!(server.counters.max_in_flight(), 1);
}

#[test]
fn every_url_line_gives_exactly_one_record_with_its_line_number() {
    let server = TestServer::http();
    let (ok, missing) = (server.url("/ok"), server.url("/status/404"));
    let mut contents = format!(
        "\u{feff}# header\r\n{ok}\r\n\r\n   # indented comment\n{ok}  # the same again\n\
         example.com\n{missing}\nftp://x.test/\n"
    )
    .into_bytes();
    contents.extend_from_slice(b"\xff\xfe not utf-8\n");
    contents.extend_from_slice(format!("{ok}#fragment\n\t \n").as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("urls.txt");
    std::fs::write(&path, contents).unwrap();
    let path = path.to_str().unwrap();

    let out = run(&["-f", "jsonl", path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let mut records = out.records();
    records.sort_by_key(|r| r["line"].as_u64());
    let summary: Vec<(u64, &str, Option<&str>)> = records
        .iter()
        .map(|r| {
            assert_eq!(r["source"], path);
            (
                r["line"].as_u64().unwrap(),
                r["url"].as_str().unwrap(),
                r["error_kind"].as_str(),
            )
        })
        .collect();
    let fragment = format!("{ok}#fragment");
    assert_eq!(
        summary,
        [
            (2, ok.as_str(), None),
            (5, ok.as_str(), None),
            (6, "example.com", Some("invalid_input")),
            (7, missing.as_str(), Some("status")),
            (8, "ftp://x.test/", Some("invalid_input")),
            (9, "\u{fffd}\u{fffd} not utf-8", Some("invalid_input")),
            (10, fragment.as_str(), None),
        ]
    );
    assert_eq!(
        records[2]["error"],
        "missing scheme; did you mean https://example.com?"
    );
    assert!(
        records[5]["error"]
            .as_str()
            .unwrap()
            .contains("not valid UTF-8")
    );
    assert!(out.stderr.contains("7 URLs"), "{}", out.stderr);
}

#[test]
fn urls_from_stdin_and_arguments_together() {
    let server = TestServer::http();
    let piped = format!(
        "{}\n# c\n{}\n",
        server.url("/ok"),
        server.url("/status/201")
    );
    let out = run(
        &["-f", "jsonl", "-", &server.url("/redirect/1")],
        Some(&piped),
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let records = out.records();
    assert_eq!(records.len(), 3);
    let from_stdin: Vec<u64> = records
        .iter()
        .filter(|r| r["source"] == "-")
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(from_stdin.len(), 2);
    assert!(from_stdin.contains(&1) && from_stdin.contains(&3));
    // With no INPUT and a piped stdin, stdin is read.
    let out = run(&["-f", "jsonl"], Some(&piped));
    assert_eq!(out.code, Some(0));
    assert_eq!(out.records().len(), 2);
}

#[test]
fn unusable_input_exits_2_before_any_check() {
    let server = TestServer::http();
    let ok = server.url("/ok");
    let out = run(&[&ok, "/nonexistent/urls.txt"], None);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("/nonexistent/urls.txt"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[&ok, dir.path().to_str().unwrap()], None);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("is a directory"), "{}", out.stderr);
    assert_eq!(server.counters.requests(), 0, "nothing was checked");

    let (_dir, only_comments) = url_file("# nothing here\n\n   \n");
    let out = run(&[&only_comments], None);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("no URLs to check"), "{}", out.stderr);
    let out = run(&[], Some(""));
    assert_eq!(out.code, Some(2));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--workers", "0", "http://127.0.0.1/"][..],
        &["--timeout", "soon", "http://127.0.0.1/"],
        &["--format", "xml", "http://127.0.0.1/"],
        &["--no-such-flag"],
        &["-H", "no colon", "http://127.0.0.1/"],
    ] {
        let out = run(args, None);
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert!(!out.stderr.is_empty());
    }
    assert_eq!(run(&["--version"], None).code, Some(0));
    let help = run(&["--help"], None);
    assert_eq!(help.code, Some(0));
    assert!(help.stdout.contains("--workers"));
    // The long help stands in for the README where only the binary is.
    for part in [
        "Input:",
        "[[check]]    url (required), name,",
        "Failure kinds (error_kind): invalid_input, dns, connect,",
        "http_version",
        "143 stopped by SIGTERM",
        &format!("[default: urlcheck/{}]", env!("CARGO_PKG_VERSION")),
    ] {
        assert!(help.stdout.contains(part), "--help lacks {part:?}");
    }
    let short = run(&["-h"], None);
    assert!(!short.stdout.contains("Failure kinds"), "-h stays short");
}

fn spawn(args: &[&str]) -> Child {
    urlcheck()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The line number in "stopped reading input after FILE:N".
fn stopped_after(stderr: &str) -> u64 {
    let tail = stderr
        .split("stopped reading input after ")
        .nth(1)
        .unwrap_or_else(|| panic!("no stop line in {stderr}"));
    tail.split_whitespace()
        .next()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn stop_mid_run(signal_name: &str, expected_code: i32, threads: &str) {
    let server = TestServer::http();
    let mut lines: Vec<String> = (1..=3).map(|i| server.url(&format!("/ok?{i}"))).collect();
    lines.extend((4..=40).map(|i| server.url(&format!("/hang?{i}"))));
    let (_dir, path) = url_file(&(lines.join("\n") + "\n"));
    let child = spawn(&[
        "-w",
        "2",
        "--threads",
        threads,
        "--shutdown-timeout",
        "1s",
        "-f",
        "jsonl",
        &path,
    ]);
    // Both workers are stuck on hanging URLs once 5 requests have arrived.
    wait_until("the workers to be busy", || server.counters.requests() >= 5);
    signal(&child, signal_name);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(expected_code));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let read = stopped_after(&stderr);
    assert!((5..40).contains(&read), "reading stopped early: {read}");
    let seen = sorted_lines(&records);
    assert_eq!(
        seen,
        (1..=read).collect::<Vec<_>>(),
        "one record per line read"
    );
    for record in &records {
        let line = record["line"].as_u64().unwrap();
        if line <= 3 {
            assert_eq!(record["ok"], true, "finished results are kept: {record}");
        } else {
            assert_eq!(record["error_kind"], "interrupted", "{record}");
        }
    }
    assert!(
        stderr.contains(&format!(
            "stopped by SIG{signal_name}: {} not checked (2 cut off at the shutdown timeout)",
            read - 3
        )),
        "{stderr}"
    );
    // Said at once, before the shutdown timeout ran out.
    let again = match signal_name {
        "INT" => "press Ctrl-C again",
        _ => "send SIGTERM again",
    };
    assert!(
        stderr.contains(&format!(
            "urlcheck: SIG{signal_name}: stopping; no new checks, the 2 checks in flight get up \
             to 1s to finish; {again} to exit at once\n"
        )),
        "{stderr}"
    );
    // Lines never checked are not failures.
    assert!(
        stderr.contains(&format!(": 3 ok, 0 failed, {} not checked\n", read - 3)),
        "{stderr}"
    );
}

#[test]
fn sigint_mid_run_exits_130_with_one_record_per_line_read() {
    stop_mid_run("INT", 130, "1");
}

#[test]
fn sigterm_mid_run_exits_143_with_one_record_per_line_read() {
    stop_mid_run("TERM", 143, "1");
}

/// Checks cut off on the other threads are recorded all the same.
#[test]
fn a_stop_on_two_threads_leaves_one_record_per_line_read() {
    stop_mid_run("TERM", 143, "2");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let server = TestServer::http();
    let lines: Vec<String> = (0..3000).map(|i| server.url(&format!("/ok?{i}"))).collect();
    let (_dir, path) = url_file(&lines.join("\n"));
    let mut child = spawn(&["-q", "-f", "jsonl", &path]);
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with('{'));
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no error text, no panic"
    );
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    let server = TestServer::http();
    let lines: Vec<String> = (0..10).map(|i| server.url(&format!("/hang?{i}"))).collect();
    let (_dir, path) = url_file(&lines.join("\n"));
    let child = spawn(&["-w", "2", "--shutdown-timeout", "10m", &path]);
    wait_until("the workers to be busy", || server.counters.requests() >= 2);
    signal(&child, "INT");
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    // Not the 10 minutes the in-flight checks were allowed.
    assert!(started.elapsed() < Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Two hang in flight; the other 8 lines are read (queued, or waiting
    // to be) and have no record either.
    assert!(
        stderr.contains("SIGINT again: exiting now; ") && stderr.contains(" (2 in flight)\n"),
        "{stderr}"
    );
    let lost: u64 = stderr
        .split("exiting now; ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of what was lost in {stderr}"));
    assert!((2..=10).contains(&lost), "{stderr}");
}

/// Run the binary under `ulimit -n LIMIT` (soft and hard).
fn run_with_file_limit(limit: u32, args: &[&str]) -> crate::support::Run {
    let mut command = std::process::Command::new("bash");
    command
        .env_clear()
        .arg("-c")
        .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_urlcheck"))
        .args(args);
    let output = command.output().unwrap();
    crate::support::Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn too_many_workers_for_the_open_file_limit_run_fewer_and_warn_once() {
    let server = TestServer::http();
    let lines: Vec<String> = (0..1000)
        .map(|i| server.url(&format!("/slow/200?{i}")))
        .collect();
    let (_dir, path) = url_file(&lines.join("\n"));
    let out = run_with_file_limit(256, &["-w", "2000", "-f", "jsonl", &path]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.records().len(), 1000);
    assert!(out.records().iter().all(|r| r["ok"] == true));
    assert_eq!(out.stderr.matches("warning:").count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("running 192 workers"), "{}", out.stderr);
    assert!(server.counters.max_in_flight() <= 192);
    assert!(!out.stderr.contains("Too many open files"));
}

#[test]
fn a_list_over_more_hosts_than_open_files_passes() {
    // One server on every loopback address; each 127.0.x.y is a host of its
    // own, with its own keep-alive connection.
    let server = TestServer::http_on("0.0.0.0");
    let port = server.addr.port();
    let lines: Vec<String> = (0..1500)
        .map(|i| format!("http://127.0.{}.{}:{port}/ok", i / 250, i % 250 + 1))
        .collect();
    let (_dir, path) = url_file(&lines.join("\n"));
    let out = run_with_file_limit(200, &["-w", "32", "-f", "jsonl", &path]);
    let failed: Vec<_> = out
        .records()
        .into_iter()
        .filter(|r| r["ok"] != true)
        .collect();
    assert!(
        failed.is_empty(),
        "{} failed, e.g. {:?}",
        failed.len(),
        failed.first()
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.records().len(), 1500);
}

#[test]
fn two_thousand_workers_hold_two_thousand_connections() {
    // The test's own server needs a socket per connection too.
    let _ = rlimit::increase_nofile_limit(8192);
    let server = TestServer::http();
    let lines: Vec<String> = (0..2000)
        .map(|i| server.url(&format!("/slow/1500?{i}")))
        .collect();
    let (_dir, path) = url_file(&lines.join("\n"));
    let out = run(&["-w", "2000", "-q", "-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let records = out.records();
    assert_eq!(records.len(), 2000);
    assert!(records.iter().all(|r| r["ok"] == true), "{}", out.stderr);
    assert!(!out.stderr.contains("Too many open files"));
    // Each request is held 1.5 s: the pool really had its connections open at once.
    assert!(
        server.counters.max_in_flight() >= 1000,
        "{}",
        server.counters.max_in_flight()
    );
}

#[test]
fn a_closed_stderr_does_not_make_it_panic() {
    let server = TestServer::http();
    let mut child = urlcheck()
        .args(["-k", &server.url("/ok"), &server.url("/status/500")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end: every write to stderr (warning, summary) now fails.
    drop(child.stderr.take());
    let out = child.wait_with_output().unwrap();
    // A panic would exit 101; the run ends as it would have anyway.
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
}

#[test]
fn signals_at_random_moments_always_leave_one_whole_record_per_line_read() {
    let server = TestServer::http();
    // Fast and hanging URLs interleaved, so that a signal finds checks done,
    // in flight and queued.
    let lines: Vec<String> = (1..=60)
        .map(|i| match i % 2 {
            0 => server.url(&format!("/hang?{i}")),
            _ => server.url(&format!("/ok?{i}")),
        })
        .collect();
    let (_dir, path) = url_file(&(lines.join("\n") + "\n"));
    for trial in 0..24 {
        let (name, code) = if trial % 2 == 0 {
            ("INT", 130)
        } else {
            ("TERM", 143)
        };
        let before = server.counters.requests();
        let child = spawn(&[
            "-w",
            "4",
            "--shutdown-timeout",
            "200ms",
            "-f",
            "jsonl",
            &path,
        ]);
        // The handlers are in place once the first request has gone out.
        wait_until("the first request", || server.counters.requests() > before);
        std::thread::sleep(Duration::from_millis(fastrand::u64(0..300)));
        signal(&child, name);
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(code), "trial {trial}: {stderr}");
        assert!(
            stdout.is_empty() || stdout.ends_with('\n'),
            "trial {trial}: half a line"
        );
        let mut seen: Vec<u64> = stdout
            .lines()
            .map(|l| {
                let record: serde_json::Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("trial {trial}: bad line {l:?}: {e}"));
                record["line"].as_u64().unwrap()
            })
            .collect();
        seen.sort_unstable();
        let read = if stderr.contains("all input had been read") {
            60
        } else {
            stopped_after(&stderr)
        };
        assert_eq!(
            seen,
            (1..=read).collect::<Vec<_>>(),
            "trial {trial}: {stderr}"
        );
        assert!(stderr.contains("Summary:"), "trial {trial}: {stderr}");
        assert!(
            stderr.contains(&format!("stopped by SIG{name}")),
            "trial {trial}"
        );
    }
}

// ---- --per-host and --rate: politeness bounds, proved by counting servers.

#[test]
fn per_host_caps_each_host_while_other_hosts_proceed() {
    let (a, b) = (
        TestServer::http_on("127.0.0.1"),
        TestServer::http_on("127.0.0.2"),
    );
    let mut lines = Vec::new();
    for i in 0..8 {
        lines.push(a.url(&format!("/slow/300?n={i}")));
        lines.push(b.url(&format!("/slow/300?n={i}")));
    }
    let (_dir, path) = url_file(&(lines.join("\n") + "\n"));
    let started = Instant::now();
    let out = run(&["-w", "8", "--per-host", "2", "-f", "jsonl", &path], None);
    let elapsed = started.elapsed();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.records().len(), 16);
    assert_eq!(a.counters.max_in_flight(), 2, "host a is held to 2");
    assert_eq!(b.counters.max_in_flight(), 2, "host b is held to 2");
    // 8 checks of 300 ms per host, 2 at a time: 4 rounds at least.
    assert!(elapsed >= Duration::from_millis(1200), "{elapsed:?}");
}

/// In flight per host now, the most seen, and whether both hosts were at
/// their limit at the same moment.
#[derive(Default)]
struct TwoHosts {
    now: [usize; 2],
    max: [usize; 2],
    both_at_limit: bool,
    served: usize,
}

/// A server on 127.0.0.(host + 1) that answers each request after `hold`,
/// counting into `state`.
fn counting_host(
    host: usize,
    limit: usize,
    hold: Duration,
    state: &std::sync::Arc<std::sync::Mutex<TwoHosts>>,
) -> TestServer {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let state = std::sync::Arc::clone(state);
    TestServer::raw_on(&format!("127.0.0.{}", host + 1), move |mut socket| {
        let state = std::sync::Arc::clone(&state);
        async move {
            let mut buf = vec![0u8; 4096];
            // Keep-alive: one request after another on this connection.
            while let Ok(n) = socket.read(&mut buf).await {
                if n == 0 {
                    return;
                }
                {
                    let mut s = state.lock().unwrap();
                    s.now[host] += 1;
                    s.max[host] = s.max[host].max(s.now[host]);
                    if s.now == [limit, limit] {
                        s.both_at_limit = true;
                    }
                }
                tokio::time::sleep(hold).await;
                state.lock().unwrap().now[host] -= 1;
                state.lock().unwrap().served += 1;
                let ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                if socket.write_all(ok.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    })
}

/// A list grouped by host: `n` lines of `a`, then `n` of `b`, then `more`.
fn grouped(a: &TestServer, b: &TestServer, n: usize, more: &[&str]) -> String {
    let mut lines: Vec<String> = (0..n).map(|i| a.url(&format!("/a{i}"))).collect();
    lines.extend((0..n).map(|i| b.url(&format!("/b{i}"))));
    lines.extend(more.iter().map(|l| l.to_string()));
    lines.join("\n") + "\n"
}

#[test]
fn a_list_grouped_by_host_keeps_every_host_at_its_limit_at_once() {
    let state = std::sync::Arc::default();
    let hold = Duration::from_millis(100);
    let (a, b) = (
        counting_host(0, 2, hold, &state),
        counting_host(1, 2, hold, &state),
    );
    // All of a, then all of b: without the look-ahead, every worker waits on
    // a while b sits idle.
    let (_dir, path) = url_file(&grouped(&a, &b, 20, &[]));
    let out = run(&["-w", "16", "--per-host", "2", "-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    let seen = sorted_lines(&out.records());
    assert_eq!(seen, (1..=40).collect::<Vec<u64>>(), "every line once");
    let s = state.lock().unwrap();
    assert_eq!(s.max, [2, 2], "--per-host is exact");
    assert!(
        s.both_at_limit,
        "both hosts were at their limit at the same time"
    );
}

#[test]
fn held_lines_get_their_records_when_the_run_stops() {
    let state = std::sync::Arc::default();
    let hold = Duration::from_millis(300);
    let (a, b) = (
        counting_host(0, 1, hold, &state),
        counting_host(1, 1, hold, &state),
    );
    let (_dir, path) = url_file(&grouped(&a, &b, 50, &["not a url"]));
    let out = run(
        &[
            "-w",
            "8",
            "--per-host",
            "1",
            "--deadline",
            "1s",
            "-f",
            "jsonl",
            &path,
        ],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = out.records();
    let seen = sorted_lines(&records);
    assert_eq!(
        seen,
        (1..=101).collect::<Vec<u64>>(),
        "every line once, held ones too"
    );
    let interrupted = records
        .iter()
        .filter(|r| r["error_kind"] == "interrupted")
        .count();
    assert!(interrupted > 80, "{interrupted} interrupted");
    assert!(state.lock().unwrap().max.iter().all(|&m| m <= 1));
}

#[test]
fn a_held_line_goes_when_its_host_frees_a_slot_even_while_input_is_slow() {
    use std::io::Write;
    let state = std::sync::Arc::default();
    let a = counting_host(0, 1, Duration::from_millis(100), &state);
    let mut child = urlcheck()
        .args(["-q", "-f", "jsonl", "--per-host", "1", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Two lines of one host, then a pipe that stays quiet: the second is
    // held until the first is done, and must not wait for more input.
    writeln!(stdin, "{}\n{}", a.url("/1"), a.url("/2")).unwrap();
    stdin.flush().unwrap();
    let started = Instant::now();
    while state.lock().unwrap().served < 2 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        state.lock().unwrap().served,
        2,
        "the held line went while stdin was open"
    );
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
}

#[test]
fn per_host_holds_for_the_host_a_redirect_leads_to() {
    let (a, b) = (
        TestServer::http_on("127.0.0.1"),
        TestServer::http_on("127.0.0.2"),
    );
    let mut args = vec![
        "-w".to_string(),
        "6".into(),
        "--per-host".into(),
        "1".into(),
    ];
    for i in 0..6 {
        let target = b.url(&format!("/slow/200?n={i}"));
        args.push(a.url(&format!("/to?{target}")));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&[&args[..], &["-f", "jsonl"]].concat(), None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(b.counters.requests(), 6);
    assert_eq!(b.counters.max_in_flight(), 1, "one at a time at the target");
    assert_eq!(a.counters.max_in_flight(), 1);
}

#[test]
fn rate_spaces_the_checks_over_time() {
    let server = TestServer::http();
    let urls: Vec<String> = (0..25).map(|i| server.url(&format!("/ok?{i}"))).collect();
    let mut args = vec!["-w", "25", "--rate", "20", "-f", "jsonl"];
    args.extend(urls.iter().map(String::as_str));
    let out = run(&args, None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.records().len(), 25);
    let mut at: Vec<Duration> = server.counters.seen().iter().map(|s| s.at).collect();
    at.sort();
    // 25 checks at 20/s start 50 ms apart: 1.2 s from first to last. Delays
    // on the way can bunch arrivals up a little, never spread them less
    // than that by much; without --rate all 25 arrive within milliseconds.
    let span = at[24] - at[0];
    assert!(span >= Duration::from_millis(900), "{span:?}");
    // No second holds more than the rate plus one (and some slack).
    for (i, first) in at.iter().enumerate() {
        let in_window = at[i..]
            .iter()
            .take_while(|t| **t - *first < Duration::from_secs(1));
        assert!(in_window.count() <= 23, "{at:?}");
    }
}

#[test]
fn a_stop_while_waiting_for_the_rate_records_the_rest_as_not_checked() {
    let server = TestServer::http();
    let urls: Vec<String> = (0..6).map(|i| server.url(&format!("/ok?{i}"))).collect();
    let mut args = vec!["-w", "6", "--rate", "1", "-f", "jsonl"];
    args.extend(urls.iter().map(String::as_str));
    let child = spawn(&args);
    wait_until("the first check", || server.counters.requests() >= 1);
    signal(&child, "INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 6, "one record per URL: {stdout}");
    let checked = server.counters.requests();
    let ok = records.iter().filter(|r| r["ok"] == true).count();
    assert_eq!(ok, checked, "every check that ran is kept: {stdout}");
    for record in records.iter().filter(|r| r["ok"] != true) {
        assert_eq!(record["error_kind"], "interrupted", "{record}");
        let error = record["error"].as_str().unwrap();
        assert!(error.starts_with("not checked"), "{record}");
    }
}

#[test]
fn per_host_and_rate_reject_nonsense() {
    for args in [
        &["--per-host", "0", "http://127.0.0.1:1/"][..],
        &["--per-host", "many", "http://127.0.0.1:1/"],
        &["--rate", "0", "http://127.0.0.1:1/"],
        &["--rate=-3", "http://127.0.0.1:1/"],
        &["--rate", "fast", "http://127.0.0.1:1/"],
        &["--rate", "inf", "http://127.0.0.1:1/"],
    ] {
        let out = run(args, None);
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        let flag = args[0].split('=').next().unwrap();
        assert!(out.stderr.contains(flag), "{args:?}: {}", out.stderr);
    }
}

/// Lines of stdout as they come, each with when it came.
fn timed_lines(child: &mut Child) -> std::sync::mpsc::Receiver<(Duration, String)> {
    let stdout = child.stdout.take().unwrap();
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send((started.elapsed(), line)).is_err() {
                break;
            }
        }
    });
    rx
}

/// `--wait`: a URL that is not up holds no worker while it waits, so the
/// healthy URL behind two broken ones on a single worker is not held up;
/// on Ctrl-C the awaited URLs' records are their latest failures.
#[test]
fn a_url_awaited_holds_no_worker_and_a_stop_keeps_its_latest_failure() {
    let server = TestServer::http();
    let (down1, down2) = (crate::support::refused_url(), crate::support::refused_url());
    let healthy = server.url("/ok");
    let mut child = spawn(&[
        "-w",
        "1",
        "-f",
        "jsonl",
        "--wait",
        "60s",
        "--wait-interval",
        "200ms",
        &down1,
        &down2,
        &healthy,
    ]);
    let lines = timed_lines(&mut child);
    let (at, first) = lines.recv_timeout(Duration::from_secs(30)).unwrap();
    let record: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        record["url"],
        healthy.as_str(),
        "the healthy URL comes first"
    );
    // Held behind the broken URLs, it would come after the 60 s wait.
    assert!(at < Duration::from_secs(20), "healthy record after {at:?}");
    wait_until("a few re-checks", || server.counters.requests() >= 1);
    std::thread::sleep(Duration::from_millis(600));
    signal(&child, "INT");
    let mut records: Vec<serde_json::Value> = lines
        .iter()
        .map(|(_, line)| serde_json::from_str(&line).unwrap())
        .collect();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    records.sort_by_key(|r| r["url"].as_str().unwrap().to_string());
    assert_eq!(records.len(), 2, "{records:?}");
    for record in &records {
        assert_eq!(record["error_kind"], "connect", "{record}");
        assert!(record["attempts"].as_u64().unwrap() >= 2, "{record}");
        assert!(
            record["error"].as_str().unwrap().contains("(awaited "),
            "{record}"
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("0 not checked"), "{stderr}");
}

/// Under `--per-host`, a URL checked again waits for its host's slot with
/// the lines read; every URL ends in one record when the wait is over.
#[test]
fn rechecks_under_per_host_end_with_one_record_each() {
    let server = TestServer::http();
    let mut lines: Vec<String> = (0..6)
        .map(|i| server.url(&format!("/status/503?{i}")))
        .collect();
    lines.extend((0..6).map(|i| server.url(&format!("/up-after/700?{i}"))));
    lines.extend((0..6).map(|i| server.url(&format!("/ok?{i}"))));
    let (_dir, path) = url_file(&lines.join("\n"));
    let out = run(
        &[
            "-f",
            "jsonl",
            "-w",
            "4",
            "--per-host",
            "2",
            "--wait",
            "2s",
            "--wait-interval",
            "100ms",
            &path,
        ],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = out.records();
    assert_eq!(sorted_lines(&records), (1..=18).collect::<Vec<_>>());
    for record in &records {
        let url = record["url"].as_str().unwrap();
        if url.contains("/status/503") {
            assert_eq!(record["error_kind"], "status", "{record}");
            assert!(record["attempts"].as_u64().unwrap() >= 2, "{record}");
        } else {
            assert_eq!(record["ok"], true, "{record}");
        }
    }
    assert!(server.counters.max_in_flight() <= 2);
}

/// With more URLs awaited than `--lookahead` allows, the feeder reads on
/// only as awaited URLs end: still one record per line.
#[test]
fn awaited_urls_beyond_the_lookahead_pause_reading() {
    let down = crate::support::refused_url();
    let lines: Vec<String> = (0..10).map(|i| format!("{down}?{i}")).collect();
    let (_dir, path) = url_file(&lines.join("\n"));
    let out = run(
        &[
            "-f",
            "jsonl",
            "-w",
            "1",
            "--lookahead",
            "1",
            "--wait",
            "1s",
            "--wait-interval",
            "300ms",
            &path,
        ],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = out.records();
    assert_eq!(sorted_lines(&records), (1..=10).collect::<Vec<_>>());
    assert!(records.iter().all(|r| r["error_kind"] == "connect"));
}

/// A server that answers at most `room` connections (HTTP/1.1 keep-alive,
/// `200 ok` to each request) and leaves every other connection open and
/// unanswered: a server that takes fewer connections at once than it is
/// given, as `python3 -m http.server` with its backlog of 5 does.
fn server_with_room_for(room: usize) -> TestServer {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let room = Arc::new(tokio::sync::Semaphore::new(room));
    TestServer::raw(move |mut socket| {
        let room = room.clone();
        async move {
            let Ok(_permit) = room.try_acquire_owned() else {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            };
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                let Ok(n) = socket.read(&mut buf).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                head.extend_from_slice(&buf[..n]);
                while let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                    head.drain(..end + 4);
                    let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                    if socket.write_all(reply).await.is_err() {
                        return;
                    }
                }
            }
        }
    })
}

#[test]
fn timeouts_under_load_suggest_per_host_with_the_true_count_of_passes() {
    let server = server_with_room_for(4);
    let urls: Vec<String> = (0..200).map(|i| server.url(&format!("/?{i}"))).collect();
    let (_dir, path) = url_file(&(urls.join("\n") + "\n"));
    let out = run(
        &[
            "--no-progress",
            "-f",
            "jsonl",
            "-w",
            "16",
            "-t",
            "1s",
            &path,
        ],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    let records = out.records();
    let timed_out = records
        .iter()
        .filter(|r| r["error_kind"] == "timeout" && r["status"].is_null())
        .count();
    let passed = records.iter().filter(|r| r["ok"] == true).count();
    assert_eq!(timed_out + passed, 200, "{}", out.stdout);
    // 12 of the first 16 connections wait out the timeout, after most
    // passes are in.
    assert!(timed_out >= 3, "{timed_out} timeouts");
    let hints: Vec<&str> = out.stderr.lines().filter(|l| l.contains("hint")).collect();
    assert_eq!(
        hints,
        [format!(
            "  hint: {timed_out} checks to {} timed out before any response while {passed} \
             passed: it may take fewer connections at once than were opened; try --per-host 4 \
             (or fewer --workers)",
            server.addr
        )],
        "{}",
        out.stderr
    );
    // Within what it takes: no timeout, no hint.
    let server = server_with_room_for(4);
    let urls: Vec<String> = (0..200).map(|i| server.url(&format!("/?{i}"))).collect();
    let (_dir, path) = url_file(&(urls.join("\n") + "\n"));
    let out = run(
        &[
            "--no-progress",
            "-f",
            "jsonl",
            "-w",
            "16",
            "--per-host",
            "4",
            "-t",
            "1s",
            &path,
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(!out.stderr.contains("hint"), "{}", out.stderr);
}
