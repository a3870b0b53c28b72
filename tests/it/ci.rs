//! CI smoke checks: expectations, retries, --wait, --deadline, reports,
//! GitHub annotations and the config file, against loopback servers.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{TestServer, run, url_file, urlcheck};

#[test]
fn body_expectations_pass_and_fail() {
    let server = TestServer::http();
    let healthy = server.url("/body?status:%20healthy");
    let down = server.url("/body?status:%20down");
    let maint = server.url("/body?healthy,%20maintenance%20at%205");
    let out = run(
        &["-f", "jsonl", "--expect-body", "healthy", &healthy, &down],
        None,
    );
    assert_eq!(out.code, Some(1));
    assert_eq!(out.record(&healthy)["ok"], true);
    let failed = out.record(&down);
    assert_eq!(failed["error_kind"], "body");
    assert_eq!(failed["error"], "body does not contain \"healthy\"");
    assert_eq!(failed["status"], 200);

    let out = run(
        &[
            "-f",
            "jsonl",
            "--expect-body-regex",
            "^status: (healthy|ok)$",
            &healthy,
            &down,
        ],
        None,
    );
    assert_eq!(out.record(&healthy)["ok"], true);
    assert_eq!(
        out.record(&down)["error"],
        "body does not match /^status: (healthy|ok)$/"
    );

    let out = run(
        &[
            "-f",
            "jsonl",
            "--reject-body-regex",
            "error|maintenance",
            &healthy,
            &maint,
        ],
        None,
    );
    assert_eq!(out.record(&healthy)["ok"], true);
    assert_eq!(
        out.record(&maint)["error"],
        "body matches /error|maintenance/: found \"maintenance\""
    );
}

