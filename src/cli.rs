//! The command line: clap stops here. `Cli` is what the user typed; `into_config`
//! turns it into a plain `Config`, deciding colour, progress and input once.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{CommandFactory, Parser, ValueEnum};
use regex::Regex;
use reqwest::header::{HeaderName, HeaderValue};

use crate::config::{
    CheckSpec, Config, ConfigCheck, Expectations, Format, GithubActions, InputSpec, Method,
    StatusSet,
};
use crate::config_file::{self, FileCheck, FileDefaults, PartialExpectations};

/// Default number of workers; see "Choosing --workers" in the README.
pub const DEFAULT_WORKERS: usize = 64;

/// Check that URLs are up: fast, in parallel, with results a script can read.
#[derive(Debug, Parser)]
#[command(name = "urlcheck", version, max_term_width = 100)]
#[command(
    after_help = "Exit codes: 0 all passed, 1 some failed, 2 usage or input error, \
                        130 interrupted (SIGINT), 143 terminated (SIGTERM)."
)]
pub struct Cli {
    /// URLs (http:// or https://), files with one URL per line, or - for stdin.
    /// With no INPUT (and no --config), URLs are read from stdin when it is
    /// not a terminal.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Read defaults and checks from this TOML file (see the README).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Number of checks in flight at once [default: 64].
    #[arg(short, long, value_name = "N", value_parser = parse_workers)]
    pub workers: Option<usize>,

    /// At most N requests in flight to one host (by name, whatever the port)
    /// [default: no limit beyond --workers].
    #[arg(long, value_name = "N", value_parser = parse_per_host)]
    pub per_host: Option<usize>,

    /// Start at most N checks per second, evenly spaced; decimals allowed,
    /// e.g. 0.5 for one every 2s [default: no limit].
    #[arg(long, value_name = "N", value_parser = parse_rate)]
    pub rate: Option<f64>,

