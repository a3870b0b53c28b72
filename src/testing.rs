//! What the unit tests of every stage share: sample results, and the
//! settings of the property tests.

use std::net::SocketAddr;
use std::time::Duration;

use proptest::test_runner::Config as ProptestConfig;

use crate::results::{CheckResult, Failure, FailureKind, Origin, Phases, Source};

/// A pass from line 3 of `urls.txt`, after one redirect.
pub(crate) fn passed() -> CheckResult {
    CheckResult {
        url: "https://a.test/".into(),
        origin: Origin {
            source: Source::File("urls.txt".into()),
            line: Some(3),
        },
        status: Some(200),
        failure: None,
        elapsed: Duration::from_millis(12),
        spent: Duration::from_millis(12),
        final_url: Some("https://a.test/home".into()),
        redirects: 1,
        attempts: 1,
        cert: None,
        up_after: None,
        http_version: Some("HTTP/1.1"),
        phases: Phases {
            dns: Some(Duration::from_micros(630)),
            connect: Some(Duration::from_micros(210)),
            tls: Some(Duration::from_micros(2_670)),
            ttfb: Some(Duration::from_micros(8_960)),
            transfer: Some(Duration::from_micros(80)),
            remote_addr: Some(SocketAddr::from(([192, 0, 2, 1], 443))),
            tls_version: Some("TLSv1.3"),
        },
        known: None,
        shard: None,
        found: None,
        silent: false,
    }
}

/// A 404 for an argument with a password and an escape sequence in it.
pub(crate) fn failed() -> CheckResult {
    CheckResult {
        url: "https://u:***@a.test/\u{1b}[31mx".into(),
        origin: Origin {
            source: Source::Arg,
            line: None,
        },
        status: Some(404),
        failure: Some(Failure::new(
            FailureKind::Status,
            "status 404, expected 200-299",
        )),
        elapsed: Duration::from_millis(1500),
        spent: Duration::from_millis(1500),
        final_url: Some("https://u:***@a.test/\u{1b}[31mx".into()),
        redirects: 0,
        attempts: 1,
        cert: None,
        up_after: None,
        http_version: Some("HTTP/1.1"),
        phases: Phases {
            ttfb: Some(Duration::from_millis(1_499)),
            transfer: None,
            ..Phases::default()
        },
        known: None,
        shard: None,
        found: None,
        silent: false,
    }
}

/// Line `line` of `urls.txt`.
pub(crate) fn in_file(line: u64) -> Origin {
    Origin {
        source: Source::File("urls.txt".into()),
        line: Some(line),
    }
}

/// A result that passed after `attempts` attempts.
pub(crate) fn pass(url: &str, origin: Origin, ms: u64, attempts: u32) -> CheckResult {
    CheckResult {
        status: Some(200),
        failure: None,
        elapsed: Duration::from_millis(ms),
        spent: Duration::from_millis(ms),
        final_url: Some(url.into()),
        attempts,
        ..CheckResult::unchecked(url.into(), origin, Failure::new(FailureKind::Dns, ""))
    }
}

/// A result that failed with `kind` and `message`.
pub(crate) fn fail(
    url: &str,
    origin: Origin,
    status: Option<u16>,
    kind: FailureKind,
    message: &str,
) -> CheckResult {
    CheckResult {
        status,
        elapsed: Duration::from_millis(1500),
        spent: Duration::from_millis(1500),
        attempts: 1,
        ..CheckResult::unchecked(url.into(), origin, Failure::new(kind, message))
    }
}

/// Property tests write no regression files into the source tree.
pub(crate) fn proptest_config() -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}
