//! Configuration: what the user asked for, from the command line (`cli.rs`)
//! and the `--config` file (`file.rs`), resolved into the plain `Config` of
//! one run, with every terminal-dependent choice already decided. Settings
//! shared by both are declared once, in `settings.rs`.

pub(crate) mod cli;
pub(crate) mod client_cert;
mod file;
mod layer;
pub(crate) mod proxy;
pub(crate) mod settings;
mod toml_text;
pub(crate) mod values;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use reqwest::header::HeaderMap;

pub(crate) use proxy::Proxies;
pub(crate) use settings::{CheckSettings, RunSettings};
pub(crate) use toml_text::Redaction;
pub(crate) use values::{Format, HttpVersions, InputFormat, LinkScope, Shard};

/// Everything a run needs to know, decided once before anything starts.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Where URLs come from, in the order given.
    pub(crate) inputs: Vec<InputSpec>,
    /// `--shard K/N`: check only the lines of this shard.
    pub(crate) shard: Option<Shard>,
    /// `--resume FILE`: skip the lines that FILE has a record for.
    pub(crate) resume: Option<PathBuf>,
    /// `--replay`: render these records instead of checking anything.
    pub(crate) replay: Vec<RecordsFrom>,
    /// `--keep-last`: with `--replay`, of a line's records keep the last
    /// instead of refusing the second.
    pub(crate) keep_last: bool,
    /// `--baseline FILE`: failures that failed there too are known.
    pub(crate) baseline: Option<PathBuf>,
    /// The run's settings as given (flags over `[defaults]`); each is read
    /// through its accessor, which applies its default. Those that depend
    /// on more than themselves are resolved into the fields below.
    pub(crate) run: RunSettings,
    /// Number of worker tasks, and so the most checks in flight at once:
    /// `--workers`, or fewer if the open-file limit cannot hold them.
    pub(crate) workers: usize,
    /// `--per-host`: the most requests in flight to one host.
    pub(crate) per_host: Option<usize>,
    /// What every URL from the command line or a list must show, and the
    /// headers it is requested with; config-file checks carry their own.
    pub(crate) spec: Arc<CheckSpec>,
    /// URLs from the config file, each with its own spec.
    pub(crate) config_checks: Vec<ConfigCheck>,
    /// Extra reports written to files (`--report FORMAT:PATH`).
    pub(crate) reports: Vec<(Format, PathBuf)>,
    /// Running under GitHub Actions: annotations, and the step summary file.
    pub(crate) github: Option<GithubActions>,
    /// How checks connect: the first for the flags' and `[defaults]`'
    /// settings, then one for each other set of them a `[[check]]` gives.
    /// A check's `CheckSpec::client` says which.
    pub(crate) clients: Vec<ClientSettings>,
    /// Colour results on stdout.
    pub(crate) color_stdout: bool,
    /// Colour the summary and warnings on stderr.
    pub(crate) color_stderr: bool,
    /// Results go to a terminal (the progress bar steps aside for them).
    pub(crate) stdout_is_terminal: bool,
    /// Show a live progress bar on stderr.
    pub(crate) progress: bool,
    /// Print the summary on stderr at the end.
    pub(crate) summary: bool,
    /// Sitemaps, documents and the links on pages.
    pub(crate) sites: Arc<Sites>,
    /// `--watch`: keep checking, and report changes.
    pub(crate) watch: Option<Watch>,
}

/// How a run finds URLs besides list lines: sitemaps, documents and the
/// links on pages, and which of them it checks.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sites {
    /// `--sitemap`: sources of pages.
    pub(crate) sitemaps: Vec<String>,
    /// `--links`: check the links on every page, or those to its host.
    pub(crate) links: Option<LinkScope>,
    /// `--include`: when given, only URLs matching one are checked.
    pub(crate) include: Vec<regex::Regex>,
    /// `--exclude`: URLs matching one are never checked.
    pub(crate) exclude: Vec<regex::Regex>,
    /// `--check-fragments`.
    pub(crate) check_fragments: bool,
    /// `--base-url`: where local documents are on a site.
    pub(crate) base_url: Option<reqwest::Url>,
    /// `--input-format`: how every INPUT file is read.
    pub(crate) input_format: Option<InputFormat>,
    /// `--dry-run`: list, check nothing.
    pub(crate) dry_run: bool,
    /// `--crawl`: follow links to pages in scope, to this depth (`Some(None)`:
    /// no limit).
    pub(crate) crawl: Option<Option<u32>>,
    /// `--crawl-scope`: URL prefixes a crawl follows; none: the start pages'
    /// hosts.
    pub(crate) crawl_scope: Vec<String>,
    /// `--ignore-robots`.
    pub(crate) ignore_robots: bool,
    /// `--soft-404`, or its default: on with `--crawl` and `--links`.
    pub(crate) soft_404: bool,
}

