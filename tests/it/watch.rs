//! Watch mode against a server whose answers the test flips: events in
//! order, flapping control, no overlapping checks of one URL, SIGTERM
//! drain, SIGHUP reloads, the `--listen` endpoints and a port in use.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{TestServer, run, url_file, urlcheck};

/// Generous: these wait for events that come within a second or two.
const PATIENCE: Duration = Duration::from_secs(30);

/// A server answering every request with the status the test sets, except
/// `/hang` (never answers) and `/slow` (answers after 1 s). It counts
/// requests and connections open at once.
struct Flip {
    server: TestServer,
    status: Arc<AtomicU16>,
    open: Arc<AtomicUsize>,
    max_open: Arc<AtomicUsize>,
}

impl Flip {
    fn new() -> Self {
        let status = Arc::new(AtomicU16::new(200));
        let open = Arc::new(AtomicUsize::new(0));
        let max_open = Arc::new(AtomicUsize::new(0));
        let (s, o, m) = (status.clone(), open.clone(), max_open.clone());
        let server = TestServer::raw(move |mut socket| {
            let (status, open, max_open) = (s.clone(), o.clone(), m.clone());
            async move {
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                max_open.fetch_max(now, Ordering::SeqCst);
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request);
                if head.starts_with("GET /hang") {
                    // Hold the connection until the client gives up.
                    let _ = socket.read(&mut buf).await;
                } else {
                    if head.starts_with("GET /slow") {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    let code = status.load(Ordering::SeqCst);
                    let response = format!(
                        "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                }
                open.fetch_sub(1, Ordering::SeqCst);
            }
        });
        Flip {
            server,
            status,
            open,
            max_open,
        }
    }

    fn set(&self, code: u16) {
        self.status.store(code, Ordering::SeqCst);
    }

    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    fn requests(&self) -> usize {
        self.server.counters.requests()
    }
}

/// A running watcher, its stdout lines and stderr lines as they come.
struct Watcher {
    child: Child,
    lines: mpsc::Receiver<String>,
    errors: mpsc::Receiver<String>,
}

impl Watcher {
    fn start(args: &[&str]) -> Self {
        Self::start_with_env(args, &[])
    }

    /// Started with the variables `env` set.
    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = urlcheck()
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = pipe_lines(child.stdout.take().unwrap());
        let errors = pipe_lines(child.stderr.take().unwrap());
        Watcher {
            child,
            lines,
            errors,
        }
    }

    /// The next event record (JSON Lines).
    fn next_event(&self) -> Value {
        let line = self.next_line();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    /// The next line of stdout.
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("no event within {PATIENCE:?}"))
    }

