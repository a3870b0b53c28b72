//! Expectations: what a response must show to pass (status, headers, body,
//! latency, certificate lifetime), and the one short message that says what
//! was expected and what was found when it does not.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use crate::check::BODY_READ_LIMIT;
use crate::config::Expectations;
use crate::reporters::format_elapsed;
use crate::results::{CertInfo, Failure, FailureKind};

/// Longest excerpt of server text quoted in a message.
const EXCERPT_CHARS: usize = 60;

/// What a check received: enough to judge it.
pub struct Fetched {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body, when an expectation needs it, up to `BODY_READ_LIMIT`.
    pub body: Vec<u8>,
    /// The body went on past `BODY_READ_LIMIT`.
    pub truncated: bool,
    pub cert: Option<CertInfo>,
}

/// The first expectation that `fetched` fails, in the order status, headers,
/// body, latency, certificate; `None` when it passes them all.
pub fn judge(expect: &Expectations, fetched: &Fetched, elapsed: Duration) -> Option<Failure> {
    judge_status(expect, fetched.status)
        .or_else(|| judge_headers(expect, &fetched.headers))
        .or_else(|| judge_body(expect, fetched))
        .or_else(|| judge_latency(expect, elapsed))
        .or_else(|| judge_cert(expect, fetched.cert.as_ref()))
}

fn judge_status(expect: &Expectations, status: u16) -> Option<Failure> {
    (!expect.status.contains(status)).then(|| {
        Failure::new(
            FailureKind::Status,
            format!("status {status}, expected {}", expect.status),
        )
    })
}

fn judge_headers(expect: &Expectations, headers: &HeaderMap) -> Option<Failure> {
    expect.headers.iter().find_map(|(name, pattern)| {
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

fn judge_body(expect: &Expectations, fetched: &Fetched) -> Option<Failure> {
    if !expect.needs_body() {
        return None;
    }
    let body = String::from_utf8_lossy(&fetched.body);
    let partly = if fetched.truncated {
        format!(
            " (only the first {} MiB of the body is read)",
            BODY_READ_LIMIT / (1024 * 1024)
        )
    } else {
        String::new()
    };
    let message = if let Some(text) = expect
        .body_contains
        .as_ref()
        .filter(|t| !body.contains(t.as_str()))
    {
        format!("body does not contain \"{}\"{partly}", excerpt(text))
    } else if let Some(pattern) = expect.body_regex.as_ref().filter(|p| !p.is_match(&body)) {
        format!("body does not match /{pattern}/{partly}")
    } else if let Some((pattern, found)) = expect
        .body_reject
        .as_ref()
        .and_then(|p| p.find(&body).map(|m| (p, m.as_str())))
    {
        format!("body matches /{pattern}/: found \"{}\"", excerpt(found))
    } else {
        return None;
    };
    Some(Failure::new(FailureKind::Body, message))
}

fn judge_latency(expect: &Expectations, elapsed: Duration) -> Option<Failure> {
    let limit = expect.max_latency?;
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

fn judge_cert(expect: &Expectations, cert: Option<&CertInfo>) -> Option<Failure> {
    let (min_days, cert) = (expect.min_cert_days?, cert?);
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

/// The expiry of a DER certificate, relative to `now`.
pub fn cert_info(der: &[u8], now: SystemTime) -> Option<CertInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let not_after = cert.validity().not_after.timestamp();
    let now = now.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    let now = i64::try_from(now).ok()?;
    let days_left = (not_after - now).div_euclid(86_400);
    let when = if not_after >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_secs(not_after.unsigned_abs())
    } else {
        SystemTime::UNIX_EPOCH - Duration::from_secs(not_after.unsigned_abs())
    };
    Some(CertInfo {
        not_after: humantime::format_rfc3339_seconds(when).to_string(),
        days_left,
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
    use crate::config::StatusSet;
    use regex::Regex;
    use reqwest::header::{HeaderName, HeaderValue};

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
            cert: None,
        }
    }

    fn message(expect: &Expectations, f: &Fetched, ms: u64) -> Option<(FailureKind, String)> {
        judge(expect, f, Duration::from_millis(ms)).map(|f| (f.kind, f.message))
    }

    #[test]
    fn status_comes_first() {
        let expect = Expectations {
            body_contains: Some("ok".into()),
            ..Default::default()
        };
        assert_eq!(
            message(&expect, &fetched(503, "down"), 1),
            Some((FailureKind::Status, "status 503, expected 200-299".into()))
        );
    }

    #[test]
    fn body_expectations() {
        let expect = Expectations {
            body_contains: Some("healthy".into()),
            ..Default::default()
        };
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

        let expect = Expectations {
            body_regex: Some(Regex::new(r#""status":\s*"up""#).unwrap()),
            body_reject: Some(Regex::new("error|maintenance").unwrap()),
            ..Default::default()
        };
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
        let expect = Expectations {
            headers: vec![(
                HeaderName::from_static("content-type"),
                Regex::new("^application/json").unwrap(),
            )],
            ..Default::default()
        };
        assert_eq!(
            message(&expect, &fetched(200, ""), 1),
            Some((
                FailureKind::Header,
                "header content-type is \"text/html; charset=utf-8\", expected /^application/json/"
                    .into()
            ))
        );
        let expect = Expectations {
            headers: vec![(
                HeaderName::from_static("x-version"),
                Regex::new(".").unwrap(),
            )],
            ..Default::default()
        };
        assert_eq!(
            message(&expect, &fetched(200, ""), 1).unwrap().1,
            "header x-version is missing, expected /./"
        );
    }

    #[test]
    fn latency_and_certificate() {
        let expect = Expectations {
            max_latency: Some(Duration::from_millis(500)),
            min_cert_days: Some(14),
            status: StatusSet::default(),
            ..Default::default()
        };
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

    #[test]
    fn cert_info_reads_not_after() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["a.test".to_string()]).unwrap();
        params.not_after = rcgen::date_time_ymd(2030, 1, 1);
        let cert = params.self_signed(&key).unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_893_456_000 - 10 * 86_400);
        let info = cert_info(cert.der(), now).unwrap();
        assert_eq!(info.not_after, "2030-01-01T00:00:00Z");
        assert_eq!(info.days_left, 10);
        assert_eq!(cert_info(b"not a certificate", now), None);
    }
}
