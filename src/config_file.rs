//! The `--config` file: TOML with a `[defaults]` table and `[[check]]` tables,
//! read and validated whole before any check starts, so that every mistake is
//! reported up front as `FILE:LINE:COLUMN: what is wrong`.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow};
use regex::Regex;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Deserializer, de};
use toml::Spanned;

use crate::cli::{parse_duration, parse_per_host, parse_rate, parse_status_set, parse_workers};
use crate::config::{Expectations, Method, StatusSet};
use crate::sanitize::escape_control;
use crate::target::parse_target;

/// A whole config file, validated.
pub struct FileConfig {
    /// The `[defaults]` table (all unset when the file has none).
    pub defaults: FileDefaults,
    /// The `[[check]]` tables, in file order.
    pub checks: Vec<FileCheck>,
}

/// The `[defaults]` table: run settings, plus expectations for every check.
/// `None` means "not in the file": the command line or built-in default applies.
#[derive(Default)]
pub struct FileDefaults {
    /// Checks in flight at once.
    pub workers: Option<usize>,
    /// Requests in flight to one host.
    pub per_host: Option<usize>,
    /// Checks started per second.
    pub rate: Option<f64>,
    /// Deadline for one whole check.
    pub timeout: Option<Duration>,
    /// Deadline for opening one connection.
    pub connect_timeout: Option<Duration>,
    /// Extra attempts after a transient failure.
    pub retries: Option<u32>,
    /// The first retry's delay.
    pub retry_delay: Option<Duration>,
    /// Redirects to follow.
    pub max_redirects: Option<u32>,
    /// HTTP method of every check.
    pub method: Option<Method>,
    /// The `User-Agent` header, `${VAR}` expanded.
    pub user_agent: Option<String>,
    /// Request headers for every check, `${VAR}` expanded; values that came
    /// from a variable are marked sensitive.
    pub headers: HeaderMap,
    /// Keep re-checking failing URLs for this long.
    pub wait: Option<Duration>,
    /// How often `wait` re-checks.
    pub wait_interval: Option<Duration>,
    /// The whole run never takes longer than this.
    pub deadline: Option<Duration>,
    /// Expectations for every check (a check's own keys win).
    pub expect: PartialExpectations,
}

/// Expectations that may leave fields unset, to be laid over a base with `over`.
#[derive(Debug, Default, Clone)]
pub struct PartialExpectations {
    /// `expect_status`.
    pub status: Option<StatusSet>,
    /// `expect_body`.
    pub body_contains: Option<String>,
    /// `expect_body_regex`.
    pub body_regex: Option<Regex>,
    /// `reject_body_regex`.
    pub body_reject: Option<Regex>,
    /// `expect_header`: name and the regex its value must match.
    pub headers: Vec<(HeaderName, Regex)>,
    /// `max_latency`.
    pub max_latency: Option<Duration>,
    /// `min_cert_days`.
    pub min_cert_days: Option<u32>,
}

impl PartialExpectations {
    /// `self` over `base`: each field set here wins; headers are added to base's.
    pub fn over(&self, base: &Expectations) -> Expectations {
        let mut headers = base.headers.clone();
        headers.extend(self.headers.iter().cloned());
        Expectations {
            status: self.status.clone().unwrap_or_else(|| base.status.clone()),
            body_contains: self
                .body_contains
                .clone()
                .or_else(|| base.body_contains.clone()),
            body_regex: self.body_regex.clone().or_else(|| base.body_regex.clone()),
            body_reject: self
                .body_reject
                .clone()
                .or_else(|| base.body_reject.clone()),
            headers,
            max_latency: self.max_latency.or(base.max_latency),
            min_cert_days: self.min_cert_days.or(base.min_cert_days),
        }
    }
}

/// One `[[check]]` table.
pub struct FileCheck {
    /// The URL as written, `${VAR}` not expanded: the only form ever printed,
    /// so a secret in a variable never reaches the output.
    pub shown_url: String,
    /// The URL with variables expanded: what is requested.
    pub url: String,
    /// The 1-based line of this check's `url`.
    pub line: u64,
    /// This check's own expectations, to be laid over the defaults.
    pub expect: PartialExpectations,
    /// Extra request headers of this check, `${VAR}` expanded.
    pub headers: HeaderMap,
}

/// Read and validate the config file at `path`. `lookup` reads environment
/// variables (tests pass a closure).
pub fn load(path: &Path, lookup: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read config file {}", path.display()))?;
    parse(&text, &path.display().to_string(), lookup)
}

/// Validate the text of a config file; `file_name` starts every error message.
pub fn parse(
    text: &str,
    file_name: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<FileConfig> {
    // A byte-order mark is not TOML, but editors on Windows write one.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let source = Source {
        text,
        name: file_name,
        lookup,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| source.toml_error(&e))?;
    let defaults = match raw.defaults {
        Some(defaults) => source.defaults(defaults)?,
        None => FileDefaults::default(),
    };
    let checks = raw
        .check
        .into_iter()
        .map(|check| source.check(check))
        .collect::<anyhow::Result<_>>()?;
    Ok(FileConfig { defaults, checks })
}

