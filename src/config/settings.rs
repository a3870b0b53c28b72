//! Every setting that the command line and the config file share, declared
//! once: its flag and help (clap's attributes), its config-file key (the
//! field's name), its default (`= value` after the field, which `--help`
//! shows), and so its accessor, the one way the program reads it. Adding a
//! setting is adding a field here, plus the code that uses it.
//!
//! `RunSettings` are for the whole run (flags and `[defaults]`);
//! `CheckSettings` are for each URL (flags, `[defaults]` and `[[check]]`):
//! what to send (method, headers), how to connect (TLS trust, HTTP
//! versions, proxy), how long to give it (timeout, redirects) and what to
//! expect.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use regex::Regex;
use reqwest::header::HeaderValue;

use super::layer::layer;
use super::values::{
    BaseUrl, ColorArg, CrawlDepth, Format, Header, HeaderRule, InputFormat, LinkScope, Listen,
    Lookahead, Method, PerHost, ProxyUrl, Rate, Report, StatusSet, Streak, Threads, Workers,
    parse_duration, parse_regex, parse_user_agent,
};

/// `--per-host` when a run checks a site (`--sitemap`, `--links`, documents)
/// and says no other: their URLs are mostly of one host.
pub(crate) const DEFAULT_SITE_PER_HOST: usize = 8;

/// The default User-Agent: `urlcheck/VERSION`.
pub(crate) fn default_user_agent() -> HeaderValue {
    HeaderValue::from_static(concat!("urlcheck/", env!("CARGO_PKG_VERSION")))
}

