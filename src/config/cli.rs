//! The command line: `Cli` is what the user typed; `into_config` lays it over
//! the config file and turns both into a plain `Config`, deciding colour,
//! progress and input once. clap's derive is used here and for the settings
//! (`settings.rs`), which declare their own flags; nothing outside `config/`
//! sees clap.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};

use super::file::{self, FileCheck, FileConfig};
use super::layer::Layer;
use super::proxy::Proxies;
use super::settings::{CheckSettings, RunSettings};
use super::values::{ColorArg, HttpVersions, parse_duration};
use super::{
    CaCerts, CheckSpec, ClientCert, ClientSettings, Config, ConfigCheck, GithubActions, InputSpec,
    RecordsFrom, Shard, Sites, Watch,
};

/// Check that URLs are up: fast, in parallel, with results a script can read.
#[derive(Debug, Parser)]
#[command(name = "urlcheck", version, max_term_width = 100)]
#[command(
    after_help = "Exit codes: 0 all passed, 1 some failed, 2 usage or input error, \
                  130 interrupted (SIGINT), 143 terminated (SIGTERM).\n\n\
                  These are the options most runs need. urlcheck --help lists every option \
                  (retries and waiting, expectations, requests, proxies, watch, shards) with \
                  the input rules, config keys, failure kinds, record fields and exit codes; \
                  urlcheck --generate man writes the man page, and docs/reference.md has examples.",
    after_long_help = long_help()
)]
pub(crate) struct Cli {
    /// URLs (http:// or https://), files with one URL per line, or - for stdin.
    /// With no INPUT (and no --config), URLs are read from stdin when it is
    /// not a terminal.
    #[arg(value_name = "INPUT")]
    inputs: Vec<String>,

    /// Read defaults and checks from this TOML file: [defaults] for every URL,
    /// [[check]] tables for URLs of their own (keys under --help).
    #[arg(short, long, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(flatten)]
    run: RunSettings,

    #[command(flatten)]
    check: CheckSettings,

    /// Keep checking every URL every INTERVAL (or its config `interval`) until
    /// stopped, writing a record when a URL goes down or comes back up.
    #[arg(long, value_name = "INTERVAL", num_args = 0..=1, value_parser = parse_watch,
          help_heading = "Watch")]
    watch: Option<Option<Duration>>,

    /// Write shell completions or the man page to stdout, and exit: e.g.
    /// urlcheck --generate complete-bash > /etc/bash_completion.d/urlcheck
    #[arg(long, value_enum, value_name = "KIND", help_heading = "Output")]
    generate: Option<Generate>,

    /// Check only shard K of N (1 <= K <= N): the lines whose URL hashes to it,
    /// so that N runs (a CI matrix, a Kubernetes Indexed Job) split a list.
    #[arg(
        long,
        value_name = "K/N",
        conflicts_with = "watch",
        help_heading = "Scale-out"
    )]
    shard: Option<Shard>,

    /// Skip the input lines that already have a record in FILE: the JSON Lines
    /// output of a run of the same inputs that was cut short. Needs -f jsonl;
    /// append to it (>>, not >): urlcheck -f jsonl --resume out.jsonl urls.txt
    /// >> out.jsonl
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "watch",
        help_heading = "Scale-out"
    )]
    resume: Option<PathBuf>,

    /// Check nothing: read the JSON Lines records of earlier runs (repeatable;
    /// stdin if FILE is -) and write them in --format and --report, with the
    /// summary and exit code of a live run. This merges shards, e.g.
    /// cat shard-*.jsonl | urlcheck --replay - -f junit
    #[arg(long, value_name = "FILE", conflicts_with_all = ["watch", "shard", "resume", "wait"],
          help_heading = "Scale-out")]
    replay: Vec<String>,

    /// With --replay: of records of the same line (source, line and URL),
    /// keep the last, as when a shard run again was appended to its output;
    /// without it, a line's second record is an error.
    // No config key: --replay takes no --config, so a [defaults] key could
    // never apply.
    #[arg(long, requires = "replay", help_heading = "Scale-out")]
    keep_last: bool,

    /// Check nothing: list the URLs that would be checked, from every
    /// source, with where each was found (sitemaps are read; pages are not
    /// fetched, so --links adds nothing).
    // A mode, not a setting: no config key.
    #[arg(long, conflicts_with_all = ["watch", "replay"], help_heading = "Sites")]
    dry_run: bool,

    /// The JSON Lines of an earlier run (main's last results): a failure that
    /// failed there too is known, reported but not failing the run; the
    /// exit code is 1 only for new failures, and fixed URLs are listed.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "watch",
        help_heading = "Scale-out"
    )]
    baseline: Option<PathBuf>,
}

