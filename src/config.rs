//! The plain, resolved configuration of one run: what `cli.rs` makes of the
//! command line, with every terminal-dependent choice already decided.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use regex::Regex;
use reqwest::header::{HeaderMap, HeaderName};

/// Everything a run needs to know, decided once before anything starts.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where URLs come from, in the order given.
    pub inputs: Vec<InputSpec>,
    /// Number of worker tasks, and so the most checks in flight at once.
    pub workers: usize,
    /// `--per-host`: the most requests in flight to one host.
    pub per_host: Option<usize>,
    /// `--rate`: the most checks started per second.
    pub rate: Option<f64>,
    /// HTTP method of every check.
    pub method: Method,
    /// Redirect hops to follow before failing; 0 reports the redirect itself.
    pub max_redirects: u32,
    /// Hard deadline for one whole check: connect, redirects, headers and body.
    pub timeout: Duration,
    /// Deadline for establishing one TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// What every URL from the command line or a list must show, and the
    /// headers it is requested with; config-file checks carry their own.
    pub spec: Arc<CheckSpec>,
    /// URLs from the config file, each with its own spec.
    pub config_checks: Vec<ConfigCheck>,
    /// Extra attempts after a transient failure.
    pub retries: u32,
    /// The first retry's delay; it doubles each time, with jitter.
    pub retry_delay: Duration,
    /// Keep re-checking failing URLs for this long (a deploy coming up).
    pub wait: Option<Duration>,
    /// How often `wait` re-checks.
    pub wait_interval: Duration,
    /// The whole run never takes longer than this.
    pub deadline: Option<Duration>,
    /// Extra reports written to files (`--report FORMAT:PATH`).
    pub reports: Vec<(Format, PathBuf)>,
    /// Running under GitHub Actions: annotations, and the step summary file.
    pub github: Option<GithubActions>,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Accept any TLS certificate (`-k`).
    pub insecure: bool,
    /// Extra trusted CA certificates, PEM (`--cacert`).
    pub cacert: Option<PathBuf>,
    /// How results are written to stdout.
    pub format: Format,
    /// Colour results on stdout.
    pub color_stdout: bool,
    /// Colour the summary and warnings on stderr.
    pub color_stderr: bool,
    /// Results go to a terminal (the progress bar steps aside for them).
    pub stdout_is_terminal: bool,
    /// Show a live progress bar on stderr.
    pub progress: bool,
    /// Print the summary on stderr at the end.
    pub summary: bool,
    /// Write only failed checks to stdout (the summary still counts all).
    pub only_failures: bool,
    /// After Ctrl-C or SIGTERM, how long in-flight checks may still finish.
    pub shutdown_timeout: Duration,
}

impl Config {
    /// Capacity of the bounded queue between the input reader and the workers:
    /// enough to keep every worker busy, small enough that input is streamed.
    pub fn queue_capacity(&self) -> usize {
        self.workers.saturating_mul(2).max(1)
    }
}

/// One INPUT argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// A URL given on the command line.
    Url(String),
    /// A file of URLs, one per line.
    File(PathBuf),
    /// Standard input (`-`, or no INPUT with a piped stdin).
    Stdin,
}

/// The HTTP method of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
}

impl Method {
    pub fn as_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Head => reqwest::Method::HEAD,
        }
    }
}

/// Output format of the results on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Jsonl,
    Csv,
    Junit,
    Markdown,
}

/// What a check must find to pass.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// Final statuses that pass.
    pub status: StatusSet,
    /// The body contains this text.
    pub body_contains: Option<String>,
    /// The body matches this regex.
    pub body_regex: Option<Regex>,
    /// The body must not match this regex.
    pub body_reject: Option<Regex>,
    /// Each named header is present with a value matching its regex.
    pub headers: Vec<(HeaderName, Regex)>,
    /// A slower check fails (kind `slow`).
    pub max_latency: Option<Duration>,
    /// An https leaf certificate must be valid for at least this many days.
    pub min_cert_days: Option<u32>,
}

impl Expectations {
    /// The body must be read and kept (up to the cap) to judge it.
    pub fn needs_body(&self) -> bool {
        self.body_contains.is_some() || self.body_regex.is_some() || self.body_reject.is_some()
    }
}

/// How to check one URL: its expectations and extra request headers.
#[derive(Debug, Clone, Default)]
pub struct CheckSpec {
    pub expect: Expectations,
    /// Extra request headers, sent to the URL's own origin only.
    pub headers: HeaderMap,
    /// Values expanded from `${VAR}` in a config-file URL, with the text to
    /// show instead: secrets never reach the output.
    pub redact: Vec<(String, String)>,
}

impl CheckSpec {
    /// `text` with every expanded secret shown as its `${VAR}` again.
    pub fn redact(&self, text: &str) -> String {
        self.redact
            .iter()
            .fold(text.to_string(), |text, (secret, shown)| {
                text.replace(secret, shown)
            })
    }
}

/// One `[[check]]` of a config file.
#[derive(Debug, Clone)]
pub struct ConfigCheck {
    /// The URL as written in the file, `${VAR}` unexpanded: what is shown.
    pub shown: String,
    /// The URL with variables expanded: what is requested.
    pub url: String,
    /// The config file, and the line of this check's `url`.
    pub file: String,
    pub line: u64,
    pub spec: Arc<CheckSpec>,
}

/// GitHub Actions, detected from `GITHUB_ACTIONS=true`.
#[derive(Debug, Clone, Default)]
pub struct GithubActions {
    /// `$GITHUB_STEP_SUMMARY`: the markdown summary is appended to it.
    pub step_summary: Option<PathBuf>,
}

/// A set of HTTP status codes, written like `200-299,301,404`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet {
    ranges: Vec<(u16, u16)>,
}

impl StatusSet {
    /// Build from inclusive ranges; callers validate them (see `cli::parse_status_set`).
    pub fn from_ranges(ranges: Vec<(u16, u16)>) -> Self {
        StatusSet { ranges }
    }

    pub fn contains(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&status))
    }
}

impl Default for StatusSet {
    fn default() -> Self {
        StatusSet::from_ranges(vec![(200, 299)])
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(lo, hi)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if lo == hi {
                write!(f, "{lo}")?;
            } else {
                write!(f, "{lo}-{hi}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_set_contains_and_displays() {
        let set = StatusSet::from_ranges(vec![(200, 299), (301, 301), (404, 404)]);
        assert!(set.contains(200) && set.contains(299) && set.contains(301));
        assert!(!set.contains(300) && !set.contains(500));
        assert_eq!(set.to_string(), "200-299,301,404");
        assert_eq!(StatusSet::default().to_string(), "200-299");
    }
}
