//! What a check produces: one `CheckResult` per input URL line, pass or fail.
//! A failed check is data, not an error. `Record` is the public field contract
//! shared by the JSON Lines and CSV reporters.

use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::text::escape_control;

/// Where an input URL came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A command-line argument.
    Arg,
    /// Standard input.
    Stdin,
    /// A file, named as the user gave it: a list, a document or a config
    /// file.
    File(Arc<str>),
    /// A sitemap or a page, named by its URL: where a URL was found.
    Page(Arc<str>),
}

impl Source {
    /// The `source` field: the file name, `-` for stdin, `arg` for arguments.
    pub(crate) fn name(&self) -> &str {
        match self {
            Source::Arg => "arg",
            Source::Stdin => "-",
            Source::File(name) | Source::Page(name) => name,
        }
    }
}

/// An input URL's place: its source and, for files and stdin, its line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) source: Source,
    pub(crate) line: Option<u64>,
}

impl Origin {
    /// `(urls.txt:4)`, escaped, for a line from a file or stdin; `None` for
    /// an argument, which needs no pointer back.
    pub(crate) fn located(&self) -> Option<String> {
        (self.source != Source::Arg).then(|| format!("({})", escape_control(&self.to_string())))
    }
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

/// Where a URL found in a document, a page or a sitemap was named: its
/// source, line and column. About 40 bytes each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) source: Source,
    pub(crate) line: Option<u64>,
    pub(crate) column: Option<u64>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.source.name())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// A URL found in documents, pages or sitemaps: every place that names it,
/// sorted by source, line and column. A URL is checked once however many places
/// name it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Found {
    /// How many places name it.
    pub(crate) occurrences: u64,
    /// Every place, in the order found (a replayed record has the first
    /// one only).
    pub(crate) places: Vec<Place>,
}

impl Found {
    /// The first place's column (the record's `column`).
    pub(crate) fn column(&self) -> Option<u64> {
        self.places.first().and_then(|p| p.column)
    }
}

/// Why a check failed. The names (`as_str`, snake_case) are part of the
/// output contract.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::Display,
)]
#[strum(serialize_all = "snake_case")]
pub(crate) enum FailureKind {
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
    Sitemap,
    File,
    Fragment,
    #[strum(serialize = "soft_404")]
    Soft404,
    Interrupted,
}

impl FailureKind {
    /// The kind's name in every output.
    pub(crate) fn as_str(self) -> &'static str {
        self.into()
    }

    /// What the kind means, as the reference's table says (docs/reference.md) (SARIF's rules).
    pub(crate) fn meaning(self) -> &'static str {
        match self {
            FailureKind::InvalidInput => "The line is not a checkable http(s) URL.",
            FailureKind::Dns => "The host name could not be resolved.",
            FailureKind::Connect => {
                "No connection: refused, unreachable, or reset while connecting."
            }
            FailureKind::Tls => "The TLS handshake or the server's certificate failed.",
            FailureKind::Timeout => "The check or its connection timed out.",
            FailureKind::Redirect => {
                "A redirect loop, too many redirects, or an invalid redirect target."
            }
            FailureKind::Protocol => "Not a valid HTTP answer, or a response cut short.",
            FailureKind::Body => "The body broke off, or failed a body expectation.",
            FailureKind::Status => "The final status is not an expected one.",
            FailureKind::Header => "An expected response header is missing or does not match.",
            FailureKind::Slow => "The check took longer than the latency allowed.",
            FailureKind::Certificate => "The certificate expires sooner than the days required.",
            FailureKind::Sitemap => {
                "A sitemap or robots.txt could not be read: not found, not a sitemap, or cut short."
            }
            FailureKind::File => "A local file that a document links to does not exist.",
            FailureKind::Fragment => {
                "The page or document has no anchor (id, name, heading) for the link's #fragment."
            }
            FailureKind::Soft404 => {
                "The page answered 2xx but looks like its host's answer to a path that cannot exist."
            }
            FailureKind::Interrupted => "Not checked, or cut off, because the run was stopped.",
        }
    }
}

/// `--shard K/N`: the lines whose key (see `input/shard.rs`) fall in shard
/// `index` of `count`. Records name it, so that a merge can tell a shard
/// missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Shard {
    pub(crate) index: u64,
    pub(crate) count: u64,
}

impl Shard {
    /// Whether the line whose text hashes to `key` belongs to this shard.
    pub(crate) fn holds(self, key: u64) -> bool {
        key % self.count + 1 == self.index
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// In records, `"2/8"`.
impl Serialize for Shard {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A failed check's kind and its short, specific message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
        }
    }

    /// What people read: `connect: connection refused`, or a status
    /// failure's message alone (`status 503, expected 200-299` says its kind).
    pub(crate) fn reason(&self) -> Cow<'_, str> {
        if self.kind == FailureKind::Status {
            Cow::Borrowed(&self.message)
        } else {
            Cow::Owned(format!("{}: {}", self.kind, self.message))
        }
    }
}

