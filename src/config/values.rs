//! The values settings take, each a type with its one parser: the command line
//! reads it with `FromStr` (or the `parse_*` function clap is given), the
//! config file with `FileValue`, so a value means the same in both places.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use clap::ValueEnum;
use regex::Regex;
use reqwest::header::{HeaderName, HeaderValue};

use super::toml_text::{FileValue, TomlText, Value};

/// A whole number from 1 to `max`: `none` says why 0 will not do, and
/// `unit` names what is counted in "N{unit} is too many".
pub(crate) fn count(s: &str, max: usize, none: &str, unit: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a whole number"))?;
    match n {
        0 => Err(none.into()),
        n if n > max => Err(format!("{n}{unit} is too many (at most {max})")),
        n => Ok(n),
    }
}

/// `-w`: checks in flight at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Workers(pub(crate) usize);

impl FromStr for Workers {
    type Err = String;

    /// At least one worker, and not so many that the process is mostly sockets.
    fn from_str(s: &str) -> Result<Self, String> {
        count(s, 100_000, "at least 1 worker is needed", " workers").map(Workers)
    }
}

impl FileValue for Workers {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(value, key, "a number of workers such as 8")
    }
}

/// `--threads`: threads that run the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Threads(pub(crate) usize);

/// More threads than this only adds switching.
const MAX_THREADS: usize = 256;

impl FromStr for Threads {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        count(s, MAX_THREADS, "at least 1 thread is needed", " threads").map(Threads)
    }
}

impl FileValue for Threads {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(value, key, "a number of threads such as 2")
    }
}

/// `--lookahead`: URL lines read ahead to keep every host busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lookahead(pub(crate) usize);

impl FromStr for Lookahead {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        count(s, 100_000_000, "at least 1 line is needed", " lines").map(Lookahead)
    }
}

impl FileValue for Lookahead {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(value, key, "a number of lines such as 10000")
    }
}

/// `--per-host`: requests in flight to one host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PerHost(pub(crate) usize);

impl FromStr for PerHost {
    type Err = String;

    /// At least one request per host, or no check could start. More than
    /// `--workers` is allowed and changes nothing.
    fn from_str(s: &str) -> Result<Self, String> {
        count(s, 100_000, "at least 1 request per host is needed", "").map(PerHost)
    }
}

impl FileValue for PerHost {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(value, key, "a number of requests per host such as 4")
    }
}

/// The fastest `--rate`: beyond this, the limiter's spacing is below a
/// microsecond and means nothing.
pub(crate) const MAX_RATE: f64 = 1_000_000.0;

/// `--rate`: checks started per second, such as 50 or 0.5.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rate(pub(crate) f64);

impl FromStr for Rate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let n: f64 = s.trim().parse().map_err(|_| {
            format!("'{s}' is not a number of checks per second, such as 10 or 0.5")
        })?;
        if n.is_nan() || n <= 0.0 {
            return Err(format!("'{s}': the rate must be above 0 checks per second"));
        }
        if n > MAX_RATE {
            return Err(format!(
                "{n} checks per second is too many (at most {MAX_RATE}); leave --rate out for no limit"
            ));
        }
        // Below one check a day, the run would never end in practice.
        if n < 1.0 / 86_400.0 {
            return Err(format!("'{s}' is below one check a day"));
        }
        Ok(Rate(n))
    }
}

impl FileValue for Rate {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(
            value,
            key,
            "a number of checks per second such as 10 or 0.5",
        )
    }
}

/// Durations like `500ms`, `10s`, `2m`, `1m30s`; a bare number is seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let duration = match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("'{s}' is too long a duration"))?,
        Ok(_) => return Err(format!("'{s}' is not a valid duration")),
        Err(_) => humantime::parse_duration(s)
            .map_err(|e| format!("'{s}' is not a duration ({e}); try 500ms, 10s or 2m"))?,
    };
    if duration.is_zero() {
        return Err("the duration must be greater than zero".into());
    }
    Ok(duration)
}

impl FileValue for Duration {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed_with(
            value,
            key,
            "a duration such as \"500ms\" or \"10s\"",
            parse_duration,
        )
    }
}