// ---- The file as TOML holds it, with the spans that errors point at. ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    defaults: Option<RawDefaults>,
    #[serde(default)]
    check: Vec<Spanned<RawCheck>>,
}

/// A `name = "value"` table whose keys and values errors can point at.
type SpannedTable = BTreeMap<Spanned<String>, Spanned<String>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    workers: Option<Spanned<Scalar<Workers>>>,
    per_host: Option<Spanned<Scalar<Workers>>>,
    rate: Option<Spanned<Scalar<Rate>>>,
    timeout: Option<Spanned<Scalar<Length>>>,
    connect_timeout: Option<Spanned<Scalar<Length>>>,
    retries: Option<u32>,
    retry_delay: Option<Spanned<Scalar<Length>>>,
    max_redirects: Option<u32>,
    method: Option<Spanned<String>>,
    user_agent: Option<Spanned<String>>,
    #[serde(default)]
    headers: SpannedTable,
    wait: Option<Spanned<Scalar<Length>>>,
    wait_interval: Option<Spanned<Scalar<Length>>>,
    deadline: Option<Spanned<Scalar<Length>>>,
    // The expectation keys, as in `RawCheck` (serde's `flatten` would lose
    // both the spans and `deny_unknown_fields`).
    expect_status: Option<Spanned<Scalar<Statuses>>>,
    expect_body: Option<String>,
    expect_body_regex: Option<Spanned<String>>,
    reject_body_regex: Option<Spanned<String>>,
    #[serde(default)]
    expect_header: SpannedTable,
    max_latency: Option<Spanned<Scalar<Length>>>,
    min_cert_days: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    // Optional to serde, so that a missing url gets a message of our own.
    url: Option<Spanned<String>>,
    #[serde(default)]
    headers: SpannedTable,
    expect_status: Option<Spanned<Scalar<Statuses>>>,
    expect_body: Option<String>,
    expect_body_regex: Option<Spanned<String>>,
    reject_body_regex: Option<Spanned<String>>,
    #[serde(default)]
    expect_header: SpannedTable,
    max_latency: Option<Spanned<Scalar<Length>>>,
    min_cert_days: Option<u32>,
}

/// The expectation keys of either table, gathered for one conversion.
struct RawExpect {
    status: Option<Spanned<Scalar<Statuses>>>,
    body: Option<String>,
    body_regex: Option<Spanned<String>>,
    body_reject: Option<Spanned<String>>,
    headers: SpannedTable,
    max_latency: Option<Spanned<Scalar<Length>>>,
    min_cert_days: Option<u32>,
}

/// A value that may be written as a string or a number (`timeout = 5`,
/// `expect_status = 200`), kept as text for the parsers the command line
/// uses. `K` only says what was expected, for toml's message on a wrong type.
struct Scalar<K> {
    text: String,
    kind: PhantomData<K>,
}

/// What a `Scalar` should hold, in words.
trait Expected {
    const EXPECTED: &'static str;
}

/// A duration (not named so, to keep `std::time::Duration` unambiguous).
enum Length {}
/// A status list.
enum Statuses {}
/// A number of workers.
enum Workers {}
/// Checks per second.
enum Rate {}

impl Expected for Length {
    const EXPECTED: &'static str = "a duration such as \"500ms\" or \"10s\"";
}

impl Expected for Statuses {
    const EXPECTED: &'static str = "a status list such as \"200-299,301\" or a code such as 200";
}

impl Expected for Workers {
    const EXPECTED: &'static str = "a number of workers such as 8";
}

impl Expected for Rate {
    const EXPECTED: &'static str = "a number of checks per second such as 10 or 0.5";
}

impl<'de, K: Expected> Deserialize<'de> for Scalar<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor(PhantomData))
    }
}

struct ScalarVisitor<K>(PhantomData<K>);

impl<K: Expected> de::Visitor<'_> for ScalarVisitor<K> {
    type Value = Scalar<K>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(K::EXPECTED)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<K>, E> {
        Ok(Scalar {
            text: v.to_owned(),
            kind: PhantomData,
        })
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<K>, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<K>, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<K>, E> {
        self.visit_str(&v.to_string())
    }
}

// ---- From raw TOML to validated values. ----