/// The options `-h` shows (by clap id, the field's name): the ones most
/// runs need. `--help` shows every option.
const SHORT_HELP: [&str; 10] = [
    "config",
    "workers",
    "format",
    "report",
    "only_failures",
    "quiet",
    "timeout",
    "retries",
    "expect_status",
    "headers",
];

/// The command line as clap parses it: `-h` short, `--help` whole, and each
/// setting's help ending with its default, taken from its declaration.
fn command() -> clap::Command {
    let defaults: Vec<(&str, String)> = RunSettings::defaults()
        .into_iter()
        .chain(CheckSettings::defaults())
        .collect();
    Cli::command().mut_args(|arg| {
        let id = arg.get_id().as_str().to_string();
        let shown = SHORT_HELP.contains(&id.as_str())
            || arg.is_positional()
            || matches!(id.as_str(), "help" | "version");
        let arg = arg.hide_short_help(!shown);
        match defaults.iter().find(|(key, _)| *key == id) {
            Some((_, default)) => {
                let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                arg.help(format!("{help} [default: {default}]"))
            }
            None => arg,
        }
    })
}

/// What `--help` adds after the flags: what a binary installed without its
/// README must still tell. Built from the same lists the code uses.
fn long_help() -> String {
    use strum::IntoEnumIterator;
    let list = |items: &[&str]| items.join(", ");
    let run_keys: Vec<&str> = RunSettings::KEYS.to_vec();
    let check_keys: Vec<&str> = CheckSettings::KEYS.to_vec();
    let kinds: Vec<&str> = crate::results::FailureKind::iter()
        .map(crate::results::FailureKind::as_str)
        .collect();
    format!(
        "Input:
  One URL (http:// or https://) per line. Blank lines and lines starting with # are
  skipped; \" # text\" after a URL is a comment. Every other line gets exactly one
  record: a line that is not a URL is an invalid_input record with its file and line.
  A file ending in .md or .markdown (Markdown), .html or .htm (HTML) is a document:
  every link in it is checked once, its record naming every place (occurrences). A
  file ending in .xml or .xml.gz is a sitemap: every page in it is checked.

Config file (-c FILE), TOML; each key is its flag's name with _ for -:
  [defaults]   {run} and {check}
  [[check]]    url (required), name, {check}
  ${{VAR}} in a check's url or headers is read from the environment and never shown.

Failure kinds (error_kind): {kinds}

Record fields (jsonl, csv): {fields}
  With --watch also: {event}

Exit codes:
  0    every check passed (with --watch: stopped on purpose)
  1    a check failed (invalid_input lines too), --deadline cut checks off, or a
       --report file could not be written at the end
  2    usage error, unreadable input, a --report path that cannot be created, no URLs,
       a --replay of a line twice or with a shard missing
  130  stopped by SIGINT (Ctrl-C); 143 stopped by SIGTERM",
        run = list(&run_keys),
        check = list(&check_keys),
        kinds = list(&kinds),
        fields = list(&crate::results::Record::FIELDS),
        event = list(&crate::results::Event::FIELDS),
    )
}

/// What `--generate` writes (ripgrep's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Generate {
    CompleteBash,
    CompleteZsh,
    CompleteFish,
    CompletePowershell,
    Man,
}

/// Shell completions or the man page, from the clap definition itself.
fn generate(kind: Generate, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use clap_complete::Shell;
    let mut command = command();
    let shell = match kind {
        Generate::CompleteBash => Shell::Bash,
        Generate::CompleteZsh => Shell::Zsh,
        Generate::CompleteFish => Shell::Fish,
        Generate::CompletePowershell => Shell::PowerShell,
        Generate::Man => return clap_mangen::Man::new(command).render(out),
    };
    clap_complete::generate(shell, &mut command, "urlcheck", out);
    out.flush()
}