/// `10s`, `500ms`: a duration as the help text and messages show it.
pub(crate) fn show_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// A set of HTTP status codes, written like `200-299,301,404`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StatusSet {
    ranges: Cow<'static, [(u16, u16)]>,
}

impl StatusSet {
    /// The statuses that pass when nothing else is asked: every 2xx.
    pub(crate) const SUCCESS: StatusSet = StatusSet {
        ranges: Cow::Borrowed(&[(200, 299)]),
    };

    pub(crate) fn contains(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&status))
    }
}

/// `2xx`: a class of statuses, 200-299 (1xx to 5xx, either case).
fn status_class(part: &str) -> Option<(u16, u16)> {
    let bytes = part.as_bytes();
    match bytes {
        [d @ b'1'..=b'5', x, y]
            if x.eq_ignore_ascii_case(&b'x') && y.eq_ignore_ascii_case(&b'x') =>
        {
            let low = u16::from(d - b'0') * 100;
            Some((low, low + 99))
        }
        _ => None,
    }
}

impl FromStr for StatusSet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let code = |part: &str| -> Result<u16, String> {
            let n: u16 = part
                .trim()
                .parse()
                .map_err(|_| format!("'{}' is not a status code", part.trim()))?;
            if !(100..=599).contains(&n) {
                return Err(format!("{n} is not an HTTP status (100-599)"));
            }
            Ok(n)
        };
        let mut ranges = Vec::new();
        for part in s.split(',') {
            if part.trim().is_empty() {
                return Err(format!(
                    "'{s}' has an empty entry; write codes like 200-299,301"
                ));
            }
            let range = match part.split_once('-') {
                Some((lo, hi)) => {
                    let (lo, hi) = (code(lo)?, code(hi)?);
                    if lo > hi {
                        return Err(format!("range {lo}-{hi} is backwards; write {hi}-{lo}"));
                    }
                    (lo, hi)
                }
                None => match status_class(part.trim()) {
                    Some(class) => class,
                    None => {
                        let n = code(part)?;
                        (n, n)
                    }
                },
            };
            ranges.push(range);
        }
        Ok(StatusSet {
            ranges: Cow::Owned(ranges),
        })
    }
}

impl FileValue for StatusSet {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(
            value,
            key,
            "a status list such as \"200-299,301\" or a code such as 200",
        )
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

/// The HTTP method of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Method {
    Get,
    Head,
}

impl Method {
    pub(crate) fn as_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Head => reqwest::Method::HEAD,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Method::Get => "get",
            Method::Head => "head",
        })
    }
}

impl FileValue for Method {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        let written: String = text.serde(value)?;
        Method::from_str(&written, true).map_err(|_| {
            text.error_at(
                value.span().start,
                format!(
                    "{key}: '{}' is not supported; write \"get\" or \"head\"",
                    written.to_ascii_lowercase()
                ),
            )
        })
    }
}

/// Output format of the results on stdout, and of `--report` files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Readable lines, coloured on a terminal.
    Human,
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
    /// A JUnit XML report, written at the end.
    Junit,
    /// A Markdown summary (e.g. for a GitHub job summary), written at the end.
    Markdown,
    /// SARIF 2.1.0 for code scanning: one result per failure, at its file and
    /// line, written at the end.
    Sarif,
}

impl Format {
    /// Formats that write each result as it comes, so `--only-failures` can
    /// leave passes out; the others are reports with totals over every result.
    pub(crate) fn streams_results(self) -> bool {
        matches!(self, Format::Human | Format::Jsonl | Format::Csv)
    }
}

impl fmt::Display for Format {
    /// The name the flags take.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_possible_value() {
            Some(value) => f.write_str(value.get_name()),
            None => write!(f, "{self:?}"),
        }
    }
}

/// `--report FORMAT:PATH`.
pub(crate) fn parse_report(s: &str) -> Result<(Format, std::path::PathBuf), String> {
    let (format, path) = s
        .split_once(':')
        .filter(|(_, path)| !path.is_empty())
        .ok_or_else(|| format!("'{s}' is not FORMAT:PATH, e.g. junit:report.xml"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        format!("unknown report format '{format}'; use human, jsonl, csv, junit, markdown or sarif")
    })?;
    Ok((format, std::path::PathBuf::from(path)))
}