/// The file being read: its text (for line and column), its name (to start
/// messages) and where `${VAR}` values come from.
struct Source<'a> {
    text: &'a str,
    name: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Source<'_> {
    /// `FILE:LINE:COLUMN: message` for the byte `offset` of the file.
    fn error_at(&self, offset: usize, message: impl fmt::Display) -> anyhow::Error {
        let (line, column) = line_column(self.text, offset);
        // The message may quote the file, which could hold escape sequences.
        let message = message.to_string();
        anyhow!(
            "{}:{line}:{column}: {}",
            self.name,
            escape_control(&message)
        )
    }

    /// A toml error, without the multi-line snippet its `Display` adds.
    fn toml_error(&self, error: &toml::de::Error) -> anyhow::Error {
        let message = one_line(error.message());
        match error.span() {
            Some(span) => self.error_at(span.start, message),
            None => anyhow!("{}: {}", self.name, escape_control(&message)),
        }
    }

    fn defaults(&self, raw: RawDefaults) -> anyhow::Result<FileDefaults> {
        let duration = |value: &Option<Spanned<Scalar<Length>>>, key| {
            self.optional(value, key, parse_duration)
        };
        Ok(FileDefaults {
            workers: self.optional(&raw.workers, "workers", parse_workers)?,
            per_host: self.optional(&raw.per_host, "per_host", parse_per_host)?,
            rate: self.optional(&raw.rate, "rate", parse_rate)?,
            timeout: duration(&raw.timeout, "timeout")?,
            connect_timeout: duration(&raw.connect_timeout, "connect_timeout")?,
            retries: raw.retries,
            retry_delay: duration(&raw.retry_delay, "retry_delay")?,
            max_redirects: raw.max_redirects,
            method: raw.method.as_ref().map(|m| self.method(m)).transpose()?,
            user_agent: raw
                .user_agent
                .as_ref()
                .map(|ua| self.user_agent(ua))
                .transpose()?,
            headers: self.headers(&raw.headers)?,
            wait: duration(&raw.wait, "wait")?,
            wait_interval: duration(&raw.wait_interval, "wait_interval")?,
            deadline: duration(&raw.deadline, "deadline")?,
            expect: self.expectations(RawExpect {
                status: raw.expect_status,
                body: raw.expect_body,
                body_regex: raw.expect_body_regex,
                body_reject: raw.reject_body_regex,
                headers: raw.expect_header,
                max_latency: raw.max_latency,
                min_cert_days: raw.min_cert_days,
            })?,
        })
    }

    fn check(&self, raw: Spanned<RawCheck>) -> anyhow::Result<FileCheck> {
        let table_start = raw.span().start;
        let raw = raw.into_inner();
        let Some(written) = raw.url else {
            return Err(self.error_at(
                table_start,
                "this [[check]] has no url; add one such as url = \"https://example.com/health\"",
            ));
        };
        let url = self.expand(&written)?;
        self.check_url(&written, &url)?;
        Ok(FileCheck {
            line: line_column(self.text, written.span().start).0,
            shown_url: written.into_inner(),
            url,
            headers: self.headers(&raw.headers)?,
            expect: self.expectations(RawExpect {
                status: raw.expect_status,
                body: raw.expect_body,
                body_regex: raw.expect_body_regex,
                body_reject: raw.reject_body_regex,
                headers: raw.expect_header,
                max_latency: raw.max_latency,
                min_cert_days: raw.min_cert_days,
            })?,
        })
    }

    fn expectations(&self, raw: RawExpect) -> anyhow::Result<PartialExpectations> {
        let regex = |value: &Option<Spanned<String>>, key| {
            value.as_ref().map(|v| self.regex(v, key)).transpose()
        };
        Ok(PartialExpectations {
            status: self.optional(&raw.status, "expect_status", parse_status_set)?,
            body_contains: raw.body,
            body_regex: regex(&raw.body_regex, "expect_body_regex")?,
            body_reject: regex(&raw.body_reject, "reject_body_regex")?,
            headers: self.header_expectations(&raw.headers)?,
            max_latency: self.optional(&raw.max_latency, "max_latency", parse_duration)?,
            min_cert_days: raw.min_cert_days,
        })
    }

    /// Run one of the command line's value parsers on an optional key; its
    /// message, prefixed by the key, points at the value.
    fn optional<K, T>(
        &self,
        value: &Option<Spanned<Scalar<K>>>,
        key: &str,
        parser: fn(&str) -> Result<T, String>,
    ) -> anyhow::Result<Option<T>> {
        let Some(value) = value else {
            return Ok(None);
        };
        parser(&value.get_ref().text)
            .map(Some)
            .map_err(|problem| self.error_at(value.span().start, format!("{key}: {problem}")))
    }

    fn method(&self, value: &Spanned<String>) -> anyhow::Result<Method> {
        match value.get_ref().to_ascii_lowercase().as_str() {
            "get" => Ok(Method::Get),
            "head" => Ok(Method::Head),
            other => Err(self.error_at(
                value.span().start,
                format!("method: '{other}' is not supported; write \"get\" or \"head\""),
            )),
        }
    }

    /// The User-Agent, expanded, and checked now because it becomes a header.
    fn user_agent(&self, value: &Spanned<String>) -> anyhow::Result<String> {
        let expanded = self.expand(value)?;
        HeaderValue::from_str(&expanded).map_err(|_| {
            self.error_at(
                value.span().start,
                "user_agent: the value has characters a header cannot carry (such as a line break)",
            )
        })?;
        Ok(expanded)
    }

    /// A `headers` table: names checked, values expanded and checked. The
    /// value is never quoted in a message, since it may hold a secret.
    fn headers(&self, table: &SpannedTable) -> anyhow::Result<HeaderMap> {
        let mut headers = HeaderMap::new();
        for (name, value) in in_file_order(table) {
            let header_name = self.header_name(name, "headers")?;
            let expanded = self.expand(value)?;
            let mut header_value = HeaderValue::from_str(&expanded).map_err(|_| {
                self.error_at(
                    value.span().start,
                    format!(
                        "headers: the value of {header_name} has characters a header cannot carry \
                         (such as a line break)"
                    ),
                )
            })?;
            // Marked so that no `Debug` of the request shows a secret.
            header_value.set_sensitive(expanded != *value.get_ref());
            headers.append(header_name, header_value);
        }
        Ok(headers)
    }

    fn header_expectations(
        &self,
        table: &SpannedTable,
    ) -> anyhow::Result<Vec<(HeaderName, Regex)>> {
        in_file_order(table)
            .into_iter()
            .map(|(name, pattern)| {
                Ok((
                    self.header_name(name, "expect_header")?,
                    self.regex(pattern, "expect_header")?,
                ))
            })
            .collect()
    }

    fn header_name(&self, name: &Spanned<String>, key: &str) -> anyhow::Result<HeaderName> {
        HeaderName::from_bytes(name.get_ref().as_bytes()).map_err(|_| {
            self.error_at(
                name.span().start,
                format!("{key}: '{}' is not a valid header name", name.get_ref()),
            )
        })
    }

    fn regex(&self, pattern: &Spanned<String>, key: &str) -> anyhow::Result<Regex> {
        Regex::new(pattern.get_ref()).map_err(|e| {
            self.error_at(
                pattern.span().start,
                format!(
                    "{key}: '{}' is not a valid regex: {}",
                    pattern.get_ref(),
                    regex_problem(&e)
                ),
            )
        })
    }

    /// Refuse a URL that could never be checked now, rather than as a record
    /// later: the file is written by hand, and a typo should stop the run.
    fn check_url(&self, written: &Spanned<String>, expanded: &str) -> anyhow::Result<()> {
        let Err(problem) = parse_target(expanded) else {
            return Ok(());
        };
        // The problem may quote the expanded URL, so it is told only when
        // nothing was expanded.
        let message = if expanded == written.get_ref() {
            format!("url: {problem}")
        } else {
            "url: not a valid http or https URL once its variables are expanded \
             (the expanded URL is not shown, as it may hold a secret)"
                .to_string()
        };
        Err(self.error_at(written.span().start, message))
    }

    /// `value` with each `${NAME}` replaced by that environment variable.
    /// Errors name the variable, never a value.
    fn expand(&self, value: &Spanned<String>) -> anyhow::Result<String> {
        let text = value.get_ref();
        let mut out = String::with_capacity(text.len());
        let mut rest_start = 0;
        while let Some(found) = text[rest_start..].find("${") {
            let start = rest_start + found;
            out.push_str(&text[rest_start..start]);
            let at = || self.placeholder_offset(value, start);
            let Some(len) = text[start + 2..].find('}') else {
                return Err(self.error_at(at(), "'${' is not closed; write ${NAME}"));
            };
            let name = &text[start + 2..start + 2 + len];
            if !is_variable_name(name) {
                return Err(self.error_at(
                    at(),
                    format!(
                        "'${{{name}}}' is not a variable name; use letters, digits and _ \
                         (such as ${{API_TOKEN}})"
                    ),
                ));
            }
            let Some(expanded) = (self.lookup)(name) else {
                return Err(self.error_at(at(), format!("environment variable {name} is not set")));
            };
            out.push_str(&expanded);
            rest_start = start + 2 + len + 1;
        }
        out.push_str(&text[rest_start..]);
        Ok(out)
    }

    /// The file offset of the `${` at byte `index` of a string's value. The
    /// value may differ from the file text (quotes, escapes), so the same
    /// `${` is found by its count; if escapes hide one, the string's start.
    fn placeholder_offset(&self, value: &Spanned<String>, index: usize) -> usize {
        let span: Range<usize> = value.span();
        let Some(written) = self.text.get(span.clone()) else {
            return span.start;
        };
        let nth = value.get_ref()[..index].matches("${").count();
        let same_count = written.matches("${").count() == value.get_ref().matches("${").count();
        match written.match_indices("${").nth(nth) {
            Some((offset, _)) if same_count => span.start + offset,
            _ => span.start,
        }
    }
}