    /// HTTP method of each check [default: get].
    #[arg(
        short = 'X',
        long,
        value_enum,
        ignore_case = true,
        help_heading = "Requests"
    )]
    pub method: Option<MethodArg>,

    /// Deadline for one attempt (connect, redirects, headers and body), e.g.
    /// 500ms, 10s, 2m [default: 10s].
    #[arg(short, long, value_name = "DURATION", value_parser = parse_duration,
          help_heading = "Requests")]
    pub timeout: Option<Duration>,

    /// Deadline for opening a connection, TCP and TLS [default: 5s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Requests")]
    pub connect_timeout: Option<Duration>,

    /// Redirects to follow; 0 reports the redirect response itself [default: 10].
    #[arg(long, value_name = "N", help_heading = "Requests")]
    pub max_redirects: Option<u32>,

    /// Extra request header, 'Name: value' (repeatable). Dropped when a redirect
    /// leaves the URL's origin (scheme, host and port).
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = parse_header,
          help_heading = "Requests")]
    pub headers: Vec<(HeaderName, HeaderValue)>,

    /// The User-Agent header [default: urlcheck/VERSION].
    #[arg(short = 'A', long, value_name = "STRING", help_heading = "Requests")]
    pub user_agent: Option<String>,

    /// Accept invalid TLS certificates (expired, self-signed, wrong host).
    #[arg(short = 'k', long, help_heading = "Requests")]
    pub insecure: bool,

    /// Also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE", help_heading = "Requests")]
    pub cacert: Option<PathBuf>,

    /// Statuses that pass: codes and ranges, e.g. 200-299,301,404 [default: 200-299].
    #[arg(long, value_name = "LIST", value_parser = parse_status_set,
          help_heading = "Expectations")]
    pub expect_status: Option<StatusSet>,

    /// The body must contain this text.
    #[arg(long, value_name = "TEXT", help_heading = "Expectations")]
    pub expect_body: Option<String>,

    /// The body must match this regex.
    #[arg(long, value_name = "REGEX", value_parser = parse_regex, help_heading = "Expectations")]
    pub expect_body_regex: Option<Regex>,

    /// The check fails if the body matches this regex, e.g. 'error|maintenance'.
    #[arg(long, value_name = "REGEX", value_parser = parse_regex, help_heading = "Expectations")]
    pub reject_body_regex: Option<Regex>,

    /// A response header must match: 'Name: REGEX' (repeatable).
    #[arg(long, value_name = "HEADER", value_parser = parse_expect_header,
          help_heading = "Expectations")]
    pub expect_header: Vec<(HeaderName, Regex)>,

    /// A slower check fails (kind slow).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          help_heading = "Expectations")]
    pub max_latency: Option<Duration>,

    /// An https check fails (kind certificate) when the certificate expires in
    /// fewer days.
    #[arg(long, value_name = "DAYS", help_heading = "Expectations")]
    pub min_cert_days: Option<u32>,

    /// Retry transient failures (dns, connect, timeout, reset, 408, 429, 5xx)
    /// this many times [default: 0].
    #[arg(long, value_name = "N", help_heading = "Retries and waiting")]
    pub retries: Option<u32>,

    /// First retry delay; it doubles each retry, with jitter [default: 1s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          help_heading = "Retries and waiting")]
    pub retry_delay: Option<Duration>,

    /// A deploy is coming up: re-check failing URLs until all pass or this
    /// much time has passed.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          help_heading = "Retries and waiting")]
    pub wait: Option<Duration>,

    /// How often --wait re-checks a failing URL [default: 2s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          help_heading = "Retries and waiting")]
    pub wait_interval: Option<Duration>,

    /// The whole run never takes longer; checks cut off fail as interrupted.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          help_heading = "Retries and waiting")]
    pub deadline: Option<Duration>,

    /// After Ctrl-C or SIGTERM, how long in-flight checks may still finish.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration,
          help_heading = "Retries and waiting")]
    pub shutdown_timeout: Duration,

    /// Output format of the results on stdout.
    #[arg(short, long, value_enum, default_value_t = FormatArg::Human, help_heading = "Output")]
    pub format: FormatArg,

    /// Also write a report to a file, e.g. junit:report.xml, markdown:summary.md
    /// (repeatable).
    #[arg(long, value_name = "FORMAT:PATH", value_parser = parse_report, help_heading = "Output")]
    pub report: Vec<(Format, PathBuf)>,

    /// Colour the output: auto means a terminal, NO_COLOR unset and TERM not dumb.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto,
          help_heading = "Output")]
    pub color: ColorArg,

    /// Write only failed checks to stdout.
    #[arg(long, help_heading = "Output")]
    pub only_failures: bool,

    /// No progress bar and no summary: only results and errors.
    #[arg(short, long, help_heading = "Output")]
    pub quiet: bool,

    /// No progress bar (the summary is still printed).
    #[arg(long, help_heading = "Output")]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
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
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Self {
        match format {
            FormatArg::Human => Format::Human,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Csv => Format::Csv,
            FormatArg::Junit => Format::Junit,
            FormatArg::Markdown => Format::Markdown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    Get,
    Head,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Auto,
    Always,
    Never,
}

/// The facts about the environment that decide defaults, gathered in one place
/// so that `into_config` can be tested without a terminal.
#[derive(Debug, Clone)]
pub struct Environment {
    pub stdin_is_terminal: bool,
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
    pub no_color: bool,
    pub dumb_term: bool,
    /// `GITHUB_ACTIONS=true`, with `GITHUB_STEP_SUMMARY` if set.
    pub github: Option<GithubActions>,
}

impl Environment {
    pub fn detect() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Environment {
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            no_color: var("NO_COLOR").is_some(),
            dumb_term: var("TERM").is_some_and(|v| v == "dumb"),
            github: var("GITHUB_ACTIONS")
                .is_some_and(|v| v == "true")
                .then(|| GithubActions {
                    step_summary: var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
                }),
        }
    }
}

