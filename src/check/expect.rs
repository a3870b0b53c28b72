//! Expectations: what a response must show to pass (status, headers, body,
//! latency, certificate lifetime), and the one short message that says what
//! was expected and what was found when it does not.

use std::time::Duration;

use reqwest::header::HeaderMap;

use super::body::{BODY_READ_LIMIT, Unread};
use crate::config::CheckSettings;
use crate::results::{CertInfo, Failure, FailureKind};
use crate::text::format_elapsed;

/// Longest excerpt of server text quoted in a message.
const EXCERPT_CHARS: usize = 60;

/// What a check received: enough to judge it.
pub(crate) struct Fetched {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    /// The body, when an expectation needs it, up to `BODY_READ_LIMIT`.
    pub(crate) body: Vec<u8>,
    /// The body went on past `BODY_READ_LIMIT`.
    pub(crate) truncated: bool,
    /// Why a compressed body could not be decoded.
    pub(crate) decode_error: Option<String>,
    pub(crate) cert: Option<CertInfo>,
    /// The response says it is HTML.
    pub(crate) html: bool,
    /// The rest of an HTTP/2 body past the cap, read after the check.
    pub(crate) unread: Option<Unread>,
}

/// The first expectation that `fetched` fails, in the order status, headers,
/// body, latency, certificate; `None` when it passes them all.
pub(crate) fn judge(
    expect: &CheckSettings,
    fetched: &Fetched,
    elapsed: Duration,
) -> Option<Failure> {
    judge_status(expect, fetched.status)
        .or_else(|| judge_headers(expect, &fetched.headers))
        .or_else(|| judge_body(expect, fetched))
        .or_else(|| judge_latency(expect, elapsed))
        .or_else(|| judge_cert(expect, fetched.cert.as_ref()))
}

fn judge_status(expect: &CheckSettings, status: u16) -> Option<Failure> {
    let statuses = expect.expect_status();
    (!statuses.contains(status)).then(|| {
        Failure::new(
            FailureKind::Status,
            format!("status {status}, expected {statuses}"),
        )
    })
}

fn judge_headers(expect: &CheckSettings, headers: &HeaderMap) -> Option<Failure> {
    expect.expect_header().iter().find_map(|rule| {
        let (name, pattern) = (&rule.name, &rule.pattern);
        let message = match headers.get(name) {
            None => format!("header {name} is missing, expected /{pattern}/"),
            Some(value) => {
                let text = String::from_utf8_lossy(value.as_bytes());
                if pattern.is_match(&text) {
                    return None;
                }
                format!(
                    "header {name} is \"{}\", expected /{pattern}/",
                    excerpt(&text)
                )
            }
        };
        Some(Failure::new(FailureKind::Header, message))
    })
}

fn judge_body(expect: &CheckSettings, fetched: &Fetched) -> Option<Failure> {
    if !expect.needs_body() {
        return None;
    }
    let body = String::from_utf8_lossy(&fetched.body);
    let partly = if let Some(problem) = &fetched.decode_error {
        format!(" ({problem})")
    } else if fetched.truncated {
        format!(
            " (only the first {} MiB of the body is read)",
            BODY_READ_LIMIT / (1024 * 1024)
        )
    } else {
        String::new()
    };
    let message = if let Some(text) = expect
        .expect_body()
        .as_ref()
        .filter(|t| !body.contains(t.as_str()))
    {
        format!("body does not contain \"{}\"{partly}", excerpt(text))
    } else if let Some(pattern) = expect
        .expect_body_regex()
        .as_ref()
        .filter(|p| !p.is_match(&body))
    {
        format!("body does not match /{pattern}/{partly}")
    } else if let Some((pattern, found)) = expect
        .reject_body_regex()
        .as_ref()
        .and_then(|p| p.find(&body).map(|m| (p, m.as_str())))
    {
        format!("body matches /{pattern}/: found \"{}\"", excerpt(found))
    } else {
        return None;
    };
    Some(Failure::new(FailureKind::Body, message))
}

fn judge_latency(expect: &CheckSettings, elapsed: Duration) -> Option<Failure> {
    let limit = (*expect.max_latency())?;
    (elapsed > limit).then(|| {
        Failure::new(
            FailureKind::Slow,
            format!(
                "took {}, over the {} limit",
                format_elapsed(elapsed),
                humantime::format_duration(limit)
            ),
        )
    })
}