/// A regex for body and header expectations.
pub(crate) fn parse_regex(s: &str) -> Result<Regex, String> {
    Regex::new(s).map_err(|e| format!("not a valid regex: {e}"))
}

impl FileValue for Regex {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        let pattern: String = text.serde(value)?;
        text.regex(&pattern, value.span().start, key)
    }
}

/// `--proxy`: an http:// or https:// proxy URL; `host:port` alone means
/// http://. A login goes in the URL (`http://user:password@host:3128`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProxyUrl(pub(crate) reqwest::Url);

impl FromStr for ProxyUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let text = s.trim();
        let shown = crate::target::mask_password(text);
        if text.contains(['"', '\'']) {
            return Err(format!(
                "'{shown}' is not a proxy URL: remove the quotes around it"
            ));
        }
        let with_scheme = if text.contains("://") {
            text.to_string()
        } else {
            format!("http://{text}")
        };
        let url = reqwest::Url::parse(&with_scheme)
            .map_err(|e| format!("'{shown}' is not a proxy URL: {e}"))?;
        match url.scheme() {
            "http" | "https" => {}
            "socks4" | "socks4a" | "socks5" | "socks5h" => {
                return Err(format!(
                    "'{shown}': SOCKS proxies are not supported; use an http:// or https:// proxy"
                ));
            }
            other => {
                return Err(format!(
                    "'{shown}': a proxy URL starts with http:// or https://, not {other}://"
                ));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("'{shown}' is not a proxy URL: it has no host"));
        }
        Ok(ProxyUrl(url))
    }
}

impl FileValue for ProxyUrl {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(value, key, "a proxy URL such as \"http://127.0.0.1:3128\"")
    }
}

/// Which HTTP versions a check may speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpVersions {
    /// HTTP/1.1, or HTTP/2 where TLS negotiates it (ALPN).
    Negotiate,
    /// HTTP/1.1 only (`--http1.1`).
    Http1Only,
    /// HTTP/2 from the first byte, without negotiating: h2c on http://, h2
    /// on https:// (`--http2-prior-knowledge`).
    Http2PriorKnowledge,
}

impl FileValue for bool {
    fn read(text: &TomlText<'_>, _key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.serde(value)
    }
}

impl FileValue for std::path::PathBuf {
    fn read(text: &TomlText<'_>, _key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.serde::<String>(value).map(std::path::PathBuf::from)
    }
}

impl FileValue for String {
    fn read(text: &TomlText<'_>, _key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.serde(value)
    }
}

impl FileValue for u32 {
    fn read(text: &TomlText<'_>, _key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.serde(value)
    }
}

/// A header value that may hold `${VAR}`s in the file, such as `user_agent`.
impl FileValue for HeaderValue {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        let expanded = text.expand(value)?;
        header_value(&expanded.text, expanded.has_variables()).map_err(|_| {
            text.error_at(
                value.span().start,
                format!(
                    "{key}: the value has characters a header cannot carry (such as a line break)"
                ),
            )
        })
    }
}

/// A header name, as `-H`, `--expect-header` and the file's tables write it.
pub(crate) fn header_name(name: &str) -> Result<HeaderName, String> {
    HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("'{}' is not a valid header name", name.trim()))
}

/// A header value; one that came from a variable is marked sensitive, so
/// that no `Debug` of a request shows a secret.
pub(crate) fn header_value(value: &str, secret: bool) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| "the value has characters a header cannot carry".to_string())?;
    value.set_sensitive(secret);
    Ok(value)
}

/// `-A`: the User-Agent header.
pub(crate) fn parse_user_agent(s: &str) -> Result<HeaderValue, String> {
    header_value(s, false)
}

/// A request header (`-H 'Name: value'`, or a `headers` table entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
}