impl Sites {
    /// How an INPUT is read: `--input-format`, or what a file's name says;
    /// stdin is a list unless told otherwise.
    pub(crate) fn kind_of(&self, input: &InputSpec) -> InputFormat {
        match (self.input_format, input) {
            (Some(kind), _) => kind,
            (None, InputSpec::File(path)) => InputFormat::of_path(path),
            (None, _) => InputFormat::List,
        }
    }

    /// Whether `url` is one to check under `--include` and `--exclude`.
    pub(crate) fn wants(&self, url: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|r| r.is_match(url)))
            && !self.exclude.iter().any(|r| r.is_match(url))
    }
}

/// How `--watch` watches; each URL's interval is in its check settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Watch {
    /// Consecutive failed checks before a URL is reported down.
    pub(crate) down_after: u32,
    /// Consecutive passed checks before a URL is reported up again.
    pub(crate) up_after: u32,
    /// Where `/metrics`, `/status` and `/healthz` are served.
    pub(crate) listen: Option<SocketAddr>,
}

impl Config {
    /// With `--watch`: every URL has an interval, and only what makes sense
    /// for a watcher is asked for. Without it, the watch flags are refused.
    fn kinds(&self) -> impl Iterator<Item = InputFormat> + '_ {
        self.inputs.iter().filter_map(|input| match input {
            InputSpec::Url(_) => None,
            input => Some(self.sites.kind_of(input)),
        })
    }

    /// Whether a Markdown or HTML document is among the inputs.
    pub(crate) fn reads_documents(&self) -> bool {
        self.kinds()
            .any(|kind| matches!(kind, InputFormat::Markdown | InputFormat::Html))
    }

    fn reads_sitemap_files(&self) -> bool {
        self.kinds().any(|kind| kind == InputFormat::Sitemap)
    }

    /// Whether a sitemap is among the inputs (`--sitemap`, or a file).
    pub(crate) fn reads_sitemaps(&self) -> bool {
        !self.sites.sitemaps.is_empty() || self.reads_sitemap_files()
    }

    /// Whether URLs are found in this run: links on pages, or documents.
    pub(crate) fn finds_links(&self) -> bool {
        self.sites.links.is_some() || self.reads_documents()
    }

    /// Whether this run checks a site: sitemaps, documents, or the links
    /// on pages.
    fn checks_a_site(&self) -> bool {
        self.sites.links.is_some() || self.reads_sitemaps() || self.reads_documents()
    }

    /// A site's URLs are mostly of one host: without `--per-host`, a run
    /// that checks a site is limited to `DEFAULT_SITE_PER_HOST` per host.
    fn polite_to_sites(mut self) -> Self {
        if self.per_host.is_none() && self.checks_a_site() {
            self.per_host = Some(settings::DEFAULT_SITE_PER_HOST);
        }
        self
    }

    /// Sites: what does not go with sitemaps, documents and `--links`.
    fn check_sites(self) -> anyhow::Result<Self> {
        let sites = &self.sites;
        let finds = sites.links.is_some() || !sites.sitemaps.is_empty();
        if self.resume.is_some() && self.checks_a_site() {
            anyhow::bail!(
                "--resume works on lists of URLs; with --sitemap, --links or documents, run again \
                 without it"
            );
        }
        if self.watch.is_some() && finds {
            anyhow::bail!(
                "--watch checks lists of URLs: list the site's URLs with --dry-run and watch that list"
            );
        }
        if sites.crawl.is_some() && self.shard.is_some() {
            anyhow::bail!(
                "--shard splits a list by its lines, and a crawl finds its pages as it goes: each \
                 shard would crawl the whole site. Crawl in one run; to share the checking, crawl once \
                 and shard the list of URLs its records (-f jsonl) name"
            );
        }
        if !sites.crawl_scope.is_empty() && sites.crawl.is_none() {
            anyhow::bail!("--crawl-scope narrows a crawl: give --crawl too");
        }
        for prefix in &sites.crawl_scope {
            if reqwest::Url::parse(prefix).is_err() {
                anyhow::bail!(
                    "--crawl-scope {prefix}: not a URL prefix; write it as a URL, such as \
                     https://example.com/docs/"
                );
            }
        }
        Ok(self)
    }

    fn check_watch(self) -> anyhow::Result<Self> {
        let Some(_) = &self.watch else {
            return Ok(self);
        };
        let needs_interval = || {
            anyhow::anyhow!(
                "--watch needs an interval: give --watch 30s, or `interval` in the config \
                 file's [defaults] or in each [[check]]"
            )
        };
        if !self.inputs.is_empty() && self.spec.settings.interval.is_none() {
            return Err(needs_interval());
        }
        if let Some(check) = self
            .config_checks
            .iter()
            .find(|c| c.spec.settings.interval.is_none())
        {
            return Err(needs_interval().context(format!("{}:{}", check.file, check.line)));
        }
        if self.inputs.iter().any(|i| matches!(i, InputSpec::Stdin)) {
            anyhow::bail!(
                "--watch reads its URLs from files and arguments, which it reads again on \
                 SIGHUP; stdin cannot be read again: put the URLs in a file"
            );
        }
        if !self.run.format().streams_results() {
            anyhow::bail!(
                "--format {} writes at the end, and --watch has no end: use human, jsonl or csv",
                self.run.format()
            );
        }
        if let Some((format, _)) = self.reports.iter().find(|(f, _)| !f.streams_results()) {
            anyhow::bail!(
                "--report {format}: reports written at the end do not go with --watch; \
                 use jsonl or csv"
            );
        }
        if self.run.wait().is_some() {
            anyhow::bail!("--wait waits for one pass; --watch keeps checking: give one of them");
        }
        Ok(self)
    }

    /// `--resume FILE` reads FILE back as JSON Lines, and the run appends
    /// its records to it: in any other format, the next resume would fail
    /// on the lines this run appended.
    fn check_resume(self) -> anyhow::Result<Self> {
        if let Some(path) = &self.resume
            && self.run.format() != Format::Jsonl
        {
            anyhow::bail!(
                "--resume {path} needs --format jsonl: the run appends its records to that \
                 file, and a resumed run reads them back as JSON Lines (with -f {format} the \
                 next resume would fail on them); e.g. urlcheck -f jsonl --resume {path} \
                 urls.txt >> {path}",
                path = path.display(),
                format = self.run.format(),
            );
        }
        Ok(self)
    }

    /// Capacity of the bounded queue between the input reader and the workers:
    /// enough to keep every worker busy, small enough that input is streamed.
    pub(crate) fn queue_capacity(&self) -> usize {
        self.workers.saturating_mul(2).max(1)
    }
}