layer! {
    /// Settings of the whole run: flags, and the config file's `[defaults]`.
    #[derive(Debug, Clone, Default, Args)]
    pub(crate) struct RunSettings {
        /// Number of checks in flight at once
        #[arg(short, long, value_name = "N")]
        workers: Option<Workers> = 64,

        /// At most N requests in flight to one host (by name, whatever the port)
        /// [default: no limit beyond --workers].
        #[arg(long, value_name = "N")]
        per_host: Option<PerHost>,

        /// URL lines held at once: with --per-host, read ahead so that a list
        /// grouped by host keeps every host busy; with --wait, failing URLs
        /// awaiting their next check; about 300 bytes each
        #[arg(long, value_name = "N")]
        lookahead: Option<Lookahead> = 10_000,

        /// Start at most N checks per second, evenly spaced; decimals allowed,
        /// e.g. 0.5 for one every 2s [default: no limit].
        #[arg(long, value_name = "N")]
        rate: Option<Rate>,

        /// Threads that run the checks; more helps only when checking is
        /// CPU-bound, as with many TLS handshakes
        #[arg(long, value_name = "N")]
        threads: Option<Threads> = 1,

        /// Deadline for opening a connection, TCP and TLS
        #[arg(long, value_name = "DURATION", value_parser = parse_duration,
              help_heading = "Requests")]
        connect_timeout: Option<Duration> = Duration::from_secs(5),

        /// Retry transient failures (dns, connect, timeout, reset, 408, 429, 5xx)
        /// this many times
        #[arg(long, value_name = "N", help_heading = "Retries and waiting")]
        retries: Option<u32> = 0,

        /// First retry delay; it doubles each retry, with jitter
        #[arg(long, value_name = "DURATION", value_parser = parse_duration,
              help_heading = "Retries and waiting")]
        retry_delay: Option<Duration> = Duration::from_secs(1),

        /// The User-Agent header
        #[arg(short = 'A', long, value_name = "STRING", value_parser = parse_user_agent,
              help_heading = "Requests")]
        user_agent: Option<HeaderValue> = default_user_agent(),

        /// A deploy is coming up: re-check failing URLs until all pass or this
        /// much time has passed. A URL awaiting its next check holds no worker.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration,
              help_heading = "Retries and waiting")]
        wait: Option<Duration>,

        /// How often --wait re-checks a failing URL
        #[arg(long, value_name = "DURATION", value_parser = parse_duration,
              help_heading = "Retries and waiting")]
        wait_interval: Option<Duration> = Duration::from_secs(2),

        /// The whole run never takes longer; checks cut off fail as interrupted.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration,
              help_heading = "Retries and waiting")]
        deadline: Option<Duration>,

        /// Ask for a compressed response (Accept-Encoding: gzip, deflate, br,
        /// zstd). Compressed bodies are decoded for body expectations either way.
        #[arg(long, num_args = 0, default_missing_value = "true", help_heading = "Requests")]
        compressed: Option<bool> = false,

        /// Client certificate (PEM) for servers that ask for one; its key goes in
        /// --key, or in the same file.
        #[arg(long, value_name = "FILE", help_heading = "Requests")]
        cert: Option<PathBuf>,

        /// The private key (PEM) of --cert.
        #[arg(long, value_name = "FILE", help_heading = "Requests")]
        key: Option<PathBuf>,

        /// Hosts reached directly, not through a proxy: names, addresses or
        /// ranges, comma-separated; * for all. Overrides NO_PROXY.
        #[arg(long, value_name = "LIST", help_heading = "Requests")]
        noproxy: Option<String>,

        /// Check the pages of a sitemap: a URL, a file or - (repeatable).
        /// Sitemap indexes are followed, .xml.gz read; a site's root URL finds
        /// its sitemaps through /robots.txt, then /sitemap.xml.
        #[arg(long, value_name = "SOURCE", help_heading = "Sites")]
        sitemap: Vec<String>,

        /// Also check the links and assets on every page that answers 2xx with
        /// HTML, one hop; internal: only those on the page's own host.
        #[arg(long, value_name = "WHICH", num_args = 0..=1, default_missing_value = "all",
              help_heading = "Sites")]
        links: Option<LinkScope>,

        /// Check only the URLs that match this regex, from every source
        /// (repeatable: any may match).
        #[arg(long, value_name = "REGEX", value_parser = parse_regex, help_heading = "Sites")]
        include: Vec<Regex>,

        /// Never check the URLs that match this regex (repeatable); it wins
        /// over --include. Excluded URLs are counted in the summary.
        #[arg(long, value_name = "REGEX", value_parser = parse_regex, help_heading = "Sites")]
        exclude: Vec<Regex>,

        /// A link to #name fails (kind fragment) when its page or document has
        /// no such anchor: an id, a name, or a Markdown heading.
        #[arg(long, num_args = 0, default_missing_value = "true", help_heading = "Sites")]
        check_fragments: Option<bool> = false,

        /// Crawl the site: follow links from the given pages to pages within
        /// --crawl-scope, to DEPTH links (none given: all), reading each page
        /// once; every link found is checked, as with --links.
        #[arg(long, value_name = "DEPTH", num_args = 0..=1, default_missing_value = "unlimited",
              help_heading = "Sites")]
        crawl: Option<CrawlDepth>,

        /// With --crawl: follow only links that start with this URL prefix
        /// (repeatable) [default: the start pages' hosts].
        #[arg(long, value_name = "PREFIX", help_heading = "Sites")]
        crawl_scope: Vec<String>,

        /// With --crawl: crawl pages that robots.txt disallows (they are
        /// otherwise checked once, not read for links).
        #[arg(long, num_args = 0, default_missing_value = "true", help_heading = "Sites")]
        ignore_robots: Option<bool> = false,

        /// A 2xx page that looks like its host's answer to a path that cannot
        /// exist fails (kind soft_404); =false turns it off [default: on with
        /// --crawl and --links].
        #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
              default_missing_value = "true", help_heading = "Sites")]
        soft_404: Option<bool>,

        /// Relative links in local documents are this site's URLs, not files:
        /// a document's path under the current directory is its path here.
        #[arg(long, value_name = "URL", help_heading = "Sites")]
        base_url: Option<BaseUrl>,

        /// After Ctrl-C or SIGTERM, how long in-flight checks may still finish
        #[arg(long, value_name = "DURATION", value_parser = parse_duration,
              help_heading = "Retries and waiting")]
        shutdown_timeout: Option<Duration> = Duration::from_secs(5),

        /// Output format of the results on stdout
        #[arg(short, long, value_enum, help_heading = "Output")]
        format: Option<Format> = Format::Human,

        /// Also write a report to a file, e.g. junit:report.xml, markdown:summary.md
        /// (repeatable).
        #[arg(long, value_name = "FORMAT:PATH", help_heading = "Output")]
        report: Vec<Report>,

        /// Colour the output: auto means a terminal, NO_COLOR unset and TERM not
        /// dumb
        #[arg(long, value_enum, value_name = "WHEN", help_heading = "Output")]
        color: Option<ColorArg> = ColorArg::Auto,

        /// Write only failed checks to stdout.
        #[arg(long, num_args = 0, default_missing_value = "true", help_heading = "Output")]
        only_failures: Option<bool> = false,

        /// No progress bar and no summary: only results and errors.
        #[arg(short, long, num_args = 0, default_missing_value = "true",
              help_heading = "Output")]
        quiet: Option<bool> = false,

        /// Human output: under each result, where its time went (DNS, connect, TLS,
        /// first byte, body) and over what connection; per-phase p50/p95 in the
        /// summary.
        #[arg(short, long, num_args = 0, default_missing_value = "true",
              help_heading = "Output")]
        verbose: Option<bool> = false,

        /// No progress bar (the summary is still printed).
        #[arg(long, num_args = 0, default_missing_value = "true", help_heading = "Output")]
        no_progress: Option<bool> = false,

        /// With --watch: consecutive failed checks before a URL is reported down
        #[arg(long, value_name = "N", requires = "watch", help_heading = "Watch")]
        down_after: Option<Streak> = 1,

        /// With --watch: consecutive passed checks before a URL is reported up again
        #[arg(long, value_name = "N", requires = "watch", help_heading = "Watch")]
        up_after: Option<Streak> = 1,

        /// With --watch: serve /metrics (Prometheus), /status and /healthz on this
        /// address, e.g. 127.0.0.1:9464.
        #[arg(long, value_name = "ADDR", requires = "watch", help_heading = "Watch")]
        listen: Option<Listen>,

        /// Read every INPUT file as this kind, whatever its name says
        /// [default: .md and .markdown are markdown, .html and .htm html, .xml
        /// and .xml.gz sitemap, the rest list].
        #[arg(long, value_name = "KIND", help_heading = "Sites")]
        input_format: Option<InputFormat>,
    }
}