/// The outcome of one input URL line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckResult {
    /// The URL as given, with any password masked.
    pub(crate) url: String,
    pub(crate) origin: Origin,
    /// The final HTTP status, when a response arrived.
    pub(crate) status: Option<u16>,
    /// `None` when the check passed.
    pub(crate) failure: Option<Failure>,
    pub(crate) elapsed: Duration,
    /// The whole check: every attempt, and the pauses of `--retries` and
    /// `--wait` between them (JUnit's `time`).
    pub(crate) spent: Duration,
    /// The last URL requested (after redirects), password masked.
    pub(crate) final_url: Option<String>,
    /// Redirect hops followed.
    pub(crate) redirects: u32,
    /// Requests made for this URL: 1, plus retries and `--wait` re-checks.
    pub(crate) attempts: u32,
    /// The https leaf certificate of the final URL.
    pub(crate) cert: Option<CertInfo>,
    /// With `--wait`: how long after the run started the URL first passed.
    pub(crate) up_after: Option<Duration>,
    /// The HTTP version of the final response (`HTTP/1.1`, `HTTP/2`).
    pub(crate) http_version: Option<&'static str>,
    /// Where the final request's time went, and over what connection.
    pub(crate) phases: Phases,
    /// With `--baseline`: whether this failure failed in the baseline too
    /// (a pass is never known). `None` without a baseline.
    pub(crate) known: Option<bool>,
    /// The `--shard` of the run that checked it (set by the printer), or
    /// the one a replayed record names.
    pub(crate) shard: Option<Shard>,
    /// A URL found in documents, pages or sitemaps: every place naming it.
    /// `None` for a list line, an argument or a `[[check]]`.
    pub(crate) found: Option<Arc<Found>>,
    /// `--shard` with `--links`: another shard's page, read here only for
    /// its links. Its record is that shard's: the printer drops it.
    pub(crate) silent: bool,
}

/// The phases of the final request, each `None` when it did not happen
/// (no DNS for an IP literal, no connect or TLS on a reused connection, no
/// TLS for http, no body for HEAD), and the connection's facts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Phases {
    pub(crate) dns: Option<Duration>,
    pub(crate) connect: Option<Duration>,
    pub(crate) tls: Option<Duration>,
    /// From the request sent (or its new connection ready) to the response
    /// headers.
    pub(crate) ttfb: Option<Duration>,
    /// From the response headers to the end of the body read.
    pub(crate) transfer: Option<Duration>,
    /// The address the request went to (a proxy's, through one).
    pub(crate) remote_addr: Option<SocketAddr>,
    /// `TLSv1.3`, `TLSv1.2`: of an https connection.
    pub(crate) tls_version: Option<&'static str>,
}

impl Phases {
    /// The timed phases, by name, in order.
    pub(crate) fn timed(&self) -> [(&'static str, Option<Duration>); 5] {
        [
            ("dns", self.dns),
            ("connect", self.connect),
            ("tls", self.tls),
            ("ttfb", self.ttfb),
            ("transfer", self.transfer),
        ]
    }
}

/// A duration in milliseconds, to the microsecond.
fn ms(duration: Duration) -> f64 {
    // Exact: microseconds fit f64's 53-bit mantissa for 285 years.
    duration.as_micros() as f64 / 1000.0
}

/// `HTTP/1.1`, `HTTP/2`: a response's version as records show it.
pub(crate) fn version_name(version: reqwest::Version) -> &'static str {
    match version {
        reqwest::Version::HTTP_09 => "HTTP/0.9",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_11 => "HTTP/1.1",
        reqwest::Version::HTTP_2 => "HTTP/2",
        reqwest::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/?",
    }
}

/// When a server's leaf certificate expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertInfo {
    /// RFC 3339, UTC.
    pub(crate) not_after: String,
    /// Whole days left (negative once expired).
    pub(crate) days_left: i64,
}

impl CheckResult {
    pub(crate) fn ok(&self) -> bool {
        self.failure.is_none()
    }

    /// A line read but never checked because the run stopped first: the
    /// summary counts these; human output does not list them one by one.
    pub(crate) fn never_started(&self) -> bool {
        self.attempts == 0
            && self.elapsed.is_zero()
            && self
                .failure
                .as_ref()
                .is_some_and(|f| f.kind == FailureKind::Interrupted)
    }

    /// Passed, but only after a retry: worth knowing about.
    pub(crate) fn flaky(&self) -> bool {
        self.ok() && self.attempts > 1 && self.up_after.is_none()
    }

    /// A result for a line that was never checked: invalid input, or a run
    /// that stopped first.
    pub(crate) fn unchecked(url: String, origin: Origin, failure: Failure) -> Self {
        CheckResult {
            url,
            origin,
            status: None,
            failure: Some(failure),
            elapsed: Duration::ZERO,
            spent: Duration::ZERO,
            final_url: None,
            redirects: 0,
            attempts: 0,
            cert: None,
            up_after: None,
            http_version: None,
            phases: Phases::default(),
            known: None,
            shard: None,
            found: None,
            silent: false,
        }
    }