impl FromStr for Header {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (name, value) = s
            .split_once(':')
            .ok_or_else(|| format!("'{s}' is not a header; write it as 'Name: value'"))?;
        let name = header_name(name)?;
        let value = header_value(value.trim(), false).map_err(|_| {
            format!("the value of header '{name}' has characters a header cannot carry")
        })?;
        Ok(Header { name, value })
    }
}

/// A header a response must carry, with a value matching the regex
/// (`--expect-header 'Name: REGEX'`, or an `expect_header` table entry).
#[derive(Debug, Clone)]
pub(crate) struct HeaderRule {
    pub(crate) name: HeaderName,
    pub(crate) pattern: Regex,
}

impl FromStr for HeaderRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (name, pattern) = s.split_once(':').ok_or_else(|| {
            format!("'{s}' is not a header expectation; write it as 'Name: REGEX'")
        })?;
        Ok(HeaderRule {
            name: header_name(name)?,
            pattern: parse_regex(pattern.trim())?,
        })
    }
}

/// `--shard K/N` (the type is shared with the records, which name it).
pub(crate) use crate::results::Shard;

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let usage = || {
            format!(
                "'{s}' is not K/N with 1 <= K <= N, e.g. 2/8 for the second of 8 shards \
                 (GitLab: $CI_NODE_INDEX/$CI_NODE_TOTAL)"
            )
        };
        let (index, count) = s.split_once('/').ok_or_else(usage)?;
        let index: u64 = index.trim().parse().map_err(|_| usage())?;
        let count: u64 = count.trim().parse().map_err(|_| usage())?;
        if index == 0 || count == 0 || index > count {
            return Err(usage());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: FromStr<Err = String>>(s: &str) -> Result<T, String> {
        s.parse()
    }

    #[test]
    fn workers_parser() {
        assert_eq!(parse::<Workers>("8"), Ok(Workers(8)));
        assert!(parse::<Workers>("0").is_err());
        assert!(parse::<Workers>("-1").is_err());
        assert!(parse::<Workers>("many").is_err());
        assert!(parse::<Workers>("1000000").is_err());
    }

    #[test]
    fn threads_parser() {
        assert_eq!(parse::<Threads>("2"), Ok(Threads(2)));
        assert_eq!(
            parse::<Threads>("0").unwrap_err(),
            "at least 1 thread is needed"
        );
        assert!(parse::<Threads>("257").unwrap_err().contains("at most 256"));
        assert!(parse::<Threads>("two").is_err());
    }

    #[test]
    fn per_host_and_rate_parsers() {
        assert_eq!(parse::<PerHost>("4"), Ok(PerHost(4)));
        assert!(parse::<PerHost>("0").unwrap_err().contains("at least 1"));
        assert!(parse::<PerHost>("1000001").is_err());
        assert_eq!(parse::<Rate>("50"), Ok(Rate(50.0)));
        assert_eq!(parse::<Rate>(" 0.5 "), Ok(Rate(0.5)));
        for bad in ["0", "-1", "NaN", "inf", "1e300", "1e-9", "ten", ""] {
            assert!(parse::<Rate>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn duration_parser() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration(" 3 "), Ok(Duration::from_secs(3)));
        for bad in ["", "0", "0s", "-1", "abc", "10 parsecs", "NaN", "inf"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn status_set_parser() {
        let set = parse::<StatusSet>("200-299,301, 404").unwrap();
        assert_eq!(set.to_string(), "200-299,301,404");
        assert!(set.contains(404) && !set.contains(302));
        for bad in [
            "", "200,", "abc", "99", "600", "300-200", "200-", "6xx", "2x", "2xx-3xx",
        ] {
            assert!(
                parse::<StatusSet>(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        assert!(
            parse::<StatusSet>("300-200")
                .unwrap_err()
                .contains("200-300")
        );
    }

    #[test]
    fn status_classes_are_accepted() {
        let set = parse::<StatusSet>("2xx, 3XX,404").unwrap();
        assert_eq!(set.to_string(), "200-299,300-399,404");
        assert!(set.contains(302) && set.contains(404) && !set.contains(500));
    }

    #[test]
    fn status_set_contains_and_displays() {
        let set = parse::<StatusSet>("200-299,301,404").unwrap();
        assert!(set.contains(200) && set.contains(299) && set.contains(301));
        assert!(!set.contains(300) && !set.contains(500));
        assert_eq!(StatusSet::SUCCESS.to_string(), "200-299");
    }

    #[test]
    fn header_parser() {
        let header = parse::<Header>("Authorization: Bearer x:y").unwrap();
        assert_eq!(header.name, "authorization");
        assert_eq!(header.value, "Bearer x:y");
        let empty = parse::<Header>("X-Empty:").unwrap();
        assert_eq!(empty.value, "");
        assert!(parse::<Header>("no colon").is_err());
        assert!(parse::<Header>("bad name: v").is_err());
        assert!(parse::<Header>(": v").is_err());
        assert!(parse::<Header>("X-A: line\nbreak").is_err());
    }

    #[test]
    fn expectation_parsers() {
        assert!(
            parse_regex("error|maintenance")
                .unwrap()
                .is_match("maintenance")
        );
        assert!(
            parse_regex("(unclosed")
                .unwrap_err()
                .contains("not a valid regex")
        );
        let rule: HeaderRule = "Content-Type: ^application/json".parse().unwrap();
        assert_eq!(rule.name, "content-type");
        assert!(rule.pattern.is_match("application/json; charset=utf-8"));
        assert!("no colon".parse::<HeaderRule>().is_err());
        assert!("X-A: (".parse::<HeaderRule>().is_err());
        assert_eq!(
            parse_report("junit:out/r.xml").unwrap(),
            (Format::Junit, std::path::PathBuf::from("out/r.xml"))
        );
        assert_eq!(parse_report("MARKDOWN:s.md").unwrap().0, Format::Markdown);
        assert!(
            parse_report("xml:r.xml")
                .unwrap_err()
                .contains("unknown report format")
        );
        assert!(parse_report("junit:").is_err());
        assert!(parse_report("report.xml").is_err());
    }
}

#[cfg(test)]
mod proptests {
    //! Properties of the value parsers: no panics on any input, and what an
    //! Ok result may hold.

    use super::*;
    use proptest::prelude::*;

    use crate::testing::proptest_config as config;

    /// The ranges of a status set, read back from its display form.
    fn displayed_ranges(set: &StatusSet) -> Vec<(u16, u16)> {
        set.to_string()
            .split(',')
            .map(|part| match part.split_once('-') {
                Some((lo, hi)) => (lo.parse().unwrap(), hi.parse().unwrap()),
                None => (part.parse().unwrap(), part.parse().unwrap()),
            })
            .collect()
    }

    fn check_status_set(s: &str, probe: u16) -> Result<(), TestCaseError> {
        if let Ok(set) = s.parse::<StatusSet>() {
            for (lo, hi) in displayed_ranges(&set) {
                prop_assert!(lo <= hi && (100..=599).contains(&lo) && hi <= 599, "{s:?}");
            }
            for code in [0, 99, 600, 999, u16::MAX, probe] {
                if set.contains(code) {
                    prop_assert!((100..=599).contains(&code), "{s:?} contains {code}");
                }
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn parse_duration_never_panics_and_is_never_zero(s in any::<String>()) {
            if let Ok(duration) = parse_duration(&s) {
                prop_assert!(!duration.is_zero());
            }
        }

        #[test]
        fn parse_duration_on_unit_strings(
            s in "[ ]?[0-9]{1,22}(\\.[0-9]{1,3})?(ns|us|ms|s|m|h|d|w|M|y|min|sec)\
                  ( ?[0-9]{1,22}(ms|s|m|h))?[ ]?",
        ) {
            if let Ok(duration) = parse_duration(&s) {
                prop_assert!(!duration.is_zero());
            }
        }

        #[test]
        fn parse_duration_reads_whole_seconds_and_millis(n in 1u64..=1_000_000_000_000) {
            prop_assert_eq!(parse_duration(&n.to_string()), Ok(Duration::from_secs(n)));
            prop_assert_eq!(parse_duration(&format!("{n}s")), Ok(Duration::from_secs(n)));
            prop_assert_eq!(parse_duration(&format!("{n}ms")), Ok(Duration::from_millis(n)));
        }

        #[test]
        fn parse_duration_never_panics_on_big_numbers(
            s in "[0-9]{1,25}(\\.[0-9]{0,3})?([eE][+]?[0-9]{1,3})?",
        ) {
            if let Ok(duration) = parse_duration(&s) {
                prop_assert!(!duration.is_zero());
            }
        }

        #[test]
        fn parse_status_set_never_panics_and_holds_only_http_statuses(
            s in any::<String>(),
            probe in any::<u16>(),
        ) {
            check_status_set(&s, probe)?;
        }

        #[test]
        fn parse_status_set_on_list_like_strings(
            s in "[0-9 ]{0,6}(-[0-9 ]{0,6})?(,[0-9 ]{0,6}(-[0-9 ]{0,6})?){0,4}",
            probe in any::<u16>(),
        ) {
            check_status_set(&s, probe)?;
        }

        #[test]
        fn parse_status_set_reads_valid_lists_exactly(
            ranges in prop::collection::vec((100u16..=599, 0u16..=100), 1..6),
            spaced in any::<bool>(),
        ) {
            let ranges: Vec<(u16, u16)> = ranges
                .into_iter()
                .map(|(lo, len)| (lo, (lo + len).min(599)))
                .collect();
            let separator = if spaced { ", " } else { "," };
            let text = ranges
                .iter()
                .map(|&(lo, hi)| if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") })
                .collect::<Vec<_>>()
                .join(separator);
            let set: StatusSet = text.parse().unwrap();
            for code in 0..=700 {
                let expected = ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&code));
                prop_assert_eq!(set.contains(code), expected, "{} {}", text, code);
            }
        }

        #[test]
        fn parse_header_never_panics(s in any::<String>()) {
            if let Ok(header) = s.parse::<Header>() {
                let (raw_name, raw_value) = s.split_once(':').unwrap();
                prop_assert_eq!(header.name.as_str(), raw_name.trim().to_ascii_lowercase());
                prop_assert_eq!(header.value.as_bytes(), raw_value.trim().as_bytes());
            }
        }

        #[test]
        fn parse_header_accepts_tokens_and_visible_values(
            name in "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}",
            value in "([!-~]([ -~]{0,30}[!-~])?)?",
            before in "[ \t]{0,2}",
            after in "[ \t]{0,2}",
        ) {
            let header: Header =
                format!("{before}{name}{after}:{before}{value}{after}").parse().unwrap();
            prop_assert_eq!(header.name.as_str(), name.to_ascii_lowercase());
            prop_assert_eq!(header.value.to_str().unwrap(), value);
        }

        #[test]
        fn parse_workers_never_panics_and_stays_in_range(s in any::<String>(), n in any::<u64>()) {
            for text in [s, n.to_string()] {
                if let Ok(Workers(workers)) = text.parse() {
                    prop_assert!((1..=100_000).contains(&workers), "{text:?}");
                }
            }
        }

        #[test]
        fn parse_rate_never_panics_and_gives_a_usable_rate(s in any::<String>(), n in any::<f64>()) {
            for text in [s, n.to_string()] {
                if let Ok(Rate(rate)) = text.parse() {
                    prop_assert!(rate > 0.0 && rate <= MAX_RATE, "{text:?}");
                    prop_assert!(Duration::try_from_secs_f64(1.0 / rate).is_ok());
                }
            }
        }
    }
}

/// `--links`: which links of a page are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LinkScope {
    /// Every link.
    All,
    /// Links to the page's own host only.
    Internal,
}

impl FileValue for LinkScope {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed_with(value, key, "\"all\" or \"internal\"", |s| match s {
            "all" => Ok(LinkScope::All),
            "internal" => Ok(LinkScope::Internal),
            other => Err(format!(
                "'{other}' is not a links scope: use all or internal"
            )),
        })
    }
}

/// `--crawl [DEPTH]`: how many links to follow from a start page; none
/// given, as many as the site has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CrawlDepth(pub(crate) Option<u32>);

impl FromStr for CrawlDepth {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" | "unlimited" | "true" => Ok(CrawlDepth(None)),
            n => n.parse::<u32>().map(|n| CrawlDepth(Some(n))).map_err(|_| {
                format!("'{n}' is not a crawl depth: give a number of links to follow, or none")
            }),
        }
    }
}

impl FileValue for CrawlDepth {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(value, key, "a number of links to follow, or \"unlimited\"")
    }
}

/// `--input-format`: how an INPUT file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum InputFormat {
    /// One URL per line.
    List,
    /// A sitemap, a sitemap index or a robots.txt.
    Sitemap,
    /// A Markdown document: its links.
    Markdown,
    /// An HTML document: its links.
    Html,
}

impl InputFormat {
    /// The kind a file's name says; a list when it says none.
    pub(crate) fn of_path(path: &std::path::Path) -> Self {
        let name = path.to_string_lossy().to_ascii_lowercase();
        if name.ends_with(".md") || name.ends_with(".markdown") {
            InputFormat::Markdown
        } else if name.ends_with(".html") || name.ends_with(".htm") {
            InputFormat::Html
        } else if name.ends_with(".xml") || name.ends_with(".xml.gz") {
            InputFormat::Sitemap
        } else {
            InputFormat::List
        }
    }
}

impl FileValue for InputFormat {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed_with(value, key, "list, sitemap, markdown or html", |s| {
            <InputFormat as clap::ValueEnum>::from_str(s, false).map_err(|_| {
                format!("'{s}' is not an input format: use list, sitemap, markdown or html")
            })
        })
    }
}