layer! {
    /// Settings of each URL: what to send and what to expect. Flags and
    /// `[defaults]` give them to every URL; a `[[check]]` to its own.
    #[derive(Debug, Clone, Default, Args)]
    pub(crate) struct CheckSettings {
        /// HTTP method of each check
        #[arg(short = 'X', long, value_enum, ignore_case = true, help_heading = "Requests")]
        method: Option<Method> = Method::Get,

        /// Deadline for one attempt (connect, redirects, headers and body), e.g.
        /// 500ms, 10s, 2m
        #[arg(short, long, value_name = "DURATION", value_parser = parse_duration,
              help_heading = "Requests")]
        timeout: Option<Duration> = Duration::from_secs(10),

        /// Redirects to follow; 0 reports the redirect response itself
        #[arg(long, value_name = "N", help_heading = "Requests")]
        max_redirects: Option<u32> = 10,

        /// Extra request header, 'Name: value' (repeatable). Dropped when a redirect
        /// leaves the URL's origin (scheme, host and port).
        #[arg(short = 'H', long = "header", value_name = "HEADER", help_heading = "Requests")]
        headers: Vec<Header>,

        /// Accept invalid TLS certificates (expired, self-signed, wrong host).
        #[arg(short = 'k', long, num_args = 0, default_missing_value = "true",
              help_heading = "Requests")]
        insecure: Option<bool> = false,

        /// Also trust the certificates in this PEM file: CAs, or a server's
        /// own (self-signed) certificate.
        #[arg(long, value_name = "FILE", help_heading = "Requests")]
        cacert: Option<PathBuf>,

        /// Speak HTTP/1.1 only, also to servers that offer HTTP/2.
        #[arg(long = "http1.1", num_args = 0, default_missing_value = "true",
              help_heading = "Requests")]
        http1_1: Option<bool> = false,

        /// Speak HTTP/2 from the first byte, without negotiating: h2c on http://,
        /// h2 on https://.
        #[arg(long, num_args = 0, default_missing_value = "true", conflicts_with = "http1_1",
              help_heading = "Requests")]
        http2_prior_knowledge: Option<bool> = false,

        /// Send every request through this proxy (http:// or https://, with
        /// user:password@ for a login); overrides the proxy variables.
        #[arg(long, value_name = "URL", help_heading = "Requests")]
        proxy: Option<ProxyUrl>,

        /// Statuses that pass: codes, ranges and classes, e.g. 200-299,301,404 or
        /// 2xx
        #[arg(long, value_name = "LIST", help_heading = "Expectations")]
        expect_status: Option<StatusSet> = StatusSet::SUCCESS,

        /// The body must contain this text.
        #[arg(long, value_name = "TEXT", help_heading = "Expectations")]
        expect_body: Option<String>,

        /// The body must match this regex.
        #[arg(long, value_name = "REGEX", value_parser = parse_regex,
              help_heading = "Expectations")]
        expect_body_regex: Option<Regex>,

        /// The check fails if the body matches this regex, e.g. 'error|maintenance'.
        #[arg(long, value_name = "REGEX", value_parser = parse_regex,
              help_heading = "Expectations")]
        reject_body_regex: Option<Regex>,

        /// A response header must match: 'Name: REGEX' (repeatable).
        #[arg(long, value_name = "HEADER", help_heading = "Expectations")]
        expect_header: Vec<HeaderRule>,

        /// A slower check fails (kind slow).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration,
              help_heading = "Expectations")]
        max_latency: Option<Duration>,

        /// An https check fails (kind certificate) when the certificate expires in
        /// fewer days.
        #[arg(long, value_name = "DAYS", help_heading = "Expectations")]
        min_cert_days: Option<u32>,

        /// With --watch: how often each URL is checked (--watch INTERVAL says
        /// the same).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration,
              help_heading = "Watch")]
        interval: Option<Duration>,
    }
}