/// `--watch [INTERVAL]` (no value: the intervals come from the config file).
fn parse_watch(s: &str) -> Result<Duration, String> {
    parse_duration(s).map_err(|e| {
        format!("{e} (to take the intervals from the config file, write --watch after the inputs)")
    })
}

/// The facts about the environment that decide defaults, gathered in one place
/// so that `into_config` can be tested without a terminal.
#[derive(Debug, Clone)]
pub(crate) struct Environment {
    pub(crate) stdin_is_terminal: bool,
    pub(crate) stdout_is_terminal: bool,
    pub(crate) stderr_is_terminal: bool,
    pub(crate) no_color: bool,
    pub(crate) dumb_term: bool,
    /// `GITHUB_ACTIONS=true`, with `GITHUB_STEP_SUMMARY` if set.
    pub(crate) github: Option<GithubActions>,
    /// The proxy variables that are set, with their values.
    pub(crate) proxy_vars: Vec<(String, String)>,
}

impl Environment {
    pub(crate) fn detect() -> Self {
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
            proxy_vars: super::proxy::VARIABLES
                .iter()
                .filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?)))
                .collect(),
        }
    }
}

/// Parse the process arguments into a `Config`. Usage errors exit with code 2
/// through clap, which prints the usage line.
/// `--links` takes an optional `all` or `internal`: when what follows is
/// neither (an INPUT file, say), it is `--links=all`, not a bad value.
fn links_value_or_not(args: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = args.collect();
    for i in 0..args.len() {
        let next_is_value = args
            .get(i + 1)
            .is_some_and(|next| next == "all" || next == "internal");
        if args[i] == "--" {
            break;
        }
        if args[i] == "--links" && !next_is_value {
            args[i] = "--links=all".into();
        }
        let next_is_depth = args
            .get(i + 1)
            .and_then(|next| next.to_str())
            .is_some_and(|next| next == "unlimited" || next.parse::<u32>().is_ok());
        if args[i] == "--crawl" && !next_is_depth {
            args[i] = "--crawl=unlimited".into();
        }
    }
    args
}