/// Parse the process arguments into a `Config`. Usage errors exit with code 2
/// through clap, which prints the usage line.
pub fn parse() -> anyhow::Result<Config> {
    let cli = Cli::parse();
    let env = Environment::detect();
    if cli.inputs.is_empty() && cli.config.is_none() && env.stdin_is_terminal {
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "no INPUT given and stdin is a terminal: pass URLs, a file of URLs, \
                 a --config file, or pipe URLs in",
            )
            .exit();
    }
    cli.into_config(&env)
}

impl Cli {
    /// Resolve the parsed flags against the config file and the environment.
    /// Flags win over the file's `[defaults]`; a check's own keys win over both.
    pub fn into_config(self, env: &Environment) -> anyhow::Result<Config> {
        let color_allowed = |is_terminal: bool| match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => is_terminal && !env.no_color && !env.dumb_term,
        };
        let file = match &self.config {
            Some(path) => Some(config_file::load(path, &|name| std::env::var(name).ok())?),
            None => None,
        };
        let defaults = file.as_ref().map(|f| &f.defaults);
        let from_file = |pick: fn(&FileDefaults) -> Option<Duration>| defaults.and_then(pick);

        let mut headers = defaults.map(|d| d.headers.clone()).unwrap_or_default();
        for name in self.headers.iter().map(|(name, _)| name) {
            headers.remove(name);
        }
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        let flag_expect = PartialExpectations {
            status: self.expect_status,
            body_contains: self.expect_body,
            body_regex: self.expect_body_regex,
            body_reject: self.reject_body_regex,
            headers: self.expect_header,
            max_latency: self.max_latency,
            min_cert_days: self.min_cert_days,
        };
        let file_expect = defaults.map(|d| d.expect.clone()).unwrap_or_default();
        let expect = flag_expect.over(&file_expect.over(&Expectations::default()));
        let spec = Arc::new(CheckSpec {
            expect,
            headers: headers.clone(),
            redact: Vec::new(),
        });

        let mut inputs: Vec<InputSpec> = self.inputs.iter().map(|s| classify_input(s)).collect();
        if inputs.is_empty() && file.is_none() {
            inputs.push(InputSpec::Stdin);
        }
        if inputs.iter().filter(|i| **i == InputSpec::Stdin).count() > 1 {
            bail!("stdin (-) can be given only once");
        }
        let config_checks = match (&file, &self.config) {
            (Some(file), Some(path)) => file
                .checks
                .iter()
                .map(|check| config_check(check, &path.display().to_string(), &spec))
                .collect(),
            _ => Vec::new(),
        };
        if let Some(path) = &self.cacert {
            // Read early so a wrong path is a usage error, not a failure per URL.
            std::fs::metadata(path)
                .with_context(|| format!("cannot read --cacert file {}", path.display()))?;
        }
        let method = self
            .method
            .or(defaults.and_then(|d| d.method.map(MethodArg::from)));
        Ok(Config {
            inputs,
            workers: self
                .workers
                .or(defaults.and_then(|d| d.workers))
                .unwrap_or(DEFAULT_WORKERS),
            per_host: self.per_host.or(defaults.and_then(|d| d.per_host)),
            rate: self.rate.or(defaults.and_then(|d| d.rate)),
            method: match method.unwrap_or(MethodArg::Get) {
                MethodArg::Get => Method::Get,
                MethodArg::Head => Method::Head,
            },
            max_redirects: self
                .max_redirects
                .or(defaults.and_then(|d| d.max_redirects))
                .unwrap_or(10),
            timeout: self
                .timeout
                .or(from_file(|d| d.timeout))
                .unwrap_or(Duration::from_secs(10)),
            connect_timeout: self
                .connect_timeout
                .or(from_file(|d| d.connect_timeout))
                .unwrap_or(Duration::from_secs(5)),
            spec,
            config_checks,
            retries: self
                .retries
                .or(defaults.and_then(|d| d.retries))
                .unwrap_or(0),
            retry_delay: self
                .retry_delay
                .or(from_file(|d| d.retry_delay))
                .unwrap_or(Duration::from_secs(1)),
            wait: self.wait.or(from_file(|d| d.wait)),
            wait_interval: self
                .wait_interval
                .or(from_file(|d| d.wait_interval))
                .unwrap_or(Duration::from_secs(2)),
            deadline: self.deadline.or(from_file(|d| d.deadline)),
            reports: self.report,
            github: env.github.clone(),
            user_agent: self
                .user_agent
                .or(defaults.and_then(|d| d.user_agent.clone()))
                .unwrap_or_else(|| format!("urlcheck/{}", env!("CARGO_PKG_VERSION"))),
            insecure: self.insecure,
            cacert: self.cacert,
            format: self.format.into(),
            color_stdout: color_allowed(env.stdout_is_terminal),
            color_stderr: color_allowed(env.stderr_is_terminal),
            stdout_is_terminal: env.stdout_is_terminal,
            progress: env.stderr_is_terminal && !self.quiet && !self.no_progress,
            summary: !self.quiet,
            only_failures: self.only_failures,
            shutdown_timeout: self.shutdown_timeout,
        })
    }
}