#[cfg(test)]
impl CheckSettings {
    /// The settings these flags give, as a user gives them (for tests).
    pub(crate) fn from_flags(flags: &[&str]) -> Self {
        #[derive(clap::Parser)]
        struct Flags {
            #[command(flatten)]
            check: CheckSettings,
        }
        <Flags as clap::Parser>::try_parse_from(
            std::iter::once("urlcheck").chain(flags.iter().copied()),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .check
    }
}

impl CheckSettings {
    /// The body must be read and kept (up to the cap) to judge it.
    pub(crate) fn needs_body(&self) -> bool {
        self.expect_body.is_some()
            || self.expect_body_regex.is_some()
            || self.reject_body_regex.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::layer::Layer;

    #[test]
    fn the_keys_are_the_field_names_in_order() {
        assert_eq!(RunSettings::KEYS[0], "workers");
        assert_eq!(
            CheckSettings::KEYS,
            [
                "method",
                "timeout",
                "max_redirects",
                "headers",
                "insecure",
                "cacert",
                "http1_1",
                "http2_prior_knowledge",
                "proxy",
                "expect_status",
                "expect_body",
                "expect_body_regex",
                "reject_body_regex",
                "expect_header",
                "max_latency",
                "min_cert_days",
                "interval"
            ]
        );
    }
}