pub(crate) fn parse() -> anyhow::Result<Config> {
    let cli = command()
        .try_get_matches_from(links_value_or_not(std::env::args_os()))
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .unwrap_or_else(|e| e.exit());
    if let Some(kind) = cli.generate {
        // Like --help: write it and leave.
        let code = match generate(kind, &mut std::io::stdout().lock()) {
            Ok(()) => 0,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
            Err(e) => {
                crate::diag::error(format_args!("cannot write the {kind:?} output: {e}"));
                2
            }
        };
        std::process::exit(code);
    }
    let env = Environment::detect();
    if cli.inputs.is_empty()
        && cli.config.is_none()
        && cli.replay.is_empty()
        && env.stdin_is_terminal
    {
        command()
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
    /// Resolve the parsed flags against the config file and the environment:
    /// flags lie over the file's `[defaults]`, a `[[check]]` over both.
    pub(crate) fn into_config(self, env: &Environment) -> anyhow::Result<Config> {
        let file = match &self.config {
            Some(path) => file::load(path, &|name| std::env::var(name).ok())?,
            None => FileConfig::default(),
        };
        let inputs = self.inputs()?;
        let run = self.run.clone().over(file.run);
        let mut flags = self.check.clone();
        if let Some(Some(interval)) = self.watch {
            if flags.interval.is_some() {
                bail!("give the watch interval once: --watch INTERVAL or --interval INTERVAL");
            }
            flags.interval = Some(interval);
        }
        let every_url = flags.over(file.check);
        let config_name = self.config.as_ref().map(|p| p.display().to_string());
        let client_cert = read_client_cert(run.cert().as_deref(), run.key().as_deref())?;
        let connect = |settings: &CheckSettings| -> anyhow::Result<ClientSettings> {
            Ok(ClientSettings {
                insecure: settings.insecure(),
                cacert: settings.cacert().as_ref().map(read_cacert).transpose()?,
                client_cert: client_cert.clone(),
                http: if settings.http1_1() {
                    HttpVersions::Http1Only
                } else if settings.http2_prior_knowledge() {
                    HttpVersions::Http2PriorKnowledge
                } else {
                    HttpVersions::Negotiate
                },
                proxies: Proxies::resolve(
                    settings.proxy().clone(),
                    run.noproxy().clone(),
                    &|name| {
                        env.proxy_vars
                            .iter()
                            .find(|(var, _)| var == name)
                            .map(|(_, value)| value.clone())
                    },
                )?,
            })
        };
        let mut clients = vec![connect(&every_url)?];
        let mut config_checks = Vec::new();
        for check in file.checks {
            let settings = check.settings.clone().over(every_url.clone());
            let client = connect(&settings)
                .with_context(|| {
                    format!(
                        "{}:{}: in this [[check]]",
                        config_name.as_deref().unwrap_or(""),
                        check.line
                    )
                })?
                .index_in(&mut clients);
            config_checks.push(config_check(
                check,
                settings,
                config_name.as_deref().unwrap_or(""),
                client,
            ));
        }
        let color = run.color();
        let quiet = run.quiet();
        let color_allowed = |is_terminal: bool| match color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto => is_terminal && !env.no_color && !env.dumb_term,
        };
        Ok(Config::polite_to_sites(Config {
            inputs,
            shard: self.shard,
            resume: self.resume.clone(),
            replay: self.replay.iter().map(|r| RecordsFrom::parse(r)).collect(),
            keep_last: self.keep_last,
            baseline: self.baseline.clone(),
            workers: run.workers(),
            per_host: run.per_host().map(|p| p.0),
            spec: Arc::new(CheckSpec::new(every_url, Vec::new(), 0)),
            config_checks,
            reports: run.report().iter().map(|r| (r.0, r.1.clone())).collect(),
            github: env.github.clone(),
            clients,
            color_stdout: color_allowed(env.stdout_is_terminal),
            color_stderr: color_allowed(env.stderr_is_terminal),
            stdout_is_terminal: env.stdout_is_terminal,
            progress: env.stderr_is_terminal && !quiet && !run.no_progress(),
            summary: !quiet,
            sites: Arc::new(Sites {
                sitemaps: run.sitemap().clone(),
                // A crawl reads the links of every page, as --links does.
                links: run
                    .links()
                    .or(run.crawl().map(|_| crate::config::LinkScope::All)),
                include: run.include().clone(),
                exclude: run.exclude().clone(),
                check_fragments: run.check_fragments(),
                base_url: run.base_url().clone().map(|b| b.0),
                input_format: *run.input_format(),
                dry_run: self.dry_run,
                crawl: run.crawl().map(|depth| depth.0),
                crawl_scope: run.crawl_scope().clone(),
                ignore_robots: run.ignore_robots(),
                soft_404: run
                    .soft_404()
                    .unwrap_or(run.crawl().is_some() || run.links().is_some()),
            }),
            watch: self.watch.map(|_| Watch {
                down_after: run.down_after(),
                up_after: run.up_after(),
                listen: run.listen().map(|l| l.0),
            }),
            run,
        }))
        .and_then(Config::check_sites)
        .and_then(Config::check_watch)
        .and_then(Config::check_resume)
    }

    /// The INPUT arguments; stdin when there are none (and no config file).
    fn inputs(&self) -> anyhow::Result<Vec<InputSpec>> {
        if !self.replay.is_empty() {
            if !self.inputs.is_empty() || self.config.is_some() {
                bail!("--replay renders records and checks nothing: give no INPUT and no --config");
            }
            if self.replay.iter().filter(|r| *r == "-").count() > 1 {
                bail!("stdin (-) can be given only once");
            }
            return Ok(Vec::new());
        }
        let mut inputs: Vec<InputSpec> = self.inputs.iter().map(|s| classify_input(s)).collect();
        if inputs.is_empty() && self.config.is_none() {
            inputs.push(InputSpec::Stdin);
        }
        if inputs.iter().filter(|i| **i == InputSpec::Stdin).count() > 1 {
            bail!("stdin (-) can be given only once");
        }
        Ok(inputs)
    }
}