impl From<Method> for MethodArg {
    fn from(method: Method) -> Self {
        match method {
            Method::Get => MethodArg::Get,
            Method::Head => MethodArg::Head,
        }
    }
}

/// A config-file check, its keys over the run's spec.
fn config_check(check: &FileCheck, file: &str, run: &CheckSpec) -> ConfigCheck {
    let mut headers = run.headers.clone();
    for name in check.headers.keys() {
        headers.remove(name);
    }
    for (name, value) in &check.headers {
        headers.append(name.clone(), value.clone());
    }
    ConfigCheck {
        shown: check.shown_url.clone(),
        url: check.url.clone(),
        file: file.to_string(),
        line: check.line,
        spec: Arc::new(CheckSpec {
            expect: check.expect.over(&run.expect),
            headers,
            redact: secrets_in(&check.shown_url),
        }),
    }
}

/// Values this short are not secrets, and replacing them everywhere would
/// garble the output.
const MIN_SECRET_LEN: usize = 4;

/// The values that `${VAR}`s in `shown` expand to, each with its `${VAR}`:
/// raw, and as a URL path and query would percent-encode them.
fn secrets_in(shown: &str) -> Vec<(String, String)> {
    let mut secrets = Vec::new();
    let mut rest = shown;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let placeholder = &rest[start..start + len + 1];
        let name = &placeholder[2..placeholder.len() - 1];
        if let Ok(value) = std::env::var(name)
            && value.len() >= MIN_SECRET_LEN
        {
            for form in encoded_forms(&value) {
                secrets.push((form, placeholder.to_string()));
            }
        }
        rest = &rest[start + len + 1..];
    }
    secrets
}

/// `-` is stdin; anything with a scheme is a URL (checked, or reported as
/// invalid input); everything else is a file path.
fn classify_input(arg: &str) -> InputSpec {
    if arg == "-" {
        InputSpec::Stdin
    } else if arg.contains("://") {
        InputSpec::Url(arg.to_string())
    } else {
        InputSpec::File(PathBuf::from(arg))
    }
}

/// `-w`: at least one worker, and not so many that the process is mostly sockets.
pub fn parse_workers(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a whole number"))?;
    match n {
        0 => Err("at least 1 worker is needed".into()),
        n if n > 100_000 => Err(format!("{n} workers is too many (at most 100000)")),
        n => Ok(n),
    }
}

/// `--per-host`: at least one request per host, or no check could start.
/// More than `--workers` is allowed and changes nothing.
pub fn parse_per_host(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("at least 1 request per host is needed".into()),
        Ok(n) if n > 100_000 => Err(format!("{n} is too many (at most 100000)")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{s}' is not a whole number")),
    }
}