    /// Wait for a stderr line containing `needle`; returns it.
    fn stderr_line(&self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.errors.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("no stderr line with {needle:?}"),
            }
        }
    }

    /// The `--listen` address it announced.
    fn listening(&self) -> SocketAddr {
        let line = self.stderr_line("serving http://");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap();
        addr.parse().unwrap()
    }

    fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Stop with SIGTERM; the exit code and the rest of stderr.
    fn stop(mut self) -> (Option<i32>, String) {
        self.signal("TERM");
        let status = wait_with_timeout(&mut self.child);
        let rest: Vec<String> = self.errors.try_iter().collect();
        (status, rest.join("\n"))
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pipe_lines(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn wait_with_timeout(child: &mut Child) -> Option<i32> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        assert!(Instant::now() < deadline, "the watcher did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A plain HTTP/1.1 GET: the status and the body.
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    get_with(addr, path, "")
}

/// A GET with extra header lines (each ending in CRLF).
fn get_with(addr: SocketAddr, path: &str, headers: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_flipped_url_gives_up_down_up_events_in_order() {
    let flip = Flip::new();
    let url = flip.url("/health");
    let watcher = Watcher::start(&["--watch", "100ms", "-f", "jsonl", &url]);
    let first = watcher.next_event();
    assert_eq!(
        (&first["event"], &first["previous"], &first["url"]),
        (
            &Value::from("up"),
            &Value::from("unknown"),
            &Value::from(url.clone())
        )
    );
    assert_eq!(first["status"], 200);
    flip.set(503);
    let down = watcher.next_event();
    assert_eq!(
        (&down["event"], &down["previous"]),
        (&"down".into(), &"up".into())
    );
    assert_eq!(down["ok"], false);
    assert_eq!(down["error_kind"], "status");
    assert!(down["previous_for_ms"].as_u64().unwrap() > 0, "{down}");
    flip.set(200);
    let up = watcher.next_event();
    assert_eq!(
        (&up["event"], &up["previous"]),
        (&"up".into(), &"down".into())
    );
    let (code, _) = watcher.stop();
    assert_eq!(code, Some(0), "a watcher stopped on purpose exits 0");
}

#[test]
fn events_say_when_they_happened_in_utc_records_and_local_human_lines() {
    use chrono::{DateTime, FixedOffset, Utc};
    let flip = Flip::new();
    let url = flip.url("/health");
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("events.jsonl");
    let csv = dir.path().join("events.csv");
    // Records keep milliseconds: the start, a millisecond early.
    let before = DateTime::<Utc>::from(std::time::SystemTime::now() - Duration::from_millis(1));
    // A POSIX zone 5 h 30 min east of UTC, which needs no zone files.
    let watcher = Watcher::start_with_env(
        &[
            "--watch",
            "100ms",
            "--report",
            &format!("jsonl:{}", jsonl.display()),
            "--report",
            &format!("csv:{}", csv.display()),
            &url,
        ],
        &[("TZ", "IST-05:30")],
    );
    let up = watcher.next_line();
    flip.set(503);
    let down = watcher.next_line();
    let (code, _) = watcher.stop();
    assert_eq!(code, Some(0));
    let after = DateTime::<Utc>::from(std::time::SystemTime::now());
    let records: Vec<Value> = std::fs::read_to_string(&jsonl)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{records:?}");
    let mut reader = csv::Reader::from_reader(std::fs::File::open(&csv).unwrap());
    assert_eq!(reader.headers().unwrap().iter().next_back(), Some("at"));
    let csv_at: Vec<String> = reader
        .records()
        .map(|r| r.unwrap().iter().next_back().unwrap().to_string())
        .collect();
    let india = FixedOffset::east_opt(5 * 3600 + 30 * 60).unwrap();
    for ((record, human), csv_at) in records.iter().zip([&up, &down]).zip(&csv_at) {
        let text = record["at"].as_str().unwrap();
        // RFC 3339, UTC, milliseconds: 2026-03-01T14:03:07.250Z
        assert_eq!(
            (text.len(), &text[19..20], &text[23..]),
            (24, ".", "Z"),
            "{text}"
        );
        let at: DateTime<Utc> = text.parse().unwrap();
        assert!(before <= at && at <= after, "{at} not in {before}..{after}");
        assert_eq!(csv_at, text, "CSV and JSON Lines say the same time");
        let local = at
            .with_timezone(&india)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let verdict = if record["event"] == "up" {
            "UP  "
        } else {
            "DOWN"
        };
        assert!(
            human.starts_with(&format!("{local}  {verdict}  ")),
            "{human} (at {text})"
        );
    }
}

#[test]
fn down_after_and_up_after_hold_back_a_flap() {
    let flip = Flip::new();
    let url = flip.url("/health");
    let watcher = Watcher::start(&[
        "--watch",
        "50ms",
        "--down-after",
        "3",
        "--up-after",
        "2",
        "-f",
        "jsonl",
        &url,
    ]);
    let first = watcher.next_event();
    assert_eq!(first["event"], "up");
    assert!(flip.requests() >= 2, "up only after 2 passes");
    flip.set(500);
    let flipped_at = flip.requests();
    let down = watcher.next_event();
    assert_eq!(down["event"], "down");
    assert!(
        flip.requests() - flipped_at >= 3,
        "down only after 3 failures in a row"
    );
    flip.set(200);
    let back_at = flip.requests();
    assert_eq!(watcher.next_event()["event"], "up");
    assert!(flip.requests() - back_at >= 2);
    assert_eq!(watcher.stop().0, Some(0));
}

#[test]
fn a_hanging_url_is_never_checked_twice_at_once() {
    let flip = Flip::new();
    let url = flip.url("/hang");
    let watcher = Watcher::start(&[
        "--watch",
        "50ms",
        "-t",
        "30s",
        "--listen",
        "127.0.0.1:0",
        "-f",
        "jsonl",
        &url,
    ]);
    let addr = watcher.listening();
    // Many turns come while the first check hangs: all skipped.
    wait_until("turns to be skipped", || {
        let (_, metrics) = get(addr, "/metrics");
        metrics
            .lines()
            .find(|l| l.starts_with("urlcheck_checks_skipped_total "))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse::<f64>().ok())
            .is_some_and(|n| n >= 10.0)
    });
    assert_eq!(flip.requests(), 1, "one check at a time");
    assert_eq!(flip.max_open.load(Ordering::SeqCst), 1);
    let (_, metrics) = get(addr, "/metrics");
    assert!(metrics.contains("urlcheck_in_flight 1"), "{metrics}");
    assert!(
        !metrics.contains("urlcheck_up{"),
        "no verdict yet, so no urlcheck_up: {metrics}"
    );
    drop(watcher);
}

#[test]
fn sigterm_lets_a_check_in_flight_finish_and_exits_0() {
    let flip = Flip::new();
    let url = flip.url("/slow");
    let watcher = Watcher::start(&[
        "--watch",
        "1m",
        "--shutdown-timeout",
        "20s",
        "-f",
        "jsonl",
        &url,
    ]);
    wait_until("the check to start", || {
        flip.open.load(Ordering::SeqCst) == 1
    });
    watcher.signal("TERM");
    // The check ends after its second and is still reported.
    let event = watcher.next_event();
    assert_eq!(event["event"], "up");
    let (code, stderr) = watcher.stop_after_exit();
    assert_eq!(code, Some(0));
    assert!(
        stderr.contains("stopped by SIGTERM: every check in flight finished"),
        "{stderr}"
    );
}

#[test]
fn sigterm_cuts_off_a_hanging_check_at_the_shutdown_timeout_without_a_record() {
    let flip = Flip::new();
    let url = flip.url("/hang");
    let mut watcher = Watcher::start(&[
        "--watch",
        "1m",
        "-t",
        "60s",
        "--shutdown-timeout",
        "300ms",
        "-f",
        "jsonl",
        &url,
    ]);
    wait_until("the check to start", || {
        flip.open.load(Ordering::SeqCst) == 1
    });
    watcher.signal("TERM");
    let code = wait_with_timeout(&mut watcher.child);
    assert_eq!(code, Some(0));
    let line = watcher.stderr_line("stopped by SIGTERM");
    assert!(
        line.contains("1 check(s) still running were cut off"),
        "{line}"
    );
    assert!(
        watcher.lines.try_recv().is_err(),
        "no record for a check cut off"
    );
}

impl Watcher {
    /// After a signal already sent: wait for the exit.
    fn stop_after_exit(mut self) -> (Option<i32>, String) {
        let status = wait_with_timeout(&mut self.child);
        let rest: Vec<String> = self.errors.try_iter().collect();
        (status, rest.join("\n"))
    }
}

#[test]
fn sighup_adds_and_removes_urls_and_keeps_the_old_list_when_the_new_config_is_broken() {
    let flip = Flip::new();
    let (a, b, c) = (flip.url("/a"), flip.url("/b"), flip.url("/c"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("watch.toml");
    let write = |urls: &[&str]| {
        let mut text = String::from("[defaults]\ninterval = \"100ms\"\n");
        for url in urls {
            text.push_str(&format!("[[check]]\nurl = \"{url}\"\n"));
            if url.ends_with("/b") {
                text.push_str("name = \"bee\"\n");
            }
        }
        std::fs::write(&config, text).unwrap();
    };
    write(&[&a, &b]);
    let config_arg = config.to_str().unwrap().to_string();
    let watcher = Watcher::start(&[
        "-c",
        &config_arg,
        "--watch",
        "--listen",
        "127.0.0.1:0",
        "-f",
        "jsonl",
    ]);
    let addr = watcher.listening();
    let mut first: Vec<String> = (0..2)
        .map(|_| watcher.next_event()["url"].as_str().unwrap().to_string())
        .collect();
    first.sort();
    assert_eq!(first, [a.clone(), b.clone()]);

    write(&[&b, &c]);
    watcher.signal("HUP");
    watcher.stderr_line("SIGHUP: read again: 1 new, 1 removed");
    // The new URL starts from unknown; the kept one keeps its state.
    let event = watcher.next_event();
    assert_eq!(
        (&event["url"], &event["previous"]),
        (&c.clone().into(), &"unknown".into())
    );
    let (_, status) = get(addr, "/status");
    let status: Value = serde_json::from_str(&status).unwrap();
    let urls: Vec<&str> = status["urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls, [b.as_str(), c.as_str()]);
    assert_eq!(status["urls"][0]["name"], "bee", "a check's name is shown");
    let (_, metrics) = get(addr, "/metrics");
    assert!(!metrics.contains(&format!("url=\"{a}\"")), "{metrics}");
    assert!(
        metrics.contains(&format!("urlcheck_up{{url=\"{c}\"}} 1")),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("urlcheck_up{{url=\"{b}\",name=\"bee\"}} 1")),
        "{metrics}"
    );

    std::fs::write(&config, "[defaults]\ninterval = \"soon\"\n").unwrap();
    watcher.signal("HUP");
    let line = watcher.stderr_line("SIGHUP:");
    assert!(
        line.contains("still watching with the old configuration"),
        "{line}"
    );
    assert!(
        line.contains("watch.toml:2"),
        "the error says where: {line}"
    );
    let (code, _) = get(addr, "/healthz");
    assert_eq!(code, 200, "the watcher still runs");
    let (_, status) = get(addr, "/status");
    assert_eq!(
        serde_json::from_str::<Value>(&status).unwrap()["watching"],
        2
    );
    assert_eq!(watcher.stop().0, Some(0));
}

#[test]
fn the_endpoints_serve_metrics_status_healthz_and_404() {
    let flip = Flip::new();
    let url = flip.url("/health");
    let watcher = Watcher::start(&[
        "--watch",
        "100ms",
        "--listen",
        "127.0.0.1:0",
        "-f",
        "jsonl",
        &url,
    ]);
    let addr = watcher.listening();
    watcher.next_event();
    let (code, metrics) = get(addr, "/metrics");
    assert_eq!(code, 200);
    for name in [
        "urlcheck_up",
        "urlcheck_last_status_code",
        "urlcheck_last_duration_seconds",
        "urlcheck_last_check_timestamp_seconds",
        "urlcheck_checks_total",
        "urlcheck_check_duration_seconds_bucket",
        "urlcheck_in_flight",
        "urlcheck_queue_depth",
        "urlcheck_schedule_lag_seconds_bucket",
        "urlcheck_checks_skipped_total",
    ] {
        assert!(metrics.contains(name), "{name} missing:\n{metrics}");
    }
    assert!(
        metrics.contains(&format!("urlcheck_up{{url=\"{url}\"}} 1")),
        "{metrics}"
    );
    // Without asking for OpenMetrics: the classic text format.
    assert!(
        metrics.contains("# TYPE urlcheck_checks_total counter"),
        "{metrics}"
    );
    assert!(!metrics.contains("# EOF"), "{metrics}");
    // Prometheus asks for OpenMetrics, and gets it.
    let accept = "Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n";
    let (_, openmetrics) = get_with(addr, "/metrics", accept);
    assert!(
        openmetrics.contains("# TYPE urlcheck_checks counter"),
        "{openmetrics}"
    );
    assert!(openmetrics.ends_with("# EOF\n"), "{openmetrics}");
    let (code, status) = get(addr, "/status");
    assert_eq!(code, 200);
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["urls"][0]["state"], "up");
    assert_eq!(status["urls"][0]["last"]["status"], 200);
    assert!(status["urls"][0]["since"].as_str().unwrap().ends_with('Z'));
    assert_eq!(get(addr, "/healthz"), (200, "ok\n".to_string()));
    assert_eq!(get(addr, "/other").0, 404);
    assert_eq!(watcher.stop().0, Some(0));
}

#[test]
fn a_port_in_use_is_an_error_before_any_check() {
    let flip = Flip::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(&["--watch", "1s", "--listen", &addr, &flip.url("/a")], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr.contains(&format!("--listen {addr}")),
        "{}",
        out.stderr
    );
    assert_eq!(flip.requests(), 0, "no check before the port is had");
}

#[test]
fn watch_usage_errors_exit_2_with_a_clear_message() {
    let (_dir, path) = url_file("http://127.0.0.1:9/\n");
    for (args, needle) in [
        (vec!["--watch", path.as_str()], "not a duration"),
        (vec![path.as_str(), "--watch"], "--watch needs an interval"),
        (
            vec!["--watch", "1s", "-f", "junit", path.as_str()],
            "--format junit",
        ),
        (
            vec!["--watch", "1s", "--report", "markdown:x.md", path.as_str()],
            "--report markdown",
        ),
        (vec!["--listen", "127.0.0.1:0", path.as_str()], "--watch"),
        (vec!["--watch", "1s", "-"], "stdin cannot be read again"),
        (
            vec!["--watch", "1s", "--wait", "1m", path.as_str()],
            "--wait",
        ),
    ] {
        let out = run(&args, Some(""));
        assert_eq!(out.code, Some(2), "{args:?}: {out:?}");
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
}