/// `--base-url`: an http(s) URL that ends in `/`, so that a document's
/// path joins under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl(pub(crate) reqwest::Url);

impl FromStr for BaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut url =
            reqwest::Url::parse(s.trim()).map_err(|e| format!("'{s}' is not a base URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "'{s}' is not a base URL: give an http:// or https:// URL"
            ));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(BaseUrl(url))
    }
}

impl FileValue for BaseUrl {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(value, key, "a URL such as \"https://example.com/docs/\"")
    }
}

/// `--color`: when to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorArg {
    Auto,
    Always,
    Never,
}

/// A value of a `ValueEnum` read from the config file by its flag's name.
fn value_enum<T: ValueEnum>(
    text: &TomlText<'_>,
    key: &str,
    value: &Value<'_>,
    expected: &'static str,
) -> anyhow::Result<T> {
    text.parsed_with(value, key, expected, |s| {
        T::from_str(s, true).map_err(|_| format!("'{s}' is not one of: {expected}"))
    })
}

impl FileValue for ColorArg {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        value_enum(text, key, value, "auto, always, never")
    }
}

impl FileValue for Format {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        value_enum(
            text,
            key,
            value,
            "human, jsonl, csv, junit, markdown, sarif",
        )
    }
}

/// `--report FORMAT:PATH`: a report written to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Report(pub(crate) Format, pub(crate) std::path::PathBuf);

impl FromStr for Report {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        parse_report(s).map(|(format, path)| Report(format, path))
    }
}

/// `--down-after`, `--up-after`: a streak of at least one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Streak(pub(crate) u32);

impl FromStr for Streak {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let n = count(s, 1_000_000, "at least 1 check is needed", " checks")?;
        Ok(Streak(u32::try_from(n).unwrap_or(u32::MAX)))
    }
}

impl FileValue for Streak {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(value, key, "a number of checks, 1 or more")
    }
}

/// `--listen`: an address and a port; a bare port means loopback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Listen(pub(crate) std::net::SocketAddr);

impl FromStr for Listen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Ok(port) = s.parse::<u16>() {
            return Ok(Listen(std::net::SocketAddr::from(([127, 0, 0, 1], port))));
        }
        s.parse()
            .map(Listen)
            .map_err(|_| format!("'{s}' is not an address and port such as 127.0.0.1:9464"))
    }
}

impl FileValue for Listen {
    fn read(text: &TomlText<'_>, key: &str, value: &Value<'_>) -> anyhow::Result<Self> {
        text.parsed(value, key, "an address and port such as \"127.0.0.1:9464\"")
    }
}