/// How a check connects: whom it trusts, which HTTP versions it speaks,
/// through which proxy. Checks that connect alike share a client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClientSettings {
    /// Accept any TLS certificate (`-k`).
    pub(crate) insecure: bool,
    /// Extra trusted CA certificates, PEM, read from `--cacert`.
    pub(crate) cacert: Option<CaCerts>,
    /// The client certificate and key, PEM, read from `--cert` and `--key`.
    pub(crate) client_cert: Option<ClientCert>,
    /// Which HTTP versions to speak.
    pub(crate) http: HttpVersions,
    /// Which proxy each URL goes through.
    pub(crate) proxies: Proxies,
}

impl ClientSettings {
    /// The index of `self` in `clients`, added there if new.
    pub(crate) fn index_in(self, clients: &mut Vec<ClientSettings>) -> usize {
        match clients.iter().position(|c| *c == self) {
            Some(index) => index,
            None => {
                clients.push(self);
                clients.len() - 1
            }
        }
    }
}

/// The `--cacert` file, read once when the configuration is resolved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CaCerts {
    /// The path as given, for messages.
    pub(crate) path: PathBuf,
    /// Its PEM text.
    pub(crate) pem: Vec<u8>,
}

/// `--cert` and `--key`, read and checked when the configuration is resolved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ClientCert {
    /// The certificate chain and the key, PEM, one after the other.
    pub(crate) pem: Vec<u8>,
}

