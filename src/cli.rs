//! The command line: clap stops here. `Cli` is what the user typed; `into_config`
//! turns it into a plain `Config`, deciding colour, progress and input once.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{CommandFactory, Parser, ValueEnum};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::config::{Config, Format, InputSpec, Method, StatusSet};

/// Default number of workers; see "Choosing --workers" in the README.
pub const DEFAULT_WORKERS: usize = 32;

/// Check that URLs are up: fast, in parallel, with results a script can read.
#[derive(Debug, Parser)]
#[command(name = "urlcheck", version, max_term_width = 100)]
#[command(
    after_help = "Exit codes: 0 all passed, 1 some failed, 2 usage or input error, \
                        130 interrupted (SIGINT), 143 terminated (SIGTERM)."
)]
pub struct Cli {
    /// URLs (http:// or https://), files with one URL per line, or - for stdin.
    /// With no INPUT, URLs are read from stdin when it is not a terminal.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<String>,

    /// Number of checks in flight at once.
    #[arg(short, long, value_name = "N", default_value_t = DEFAULT_WORKERS,
          value_parser = parse_workers)]
    pub workers: usize,

    /// Output format of the results on stdout.
    #[arg(short, long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,

    /// HTTP method of each check.
    #[arg(short = 'X', long, value_enum, ignore_case = true, default_value_t = MethodArg::Get)]
    pub method: MethodArg,

    /// Deadline for a whole check (connect, redirects, headers and body), e.g. 500ms, 10s, 2m.
    #[arg(short, long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Deadline for opening a connection (TCP and TLS).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// Redirects to follow; 0 reports the redirect response itself.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub max_redirects: u32,

    /// Statuses that pass: codes and ranges, e.g. 200-299,301,404.
    #[arg(long, value_name = "LIST", default_value = "200-299", value_parser = parse_status_set)]
    pub expect_status: StatusSet,

    /// Extra request header, 'Name: value' (repeatable). Dropped when a redirect
    /// leaves the URL's origin (scheme, host and port).
    #[arg(short = 'H', long = "header", value_name = "HEADER", value_parser = parse_header)]
    pub headers: Vec<(HeaderName, HeaderValue)>,

    /// The User-Agent header [default: urlcheck/VERSION].
    #[arg(short = 'A', long, value_name = "STRING")]
    pub user_agent: Option<String>,

    /// Accept invalid TLS certificates (expired, self-signed, wrong host).
    #[arg(short = 'k', long)]
    pub insecure: bool,

    /// Also trust the CA certificates in this PEM file.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Colour the output: auto means a terminal, NO_COLOR unset and TERM not dumb.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorArg::Auto)]
    pub color: ColorArg,

    /// Write only failed checks to stdout.
    #[arg(long)]
    pub only_failures: bool,

    /// No progress bar and no summary: only results and errors.
    #[arg(short, long)]
    pub quiet: bool,

    /// No progress bar (the summary is still printed).
    #[arg(long)]
    pub no_progress: bool,

    /// After Ctrl-C or SIGTERM, how long in-flight checks may still finish.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Readable lines, coloured on a terminal.
    Human,
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header row.
    Csv,
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
}

impl Environment {
    pub fn detect() -> Self {
        Environment {
            stdin_is_terminal: std::io::stdin().is_terminal(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            dumb_term: std::env::var_os("TERM").is_some_and(|v| v == "dumb"),
        }
    }
}

/// Parse the process arguments into a `Config`. Usage errors exit with code 2
/// through clap, which prints the usage line.
pub fn parse() -> anyhow::Result<Config> {
    let cli = Cli::parse();
    let env = Environment::detect();
    if cli.inputs.is_empty() && env.stdin_is_terminal {
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "no INPUT given and stdin is a terminal: pass URLs, a file of URLs, or pipe them in",
            )
            .exit();
    }
    cli.into_config(&env)
}

impl Cli {
    /// Resolve the parsed flags against the environment.
    pub fn into_config(self, env: &Environment) -> anyhow::Result<Config> {
        let color_allowed = |is_terminal: bool| match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => is_terminal && !env.no_color && !env.dumb_term,
        };
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        let inputs = if self.inputs.is_empty() {
            vec![InputSpec::Stdin]
        } else {
            self.inputs.iter().map(|s| classify_input(s)).collect()
        };
        if inputs.iter().filter(|i| **i == InputSpec::Stdin).count() > 1 {
            bail!("stdin (-) can be given only once");
        }
        if let Some(path) = &self.cacert {
            // Read early so a wrong path is a usage error, not a failure per URL.
            std::fs::metadata(path)
                .with_context(|| format!("cannot read --cacert file {}", path.display()))?;
        }
        Ok(Config {
            inputs,
            workers: self.workers,
            method: match self.method {
                MethodArg::Get => Method::Get,
                MethodArg::Head => Method::Head,
            },
            max_redirects: self.max_redirects,
            timeout: self.timeout,
            connect_timeout: self.connect_timeout,
            expect_status: self.expect_status,
            headers,
            user_agent: self
                .user_agent
                .unwrap_or_else(|| format!("urlcheck/{}", env!("CARGO_PKG_VERSION"))),
            insecure: self.insecure,
            cacert: self.cacert,
            format: match self.format {
                FormatArg::Human => Format::Human,
                FormatArg::Jsonl => Format::Jsonl,
                FormatArg::Csv => Format::Csv,
            },
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

/// Durations like `500ms`, `10s`, `2m`, `1m30s`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let duration = match s.parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => Duration::from_secs_f64(secs),
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
        assert_eq!(c.expect_status.to_string(), "200-299");
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
        assert_eq!(c.headers.get_all("x-a").iter().count(), 2);
        assert_eq!(c.user_agent, "probe");
        assert!(c.insecure && c.only_failures);
        assert!(c.expect_status.contains(404) && !c.expect_status.contains(201));
    }

    #[test]
    fn missing_cacert_is_an_error_naming_the_file() {
        let cli =
            Cli::try_parse_from(["urlcheck", "--cacert", "/nonexistent/ca.pem", "x"]).unwrap();
        let err = cli.into_config(&env()).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/ca.pem"));
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
