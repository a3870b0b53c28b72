//! What a check produces: one `CheckResult` per input URL line, pass or fail.
//! A failed check is data, not an error. `Record` is the public field contract
//! shared by the JSON Lines and CSV reporters.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

/// Where an input URL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A command-line argument.
    Arg,
    /// Standard input.
    Stdin,
    /// A file, named as the user gave it.
    File(Arc<str>),
}

impl Source {
    /// The `source` field: the file name, `-` for stdin, `arg` for arguments.
    pub fn name(&self) -> &str {
        match self {
            Source::Arg => "arg",
            Source::Stdin => "-",
            Source::File(name) => name,
        }
    }
}

/// An input URL's place: its source and, for files and stdin, its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub source: Source,
    pub line: Option<u64>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source, self.line) {
            (Source::Stdin, Some(n)) => write!(f, "stdin:{n}"),
            (source, Some(n)) => write!(f, "{}:{n}", source.name()),
            (source, None) => f.write_str(source.name()),
        }
    }
}

/// Why a check failed. The names (`as_str`) are part of the output contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureKind {
    InvalidInput,
    Dns,
    Connect,
    Tls,
    Timeout,
    Redirect,
    Protocol,
    Body,
    Status,
    Header,
    Slow,
    Certificate,
    Interrupted,
}

impl FailureKind {
    pub const ALL: [FailureKind; 13] = [
        FailureKind::InvalidInput,
        FailureKind::Dns,
        FailureKind::Connect,
        FailureKind::Tls,
        FailureKind::Timeout,
        FailureKind::Redirect,
        FailureKind::Protocol,
        FailureKind::Body,
        FailureKind::Status,
        FailureKind::Header,
        FailureKind::Slow,
        FailureKind::Certificate,
        FailureKind::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::InvalidInput => "invalid_input",
            FailureKind::Dns => "dns",
            FailureKind::Connect => "connect",
            FailureKind::Tls => "tls",
            FailureKind::Timeout => "timeout",
            FailureKind::Redirect => "redirect",
            FailureKind::Protocol => "protocol",
            FailureKind::Body => "body",
            FailureKind::Status => "status",
            FailureKind::Header => "header",
            FailureKind::Slow => "slow",
            FailureKind::Certificate => "certificate",
            FailureKind::Interrupted => "interrupted",
        }
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed check's kind and its short, specific message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

/// The outcome of one input URL line.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The URL as given, with any password masked.
    pub url: String,
    pub origin: Origin,
    /// The final HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// `None` when the check passed.
    pub failure: Option<Failure>,
    pub elapsed: Duration,
    /// The last URL requested (after redirects), password masked.
    pub final_url: Option<String>,
    /// Redirect hops followed.
    pub redirects: u32,
    /// Requests made for this URL: 1, plus retries and `--wait` re-checks.
    pub attempts: u32,
    /// The https leaf certificate of the final URL.
    pub cert: Option<CertInfo>,
    /// With `--wait`: how long after the run started the URL first passed.
    pub up_after: Option<Duration>,
}

/// When a server's leaf certificate expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// RFC 3339, UTC.
    pub not_after: String,
    /// Whole days left (negative once expired).
    pub days_left: i64,
}

impl CheckResult {
    pub fn ok(&self) -> bool {
        self.failure.is_none()
    }

    /// Passed, but only after a retry: worth knowing about.
    pub fn flaky(&self) -> bool {
        self.ok() && self.attempts > 1 && self.up_after.is_none()
    }

    /// A result for a line that was never checked: invalid input, or a run
    /// that stopped first.
    pub fn unchecked(url: String, origin: Origin, failure: Failure) -> Self {
        CheckResult {
            url,
            origin,
            status: None,
            failure: Some(failure),
            elapsed: Duration::ZERO,
            final_url: None,
            redirects: 0,
            attempts: 0,
            cert: None,
            up_after: None,
        }
    }

    pub fn record(&self) -> Record<'_> {
        Record {
            url: &self.url,
            ok: self.ok(),
            status: self.status,
            error_kind: self.failure.as_ref().map(|f| f.kind.as_str()),
            error: self.failure.as_ref().map(|f| f.message.as_str()),
            elapsed_ms: u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
            final_url: self.final_url.as_deref(),
            redirects: self.redirects,
            source: self.origin.source.name(),
            line: self.origin.line,
            attempts: self.attempts,
            cert_not_after: self.cert.as_ref().map(|c| c.not_after.as_str()),
            cert_days_left: self.cert.as_ref().map(|c| c.days_left),
            up_after_ms: self
                .up_after
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

impl Record<'_> {
    /// The field names, in output order (the CSV header).
    pub const FIELDS: [&'static str; 14] = [
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
    ];
}

/// The stable, documented fields of one result, in output order.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    pub url: &'a str,
    pub ok: bool,
    pub status: Option<u16>,
    pub error_kind: Option<&'static str>,
    pub error: Option<&'a str>,
    pub elapsed_ms: u64,
    pub final_url: Option<&'a str>,
    pub redirects: u32,
    pub source: &'a str,
    pub line: Option<u64>,
    pub attempts: u32,
    pub cert_not_after: Option<&'a str>,
    pub cert_days_left: Option<i64>,
    pub up_after_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_displays_as_file_and_line() {
        let file = Origin {
            source: Source::File("urls.txt".into()),
            line: Some(7),
        };
        assert_eq!(file.to_string(), "urls.txt:7");
        let stdin = Origin {
            source: Source::Stdin,
            line: Some(3),
        };
        assert_eq!(stdin.to_string(), "stdin:3");
        let arg = Origin {
            source: Source::Arg,
            line: None,
        };
        assert_eq!(arg.to_string(), "arg");
    }

    #[test]
    fn record_fields_are_the_documented_contract() {
        let result = CheckResult::unchecked(
            "example.com".into(),
            Origin {
                source: Source::Stdin,
                line: Some(2),
            },
            Failure::new(FailureKind::InvalidInput, "missing scheme"),
        );
        let json = serde_json::to_string(&result.record()).unwrap();
        assert_eq!(
            json,
            r#"{"url":"example.com","ok":false,"status":null,"error_kind":"invalid_input","error":"missing scheme","elapsed_ms":0,"final_url":null,"redirects":0,"source":"-","line":2,"attempts":0,"cert_not_after":null,"cert_days_left":null,"up_after_ms":null}"#
        );
    }

    #[test]
    fn kind_names_are_snake_case_and_unique() {
        let names: std::collections::HashSet<&str> =
            FailureKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), FailureKind::ALL.len());
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
    }
}