fn judge_cert(expect: &CheckSettings, cert: Option<&CertInfo>) -> Option<Failure> {
    let (min_days, cert) = ((*expect.min_cert_days())?, cert?);
    (cert.days_left < i64::from(min_days)).then(|| {
        let when = if cert.days_left < 0 {
            format!("expired {} days ago", -cert.days_left)
        } else {
            format!("expires in {} days", cert.days_left)
        };
        Failure::new(
            FailureKind::Certificate,
            format!(
                "certificate {when} ({}), under the {min_days}-day minimum",
                cert.not_after
            ),
        )
    })
}

fn excerpt(text: &str) -> String {
    if text.chars().count() <= EXCERPT_CHARS {
        text.to_string()
    } else {
        let cut: String = text.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn fetched(status: u16, body: &str) -> Fetched {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        Fetched {
            status,
            headers,
            body: body.as_bytes().to_vec(),
            truncated: false,
            decode_error: None,
            cert: None,
            html: true,
            unread: None,
        }
    }

    fn message(expect: &CheckSettings, f: &Fetched, ms: u64) -> Option<(FailureKind, String)> {
        judge(expect, f, Duration::from_millis(ms)).map(|f| (f.kind, f.message))
    }

    #[test]
    fn status_comes_first() {
        let expect = CheckSettings::from_flags(&["--expect-body", "ok"]);
        assert_eq!(
            message(&expect, &fetched(503, "down"), 1),
            Some((FailureKind::Status, "status 503, expected 200-299".into()))
        );
    }

    #[test]
    fn body_expectations() {
        let expect = CheckSettings::from_flags(&["--expect-body", "healthy"]);
        assert_eq!(message(&expect, &fetched(200, "all healthy"), 1), None);
        assert_eq!(
            message(&expect, &fetched(200, "sick"), 1),
            Some((
                FailureKind::Body,
                "body does not contain \"healthy\"".into()
            ))
        );
        let mut truncated = fetched(200, "sick");
        truncated.truncated = true;
        assert!(
            message(&expect, &truncated, 1)
                .unwrap()
                .1
                .ends_with("(only the first 1 MiB of the body is read)")
        );

        let expect = CheckSettings::from_flags(&[
            "--expect-body-regex",
            r#""status":\s*"up""#,
            "--reject-body-regex",
            "error|maintenance",
        ]);
        assert_eq!(
            message(&expect, &fetched(200, r#"{"status": "up"}"#), 1),
            None
        );
        assert_eq!(
            message(&expect, &fetched(200, r#"{"status": "down"}"#), 1)
                .unwrap()
                .1,
            r#"body does not match /"status":\s*"up"/"#
        );
        assert_eq!(
            message(
                &expect,
                &fetched(200, r#"{"status": "up", "note": "maintenance at 5"}"#),
                1
            ),
            Some((
                FailureKind::Body,
                "body matches /error|maintenance/: found \"maintenance\"".into()
            ))
        );
    }

    #[test]
    fn header_expectations() {
        let expect =
            CheckSettings::from_flags(&["--expect-header", "content-type: ^application/json"]);
        assert_eq!(
            message(&expect, &fetched(200, ""), 1),
            Some((
                FailureKind::Header,
                "header content-type is \"text/html; charset=utf-8\", expected /^application/json/"
                    .into()
            ))
        );
        let expect = CheckSettings::from_flags(&["--expect-header", "x-version: ."]);
        assert_eq!(
            message(&expect, &fetched(200, ""), 1).unwrap().1,
            "header x-version is missing, expected /./"
        );
    }

    #[test]
    fn latency_and_certificate() {
        let expect =
            CheckSettings::from_flags(&["--max-latency", "500ms", "--min-cert-days", "14"]);
        assert_eq!(message(&expect, &fetched(200, ""), 400), None);
        assert_eq!(
            message(&expect, &fetched(200, ""), 1200),
            Some((
                FailureKind::Slow,
                "took 1.20 s, over the 500ms limit".into()
            ))
        );
        let mut soon = fetched(200, "");
        soon.cert = Some(CertInfo {
            not_after: "2026-12-01T00:00:00Z".into(),
            days_left: 7,
        });
        assert_eq!(
            message(&expect, &soon, 1),
            Some((
                FailureKind::Certificate,
                "certificate expires in 7 days (2026-12-01T00:00:00Z), under the 14-day minimum"
                    .into()
            ))
        );
        soon.cert.as_mut().unwrap().days_left = 30;
        assert_eq!(message(&expect, &soon, 1), None);
    }
}