/// The fastest `--rate`: beyond this, the limiter's spacing is below a
/// microsecond and means nothing.
const MAX_RATE: f64 = 1_000_000.0;

/// `--rate`: checks per second, a positive number such as 50 or 0.5.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let n: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of checks per second, such as 10 or 0.5"))?;
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
    Ok(n)
}

/// Durations like `500ms`, `10s`, `2m`, `1m30s`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
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

/// Status lists like `200-299,301,404`.
pub fn parse_status_set(s: &str) -> Result<StatusSet, String> {
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
            None => {
                let n = code(part)?;
                (n, n)
            }
        };
        ranges.push(range);
    }
    Ok(StatusSet::from_ranges(ranges))
}

/// `-H 'Name: value'`.
pub fn parse_header(s: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not a header; write it as 'Name: value'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("'{}' is not a valid header name", name.trim()))?;
    let value = HeaderValue::from_str(value.trim()).map_err(|_| {
        format!("the value of header '{name}' has characters a header cannot carry")
    })?;
    Ok((name, value))
}

/// `value` as it may appear in a URL: raw, and percent-encoded as a path and
/// as a query encode it.
fn encoded_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_string()];
    if let Ok(url) = reqwest::Url::parse(&format!("http://h/{value}?{value}")) {
        forms.push(url.path()[1..].to_string());
        forms.extend(url.query().map(str::to_string));
    }
    forms.sort();
    forms.dedup();
    // Longest first, so that a raw value inside an encoded one is not
    // replaced before the encoded one is.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms
}

/// A regex for body and header expectations.
pub fn parse_regex(s: &str) -> Result<Regex, String> {
    Regex::new(s).map_err(|e| format!("not a valid regex: {e}"))
}

/// `--expect-header 'Name: REGEX'`.
pub fn parse_expect_header(s: &str) -> Result<(HeaderName, Regex), String> {
    let (name, pattern) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not a header expectation; write it as 'Name: REGEX'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("'{}' is not a valid header name", name.trim()))?;
    Ok((name, parse_regex(pattern.trim())?))
}