/// Read `--cacert` now, so that a wrong path is a usage error, not a
/// failure per URL.
fn read_cacert(path: &PathBuf) -> anyhow::Result<CaCerts> {
    let pem = std::fs::read(path)
        .with_context(|| format!("cannot read --cacert file {}", path.display()))?;
    Ok(CaCerts {
        path: path.clone(),
        pem,
    })
}

/// Read `--cert` (and `--key`, or the key in the same file) now, and check
/// that they belong together, so that a mistake is a usage error naming the
/// files, not a handshake failure per URL.
fn read_client_cert(cert: Option<&Path>, key: Option<&Path>) -> anyhow::Result<Option<ClientCert>> {
    let read = |path: &Path, what: &str| {
        std::fs::read(path).with_context(|| format!("cannot read {what} file {}", path.display()))
    };
    let (cert, key) = match (cert, key) {
        (None, None) => return Ok(None),
        (None, Some(key)) => bail!(
            "--key {} needs --cert: the client certificate it belongs to",
            key.display()
        ),
        (Some(cert), key) => (cert, key),
    };
    let mut pem = read(cert, "--cert")?;
    if let Some(key) = key {
        pem.push(b'\n');
        pem.extend(read(key, "--key")?);
    }
    crate::config::client_cert::check(&pem).map_err(|problem| {
        let files = match key {
            Some(key) => format!("--cert {} and --key {}", cert.display(), key.display()),
            None => format!("--cert {}", cert.display()),
        };
        anyhow::anyhow!("{files}: {problem}")
    })?;
    Ok(Some(ClientCert { pem }))
}