/// The entries of a table in the order they were written, so that the first
/// mistake reported is the first one in the file.
fn in_file_order(table: &SpannedTable) -> Vec<(&Spanned<String>, &Spanned<String>)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(name, _)| name.span().start);
    entries
}

/// Environment variable names as shells write them.
fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (u64, u64) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line as u64, column as u64)
}

/// The gist of a regex error: its `Display` is a multi-line drawing of the
/// pattern, and the message must fit on the error's one line.
fn regex_problem(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .find_map(|line| line.strip_prefix("error: "))
        .map_or_else(|| one_line(&text), str::to_owned)
}

/// Collapse a multi-line message onto one line.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value no error message may ever contain.
    const SECRET: &str = "s3cr3t-t0ken";

    const EXAMPLE: &str = r#"[defaults]
workers = 8
timeout = "5s"
retries = 2
headers = { Authorization = "Bearer ${API_TOKEN}" }

[[check]]
url = "https://example.com/health"
expect_status = "200"
expect_body = "ok"
max_latency = "500ms"
min_cert_days = 14
"#;

    fn env(name: &str) -> Option<String> {
        match name {
            "API_TOKEN" => Some(SECRET.into()),
            "HOST" => Some("a.test".into()),
            "EMPTY" => Some(String::new()),
            "BROKEN" => Some(format!("{SECRET}\nX-Evil: 1")),
            _ => None,
        }
    }

    fn parse_ok(text: &str) -> FileConfig {
        match parse(text, "urls.toml", &env) {
            Ok(config) => config,
            Err(e) => panic!("{text:?} should parse, got: {e:#}"),
        }
    }

    fn error(text: &str) -> String {
        match parse(text, "urls.toml", &env) {
            Ok(_) => panic!("{text:?} should be rejected"),
            Err(e) => format!("{e:#}"),
        }
    }

    /// A file with one valid check followed by `extra` lines in it.
    fn check_with(extra: &str) -> String {
        format!("[[check]]\nurl = \"https://a.test/\"\n{extra}\n")
    }

    fn ms(n: u64) -> Option<Duration> {
        Some(Duration::from_millis(n))
    }

    #[test]
    fn the_example_parses() {
        let config = parse_ok(EXAMPLE);
        let d = &config.defaults;
        assert_eq!(d.workers, Some(8));
        assert_eq!(d.timeout, ms(5000));
        assert_eq!(d.retries, Some(2));
        assert_eq!(d.headers.len(), 1);
        assert_eq!(d.headers["authorization"], "Bearer s3cr3t-t0ken");
        assert!(d.headers["authorization"].is_sensitive());
        assert_eq!(
            (d.connect_timeout, d.method, d.user_agent.as_deref()),
            (None, None, None)
        );
        assert_eq!(config.checks.len(), 1);
        let check = &config.checks[0];
        assert_eq!(check.url, "https://example.com/health");
        assert_eq!(check.shown_url, "https://example.com/health");
        assert_eq!(check.line, 8);
        assert_eq!(
            check
                .expect
                .status
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("200")
        );
        assert_eq!(check.expect.body_contains.as_deref(), Some("ok"));
        assert_eq!(check.expect.max_latency, ms(500));
        assert_eq!(check.expect.min_cert_days, Some(14));
        assert!(check.headers.is_empty());
    }

    #[test]
    fn an_empty_file_is_an_empty_config() {
        for text in ["", "# nothing yet\n\n", "[defaults]\n", "\u{feff}"] {
            let config = parse_ok(text);
            assert!(config.checks.is_empty());
            assert_eq!(config.defaults.workers, None);
            assert!(config.defaults.headers.is_empty());
            assert!(config.defaults.expect.status.is_none());
        }
    }

    #[test]
    fn every_defaults_key_is_read() {
        let config = parse_ok(
            r#"[defaults]
workers = "4"
timeout = 1.5
connect_timeout = "2s"
retries = 3
retry_delay = "250ms"
max_redirects = 0
method = "HEAD"
user_agent = "probe/${HOST}"
headers = { X-Team = "web", x-team = "api" }
wait = "2m"
wait_interval = "5s"
deadline = "1m30s"
expect_status = "200-299,301"
expect_body = "ok"
expect_body_regex = "^ok"
reject_body_regex = "error"
expect_header = { Content-Type = "^text/" }
max_latency = 2
min_cert_days = 7
"#,
        );
        let d = &config.defaults;
        assert_eq!(d.workers, Some(4));
        assert_eq!(d.timeout, ms(1500));
        assert_eq!(d.connect_timeout, ms(2000));
        assert_eq!((d.retries, d.max_redirects), (Some(3), Some(0)));
        assert_eq!(d.retry_delay, ms(250));
        assert_eq!(d.method, Some(Method::Head));
        assert_eq!(d.user_agent.as_deref(), Some("probe/a.test"));
        let teams: Vec<_> = d.headers.get_all("x-team").iter().collect();
        assert_eq!(teams, ["web", "api"], "both values kept, in file order");
        assert!(!d.headers["x-team"].is_sensitive(), "nothing was expanded");
        assert_eq!(
            (d.wait, d.wait_interval, d.deadline),
            (ms(120_000), ms(5000), ms(90_000))
        );
        let e = &d.expect;
        assert_eq!(
            e.status.as_ref().map(ToString::to_string).as_deref(),
            Some("200-299,301")
        );
        assert_eq!(e.body_contains.as_deref(), Some("ok"));
        assert!(e.body_regex.as_ref().is_some_and(|r| r.is_match("ok then")));
        assert!(
            e.body_reject
                .as_ref()
                .is_some_and(|r| r.is_match("an error"))
        );
        assert_eq!(e.headers.len(), 1);
        assert_eq!(e.headers[0].0, "content-type");
        assert_eq!((e.max_latency, e.min_cert_days), (ms(2000), Some(7)));
    }

    #[test]
    fn checks_keep_their_order_and_the_line_of_their_url() {
        let text = "# checks\n\n[[check]]\nexpect_body = \"ok\"\nurl = \"https://a.test/\"\n\r\n\
                    [[check]]\r\nurl = 'https://b.test/'\r\n[[check]]\nurl = \"https://c.test/\"\n";
        let checks = parse_ok(text).checks;
        let found: Vec<_> = checks.iter().map(|c| (c.url.as_str(), c.line)).collect();
        assert_eq!(
            found,
            [
                ("https://a.test/", 5),
                ("https://b.test/", 8),
                ("https://c.test/", 10)
            ]
        );
    }

    #[test]
    fn check_keys_are_read() {
        let check = &parse_ok(&check_with(
            "headers = { X-Api-Key = \"${API_TOKEN}\" }\nexpect_status = 404\n\
             expect_body_regex = \"v\\\\d+\"\nreject_body_regex = \"(?i)maintenance\"\n\
             expect_header = { \"Content-Type\" = \"^text/html\", Cache-Control = \"no-store\" }",
        ))
        .checks[0];
        assert_eq!(check.headers["x-api-key"], SECRET);
        assert!(check.headers["x-api-key"].is_sensitive());
        let status = check.expect.status.as_ref().map(ToString::to_string);
        assert_eq!(
            status.as_deref(),
            Some("404"),
            "an integer is a status code"
        );
        assert!(
            check
                .expect
                .body_regex
                .as_ref()
                .is_some_and(|r| r.is_match("v12"))
        );
        assert!(
            check
                .expect
                .body_reject
                .as_ref()
                .is_some_and(|r| r.is_match("MAINTENANCE"))
        );
        let headers: Vec<_> = check
            .expect
            .headers
            .iter()
            .map(|(n, r)| (n.as_str(), r))
            .collect();
        assert_eq!(headers.len(), 2);
        assert_eq!(headers[0].0, "content-type", "in file order");
        assert!(headers[0].1.is_match("text/html; charset=utf-8"));
        assert!(!headers[0].1.is_match("application/json"));
        assert_eq!(headers[1].0, "cache-control");
    }

    #[test]
    fn variables_expand_in_urls_headers_and_user_agent_only() {
        let config = parse_ok(
            "[defaults]\nexpect_body = \"${API_TOKEN}\"\nuser_agent = \"x${EMPTY}y\"\n\
             [[check]]\nurl = \"https://${HOST}/?key=${API_TOKEN}\"\nexpect_body = \"$HOST ${\"\n",
        );
        assert_eq!(
            config.defaults.expect.body_contains.as_deref(),
            Some("${API_TOKEN}")
        );
        assert_eq!(config.defaults.user_agent.as_deref(), Some("xy"));
        let check = &config.checks[0];
        assert_eq!(check.url, format!("https://a.test/?key={SECRET}"));
        assert_eq!(check.shown_url, "https://${HOST}/?key=${API_TOKEN}");
        assert_eq!(check.expect.body_contains.as_deref(), Some("$HOST ${"));
    }

    #[test]
    fn bad_values_point_at_the_value() {
        let cases = [
            (
                "[defaults]\nworkers = 0\n",
                "urls.toml:2:11: workers: at least 1 worker is needed",
            ),
            (
                "[defaults]\nworkers = \"many\"\n",
                "urls.toml:2:11: workers: 'many' is not a whole number",
            ),
            (
                "[defaults]\nper_host = 0\n",
                "urls.toml:2:12: per_host: at least 1 request per host is needed",
            ),
            (
                "[defaults]\nrate = 0\n",
                "urls.toml:2:8: rate: '0': the rate must be above 0 checks per second",
            ),
            (
                "[defaults]\nrate = true\n",
                "urls.toml:2:8: invalid type: boolean `true`, expected a number of checks per \
                 second such as 10 or 0.5",
            ),
            (
                "[defaults]\n  timeout = \"0s\"\n",
                "urls.toml:2:13: timeout: the duration must be greater than zero",
            ),
            (
                "[defaults]\nconnect_timeout = \"${T}\"\n",
                "urls.toml:2:19: connect_timeout: '${T}' is not a duration (expected number \
                 at 0); try 500ms, 10s or 2m",
            ),
            (
                "[defaults]\nwait = true\n",
                "urls.toml:2:8: invalid type: boolean `true`, expected a duration such as \
                 \"500ms\" or \"10s\"",
            ),
            (
                "[defaults]\nmethod = \"post\"\n",
                "urls.toml:2:10: method: 'post' is not supported; write \"get\" or \"head\"",
            ),
            (
                "[defaults]\nretries = -1\n",
                "urls.toml:2:11: invalid value: integer `-1`, expected u32",
            ),
            (
                "[defaults]\nheaders = { \"bad name\" = \"x\" }\n",
                "urls.toml:2:13: headers: 'bad name' is not a valid header name",
            ),
            (
                "[defaults]\nheaders = { X-A = \"line\\nbreak\" }\n",
                "urls.toml:2:19: headers: the value of x-a has characters a header cannot carry \
                 (such as a line break)",
            ),
            (
                "[defaults]\nuser_agent = \"a\\u0000b\"\n",
                "urls.toml:2:14: user_agent: the value has characters a header cannot carry \
                 (such as a line break)",
            ),
            (
                &check_with("expect_status = \"200-\""),
                "urls.toml:3:17: expect_status: '' is not a status code",
            ),
            (
                &check_with("expect_status = 99"),
                "urls.toml:3:17: expect_status: 99 is not an HTTP status (100-599)",
            ),
            (
                &check_with("expect_status = [200]"),
                "urls.toml:3:17: invalid type: sequence, expected a status list such as \
                 \"200-299,301\" or a code such as 200",
            ),
            (
                &check_with("max_latency = \"10 parsecs\""),
                "urls.toml:3:15: max_latency: '10 parsecs' is not a duration (unknown time unit \
                 \"parsecs\", supported units: ns, us/µs, ms, sec, min, hours, days, weeks, \
                 months, years (and few variations)); try 500ms, 10s or 2m",
            ),
            (
                &check_with("min_cert_days = 1.5"),
                "urls.toml:3:17: invalid type: floating point `1.5`, expected u32",
            ),
            (
                &check_with("expect_body_regex = \"(unclosed\""),
                "urls.toml:3:21: expect_body_regex: '(unclosed' is not a valid regex: \
                 unclosed group",
            ),
            (
                &check_with("reject_body_regex = 'a{2,1}'"),
                "urls.toml:3:21: reject_body_regex: 'a{2,1}' is not a valid regex: invalid \
                 repetition count range, the start must be <= the end",
            ),
            (
                &check_with("expect_header = { \"Content-Type\" = \"[\" }"),
                "urls.toml:3:36: expect_header: '[' is not a valid regex: unclosed character class",
            ),
            (
                &check_with("expect_header = { \"Content Type\" = \"x\" }"),
                "urls.toml:3:19: expect_header: 'Content Type' is not a valid header name",
            ),
            (
                "[[check]]\nurl = \"example.com/health\"\n",
                "urls.toml:2:7: url: missing scheme; did you mean https://example.com/health?",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(error(text), expected, "for {text:?}");
        }
    }

    #[test]
    fn the_first_bad_header_in_the_file_is_reported() {
        // The table is held sorted by name; the report must follow the file.
        let text = "[defaults]\nheaders = { Z = \"ok\", \"b a d\" = \"x\", \"a b\" = \"y\" }\n";
        assert_eq!(
            error(text),
            "urls.toml:2:23: headers: 'b a d' is not a valid header name"
        );
    }

    #[test]
    fn toml_syntax_errors_are_one_line_with_a_position() {
        let cases = [
            (
                "[defaults\n",
                "urls.toml:1:10: unclosed table, expected `]`",
            ),
            (
                "[defaults]\nworkers = \n",
                "urls.toml:2:11: string values must be quoted, expected literal string",
            ),
            (
                &check_with("url = \"https://b.test/\""),
                "urls.toml:3:1: duplicate key",
            ),
            (
                // Columns count characters, and a byte-order mark is not one.
                "\u{feff}[defaults]\n\u{e9}\u{e9} = 1 = 2\n",
                "urls.toml:2:8: unexpected key or value, expected newline, `#`",
            ),
        ];
        for (text, expected) in cases {
            let message = error(text);
            assert_eq!(message, expected, "for {text:?}");
        }
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert_eq!(
            error("[[checks]]\nurl = \"https://a.test/\"\n"),
            "urls.toml:1:3: unknown field `checks`, expected `defaults` or `check`"
        );
        assert_eq!(
            error(&check_with("expect_body_contains = \"ok\"")),
            "urls.toml:3:1: unknown field `expect_body_contains`, expected one of `url`, \
             `headers`, `expect_status`, `expect_body`, `expect_body_regex`, \
             `reject_body_regex`, `expect_header`, `max_latency`, `min_cert_days`"
        );
        let message = error("[defaults]\nworkers = 2\nthreads = 2\n");
        assert!(
            message
                .starts_with("urls.toml:3:1: unknown field `threads`, expected one of `workers`"),
            "{message}"
        );
        assert!(error("[defaults]\nurl = \"https://a.test/\"\n").contains("unknown field `url`"));
    }

    #[test]
    fn a_check_without_url_is_an_error() {
        assert_eq!(
            error("[[check]]\nurl = \"https://a.test/\"\n\n[[check]]\nexpect_body = \"ok\"\n"),
            "urls.toml:4:1: this [[check]] has no url; add one such as \
             url = \"https://example.com/health\""
        );
    }

    #[test]
    fn a_missing_variable_is_named_at_its_position() {
        let text = EXAMPLE.replace("API_TOKEN", "NO_SUCH_TOKEN");
        assert_eq!(
            error(&text),
            "urls.toml:5:37: environment variable NO_SUCH_TOKEN is not set"
        );
        assert_eq!(
            error("[[check]]\nurl = \"https://${HOST}/${MISSING}\"\n"),
            "urls.toml:2:24: environment variable MISSING is not set"
        );
        // Escapes before it do not shift the column: the same `${` is found.
        assert_eq!(
            error("[defaults]\nuser_agent = \"a\\tb ${MISSING}\"\n"),
            "urls.toml:2:20: environment variable MISSING is not set"
        );
        assert_eq!(
            error("[[check]]\nurl = '''\nhttps://a.test/${MISSING}'''\n"),
            "urls.toml:3:16: environment variable MISSING is not set"
        );
    }

    #[test]
    fn broken_placeholders_are_errors() {
        assert_eq!(
            error("[[check]]\nurl = \"https://a.test/${HOST\"\n"),
            "urls.toml:2:23: '${' is not closed; write ${NAME}"
        );
        assert_eq!(
            error("[defaults]\nheaders = { A = \"${A-B}\" }\n"),
            "urls.toml:2:18: '${A-B}' is not a variable name; use letters, digits and _ \
             (such as ${API_TOKEN})"
        );
        assert!(
            error("[defaults]\nuser_agent = \"${}\"\n").contains("'${}' is not a variable name")
        );
        assert!(error("[defaults]\nuser_agent = \"${1A}\"\n").contains("not a variable name"));
    }

    #[test]
    fn secrets_never_reach_an_error_message() {
        let cases = [
            // Expanded values that are wrong where they end up.
            "[[check]]\nurl = \"${API_TOKEN}\"\n".to_string(),
            "[[check]]\nurl = \"https://a.test/ ${API_TOKEN}\"\n".to_string(),
            "[defaults]\nheaders = { A = \"${BROKEN}\" }\n".to_string(),
            "[defaults]\nuser_agent = \"${BROKEN}\"\n".to_string(),
            // Mistakes after a successful expansion.
            format!(
                "{EXAMPLE}\n[[check]]\nurl = \"https://a.test/?k=${{API_TOKEN}}\"\nmethod = 1\n"
            ),
            format!("{EXAMPLE}\n[[check]]\nurl = \"https://a.test/?k=${{API_TOKEN}}\"\n${{\n"),
            EXAMPLE.replace("min_cert_days = 14", "min_cert_days = \"${API_TOKEN}\""),
        ];
        for text in &cases {
            let message = error(text);
            assert!(!message.contains(SECRET), "{message}");
            assert!(message.starts_with("urls.toml:"), "{message}");
        }
        assert_eq!(
            error(&cases[0]),
            "urls.toml:2:7: url: not a valid http or https URL once its variables are expanded \
             (the expanded URL is not shown, as it may hold a secret)"
        );
    }

    #[test]
    fn over_lets_set_fields_win_and_adds_headers() {
        let re = |s: &str| Regex::new(s).unwrap_or_else(|e| panic!("{e}"));
        let base = Expectations {
            status: StatusSet::from_ranges(vec![(200, 299)]),
            body_contains: Some("base".into()),
            body_regex: Some(re("^base")),
            body_reject: Some(re("base-error")),
            headers: vec![(HeaderName::from_static("x-base"), re("b"))],
            max_latency: ms(100),
            min_cert_days: Some(30),
        };
        let nothing = PartialExpectations::default().over(&base);
        assert_eq!(nothing.status, base.status);
        assert_eq!(nothing.body_contains.as_deref(), Some("base"));
        assert_eq!(
            nothing.body_regex.map(|r| r.to_string()).as_deref(),
            Some("^base")
        );
        assert_eq!(nothing.headers.len(), 1);
        assert_eq!(
            (nothing.max_latency, nothing.min_cert_days),
            (ms(100), Some(30))
        );

        let top = PartialExpectations {
            status: Some(StatusSet::from_ranges(vec![(404, 404)])),
            body_contains: Some("top".into()),
            body_regex: None,
            body_reject: Some(re("top-error")),
            headers: vec![(HeaderName::from_static("x-top"), re("t"))],
            max_latency: ms(5),
            min_cert_days: None,
        };
        let merged = top.over(&base);
        assert_eq!(merged.status.to_string(), "404");
        assert_eq!(merged.body_contains.as_deref(), Some("top"));
        assert_eq!(
            merged.body_regex.map(|r| r.to_string()).as_deref(),
            Some("^base")
        );
        assert_eq!(
            merged.body_reject.map(|r| r.to_string()).as_deref(),
            Some("top-error")
        );
        let names: Vec<_> = merged.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x-base", "x-top"]);
        assert_eq!(
            (merged.max_latency, merged.min_cert_days),
            (ms(5), Some(30))
        );
    }

    #[test]
    fn load_reads_a_file_and_names_it_in_errors() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("urls.toml");
        std::fs::write(&path, EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
        let config = load(&path, &env).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(config.checks.len(), 1);

        std::fs::write(&path, "[defaults]\nworkers = 0\n").unwrap_or_else(|e| panic!("{e}"));
        let Err(e) = load(&path, &env) else {
            panic!("workers = 0 should be rejected")
        };
        assert_eq!(
            format!("{e:#}"),
            format!(
                "{}:2:11: workers: at least 1 worker is needed",
                path.display()
            )
        );

        let missing = dir.path().join("missing.toml");
        let Err(e) = load(&missing, &env) else {
            panic!("a missing file should be an error")
        };
        let message = format!("{e:#}");
        let prefix = format!("cannot read config file {}: ", missing.display());
        assert!(message.starts_with(&prefix), "{message}");
    }

    #[test]
    fn line_and_column_count_characters() {
        let text = "ab\nçé=x\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 7), (2, 3), "ç and é are two bytes each");
        assert_eq!(
            line_column(text, 4),
            (2, 1),
            "inside a character: its start"
        );
        assert_eq!(line_column(text, 999), (3, 1), "past the end: the end");
    }

    #[test]
    fn control_characters_in_messages_are_escaped() {
        let message = error("[defaults]\ntimeout = \"\\u001b[31m\"\n");
        assert!(
            message.starts_with("urls.toml:2:11: timeout: '\\u{1b}[31m'"),
            "{message}"
        );
        assert!(!message.contains('\u{1b}'));
    }
}
