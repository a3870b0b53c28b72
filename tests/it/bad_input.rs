//! Bad input: the corpus in `fixtures/bad-input/` (and a few files too big to
//! commit, made here), each run through the real binary. Every URL line gives
//! exactly one record with its line number, good lines around bad ones are
//! still checked, passwords are never printed and control characters never
//! reach a terminal.
//!
//! Fixtures that need a good URL hold `http://127.0.0.1:PORT/ok`; `PORT` is
//! replaced by the test server's port and the result written to a tempdir.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::support::{Run, TestServer, run, urlcheck};
use serde_json::Value;
use tempfile::TempDir;

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/bad-input")
        .join(name)
}

/// The fixture `name` with every `PORT` replaced by `port`, in a tempdir.
fn fixture(name: &str, port: u16) -> (TempDir, String) {
    let bytes = std::fs::read(fixture_path(name)).unwrap();
    let bytes = replace(&bytes, b"PORT", port.to_string().as_bytes());
    write_temp(name, &bytes)
}

fn write_temp(name: &str, bytes: &[u8]) -> (TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}

fn replace(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut rest = haystack;
    while !rest.is_empty() {
        if rest.starts_with(from) {
            out.extend_from_slice(to);
            rest = &rest[from.len()..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

/// What a record says about its line, for exact comparison.
#[derive(Debug, PartialEq)]
struct Row {
    line: u64,
    url: String,
    kind: Option<String>,
    error: Option<String>,
}

fn ok(line: u64, url: &str) -> Row {
    Row {
        line,
        url: url.to_string(),
        kind: None,
        error: None,
    }
}

fn bad(line: u64, url: &str, kind: &str, error: &str) -> Row {
    Row {
        line,
        url: url.to_string(),
        kind: Some(kind.to_string()),
        error: Some(error.to_string()),
    }
}

/// The records of a `--format jsonl` run, in line order, all from `source`.
/// Passing records must have status 200; lines never requested none.
fn rows(out: &Run, source: &str) -> Vec<Row> {
    let mut rows: Vec<Row> = out
        .records()
        .iter()
        .map(|r| {
            assert_eq!(r["source"], source, "{r}");
            if r["ok"] == true {
                assert_eq!(r["status"], 200, "{r}");
            }
            if r["error_kind"] == "invalid_input" {
                assert_eq!(
                    (&r["status"], &r["final_url"], &r["attempts"]),
                    (&Value::Null, &Value::Null, &Value::from(0)),
                    "an invalid line is never requested: {r}"
                );
            }
            Row {
                line: r["line"].as_u64().unwrap(),
                url: r["url"].as_str().unwrap().to_string(),
                kind: r["error_kind"].as_str().map(str::to_string),
                error: r["error"].as_str().map(str::to_string),
            }
        })
        .collect();
    rows.sort_by_key(|r| r.line);
    rows
}

/// No raw ESC, BEL, CR, NUL or other control character but `\n` (and no
/// bidirectional override) in a stream a terminal might show.
fn assert_no_raw_controls(stream: &str, what: &str) {
    let found: Vec<char> = stream
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(found.is_empty(), "raw {found:?} in {what}:\n{stream}");
}

const NO_URLS: &str =
    "urlcheck: no URLs to check: the input has no URL lines (blank and # lines are skipped)\n";

#[test]
fn an_empty_file_exits_2_with_no_urls_to_check() {
    let path = fixture_path("empty.txt");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    let out = run(&["-f", "jsonl", path.to_str().unwrap()], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, NO_URLS);
    // The same from stdin.
    let out = run(&["-f", "jsonl", "-"], Some(""));
    assert_eq!((out.code, out.stdout.as_str()), (Some(2), ""), "{out:?}");
    assert_eq!(out.stderr, NO_URLS);
}

#[test]
fn a_file_of_only_comments_and_blank_lines_exits_2() {
    let comments = fixture_path("comments-only.txt");
    let empty = fixture_path("empty.txt");
    let out = run(
        &[
            "-f",
            "csv",
            comments.to_str().unwrap(),
            empty.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.code, Some(2), "{out:?}");
    // The CSV header always comes first, even with no record after it.
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        [concat!(
            "url,ok,status,error_kind,error,elapsed_ms,final_url,redirects,",
            "source,line,attempts,cert_not_after,cert_days_left,up_after_ms,http_version,",
            "remote_addr,tls_version,dns_ms,connect_ms,tls_ms,ttfb_ms,transfer_ms,known,shard,",
            "column,occurrences"
        )]
    );
    assert_eq!(out.stderr, NO_URLS);
}

#[test]
fn crlf_line_endings_are_accepted() {
    let server = TestServer::http();
    let (_dir, path) = fixture("crlf.txt", server.addr.port());
    let out = run(&["-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let ok_url = server.url("/ok");
    assert_eq!(
        rows(&out, &path),
        [
            ok(2, &ok_url),
            ok(4, &format!("{ok_url}?b")),
            ok(6, &format!("{ok_url}?c#fragment")),
            bad(
                7,
                "example.com",
                "invalid_input",
                "missing scheme; did you mean https://example.com?"
            ),
            ok(8, &format!("{ok_url}?d")),
        ]
    );
    assert!(
        !out.stdout.contains("\\r"),
        "no CR in any url:\n{}",
        out.stdout
    );
    // The fragment is never sent; the comment is not part of the URL.
    let mut seen: Vec<String> = server.counters.seen().into_iter().map(|s| s.path).collect();
    seen.sort();
    assert_eq!(seen, ["/ok", "/ok?b", "/ok?c", "/ok?d"]);
}

#[test]
fn a_utf8_byte_order_mark_is_accepted() {
    let server = TestServer::http();
    let port = server.addr.port();
    let (_dir, path) = fixture("bom.txt", port);
    let (_dir2, commented) = fixture("bom-comment.txt", port);
    let ok_url = server.url("/ok");

    let out = run(&["-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(
        rows(&out, &path),
        [
            ok(1, &format!("{ok_url}?first")),
            ok(2, &format!("{ok_url}?second"))
        ]
    );
    assert!(!out.stdout.contains('\u{feff}'));

    // A BOM before a comment: the comment is skipped, the URL after it checked.
    let out = run(&["-f", "jsonl", &commented], None);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(rows(&out, &commented), [ok(2, &ok_url)]);

    // And on stdin.
    let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
    let out = run(&["-f", "jsonl"], Some(&text));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(rows(&out, "-").len(), 2);
    assert_eq!(server.counters.requests(), 5);
}

#[test]
fn an_invalid_utf8_line_is_one_record_and_good_lines_are_still_checked() {
    let server = TestServer::http();
    let (_dir, path) = fixture("invalid-utf8.txt", server.addr.port());
    let out = run(&["-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let ok_url = server.url("/ok");
    let base = server.url("/");
    assert_eq!(
        rows(&out, &path),
        [
            ok(1, &format!("{ok_url}?a")),
            bad(
                2,
                "\u{fffd}\u{fffd} not utf-8",
                "invalid_input",
                "line is not valid UTF-8 (bad byte 0xff at byte 1)"
            ),
            ok(3, &format!("{ok_url}?b")),
            bad(
                4,
                &format!("{base}caf\u{fffd}"),
                "invalid_input",
                &format!(
                    "line is not valid UTF-8 (bad byte 0xc3 at byte {})",
                    base.len() + 4
                )
            ),
            bad(
                5,
                &format!("{base}\u{fffd}\u{fffd}"),
                "invalid_input",
                &format!(
                    "line is not valid UTF-8 (bad byte 0xc0 at byte {})",
                    base.len() + 1
                )
            ),
            ok(6, &format!("{ok_url}?c")),
        ]
    );
    assert_eq!(
        server.counters.requests(),
        3,
        "invalid lines are not requested"
    );
}

#[test]
fn nul_and_control_characters_are_invalid_and_never_reach_the_terminal() {
    let server = TestServer::http();
    let (_dir, path) = fixture("control-chars.txt", server.addr.port());
    let ok_url = server.url("/ok");
    let control = |line, url: &str, code: &str, column| {
        bad(
            line,
            url,
            "invalid_input",
            &format!("contains a control character (U+{code}) at column {column}"),
        )
    };
    let out = run(&["-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        rows(&out, &path),
        [
            ok(2, &format!("{ok_url}?1")),
            control(3, &format!("{ok_url}\0nul"), "0000", ok_url.len() + 1),
            ok(4, &format!("{ok_url}?2")),
            control(5, "http://a.test/\x1b[31mred\x1b[0m", "001B", 15),
            control(6, "http://a.test/bell\x07", "0007", 19),
            control(7, "http://a.test/cr\rX", "000D", 17),
            control(8, "http://a.test/\x1b]0;title\x07", "001B", 15),
            control(9, "http://a.test/del\x7f", "007F", 18),
            control(10, "http://a.test/csi\u{9b}2J", "009B", 18),
            ok(11, &format!("{ok_url}?3")),
            ok(12, &format!("{ok_url}?4")),
        ]
    );
    assert_eq!(server.counters.requests(), 4);

    // Human output on stdout, the failure recap and summary on stderr: every
    // control character escaped. 11 results, so the recap is printed too.
    let out = run(&["--color", "never", "--no-progress", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_no_raw_controls(&out.stdout, "stdout");
    assert_no_raw_controls(&out.stderr, "stderr");
    for escaped in [
        format!("{ok_url}\\u{{0}}nul"),
        "http://a.test/\\u{1b}[31mred\\u{1b}[0m".to_string(),
        "http://a.test/bell\\u{7}".to_string(),
        "http://a.test/cr\\rX".to_string(),
        "http://a.test/\\u{1b}]0;title\\u{7}".to_string(),
        "http://a.test/del\\u{7f}".to_string(),
        "http://a.test/csi\\u{9b}2J".to_string(),
    ] {
        assert!(
            out.stdout.contains(&escaped),
            "{escaped} in:\n{}",
            out.stdout
        );
        assert!(
            out.stderr.contains(&escaped),
            "{escaped} in:\n{}",
            out.stderr
        );
    }
    assert_eq!(out.stdout.lines().count(), 11);
    assert!(out.stderr.contains("Failures:"), "{}", out.stderr);

    // CSV escapes them too.
    let out = run(&["-f", "csv", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_no_raw_controls(&out.stdout, "csv stdout");
    assert_no_raw_controls(&out.stderr, "csv stderr");
}

#[test]
fn a_bidi_override_in_a_url_is_escaped_in_human_output() {
    // U+202E is not a control character, so the URL is requested (and fails
    // without DNS), but it must not reorder what the terminal shows.
    let (_dir, path) = write_temp("bidi.txt", "http://a.test/\u{202e}txt.exe\n".as_bytes());
    let out = run(
        &[
            "--color",
            "never",
            "--connect-timeout",
            "2s",
            "-t",
            "3s",
            &path,
        ],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_no_raw_controls(&out.stdout, "stdout");
    assert_no_raw_controls(&out.stderr, "stderr");
    assert!(
        out.stdout.contains("http://a.test/\\u{202e}txt.exe"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_1_mb_line_is_reported_not_parsed_and_the_16_kib_limit_is_exact() {
    let server = TestServer::http();
    let ok_url = server.url("/ok");
    // A line of exactly `len` bytes: the good URL, padded in its query.
    let padded = |prefix: &str, len: usize| {
        let mut line = format!("{prefix}?");
        line.extend(std::iter::repeat_n('x', len - line.len()));
        line
    };
    let at_limit = padded(&ok_url, 16 * 1024);
    let over_limit = padded(&ok_url, 16 * 1024 + 1);
    let one_mb = padded(&ok_url, 1024 * 1024);
    let with_password = padded(
        &server
            .url("/ok")
            .replace("http://", "http://user:longlinepassword@"),
        1024 * 1024,
    );
    let contents = format!(
        "{ok_url}?a\n{one_mb}\n{ok_url}?b\n{at_limit}\n{over_limit}\r\n\
         {with_password}\n{ok_url}?c\n{one_mb}"
    );
    let (_dir, path) = write_temp("long-lines.txt", contents.as_bytes());
    let started = std::time::Instant::now();
    let out = run(&["-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let too_long = |line, text: &str, len: usize| {
        let start: String = text.chars().take(60).collect();
        bad(
            line,
            &format!("{start}…"),
            "invalid_input",
            &format!("line is {len} bytes long, over the 16384-byte limit for a URL"),
        )
    };
    let masked = with_password.replace("longlinepassword", "***");
    assert_eq!(
        rows(&out, &path),
        [
            ok(1, &format!("{ok_url}?a")),
            too_long(2, &one_mb, 1024 * 1024),
            ok(3, &format!("{ok_url}?b")),
            ok(4, &at_limit),
            too_long(5, &over_limit, 16 * 1024 + 2),
            too_long(6, &masked, 1024 * 1024),
            ok(7, &format!("{ok_url}?c")),
            too_long(8, &one_mb, 1024 * 1024),
        ]
    );
    assert!(!out.stdout.contains("longlinepassword"));
    assert!(!out.stderr.contains("longlinepassword"));
    assert!(out.stdout.len() < 64 * 1024, "long lines are not echoed");
    assert_eq!(server.counters.requests(), 4);
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn other_schemes_are_invalid_input_and_never_requested() {
    let server = TestServer::http();
    let (_dir, path) = fixture("schemes.txt", server.addr.port());
    let out = run(&["-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let unsupported = |line, url: &str, scheme: &str| {
        bad(
            line,
            url,
            "invalid_input",
            &format!("unsupported scheme '{scheme}:'; only http and https URLs are checked"),
        )
    };
    let ok_url = server.url("/ok");
    let mut got = rows(&out, &path);
    // The mailto: line's url is asserted by `a_mailto_address_is_shown_as_given`.
    let mailto = got.remove(4);
    assert_eq!(
        (mailto.line, mailto.kind.as_deref(), mailto.error.as_deref()),
        (
            6,
            Some("invalid_input"),
            Some("unsupported scheme 'mailto:'; only http and https URLs are checked")
        )
    );
    assert_eq!(
        got,
        [
            ok(2, &ok_url),
            unsupported(3, "ftp://ftp.example.com/pub/file.txt", "ftp"),
            unsupported(4, "file:///etc/passwd", "file"),
            unsupported(5, "javascript:alert(document.cookie)", "javascript"),
            unsupported(7, "data:text/html,<script>alert(1)</script>", "data"),
            unsupported(8, "FTP://FTP.EXAMPLE.COM/", "ftp"),
            unsupported(9, "ws://example.com/socket", "ws"),
            unsupported(10, "gopher://example.com/", "gopher"),
            ok(
                11,
                &format!(
                    "HTTP://127.0.0.1:{}/ok?upper-case-scheme",
                    server.addr.port()
                )
            ),
            ok(12, &format!("{ok_url}?last")),
        ]
    );
    assert_eq!(server.counters.requests(), 3);

    // As arguments, the same records (source arg, no line).
    let out = run(
        &[
            "-f",
            "jsonl",
            "ftp://a.test/",
            "file:///etc/passwd",
            &ok_url,
        ],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.record("ftp://a.test/")["error_kind"], "invalid_input");
    assert_eq!(out.record("file:///etc/passwd")["line"], Value::Null);
    assert_eq!(out.record(&ok_url)["ok"], true);
}

#[test]
fn a_host_no_request_can_carry_is_invalid_input_with_a_reason() {
    // The URL standard accepts `"`, `{`, `}` and `` ` `` in a host; an HTTP
    // request cannot carry them, and reqwest said only "Parsed Url is not a
    // valid Uri" (kind protocol). Sub-delims such as `!` can be carried: the
    // resolver judges them.
    let server = TestServer::http();
    let ok_url = server.url("/ok?q={x}|^`");
    let (_dir, path) = write_temp(
        "hosts.txt",
        format!("http://a{{b}}.test/\nhttps://a\"b.test/\nhttp://a`b.test:8080/x\n{ok_url}\n")
            .as_bytes(),
    );
    let out = run(&["-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let carry = |line, url: &str, host: &str, chars: &str| {
        bad(
            line,
            url,
            "invalid_input",
            &format!(
                "the host '{host}' has characters no HTTP request can carry ({chars}); \
                 check the URL for a typo"
            ),
        )
    };
    assert_eq!(
        rows(&out, &path),
        [
            carry(1, "http://a{b}.test/", "a{b}.test", "'{' '}'"),
            carry(2, "https://a\"b.test/", "a\"b.test", "'\"'"),
            carry(3, "http://a`b.test:8080/x", "a`b.test", "'`'"),
            ok(4, &ok_url),
        ]
    );
    assert_eq!(server.counters.requests(), 1);
}

#[test]
fn a_mailto_address_is_shown_as_given() {
    let (_dir, path) = fixture("schemes.txt", 1);
    let out = run(&["-f", "jsonl", &path], None);
    let mailto = rows(&out, &path).into_iter().find(|r| r.line == 6).unwrap();
    assert_eq!(mailto.url, "mailto:someone@example.com");
}

#[test]
fn scheme_less_hosts_get_a_suggestion() {
    let server = TestServer::http();
    let port = server.addr.port();
    let (_dir, path) = fixture("scheme-less.txt", port);
    let out = run(&["-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    // https:// for a name, http:// for localhost and IP addresses.
    let missing = |line, scheme: &str, url: &str| {
        bad(
            line,
            url,
            "invalid_input",
            &format!("missing scheme; did you mean {scheme}://{url}?"),
        )
    };
    assert_eq!(
        rows(&out, &path),
        [
            missing(2, "https", "example.com"),
            missing(3, "https", "www.example.org/path?q=1"),
            missing(4, "http", "localhost:8080/health"),
            missing(5, "http", &format!("127.0.0.1:{port}/ok")),
            ok(6, &server.url("/ok")),
        ]
    );
    assert_eq!(server.counters.requests(), 1);

    // As an argument, a bare host is taken for a file: exit 2 with the hint.
    let out = run(&["example.com"], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("https://example.com"), "{}", out.stderr);
}

#[test]
fn a_protocol_relative_line_suggests_https() {
    let out = run(&["-f", "jsonl"], Some("//example.com/x\n"));
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(
        out.record("//example.com/x")["error"],
        "missing scheme; did you mean https://example.com/x?"
    );
}

#[test]
fn spaces_inside_a_url_are_invalid_input_naming_the_column() {
    let server = TestServer::http();
    let (_dir, path) = fixture("spaces.txt", server.addr.port());
    let out = run(&["-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let base = server.url("/");
    let space = |line, url: &str, column| {
        bad(
            line,
            url,
            "invalid_input",
            &format!("contains a space at column {column}; encode spaces in URLs as %20"),
        )
    };
    let col = |url: &str, marker: char| url.chars().position(|c| c == marker).unwrap() + 1;
    let a_b = format!("{base}a b");
    let nbsp = format!("{base}nbsp\u{a0}x");
    let tab = format!("{base}tab\tx");
    let leading = format!("http:// 127.0.0.1:{}/ok", server.addr.port());
    assert_eq!(
        rows(&out, &path),
        [
            ok(2, &format!("{base}ok?q=a%20b")),
            space(3, &a_b, col(&a_b, ' ')),
            space(4, "http://exa mple.com/", 11),
            space(5, &leading, 8),
            ok(6, &format!("{base}ok?q=a+b")),
            bad(
                7,
                &tab,
                "invalid_input",
                &format!(
                    "contains a control character (U+0009) at column {}",
                    col(&tab, '\t')
                )
            ),
            space(8, &nbsp, col(&nbsp, '\u{a0}')),
            ok(9, &format!("{base}ok?trimmed")),
        ]
    );
    assert_eq!(server.counters.requests(), 3);
}

/// The passwords in `credentials.txt`, raw and as a URL would encode them.
const PASSWORDS: &[&str] = &[
    "hunter2hunter2",
    "s3cr3t-pa55",
    "opensesame99",
    "letmein4242",
    "trustno1trustno1",
    "p%40ssw0rd-enc",
    "p@ssw0rd-enc",
    "sign@pw77",
    "sign%40pw77",
];

fn assert_no_password(out: &Run, what: &str) {
    for password in PASSWORDS {
        for (name, stream) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !stream.contains(password),
                "{password} in {what} {name}:\n{stream}"
            );
        }
    }
}

#[test]
fn passwords_in_urls_never_reach_stdout_or_stderr() {
    let server = TestServer::http();
    let port = server.addr.port();
    let (_dir, path) = fixture("credentials.txt", port);
    let out = run(&["-f", "jsonl", &path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_no_password(&out, "jsonl");
    let local = format!("127.0.0.1:{port}");
    assert_eq!(
        rows(&out, &path),
        [
            ok(2, &format!("http://alice:***@{local}/ok")),
            bad(
                3,
                &format!("http://bob:***@{local}/status/404"),
                "status",
                "status 404, expected 200-299"
            ),
            bad(
                4,
                "https://carol:***@exa mple.com/",
                "invalid_input",
                "contains a space at column 31; encode spaces in URLs as %20"
            ),
            bad(
                5,
                "dave:***@example.com/x",
                "invalid_input",
                "missing scheme; did you mean https://dave:***@example.com/x?"
            ),
            bad(
                6,
                "ftp://erin:***@ftp.example.com/",
                "invalid_input",
                "unsupported scheme 'ftp:'; only http and https URLs are checked"
            ),
            bad(
                7,
                "http://frank:***@127.0.0.1:99999/",
                "invalid_input",
                "not a valid URL: invalid port number"
            ),
            ok(8, &format!("http://grace:***@{local}/ok")),
            ok(9, &format!("http://heidi@{local}/ok")),
        ]
    );
    let records = out.records();
    let final_url =
        |line: u64| records.iter().find(|r| r["line"] == line).unwrap()["final_url"].clone();
    assert_eq!(final_url(2), format!("http://alice:***@{local}/ok"));
    assert_eq!(final_url(8), format!("http://grace:***@{local}/ok"));

    // The password was really sent, as basic auth, to the server only.
    let auth: Vec<String> = server
        .counters
        .seen()
        .iter()
        .filter_map(|s| s.headers.get("authorization"))
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        auth.contains(&"Basic YWxpY2U6aHVudGVyMmh1bnRlcjI=".to_string()),
        "alice:hunter2hunter2 as basic auth: {auth:?}"
    );

    for format in ["human", "csv", "junit", "markdown"] {
        let out = run(&["-f", format, "--color", "never", &path], None);
        assert_eq!(out.code, Some(1), "{format}: {out:?}");
        assert_no_password(&out, format);
        // Markdown lists only failures.
        assert!(out.stdout.contains("bob:***@"), "{format}:\n{}", out.stdout);
    }

    // As arguments, and with a GitHub Actions annotation on stderr.
    let alice = format!("http://alice:hunter2hunter2@{local}/status/500");
    let output = urlcheck()
        .args(["-f", "jsonl", &alice, "ftp://erin:trustno1trustno1@x.test/"])
        .env("GITHUB_ACTIONS", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let out = Run {
        code: output.status.code(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_no_password(&out, "github");
    assert!(out.stderr.contains("::error"), "{}", out.stderr);
    assert!(out.stderr.contains("alice:***@"), "{}", out.stderr);
}

#[test]
fn passwords_after_one_or_three_slashes_are_masked_too() {
    let server = TestServer::http();
    let local = server.addr.to_string();
    let lines = format!(
        "http:/u:hunter2hunter2@{local}/ok\nhttp:///u:hunter2hunter2@{local}/ok\n\
         HTTPS:\\\\u:hunter2hunter2@x.test/\n"
    );
    let out = run(&["-f", "jsonl"], Some(&lines));
    assert_eq!(out.records().len(), 3, "{out:?}");
    assert_no_password(&out, "stdin");
    // A mistyped URL argument is taken for a file; its error names it masked.
    let out = run(&[&format!("http:/u:hunter2hunter2@{local}/ok")], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_no_password(&out, "arg");
}

#[test]
fn an_ipv6_literal_is_a_url_not_invalid_input() {
    // Listen on ::1 if this machine can; otherwise the URL must still be
    // requested (connect fails), never rejected as invalid input.
    let v6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    let server = if v6 {
        TestServer::http_on("::1")
    } else {
        TestServer::http()
    };
    let port = server.addr.port();
    let (_dir, path) = fixture("ipv6.txt", port);
    let out = run(&["-f", "jsonl", &path], None);
    let good = [
        format!("http://[::1]:{port}/ok"),
        format!("http://[0:0:0:0:0:0:0:1]:{port}/ok?long-form"),
    ];
    let invalid = [
        bad(
            4,
            &format!("http://[::1:{port}/ok"),
            "invalid_input",
            "not a valid URL: invalid IPv6 address",
        ),
        bad(
            5,
            &format!("http://::1:{port}/ok"),
            "invalid_input",
            "not a valid URL: empty host",
        ),
    ];
    let mut got = rows(&out, &path);
    let requested: Vec<Row> = got.drain(..2).collect();
    assert_eq!(got, invalid);
    assert_eq!(out.code, Some(1), "{out:?}");
    if v6 {
        assert_eq!(requested, [ok(2, &good[0]), ok(3, &good[1])]);
        assert_eq!(server.counters.requests(), 2);
        let records = out.records();
        let long = records.iter().find(|r| r["line"] == 3).unwrap();
        assert_eq!(
            long["final_url"],
            format!("http://[::1]:{port}/ok?long-form")
        );
    } else {
        for (row, url) in requested.iter().zip(&good) {
            assert_eq!((&row.url, row.kind.as_deref()), (url, Some("connect")));
        }
    }
}

#[test]
fn an_internationalised_host_name_parses_and_keeps_its_name() {
    let server = TestServer::http();
    let (_dir, path) = fixture("idn.txt", server.addr.port());
    let out = run(
        &["-f", "jsonl", "--connect-timeout", "2s", "-t", "3s", &path],
        None,
    );
    assert_eq!(out.code, Some(1), "{out:?}");
    let got = rows(&out, &path);
    assert_eq!(got[1], ok(3, &server.url("/ok")));
    let records = out.records();
    for (line, url, final_url) in [
        (2, "http://bücher.example/", "http://xn--bcher-kva.example/"),
        (
            4,
            "https://例え.テスト/パス",
            "https://xn--r8jz45g.xn--zckzah/%E3%83%91%E3%82%B9",
        ),
        (
            5,
            "http://xn--bcher-kva.example/",
            "http://xn--bcher-kva.example/",
        ),
    ] {
        let record = records.iter().find(|r| r["line"] == line).unwrap();
        assert_eq!(record["url"], url, "the name as given: {record}");
        // Without DNS: dns, or connect through a resolver that answers
        // (timeout only where the resolver hangs). Never invalid_input.
        let kind = record["error_kind"].as_str().unwrap();
        assert!(
            ["dns", "connect", "timeout"].contains(&kind),
            "{kind}: {record}"
        );
        assert_eq!(record["final_url"], final_url, "it was requested: {record}");
    }
    assert_eq!(server.counters.requests(), 1);
}

/// The lines of `bytes` that are URL lines by the reference's rules (docs/reference.md, Input) (neither
/// blank nor a comment once trimmed), numbered from 1.
fn url_lines(bytes: &[u8]) -> Vec<u64> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    if bytes.ends_with(b"\n") {
        lines.pop();
    }
    lines
        .iter()
        .enumerate()
        .filter(|(_, line)| {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let text = String::from_utf8_lossy(line);
            let text = text.trim_start_matches('\u{feff}').trim();
            !text.is_empty() && !text.starts_with('#')
        })
        .map(|(i, _)| i as u64 + 1)
        .collect()
}

#[test]
fn a_binary_file_gives_one_invalid_input_record_per_url_line() {
    let path = fixture_path("binary.bin");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 4096);
    let expected = url_lines(&bytes);
    assert!(expected.len() > 80, "{}", expected.len());
    let path = path.to_str().unwrap();

    let out = run(&["-f", "jsonl", path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    let got = rows(&out, path);
    let lines: Vec<u64> = got.iter().map(|r| r.line).collect();
    assert_eq!(lines, expected);
    for row in &got {
        assert_eq!(row.kind.as_deref(), Some("invalid_input"), "{row:?}");
    }
    assert!(got.iter().any(|r| {
        r.error
            .as_deref()
            .unwrap()
            .starts_with("line is not valid UTF-8")
    }));

    let out = run(&["--color", "never", path], None);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_no_raw_controls(&out.stdout, "stdout");
    assert_no_raw_controls(&out.stderr, "stderr");
    assert_eq!(out.stdout.lines().count(), expected.len());
    assert!(
        out.stderr
            .contains(&format!("invalid_input {}", expected.len())),
        "{}",
        out.stderr
    );
}

#[test]
fn a_directory_as_input_exits_2_before_any_check() {
    let server = TestServer::http();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().to_str().unwrap();
    let out = run(&["-f", "jsonl", &server.url("/ok"), dir], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!("urlcheck: input '{dir}' is a directory; give a file with one URL per line\n")
    );
    assert_eq!(server.counters.requests(), 0);
}

#[test]
fn a_bare_host_is_a_missing_file_with_the_os_reason_first_and_the_url_hint_after() {
    for (arg, hint) in [
        ("example.com", "give its scheme: https://example.com"),
        ("localhost:3000", "give its scheme: http://localhost:3000"),
        ("127.0.0.1:8001/", "give its scheme: http://127.0.0.1:8001/"),
    ] {
        let out = run(&[arg], None);
        assert_eq!(out.code, Some(2), "{out:?}");
        let line = out.stderr.lines().next().unwrap_or_default();
        assert!(
            line.starts_with(&format!(
                "urlcheck: cannot open input file '{arg}': No such file"
            )),
            "{line}"
        );
        assert!(line.ends_with(hint), "{line}");
    }
}

#[test]
fn a_missing_path_exits_2_naming_it() {
    let server = TestServer::http();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-list.txt");
    let missing = missing.to_str().unwrap();
    let out = run(&["-f", "jsonl", &server.url("/ok"), missing], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with(&format!("urlcheck: cannot open input file '{missing}': ")),
        "{}",
        out.stderr
    );
    assert_eq!(server.counters.requests(), 0);

    // A hostile path is named escaped.
    let hostile = dir.path().join("evil\x1b[2J\x07.txt");
    let hostile = hostile.to_str().unwrap();
    let out = run(&[hostile], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    assert_no_raw_controls(&out.stderr, "stderr");
    assert!(
        out.stderr.contains("evil\\u{1b}[2J\\u{7}.txt"),
        "{}",
        out.stderr
    );
}

#[test]
fn ten_thousand_copies_of_one_url_give_ten_thousand_ok_records() {
    let server = TestServer::http();
    let ok_url = server.url("/ok");
    let contents = format!("{ok_url}\n").repeat(10_000);
    let (_dir, path) = write_temp("copies.txt", contents.as_bytes());
    let started = std::time::Instant::now();
    let out = run(&["-f", "jsonl", "-w", "16", "-q", &path], None);
    let elapsed = started.elapsed();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stderr, "");
    let records = out.records();
    assert_eq!(records.len(), 10_000);
    let mut lines: Vec<u64> = records
        .iter()
        .map(|r| {
            assert_eq!(
                (&r["ok"], &r["url"]),
                (&Value::from(true), &Value::from(ok_url.as_str()))
            );
            r["line"].as_u64().unwrap()
        })
        .collect();
    lines.sort_unstable();
    assert!(
        lines.iter().copied().eq(1..=10_000),
        "each line exactly once"
    );
    assert_eq!(server.counters.requests(), 10_000);
    assert!(server.counters.max_in_flight() <= 16);
    assert!(elapsed.as_secs() < 60, "{elapsed:?}");
}

#[test]
fn a_huge_duration_is_a_usage_error_not_a_panic() {
    for value in ["1e20", "18446744073709551616", "1e308"] {
        let out = run(&["-t", value, "http://127.0.0.1:1/"], None);
        assert_eq!(out.code, Some(2), "{value}: {out:?}");
        assert!(!out.stderr.contains("panicked"), "{value}: {}", out.stderr);
    }
}