/// `--report FORMAT:PATH`.
pub fn parse_report(s: &str) -> Result<(Format, PathBuf), String> {
    let (format, path) = s
        .split_once(':')
        .filter(|(_, path)| !path.is_empty())
        .ok_or_else(|| format!("'{s}' is not FORMAT:PATH, e.g. junit:report.xml"))?;
    let format = FormatArg::from_str(format, true).map_err(|_| {
        format!("unknown report format '{format}'; use human, jsonl, csv, junit or markdown")
    })?;
    Ok((format.into(), PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment {
            stdin_is_terminal: false,
            stdout_is_terminal: true,
            stderr_is_terminal: true,
            no_color: false,
            dumb_term: false,
            github: None,
        }
    }

    fn config(args: &[&str]) -> Config {
        let cli = Cli::try_parse_from(std::iter::once("urlcheck").chain(args.iter().copied()))
            .expect("arguments parse");
        cli.into_config(&env()).expect("config resolves")
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn defaults() {
        let c = config(&["https://example.com"]);
        assert_eq!(c.workers, DEFAULT_WORKERS);
        assert_eq!(c.timeout, Duration::from_secs(10));
        assert_eq!(c.max_redirects, 10);
        assert_eq!(c.format, Format::Human);
        assert_eq!(c.method, Method::Get);
        assert_eq!(c.spec.expect.status.to_string(), "200-299");
        assert_eq!(c.retries, 0);
        assert_eq!(c.retry_delay, Duration::from_secs(1));
        assert_eq!((c.wait, c.deadline), (None, None));
        assert_eq!(c.wait_interval, Duration::from_secs(2));
        assert!(c.user_agent.starts_with("urlcheck/"));
        assert!(c.progress && c.summary && c.color_stdout);
        assert_eq!(c.queue_capacity(), 2 * DEFAULT_WORKERS);
    }

    #[test]
    fn inputs_are_classified() {
        let c = config(&["https://a.test/", "urls.txt", "-", "ftp://x"]);
        assert_eq!(
            c.inputs,
            vec![
                InputSpec::Url("https://a.test/".into()),
                InputSpec::File("urls.txt".into()),
                InputSpec::Stdin,
                InputSpec::Url("ftp://x".into()),
            ]
        );
        assert_eq!(config(&[]).inputs, vec![InputSpec::Stdin]);
    }

    #[test]
    fn stdin_twice_is_an_error() {
        let cli = Cli::try_parse_from(["urlcheck", "-", "-"]).unwrap();
        assert!(cli.into_config(&env()).is_err());
    }

    #[test]
    fn colour_and_progress_follow_the_environment() {
        let cli = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("urlcheck").chain(args.iter().copied())).unwrap()
        };
        let piped = Environment {
            stdout_is_terminal: false,
            stderr_is_terminal: false,
            ..env()
        };
        let c = cli(&["x"]).into_config(&piped).unwrap();
        assert!(!c.color_stdout && !c.color_stderr && !c.progress && c.summary);
        let c = cli(&["--color", "always", "x"])
            .into_config(&piped)
            .unwrap();
        assert!(c.color_stdout && c.color_stderr);
        let no_color = Environment {
            no_color: true,
            ..env()
        };
        assert!(!cli(&["x"]).into_config(&no_color).unwrap().color_stdout);
        let dumb = Environment {
            dumb_term: true,
            ..env()
        };
        assert!(!cli(&["x"]).into_config(&dumb).unwrap().color_stdout);
        let c = cli(&["-q", "x"]).into_config(&env()).unwrap();
        assert!(!c.progress && !c.summary);
        let c = cli(&["--no-progress", "x"]).into_config(&env()).unwrap();
        assert!(!c.progress && c.summary);
    }

    #[test]
    fn flags_reach_the_config() {
        let c = config(&[
            "-w",
            "3",
            "-f",
            "jsonl",
            "-X",
            "HEAD",
            "-t",
            "500ms",
            "--max-redirects",
            "0",
            "-H",
            "X-A: 1",
            "-H",
            "X-A: 2",
            "-A",
            "probe",
            "-k",
            "--only-failures",
            "--expect-status",
            "200,404",
            "x",
        ]);
        assert_eq!(c.workers, 3);
        assert_eq!(c.format, Format::Jsonl);
        assert_eq!(c.method, Method::Head);
        assert_eq!(c.timeout, Duration::from_millis(500));
        assert_eq!(c.max_redirects, 0);
        assert_eq!(c.spec.headers.get_all("x-a").iter().count(), 2);
        assert_eq!(c.user_agent, "probe");
        assert!(c.insecure && c.only_failures);
        assert!(c.spec.expect.status.contains(404) && !c.spec.expect.status.contains(201));
    }

    #[test]
    fn ci_flags_reach_the_config() {
        let c = config(&[
            "--expect-body",
            "ok",
            "--expect-body-regex",
            "^o",
            "--reject-body-regex",
            "error",
            "--expect-header",
            "Content-Type: ^text/",
            "--max-latency",
            "500ms",
            "--min-cert-days",
            "14",
            "--retries",
            "2",
            "--retry-delay",
            "100ms",
            "--wait",
            "30s",
            "--wait-interval",
            "1s",
            "--deadline",
            "1m",
            "--report",
            "junit:out/report.xml",
            "--report",
            "markdown:summary.md",
            "-f",
            "junit",
            "x",
        ]);
        let expect = &c.spec.expect;
        assert_eq!(expect.body_contains.as_deref(), Some("ok"));
        assert!(expect.body_regex.as_ref().unwrap().is_match("ok"));
        assert!(expect.body_reject.as_ref().unwrap().is_match("an error"));
        assert_eq!(expect.headers[0].0, "content-type");
        assert_eq!(expect.max_latency, Some(Duration::from_millis(500)));
        assert_eq!(expect.min_cert_days, Some(14));
        assert_eq!((c.retries, c.retry_delay), (2, Duration::from_millis(100)));
        assert_eq!(c.wait, Some(Duration::from_secs(30)));
        assert_eq!(c.wait_interval, Duration::from_secs(1));
        assert_eq!(c.deadline, Some(Duration::from_secs(60)));
        assert_eq!(
            c.reports,
            vec![
                (Format::Junit, PathBuf::from("out/report.xml")),
                (Format::Markdown, PathBuf::from("summary.md"))
            ]
        );
        assert_eq!(c.format, Format::Junit);
    }

    #[test]
    fn a_config_file_gives_defaults_that_flags_override() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("urlcheck.toml");
        std::fs::write(
            &path,
            "[defaults]\nworkers = 8\ntimeout = \"5s\"\nretries = 2\n\
             per_host = 4\nrate = 2.5\n\
             headers = { X-Team = \"web\" }\n\n[[check]]\nurl = \"https://a.test/health\"\n\
             expect_body = \"ok\"\n",
        )
        .unwrap();
        let path = path.to_str().unwrap();
        let c = config(&["-c", path]);
        assert_eq!((c.workers, c.retries), (8, 2));
        assert_eq!((c.per_host, c.rate), (Some(4), Some(2.5)));
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert!(c.inputs.is_empty(), "with --config, stdin is not read");
        assert_eq!(c.config_checks.len(), 1);
        let check = &c.config_checks[0];
        assert_eq!(
            (check.url.as_str(), check.line),
            ("https://a.test/health", 10)
        );
        assert_eq!(check.spec.expect.body_contains.as_deref(), Some("ok"));
        assert_eq!(check.spec.headers["x-team"], "web");
        let c = config(&[
            "-c",
            path,
            "-w",
            "3",
            "--rate",
            "7",
            "-H",
            "X-Team: api",
            "https://b.test/",
        ]);
        assert_eq!((c.workers, c.retries), (3, 2));
        assert_eq!((c.per_host, c.rate), (Some(4), Some(7.0)));
        assert_eq!(c.spec.headers["x-team"], "api");
        assert_eq!(c.inputs, vec![InputSpec::Url("https://b.test/".into())]);
    }

    #[test]
    fn secrets_are_redacted_raw_and_percent_encoded() {
        let forms = encoded_forms("a b\"c");
        assert!(forms.contains(&"a b\"c".to_string()));
        assert!(forms.contains(&"a%20b%22c".to_string()));
        let spec = CheckSpec {
            redact: forms.into_iter().map(|f| (f, "${T}".to_string())).collect(),
            ..CheckSpec::default()
        };
        assert_eq!(
            spec.redact("http://x/a%20b%22c?k=a%20b%22c"),
            "http://x/${T}?k=${T}"
        );
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
        let (name, re) = parse_expect_header("Content-Type: ^application/json").unwrap();
        assert_eq!(name, "content-type");
        assert!(re.is_match("application/json; charset=utf-8"));
        assert!(parse_expect_header("no colon").is_err());
        assert!(parse_expect_header("X-A: (").is_err());
        assert_eq!(
            parse_report("junit:out/r.xml").unwrap(),
            (Format::Junit, PathBuf::from("out/r.xml"))
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

    #[test]
    fn missing_cacert_is_an_error_naming_the_file() {
        let cli =
            Cli::try_parse_from(["urlcheck", "--cacert", "/nonexistent/ca.pem", "x"]).unwrap();
        let err = cli.into_config(&env()).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/ca.pem"));
    }

    #[test]
    fn per_host_and_rate_parsers() {
        assert_eq!(parse_per_host("4"), Ok(4));
        assert!(parse_per_host("0").unwrap_err().contains("at least 1"));
        assert!(parse_per_host("1000001").is_err());
        assert_eq!(parse_rate("50"), Ok(50.0));
        assert_eq!(parse_rate(" 0.5 "), Ok(0.5));
        for bad in ["0", "-1", "NaN", "inf", "1e300", "1e-9", "ten", ""] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn workers_parser() {
        assert_eq!(parse_workers("8"), Ok(8));
        assert!(parse_workers("0").is_err());
        assert!(parse_workers("-1").is_err());
        assert!(parse_workers("many").is_err());
        assert!(parse_workers("1000000").is_err());
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
        let set = parse_status_set("200-299,301, 404").unwrap();
        assert_eq!(set.to_string(), "200-299,301,404");
        assert!(set.contains(404) && !set.contains(302));
        for bad in ["", "200,", "abc", "99", "600", "300-200", "200-", "2xx"] {
            assert!(parse_status_set(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_status_set("300-200").unwrap_err().contains("200-300"));
    }

    #[test]
    fn header_parser() {
        let (name, value) = parse_header("Authorization: Bearer x:y").unwrap();
        assert_eq!(name, "authorization");
        assert_eq!(value, "Bearer x:y");
        let (_, empty) = parse_header("X-Empty:").unwrap();
        assert_eq!(empty, "");
        assert!(parse_header("no colon").is_err());
        assert!(parse_header("bad name: v").is_err());
        assert!(parse_header(": v").is_err());
        assert!(parse_header("X-A: line\nbreak").is_err());
    }
}

#[cfg(test)]
mod proptests {
    //! Properties of the value parsers: no panics on any input, and what an
    //! Ok result may hold.

    use super::*;
    use proptest::prelude::*;

    /// No regression files written into the source tree.
    fn config() -> ProptestConfig {
        ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

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
        if let Ok(set) = parse_status_set(s) {
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
            let set = parse_status_set(&text).unwrap();
            for code in 0..=700 {
                let expected = ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&code));
                prop_assert_eq!(set.contains(code), expected, "{} {}", text, code);
            }
        }

        #[test]
        fn parse_header_never_panics(s in any::<String>()) {
            if let Ok((name, value)) = parse_header(&s) {
                let (raw_name, raw_value) = s.split_once(':').unwrap();
                prop_assert_eq!(name.as_str(), raw_name.trim().to_ascii_lowercase());
                prop_assert_eq!(value.as_bytes(), raw_value.trim().as_bytes());
            }
        }

        #[test]
        fn parse_header_accepts_tokens_and_visible_values(
            name in "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}",
            value in "([!-~]([ -~]{0,30}[!-~])?)?",
            before in "[ \t]{0,2}",
            after in "[ \t]{0,2}",
        ) {
            let (got_name, got_value) =
                parse_header(&format!("{before}{name}{after}:{before}{value}{after}")).unwrap();
            prop_assert_eq!(got_name.as_str(), name.to_ascii_lowercase());
            prop_assert_eq!(got_value.to_str().unwrap(), value);
        }

        #[test]
        fn parse_workers_never_panics_and_stays_in_range(s in any::<String>(), n in any::<u64>()) {
            for text in [s, n.to_string()] {
                if let Ok(workers) = parse_workers(&text) {
                    prop_assert!((1..=100_000).contains(&workers), "{text:?}");
                }
            }
        }

        #[test]
        fn parse_rate_never_panics_and_gives_a_usable_rate(s in any::<String>(), n in any::<f64>()) {
            for text in [s, n.to_string()] {
                if let Ok(rate) = parse_rate(&text) {
                    prop_assert!(rate > 0.0 && rate <= MAX_RATE, "{text:?}");
                    prop_assert!(Duration::try_from_secs_f64(1.0 / rate).is_ok());
                }
            }
        }
    }
}