/// A config-file check, with its `settings` (its own over those of every
/// URL) and its `client`.
fn config_check(
    check: FileCheck,
    settings: CheckSettings,
    file: &str,
    client: usize,
) -> ConfigCheck {
    ConfigCheck {
        name: check.name,
        url: check.url,
        expanded_url: check.expanded_url,
        file: file.to_string(),
        line: check.line,
        spec: Arc::new(CheckSpec::new(settings, check.redactions, client)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::values::{Format, Method};

    fn env() -> Environment {
        Environment {
            stdin_is_terminal: false,
            stdout_is_terminal: true,
            stderr_is_terminal: true,
            no_color: false,
            dumb_term: false,
            github: None,
            proxy_vars: Vec::new(),
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
        command().debug_assert();
    }

    #[test]
    fn short_help_shows_the_chosen_options_and_long_help_every_one() {
        let mut short = command();
        let short = short.render_help().to_string();
        let mut long = command();
        let long = long.render_long_help().to_string();
        for arg in command().get_arguments() {
            let Some(name) = arg.get_long() else {
                continue;
            };
            // An option's own line: `  -f, --format <FORMAT>  ...`.
            let lists = |help: &str| {
                help.lines().any(|line| {
                    let line = line.trim_start();
                    let option = line.split("  ").next().unwrap_or_default();
                    line.starts_with('-')
                        && option
                            .split([',', ' ', '[', '='])
                            .any(|word| word == format!("--{name}"))
                })
            };
            assert!(lists(&long), "--help lacks --{name}");
            let in_short =
                SHORT_HELP.contains(&arg.get_id().as_str()) || matches!(name, "help" | "version");
            assert_eq!(lists(&short), in_short, "-h and --{name}");
        }
        for id in SHORT_HELP {
            assert!(
                command().get_arguments().any(|a| a.get_id() == id),
                "{id} is not an option"
            );
        }
    }

    #[test]
    fn defaults() {
        let c = config(&["https://example.com"]);
        assert_eq!(c.workers, 64);
        assert_eq!(c.spec.settings.timeout(), Duration::from_secs(10));
        assert_eq!(c.spec.settings.max_redirects(), 10);
        assert_eq!(c.run.format(), Format::Human);
        assert_eq!(c.spec.settings.method(), Method::Get);
        assert_eq!(c.spec.settings.expect_status().to_string(), "200-299");
        assert_eq!(c.run.retries(), 0);
        assert_eq!(c.run.retry_delay(), Duration::from_secs(1));
        assert_eq!((*c.run.wait(), *c.run.deadline()), (None, None));
        assert_eq!(c.run.wait_interval(), Duration::from_secs(2));
        assert!(
            c.run
                .user_agent()
                .to_str()
                .unwrap()
                .starts_with("urlcheck/")
        );
        assert!(c.progress && c.summary && c.color_stdout);
        assert_eq!(c.queue_capacity(), 2 * 64);
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

    /// The flags that choose what the run is, not how it runs: they have no
    /// config key (docs/reference.md lists them).
    const MODES: [&str; 12] = [
        "inputs",
        "config",
        "watch",
        "replay",
        "keep_last",
        "shard",
        "resume",
        "baseline",
        "dry_run",
        "generate",
        "help",
        "version",
    ];

    #[test]
    fn every_flag_but_the_modes_is_a_config_key() {
        let keys: Vec<&str> = RunSettings::KEYS
            .iter()
            .chain(CheckSettings::KEYS)
            .copied()
            .collect();
        let command = Cli::command();
        let mut flags = Vec::new();
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            flags.push(id);
            if MODES.contains(&id) {
                assert!(!keys.contains(&id), "{id} is a mode and a key");
            } else {
                assert!(keys.contains(&id), "--{id} has no config key");
            }
        }
        // And no key without its flag.
        for key in keys {
            assert!(flags.contains(&key), "the key {key} has no flag");
        }
    }

    /// A value for each config key that is not its default, and the flags
    /// that make it count (a watch setting needs --watch).
    fn sample(key: &str) -> (&'static str, &'static [&'static str]) {
        match key {
            "workers" => ("7", &[]),
            "per_host" => ("3", &[]),
            "lookahead" => ("17", &[]),
            "rate" => ("2.5", &[]),
            "threads" => ("2", &[]),
            "connect_timeout" => ("\"3s\"", &[]),
            "retries" => ("4", &[]),
            "retry_delay" => ("\"300ms\"", &[]),
            "user_agent" => ("\"probe\"", &[]),
            "wait" => ("\"1m\"", &[]),
            "wait_interval" => ("\"7s\"", &[]),
            "deadline" => ("\"9m\"", &[]),
            "compressed" => ("true", &[]),
            "insecure" => ("true", &[]),
            "cacert" => (
                concat!(
                    "\"",
                    env!("CARGO_MANIFEST_DIR"),
                    "/fixtures/tls/sha1-ca.pem\""
                ),
                &[],
            ),
            // A certificate needs its key, and a key its certificate: each is
            // given with the other (were one ignored, the pair would not
            // resolve).
            "cert" | "key" => (
                concat!(
                    "\"",
                    env!("CARGO_MANIFEST_DIR"),
                    "/fixtures/tls/sha1-leaf.pem\"\n",
                    "key = \"",
                    env!("CARGO_MANIFEST_DIR"),
                    "/fixtures/tls/sha1-leaf.key\""
                ),
                &[],
            ),
            "proxy" => ("\"http://127.0.0.1:3128\"", &[]),
            "noproxy" => ("\"a.test\"", &["--proxy", "http://127.0.0.1:3128"]),
            "sitemap" => ("\"https://a.test/\"", &[]),
            "links" => ("\"internal\"", &[]),
            "include" => ("\"a\"", &[]),
            "exclude" => ("\"b\"", &[]),
            "check_fragments" => ("true", &[]),
            "base_url" => ("\"https://a.test/\"", &[]),
            "crawl" => ("3", &[]),
            "crawl_scope" => ("\"https://a.test/docs/\"", &["--crawl"]),
            "ignore_robots" => ("true", &["--crawl"]),
            "soft_404" => ("false", &["--crawl"]),
            "http1_1" => ("true", &[]),
            "http2_prior_knowledge" => ("true", &[]),
            "shutdown_timeout" => ("\"9s\"", &[]),
            "format" => ("\"csv\"", &[]),
            "report" => ("\"junit:r.xml\"", &[]),
            "color" => ("\"never\"", &[]),
            "only_failures" => ("true", &[]),
            "quiet" => ("true", &[]),
            "verbose" => ("true", &[]),
            "no_progress" => ("true", &[]),
            "down_after" => ("3", &["--watch", "1s"]),
            "up_after" => ("3", &["--watch", "1s"]),
            "listen" => ("9464", &["--watch", "1s"]),
            "input_format" => ("\"markdown\"", &[]),
            "method" => ("\"HEAD\"", &[]),
            "timeout" => ("\"3s\"", &[]),
            "max_redirects" => ("2", &[]),
            "headers" => ("{ X-A = \"b\" }", &[]),
            "expect_status" => ("\"2xx\"", &[]),
            "expect_body" => ("\"ok\"", &[]),
            "expect_body_regex" => ("\"ok\"", &[]),
            "reject_body_regex" => ("\"no\"", &[]),
            "expect_header" => ("{ X-A = \"b\" }", &[]),
            "max_latency" => ("\"1s\"", &[]),
            "min_cert_days" => ("9", &[]),
            "interval" => ("\"9s\"", &[]),
            other => panic!("no sample value for the config key {other}: add one here"),
        }
    }

    #[test]
    fn every_config_key_changes_the_resolved_configuration() {
        // A key that the file reader skipped would leave the Config as it
        // was: each key, set alone, must show in it. (That each setting is
        // then used is the compiler's check: the fields are private to
        // `config`, and an accessor nothing calls is dead code.)
        let dir = tempfile::tempdir().unwrap();
        let resolved = |toml: &str, extra: &[&str]| {
            let file = dir.path().join("urlcheck.toml");
            std::fs::write(&file, toml).unwrap();
            let mut args: Vec<&str> = extra.to_vec();
            let file = file.to_str().unwrap().to_string();
            args.extend(["-c", &file, "https://a.test/"]);
            // Without the key, with the same flags: what it must change.
            format!("{:?}", config(&args))
        };
        for key in RunSettings::KEYS.iter().chain(CheckSettings::KEYS) {
            let (value, extra) = sample(key);
            let without = resolved("[defaults]\n", extra);
            let key = if *key == "key" { "cert" } else { key };
            let with = resolved(&format!("[defaults]\n{key} = {value}\n"), extra);
            assert_ne!(with, without, "the config key {key} changes nothing");
        }
    }

    #[test]
    fn output_and_watch_settings_come_from_the_file_under_the_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("urlcheck.toml");
        std::fs::write(
            &file,
            "[defaults]\nformat = \"jsonl\"\nquiet = true\nreport = \"junit:r.xml\"\n\
             shutdown_timeout = \"1s\"\nhttp1_1 = true\ncolor = \"always\"\n",
        )
        .unwrap();
        let file = file.to_str().unwrap();
        let c = config(&["-c", file, "https://a.test/"]);
        assert_eq!(c.run.format(), Format::Jsonl);
        assert!(!c.summary && !c.progress && c.color_stdout);
        assert_eq!(c.reports.len(), 1);
        assert_eq!(c.run.shutdown_timeout(), Duration::from_secs(1));
        assert_eq!(c.clients[0].http, HttpVersions::Http1Only);
        let c = config(&[
            "-c",
            file,
            "-f",
            "csv",
            "--report",
            "sarif:s.json",
            "https://a.test/",
        ]);
        assert_eq!(c.run.format(), Format::Csv, "the flag wins");
        assert_eq!(c.reports.len(), 2, "reports add up");
    }

    #[test]
    fn a_site_run_is_polite_to_each_host_by_default() {
        assert_eq!(config(&["https://a.test/"]).per_host, None);
        assert_eq!(
            config(&["--links=all", "https://a.test/"]).per_host,
            Some(8)
        );
        assert_eq!(config(&["README.md"]).per_host, Some(8));
        assert_eq!(
            config(&["--sitemap", "https://a.test/", "--per-host", "2"]).per_host,
            Some(2)
        );
    }

    #[test]
    fn links_takes_a_scope_or_leaves_the_next_argument_alone() {
        let args = |list: &[&str]| {
            links_value_or_not(list.iter().map(std::ffi::OsString::from))
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            args(&["urlcheck", "--links", "urls.txt"]),
            ["urlcheck", "--links=all", "urls.txt"]
        );
        assert_eq!(
            args(&["urlcheck", "--links", "internal", "u"]),
            ["urlcheck", "--links", "internal", "u"]
        );
        assert_eq!(args(&["urlcheck", "--links"]), ["urlcheck", "--links=all"]);
        assert_eq!(
            args(&["urlcheck", "--", "--links"]),
            ["urlcheck", "--", "--links"]
        );
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
        assert_eq!(c.run.format(), Format::Jsonl);
        assert_eq!(c.spec.settings.method(), Method::Head);
        assert_eq!(c.spec.settings.timeout(), Duration::from_millis(500));
        assert_eq!(c.spec.settings.max_redirects(), 0);
        assert_eq!(c.spec.headers.get_all("x-a").iter().count(), 2);
        assert_eq!(c.run.user_agent(), "probe");
        assert!(c.clients[0].insecure && c.run.only_failures());
        assert!(
            c.spec.settings.expect_status().contains(404)
                && !c.spec.settings.expect_status().contains(201)
        );
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
        let expect = &c.spec.settings;
        assert_eq!(expect.expect_body.as_deref(), Some("ok"));
        assert!(expect.expect_body_regex.as_ref().unwrap().is_match("ok"));
        assert!(
            expect
                .reject_body_regex
                .as_ref()
                .unwrap()
                .is_match("an error")
        );
        assert_eq!(expect.expect_header[0].name, "content-type");
        assert_eq!(expect.max_latency, Some(Duration::from_millis(500)));
        assert_eq!(expect.min_cert_days, Some(14));
        assert_eq!(
            (c.run.retries(), c.run.retry_delay()),
            (2, Duration::from_millis(100))
        );
        assert_eq!(*c.run.wait(), Some(Duration::from_secs(30)));
        assert_eq!(c.run.wait_interval(), Duration::from_secs(1));
        assert_eq!(*c.run.deadline(), Some(Duration::from_secs(60)));
        assert_eq!(
            c.reports,
            vec![
                (Format::Junit, PathBuf::from("out/report.xml")),
                (Format::Markdown, PathBuf::from("summary.md"))
            ]
        );
        assert_eq!(c.run.format(), Format::Junit);
    }

    #[test]
    fn a_config_file_gives_defaults_that_flags_override() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("urlcheck.toml");
        std::fs::write(
            &path,
            "[defaults]\nworkers = 8\ntimeout = \"5s\"\nretries = 2\n\
             per_host = 4\nrate = 2.5\nlookahead = 500\n\
             headers = { X-Team = \"web\" }\n\n[[check]]\nurl = \"https://a.test/health\"\n\
             expect_body = \"ok\"\n",
        )
        .unwrap();
        let path = path.to_str().unwrap();
        let c = config(&["-c", path]);
        assert_eq!((c.workers, c.run.retries()), (8, 2));
        assert_eq!(
            (c.per_host, c.run.rate().map(|r| r.0)),
            (Some(4), Some(2.5))
        );
        assert_eq!(c.run.lookahead(), 500);
        assert_eq!(config(&["https://a.test/"]).run.lookahead(), 10_000);
        assert_eq!(c.spec.settings.timeout(), Duration::from_secs(5));
        assert!(c.inputs.is_empty(), "with --config, stdin is not read");
        assert_eq!(c.config_checks.len(), 1);
        let check = &c.config_checks[0];
        assert_eq!(
            (check.url.as_str(), check.line),
            ("https://a.test/health", 11)
        );
        assert_eq!(check.spec.settings.expect_body.as_deref(), Some("ok"));
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
        assert_eq!((c.workers, c.run.retries()), (3, 2));
        assert_eq!(
            (c.per_host, c.run.rate().map(|r| r.0)),
            (Some(4), Some(7.0))
        );
        assert_eq!(c.spec.headers["x-team"], "api");
        assert_eq!(c.inputs, vec![InputSpec::Url("https://b.test/".into())]);
    }

    #[test]
    fn missing_cacert_is_an_error_naming_the_file() {
        let cli =
            Cli::try_parse_from(["urlcheck", "--cacert", "/nonexistent/ca.pem", "x"]).unwrap();
        let err = cli.into_config(&env()).unwrap_err();
        assert!(format!("{err:#}").contains("/nonexistent/ca.pem"));
    }
}