#[test]
fn header_and_latency_expectations() {
    let server = TestServer::http();
    let url = server.url("/headers");
    let out = run(
        &[
            "-f",
            "jsonl",
            "--expect-header",
            "X-Version: ^2\\.",
            "--expect-header",
            "Content-Type: ^text/plain",
            &url,
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let out = run(
        &["-f", "jsonl", "--expect-header", "X-Version: ^3\\.", &url],
        None,
    );
    let record = out.record(&url);
    assert_eq!(record["error_kind"], "header");
    assert_eq!(
        record["error"],
        "header x-version is \"2.1\", expected /^3\\./"
    );
    let out = run(
        &["-f", "jsonl", "--expect-header", "X-Missing: .", &url],
        None,
    );
    assert_eq!(
        out.record(&url)["error"],
        "header x-missing is missing, expected /./"
    );

    let slow = server.url("/slow/400");
    let out = run(&["-f", "jsonl", "--max-latency", "100ms", &slow], None);
    assert_eq!(out.code, Some(1));
    let record = out.record(&slow);
    assert_eq!(record["error_kind"], "slow");
    assert_eq!(
        record["status"], 200,
        "a slow check still reports its status"
    );
    assert!(record["elapsed_ms"].as_u64().unwrap() >= 400);
    assert!(
        record["error"]
            .as_str()
            .unwrap()
            .ends_with("over the 100ms limit")
    );
    let out = run(&["-f", "jsonl", "--max-latency", "30s", &slow], None);
    assert_eq!(out.code, Some(0));
}

#[test]
fn transient_failures_are_retried_and_marked_flaky() {
    let server = TestServer::http();
    let flaky = server.url("/flaky/2");
    let out = run(
        &[
            "-f",
            "jsonl",
            "--retries",
            "3",
            "--retry-delay",
            "50ms",
            &flaky,
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let record = out.record(&flaky);
    assert_eq!(record["attempts"], 3);
    assert_eq!(server.counters.hits("/flaky/2"), 3);
    assert!(
        out.stderr.contains("flaky: 1 passed only after a retry"),
        "{}",
        out.stderr
    );

    let out = run(
        &[
            "--retries",
            "3",
            "--retry-delay",
            "50ms",
            &server.url("/flaky/2?again"),
        ],
        None,
    );
    assert!(
        out.stdout.contains("flaky: passed on attempt 3"),
        "{}",
        out.stdout
    );

    // Not enough retries: it fails, and says how often it tried.
    let out = run(
        &[
            "-f",
            "jsonl",
            "--retries",
            "1",
            "--retry-delay",
            "10ms",
            &server.url("/flaky/5"),
        ],
        None,
    );
    assert_eq!(out.code, Some(1));
    assert_eq!(out.record(&server.url("/flaky/5"))["attempts"], 2);
}

#[test]
fn a_404_is_not_retried() {
    let server = TestServer::http();
    let missing = server.url("/status/404");
    let out = run(
        &[
            "-f",
            "jsonl",
            "--retries",
            "3",
            "--retry-delay",
            "10ms",
            &missing,
        ],
        None,
    );
    assert_eq!(out.code, Some(1));
    assert_eq!(out.record(&missing)["attempts"], 1);
    assert_eq!(server.counters.requests(), 1);
}

#[test]
fn retry_after_is_honoured() {
    let server = TestServer::http();
    let url = server.url("/retry-after/1");
    let started = Instant::now();
    let out = run(
        &[
            "-f",
            "jsonl",
            "--retries",
            "1",
            "--retry-delay",
            "10ms",
            &url,
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.record(&url)["attempts"], 2);
    // The server asked for a second; the 10 ms backoff alone would be quicker.
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
fn wait_ends_when_the_deploy_comes_up() {
    let server = TestServer::http();
    let url = server.url("/up-after/1500");
    let out = run(
        &[
            "-f",
            "jsonl",
            "--wait",
            "60s",
            "--wait-interval",
            "200ms",
            &url,
            &server.url("/ok"),
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let record = out.record(&url);
    assert!(record["attempts"].as_u64().unwrap() >= 2);
    let up_after = record["up_after_ms"].as_u64().unwrap();
    assert!((1000..60_000).contains(&up_after), "{up_after}");
    assert!(out.record(&server.url("/ok"))["up_after_ms"].is_null());
}

#[test]
fn wait_gives_up_on_a_deploy_that_never_comes() {
    let server = TestServer::http();
    let url = server.url("/status/503");
    let started = Instant::now();
    let out = run(
        &[
            "-f",
            "jsonl",
            "--wait",
            "1s",
            "--wait-interval",
            "200ms",
            &url,
        ],
        None,
    );
    assert_eq!(out.code, Some(1));
    let record = out.record(&url);
    assert_eq!(record["error_kind"], "status");
    assert!(record["attempts"].as_u64().unwrap() >= 3, "{record}");
    assert!(record["up_after_ms"].is_null());
    assert!(started.elapsed() < Duration::from_secs(30));

    // In JUnit, the check took the time it was awaited, not one attempt's.
    let out = run(
        &[
            "-f",
            "junit",
            "--wait",
            "1s",
            "--wait-interval",
            "200ms",
            &url,
        ],
        None,
    );
    assert_eq!(out.code, Some(1));
    let suites = junit_parser::from_reader(out.stdout.as_bytes()).expect("valid JUnit");
    let case = &suites.suites[0].cases[0];
    assert!(case.time >= 0.8, "time {} of {}", case.time, out.stdout);
}

#[test]
fn the_deadline_cuts_the_run_short() {
    let server = TestServer::http();
    let hang = server.url("/hang");
    let started = Instant::now();
    let out = run(
        &["-f", "jsonl", "--deadline", "1s", &hang, &server.url("/ok")],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    let record = out.record(&hang);
    assert_eq!(record["error_kind"], "interrupted");
    assert_eq!(
        record["error"],
        "cut off: the run reached its --deadline of 1s"
    );
    // It ran until the deadline, and says so.
    let ran = record["elapsed_ms"].as_u64().unwrap();
    assert!(
        ran >= 500,
        "a cut-off check reports the time it ran: {ran} ms"
    );
    assert_eq!(out.record(&server.url("/ok"))["ok"], true);
    assert!(
        out.stderr.contains("stopped by --deadline 1s"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("(1 cut off at the deadline)"),
        "no shutdown timeout was involved: {}",
        out.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_report_that_cannot_be_created_exits_2_before_any_check() {
    let server = TestServer::http();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("report.xml");
    let report = format!("junit:{}", path.display());
    let out = run(&["--report", &report, &server.url("/ok")], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(out.stderr.contains("report.xml"), "{}", out.stderr);
    assert_eq!(
        server.counters.requests(),
        0,
        "no check before the report exists"
    );
}

#[test]
fn junit_is_read_by_a_junit_parser() {
    let server = TestServer::http();
    let (ok, missing) = (server.url("/ok"), server.url("/status/404"));
    let out = run(&["-f", "junit", &ok, &missing, "example.com/<&>"], None);
    assert_eq!(
        out.code,
        Some(2),
        "a scheme-less argument is a missing file"
    );
    let (_dir, list) = url_file("example.com/<&>\n");
    let out = run(&["-f", "junit", &ok, &missing, &list], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let suites = junit_parser::from_reader(out.stdout.as_bytes()).expect("valid JUnit");
    assert_eq!(suites.suites.len(), 1);
    let suite = &suites.suites[0];
    assert_eq!(suite.tests, 3);
    assert_eq!(suite.failures, 2);
    let case = |name: &str| {
        suite
            .cases
            .iter()
            .find(|c| c.original_name == name)
            .unwrap_or_else(|| panic!("no test case {name}"))
    };
    assert!(case(&ok).status.is_success());
    assert!(case(&missing).status.is_failure());
    assert!(case("example.com/<&>").status.is_failure());
}

#[test]
fn reports_are_written_to_files_alongside_stdout() {
    let server = TestServer::http();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let markdown = dir.path().join("summary.md");
    let out = run(
        &[
            "--report",
            &format!("junit:{}", junit.display()),
            "--report",
            &format!("markdown:{}", markdown.display()),
            &server.url("/ok"),
            &server.url("/status/500"),
        ],
        None,
    );
    assert_eq!(out.code, Some(1));
    assert!(
        out.stdout.contains("status 500, expected 200-299"),
        "human output on stdout"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let suites = junit_parser::from_reader(xml.as_bytes()).unwrap();
    assert_eq!((suites.suites[0].tests, suites.suites[0].failures), (2, 1));
    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(md.contains(&server.url("/status/500")), "{md}");
    assert!(md.contains('|'), "a table: {md}");
}

#[test]
fn reports_are_complete_when_the_run_is_interrupted() {
    let server = TestServer::http();
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("report.xml");
    let lines: Vec<String> = (0..6).map(|i| server.url(&format!("/hang?{i}"))).collect();
    let (_list_dir, list) = url_file(&lines.join("\n"));
    let child = urlcheck()
        .args(["-w", "2", "--shutdown-timeout", "200ms", "-q", "--report"])
        .arg(format!("junit:{}", junit.display()))
        .arg(&list)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.counters.requests() < 2 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let suites = junit_parser::from_reader(xml.as_bytes()).expect("a whole JUnit file");
    let suite = &suites.suites[0];
    assert!(suite.tests >= 2);
    assert_eq!(suite.tests, suite.failures, "every case is interrupted");
}

#[test]
fn github_actions_get_annotations_and_a_step_summary() {
    let server = TestServer::http();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let output = urlcheck()
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["-q", &server.url("/ok"), &server.url("/status/404")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let annotations: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(annotations.len(), 1, "{stderr}");
    assert!(
        annotations[0].contains(&server.url("/status/404").replace(':', "%3A"))
            || annotations[0].contains(&server.url("/status/404")),
        "{stderr}"
    );
    assert!(annotations[0].contains("status 404, expected 200-299"));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.starts_with("earlier step\n"), "appended, not replaced");
    assert!(md.contains(&server.url("/status/404")));
    // Outside GitHub Actions, no annotations.
    let out = run(&["-q", &server.url("/status/404")], None);
    assert!(!out.stderr.contains("::error"));
}

#[test]
fn under_github_actions_each_failure_is_in_the_log_once() {
    let server = TestServer::http();
    // Enough lines for a recap (10 or more results), two of them failing.
    let mut lines: Vec<String> = (0..10).map(|i| server.url(&format!("/ok?{i}"))).collect();
    lines[3] = server.url("/status/404");
    lines[7] = server.url("/status/503");
    let (_dir, path) = url_file(&(lines.join("\n") + "\n"));
    let github = |on: bool| {
        let mut command = urlcheck();
        if on {
            command.env("GITHUB_ACTIONS", "true");
        }
        let output = command
            .args(["--no-progress", "-w", "1", &path])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        String::from_utf8(output.stderr).unwrap()
    };
    let stderr = github(true);
    let place = |line: u32| format!("file={},line={line},", path.replace(':', "%3A"));
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("::"))
            .collect::<Vec<_>>(),
        [
            format!(
                "::error {}title=urlcheck status::{}: status 404, expected 200-299",
                place(4),
                server.url("/status/404")
            ),
            format!(
                "::error {}title=urlcheck status::{}: status 503, expected 200-299",
                place(8),
                server.url("/status/503")
            ),
        ],
        "the place is in file= and line=, not again in the message:\n{stderr}"
    );
    // The annotations carry the failures: no recap of them.
    assert!(!stderr.contains("Failures:"), "{stderr}");
    assert_eq!(stderr.matches("/status/404").count(), 1, "{stderr}");
    assert!(
        stderr.contains("Summary: 10 URLs in "),
        "the summary stays: {stderr}"
    );
    // Elsewhere: no annotations, and the recap.
    let stderr = github(false);
    assert!(!stderr.contains("::error"), "{stderr}");
    assert!(stderr.contains("Failures:"), "{stderr}");
    // From stdin, the place can only be in the message.
    let output = urlcheck()
        .env("GITHUB_ACTIONS", "true")
        .args(["-q", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            writeln!(stdin, "{}", server.url("/status/404"))?;
            drop(stdin);
            child.wait_with_output()
        })
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        format!(
            "::error title=urlcheck status::{}: status 404, expected 200-299 (stdin:1)\n",
            server.url("/status/404")
        )
    );
}

fn toml_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("urlcheck.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}

#[test]
fn a_config_file_runs_its_checks_with_their_expectations() {
    let server = TestServer::http();
    let (_dir, path) = toml_file(&format!(
        r#"[defaults]
workers = 2
retries = 2
retry_delay = "10ms"
headers = {{ Authorization = "Bearer ${{URLCHECK_TEST_TOKEN}}" }}

[[check]]
url = "{ok}"
expect_body = "ok"

[[check]]
url = "{flaky}"

[[check]]
url = "{body}"
expect_body = "healthy"
"#,
        ok = server.url("/ok?token=${URLCHECK_TEST_TOKEN}"),
        flaky = server.url("/flaky/1"),
        body = server.url("/body?sick"),
    ));
    let output = urlcheck()
        .env("URLCHECK_TEST_TOKEN", "s3cr3t-value")
        .args(["-f", "jsonl", "-c", &path, &server.url("/status/201")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stdout.contains("s3cr3t-value") && !stderr.contains("s3cr3t-value"));
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4);
    let by_line = |line: u64| {
        records
            .iter()
            .find(|r| r["line"] == line && r["source"] == path.as_str())
            .unwrap_or_else(|| panic!("no record for line {line}: {stdout}"))
    };
    assert_eq!(by_line(8)["ok"], true);
    assert_eq!(
        by_line(8)["url"],
        server.url("/ok?token=${URLCHECK_TEST_TOKEN}")
    );
    assert_eq!(by_line(12)["attempts"], 2, "retries from [defaults]");
    assert_eq!(by_line(15)["error"], "body does not contain \"healthy\"");
    // The header went out expanded.
    let seen = server.counters.seen();
    assert!(
        seen.iter()
            .all(|s| s.headers["authorization"] == "Bearer s3cr3t-value")
    );
    assert!(seen.iter().any(|s| s.path.contains("token=s3cr3t-value")));
}

#[test]
fn config_file_mistakes_exit_2_with_their_position() {
    for (text, expected) in [
        ("[defaults]\ntimeout = \"soon\"\n", ":2:11:"),
        (
            "[[check]]\nurl = \"https://a.test/\"\nexpect_bodyy = \"x\"\n",
            ":3:1:",
        ),
        (
            "[[check]]\nurl = \"https://a.test/\"\nexpect_body_regex = \"(\"\n",
            ":3:21:",
        ),
        ("[defaults\n", ":1:"),
        (
            "[[check]]\nurl = \"https://a.test/${URLCHECK_NOT_SET}\"\n",
            "URLCHECK_NOT_SET",
        ),
    ] {
        let (_dir, path) = toml_file(text);
        let out = run(&["-c", &path], None);
        assert_eq!(out.code, Some(2), "{text}: {out:?}");
        assert!(out.stderr.contains(&path), "{}", out.stderr);
        assert!(out.stderr.contains(expected), "{text}: {}", out.stderr);
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn wait_in_a_log_says_what_it_waits_for_and_how_long_a_url_was_awaited() {
    let down = crate::support::refused_url();
    let out = run(
        &[
            "-f",
            "jsonl",
            "--wait",
            "2s",
            "--wait-interval",
            "200ms",
            &down,
        ],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    // stderr is not a terminal here, as in CI: no progress bar, but lines.
    assert!(
        out.stderr.contains("--wait: waiting for 1: ") && out.stderr.contains(" left)"),
        "{}",
        out.stderr
    );
    let record = out.record(&down);
    assert!(
        record["error"].as_str().unwrap().contains("(awaited "),
        "{record}"
    );
    assert!(record["attempts"].as_u64().unwrap() > 1, "{record}");
}

/// A `--wait` or `--wait-interval` too long for the clock is as good as
/// forever: no panic, no hang, one record.
#[test]
fn wait_durations_beyond_the_clock_neither_panic_nor_hang() {
    let down = crate::support::refused_url();
    let huge = "18000000000000000000s";
    for args in [
        ["--wait", "1m", "--wait-interval", huge],
        ["--wait", huge, "--deadline", "1s"],
    ] {
        let mut all = vec!["-f", "jsonl"];
        all.extend(args);
        all.push(&down);
        let out = run(&all, None);
        assert_eq!(out.code, Some(1), "{args:?}: {out:?}");
        assert_eq!(out.records().len(), 1, "{args:?}: {out:?}");
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
    }
}

/// A `[[check]]` sets its own method, timeout and redirect limit; the
/// others keep the flags' and `[defaults]`'.
#[test]
fn a_check_sets_its_own_method_timeout_and_redirects() {
    let server = TestServer::http();
    let (slow, hops, head, plain) = (
        server.url("/slow/3000"),
        server.url("/redirect/3"),
        server.url("/ok?head"),
        server.url("/slow/1500?plain"),
    );
    let (_dir, path) = toml_file(&format!(
        "[defaults]\ntimeout = \"10s\"\n\
         [[check]]\nurl = \"{slow}\"\ntimeout = \"300ms\"\n\
         [[check]]\nurl = \"{hops}\"\nmax_redirects = 2\n\
         [[check]]\nurl = \"{head}\"\nmethod = \"HEAD\"\n\
         [[check]]\nurl = \"{plain}\"\n"
    ));
    let out = run(&["-f", "jsonl", "-c", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.record(&slow)["error"], "timed out after 300ms");
    assert_eq!(out.record(&hops)["error"], "more than 2 redirects");
    assert_eq!(out.record(&head)["ok"], true);
    assert_eq!(
        out.record(&plain)["ok"],
        true,
        "the [defaults] timeout holds"
    );
    let methods: Vec<(String, String)> = server
        .counters
        .seen()
        .into_iter()
        .map(|seen| (seen.path, seen.method))
        .collect();
    assert!(
        methods.contains(&("/ok?head".to_string(), "HEAD".to_string())),
        "{methods:?}"
    );
    assert!(
        methods.contains(&("/redirect/3".to_string(), "GET".to_string())),
        "{methods:?}"
    );
}

/// A `[[check]]` sets its own proxy: its request goes to the proxy (in
/// absolute form), while the same URL in another check, without one, is
/// tried directly and refused.
#[test]
fn a_check_sets_its_own_proxy() {
    let proxy = TestServer::http();
    let url = "http://127.0.0.2:9/ok?through-the-proxy";
    let direct = "http://127.0.0.2:9/ok?directly";
    let (_dir, path) = toml_file(&format!(
        "[[check]]\nurl = \"{url}\"\nproxy = \"http://{}\"\n\
         [[check]]\nurl = \"{direct}\"\n",
        proxy.addr
    ));
    let out = run(&["-f", "jsonl", "-c", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.record(url)["ok"], true, "{out:?}");
    assert_eq!(out.record(direct)["error_kind"], "connect", "{out:?}");
    assert_eq!(proxy.counters.requests(), 1);
}