/// Where records are read from: a file, or stdin (`-`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecordsFrom {
    File(PathBuf),
    Stdin,
}

impl RecordsFrom {
    pub(crate) fn parse(text: &str) -> Self {
        if text == "-" {
            RecordsFrom::Stdin
        } else {
            RecordsFrom::File(PathBuf::from(text))
        }
    }

    /// The name in messages.
    pub(crate) fn name(&self) -> String {
        match self {
            RecordsFrom::File(path) => path.display().to_string(),
            RecordsFrom::Stdin => "stdin".into(),
        }
    }
}

/// One INPUT argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InputSpec {
    /// A URL given on the command line.
    Url(String),
    /// A file of URLs, one per line.
    File(PathBuf),
    /// Standard input (`-`, or no INPUT with a piped stdin).
    Stdin,
}

/// How to check one URL: the settings that apply to it (flags, `[defaults]`
/// and its own `[[check]]` keys, merged), and the headers it is sent with.
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckSpec {
    /// What it must show, and the headers to send, merged.
    pub(crate) settings: CheckSettings,
    /// `settings.headers` as a request carries them, sent to the URL's own
    /// origin only.
    pub(crate) headers: HeaderMap,
    /// Values expanded from `${VAR}` in a config-file URL, with the text to
    /// show instead: secrets never reach the output.
    pub(crate) redactions: Vec<Redaction>,
    /// How it connects: an index in `Config::clients`.
    pub(crate) client: usize,
}

impl CheckSpec {
    pub(crate) fn new(settings: CheckSettings, redactions: Vec<Redaction>, client: usize) -> Self {
        CheckSpec {
            headers: layer::header_map(settings.headers()),
            settings,
            redactions,
            client,
        }
    }

    /// `text` with every expanded secret shown as its `${VAR}` again.
    pub(crate) fn redact(&self, text: &str) -> String {
        self.redact_owned(text.to_string())
    }

    /// `redact` for text the caller owns: no copy when there is nothing to
    /// redact (the common case, once per check).
    pub(crate) fn redact_owned(&self, text: String) -> String {
        self.redactions
            .iter()
            .fold(text, |text, r| text.replace(&r.secret, &r.shown))
    }
}

/// One `[[check]]` of a config file.
#[derive(Debug, Clone)]
pub(crate) struct ConfigCheck {
    /// Its `name`, if it has one (a label in `--watch`'s metrics).
    pub(crate) name: Option<String>,
    /// The URL as written in the file, `${VAR}` unexpanded: what is shown.
    pub(crate) url: String,
    /// The URL with variables expanded: what is requested.
    pub(crate) expanded_url: String,
    /// The config file, and the line of this check's `url`.
    pub(crate) file: String,
    pub(crate) line: u64,
    pub(crate) spec: Arc<CheckSpec>,
}

/// GitHub Actions, detected from `GITHUB_ACTIONS=true`.
#[derive(Debug, Clone, Default)]
pub(crate) struct GithubActions {
    /// `$GITHUB_STEP_SUMMARY`: the markdown summary is appended to it.
    pub(crate) step_summary: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_raw_and_percent_encoded() {
        let spec = CheckSpec {
            redactions: toml_text::encoded_forms("a b\"c")
                .into_iter()
                .map(|secret| Redaction {
                    secret,
                    shown: "${T}".to_string(),
                })
                .collect(),
            ..CheckSpec::default()
        };
        assert_eq!(
            spec.redact("http://x/a%20b%22c?k=a%20b%22c"),
            "http://x/${T}?k=${T}"
        );
    }
}
