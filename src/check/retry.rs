//! When to try a URL again: which failures are transient, how long to wait
//! before the next try (doubling with jitter, or what `Retry-After` asks).

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderValue;

use super::classify::Cause;

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
    fn only_transient_failures_are_retried() {
        use Cause::*;
        for cause in [Transient, NotProcessed, ConnectionLost, OutOfFiles] {
            assert!(cause.is_transient(), "{cause:?}");
        }
        assert!(!Final.is_transient());
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(status_cause(Some(code)).is_transient(), "{code}");
        }
        for code in [200, 400, 401, 403, 404, 410] {
            assert!(!status_cause(Some(code)).is_transient(), "{code}");
        }
        assert!(!status_cause(None).is_transient());
    }
}
