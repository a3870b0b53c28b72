//! When to try a URL again. `policy` is the one table of what a failure's
//! cause allows: sending the request again within the attempt (at once, or
//! once files free up), another attempt under `--retries` after a pause
//! (doubling with jitter, or what `Retry-After` asks), or nothing.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderValue;

use super::classify::Cause;

/// How many times a request that was never processed is sent again. An
/// HTTP/2 server that ends each connection after a few requests (nginx's
/// `keepalive_requests`) turns the other streams on it away with GOAWAY,
/// and with many checks in flight on one connection a request may meet that
/// dozens of times in a row (128 in flight, 5 served per connection: about
/// 26 rounds). A resend costs one request frame; the attempt's timeout
/// bounds them too.
pub(crate) const MAX_UNPROCESSED_RESENDS: u32 = 100;

/// How many times a request whose connection went away before an answer is
/// sent again. A server that drops many idle keep-alive connections at once
/// (Apache at 128 in flight) can leave a resend on another stale one.
pub(crate) const MAX_LOST_RESENDS: u32 = 3;

/// What a cause allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Send the request again within the attempt.
    pub(crate) resend: Resend,
    /// Worth another attempt under `--retries`, after a pause.
    pub(crate) retry: bool,
}

/// Whether, and when, a request is sent again within its attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resend {
    /// No: the attempt ends with this failure.
    No,
    /// After a short random pause, up to `times` times.
    Soon { times: u32 },
    /// At once, on another connection, up to `times` times.
    Now { times: u32 },
    /// After pauses that let idle connections close and free their files.
    WhenFilesFree,
}

/// What each cause allows: the one place this is decided.
///
/// | cause | sent again within the attempt | another attempt (`--retries`) |
/// |---|---|---|
/// | never processed (GOAWAY, REFUSED_STREAM) | soon, up to 100 times | yes |
/// | connection lost before an answer | at once, up to 3 times | yes |
/// | out of files (EMFILE) | once idle connections close | yes |
/// | transient (DNS, connect, timeout, 408, 429, 5xx) | no | yes |
/// | final | no | no |
///
/// Sending again at once is safe for the requests urlcheck makes: GET and
/// HEAD are idempotent (RFC 9110, 9.2.2), and a request never processed is
/// safe whatever its method (RFC 9113, 8.7).
pub(crate) const fn policy(cause: Cause) -> Policy {
    match cause {
        Cause::NotProcessed => Policy {
            resend: Resend::Soon {
                times: MAX_UNPROCESSED_RESENDS,
            },
            retry: true,
        },
        Cause::ConnectionLost => Policy {
            resend: Resend::Now {
                times: MAX_LOST_RESENDS,
            },
            retry: true,
        },
        Cause::OutOfFiles => Policy {
            resend: Resend::WhenFilesFree,
            retry: true,
        },
        Cause::Transient => Policy {
            resend: Resend::No,
            retry: true,
        },
        Cause::Final => Policy {
            resend: Resend::No,
            retry: false,
        },
    }
}

/// The longest `Retry-After` that is honoured; a longer one is cut to this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// What a final status says about trying again: 408, 429 and 5xx may pass
/// in a moment; any other status will not change.
pub(crate) fn status_cause(status: Option<u16>) -> Cause {
    match status {
        Some(408 | 429 | 500..=599) => Cause::Transient,
        _ => Cause::Final,
    }
}

/// The delay before retry `n` (0-based): `base` doubled each time, with
/// jitter of ±50% so that many failing checks do not retry in step.
pub(crate) fn backoff(base: Duration, n: u32) -> Duration {
    let doubled = base.saturating_mul(2u32.saturating_pow(n.min(16)));
    doubled.mul_f64(0.5 + fastrand::f64())
}

/// `Retry-After`: seconds, or an HTTP date; capped at `MAX_RETRY_AFTER`.
pub(crate) fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    let delay = match text.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(text)
            .ok()?
            .duration_since(SystemTime::now())
            .unwrap_or_default(),
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_or_a_date_and_is_capped() {
        let parse = |s: &str| parse_retry_after(&HeaderValue::from_str(s).unwrap());
        assert_eq!(parse("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse("86400"), Some(MAX_RETRY_AFTER));
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(20));
        let delay = parse(&soon).unwrap();
        assert!(delay > Duration::from_secs(15) && delay <= Duration::from_secs(20));
        assert_eq!(parse("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("soon"), None);
    }

    #[test]
    fn backoff_doubles_with_jitter() {
        let base = Duration::from_secs(1);
        for n in 0..5 {
            let d = backoff(base, n);
            let nominal = base * 2u32.pow(n);
            assert!(d >= nominal / 2 && d <= nominal * 3 / 2, "{n}: {d:?}");
        }
        assert!(backoff(base, 1000) > Duration::ZERO);
    }

    #[test]
    fn the_table_says_what_each_cause_allows() {
        use Cause::*;
        let resends: Vec<(Cause, bool)> =
            [NotProcessed, ConnectionLost, OutOfFiles, Transient, Final]
                .into_iter()
                .map(|c| {
                    (
                        c,
                        matches!(policy(c).resend, Resend::Soon { .. } | Resend::Now { .. }),
                    )
                })
                .collect();
        assert_eq!(
            resends,
            [
                (NotProcessed, true),
                (ConnectionLost, true),
                (OutOfFiles, false),
                (Transient, false),
                (Final, false)
            ]
        );
        assert_eq!(policy(OutOfFiles).resend, Resend::WhenFilesFree);
        assert_eq!(policy(NotProcessed).resend, Resend::Soon { times: 100 });
        assert_eq!(policy(ConnectionLost).resend, Resend::Now { times: 3 });
        assert!(!policy(Final).retry);
    }

    #[test]
    fn only_transient_failures_are_retried() {
        use Cause::*;
        for cause in [Transient, NotProcessed, ConnectionLost, OutOfFiles] {
            assert!(policy(cause).retry, "{cause:?}");
        }
        assert!(!policy(Final).retry);
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(policy(status_cause(Some(code))).retry, "{code}");
        }
        for code in [200, 400, 401, 403, 404, 410] {
            assert!(!policy(status_cause(Some(code))).retry, "{code}");
        }
        assert!(!policy(status_cause(None)).retry);
    }
}