    pub(crate) fn record(&self) -> Record<'_> {
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
            http_version: self.http_version,
            remote_addr: self.phases.remote_addr,
            tls_version: self.phases.tls_version,
            dns_ms: self.phases.dns.map(ms),
            connect_ms: self.phases.connect.map(ms),
            tls_ms: self.phases.tls.map(ms),
            ttfb_ms: self.phases.ttfb.map(ms),
            transfer_ms: self.phases.transfer.map(ms),
            known: self.known,
            shard: self.shard,
            column: self.found.as_ref().and_then(|f| f.column()),
            occurrences: self.found.as_ref().map_or(1, |f| f.occurrences),
        }
    }
}

impl Record<'_> {
    /// The field names, in output order (the CSV header).
    pub(crate) const FIELDS: [&'static str; 26] = [
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
        "http_version",
        "remote_addr",
        "tls_version",
        "dns_ms",
        "connect_ms",
        "tls_ms",
        "ttfb_ms",
        "transfer_ms",
        "known",
        "shard",
        "column",
        "occurrences",
    ];
}

/// With `--watch`: what a URL is, as far as the watcher knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Health {
    /// No verdict yet.
    Unknown,
    Up,
    Down,
}

impl Health {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}

/// With `--watch`: a URL's change of health, and the check that made it.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub(crate) result: CheckResult,
    pub(crate) health: Health,
    pub(crate) previous: Health,
    /// How long the previous health lasted.
    pub(crate) previous_for: Duration,
    /// When the change happened, on the wall clock.
    pub(crate) at: SystemTime,
}

impl Event {
    /// The names of the fields an event adds to a record, in output order.
    pub(crate) const FIELDS: [&'static str; 4] = ["event", "previous", "previous_for_ms", "at"];

    pub(crate) fn previous_for_ms(&self) -> u64 {
        u64::try_from(self.previous_for.as_millis()).unwrap_or(u64::MAX)
    }
}

/// The stable, documented fields of one result, in output order. The jsonl
/// reporter writes them itself, for speed; its tests hold its output equal
/// to this serialization, so a field added here fails them until it is
/// added there.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Record<'a> {
    pub(crate) url: &'a str,
    pub(crate) ok: bool,
    pub(crate) status: Option<u16>,
    pub(crate) error_kind: Option<&'static str>,
    pub(crate) error: Option<&'a str>,
    pub(crate) elapsed_ms: u64,
    pub(crate) final_url: Option<&'a str>,
    pub(crate) redirects: u32,
    pub(crate) source: &'a str,
    pub(crate) line: Option<u64>,
    pub(crate) attempts: u32,
    pub(crate) cert_not_after: Option<&'a str>,
    pub(crate) cert_days_left: Option<i64>,
    pub(crate) up_after_ms: Option<u64>,
    pub(crate) http_version: Option<&'static str>,
    pub(crate) remote_addr: Option<SocketAddr>,
    pub(crate) tls_version: Option<&'static str>,
    pub(crate) dns_ms: Option<f64>,
    pub(crate) connect_ms: Option<f64>,
    pub(crate) tls_ms: Option<f64>,
    pub(crate) ttfb_ms: Option<f64>,
    pub(crate) transfer_ms: Option<f64>,
    pub(crate) known: Option<bool>,
    pub(crate) shard: Option<Shard>,
    pub(crate) column: Option<u64>,
    pub(crate) occurrences: u64,
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
            r#"{"url":"example.com","ok":false,"status":null,"error_kind":"invalid_input","error":"missing scheme","elapsed_ms":0,"final_url":null,"redirects":0,"source":"-","line":2,"attempts":0,"cert_not_after":null,"cert_days_left":null,"up_after_ms":null,"http_version":null,"remote_addr":null,"tls_version":null,"dns_ms":null,"connect_ms":null,"tls_ms":null,"ttfb_ms":null,"transfer_ms":null,"known":null,"shard":null,"column":null,"occurrences":1}"#
        );
        let json = serde_json::to_string(&crate::testing::passed().record()).unwrap();
        assert!(
            json.ends_with(
                r#","http_version":"HTTP/1.1","remote_addr":"192.0.2.1:443","tls_version":"TLSv1.3","dns_ms":0.63,"connect_ms":0.21,"tls_ms":2.67,"ttfb_ms":8.96,"transfer_ms":0.08,"known":null,"shard":null,"column":null,"occurrences":1}"#
            ),
            "{json}"
        );
    }

    #[test]
    fn kind_names_are_snake_case_and_unique() {
        use strum::IntoEnumIterator;
        let names: std::collections::HashSet<&str> =
            FailureKind::iter().map(FailureKind::as_str).collect();
        assert_eq!(names.len(), FailureKind::iter().count());
        assert_eq!(FailureKind::InvalidInput.to_string(), "invalid_input");
        assert!(names.iter().all(|n| {
            n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        }));
    }
}
